// Modbus job files left behind (issue 15): job and result files are named by job id only, so a
// crash between writing one and the station taking it leaves a file with BAC keys, a chip image or
// a card PDF that nothing points to. Each block of job ids a run reserves now records the batch it
// was reserved for, and each job folder a run used is remembered, so `purge --due` finds the files
// of a purged batch again (and, for files older than any block, their age).
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_id_blocks', (t) => {
    t.string('line_id', 64).notNullable();
    t.bigInteger('first_id').notNullable();
    t.integer('count').notNullable();
    t.string('batch_id', 32).notNullable();
    t.timestamp('allocated_at', { useTz: true }).notNullable();
    t.primary(['line_id', 'first_id']);
  });
  await knex.schema.createTable('job_folders', (t) => {
    // A unit's folder (<jobDir>/u<unit>), holding jobs/ and outbox/.
    t.text('dir').primary();
    t.string('line_id', 64).notNullable();
    t.timestamp('last_used_at', { useTz: true }).notNullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the job id blocks migration is not reversible: job files left behind could no longer be traced to their batch'));
}

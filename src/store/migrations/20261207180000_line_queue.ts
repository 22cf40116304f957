// Each line's batch queue (`cardline serve`, src/store/line-queue-store.ts): the batches waiting for
// a line, in the order an operator starts them. A batch waits on one line at most.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('line_queue', (t) => {
    t.string('batch_id', 32).primary().references('id').inTable('batches');
    t.string('line_id', 64).notNullable();
    t.integer('position').notNullable();
    t.timestamp('queued_at', { useTz: true }).notNullable();
    t.string('queued_by', 64).notNullable();
    t.index(['line_id', 'position']);
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line-queue migration is not reversible'));
}

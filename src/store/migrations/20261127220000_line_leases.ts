// One controller per line: the lease a running `cardline run` holds on its line (src/store/line-lease.ts).
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('line_leases', (t) => {
    t.string('line_id', 64).primary();
    // A random token per run: only the holder renews or releases the lease.
    t.string('token', 64).notNullable();
    t.string('host', 255).notNullable();
    t.integer('pid').notNullable();
    t.string('batch_id', 32).nullable();
    t.timestamp('acquired_at', { useTz: true }).notNullable();
    t.timestamp('renewed_at', { useTz: true }).notNullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line-leases migration is not reversible'));
}

// The lease remembers when its holder's process started (src/store/line-lease.ts), so that a pid the
// system has since given to another process no longer counts as the holder being alive.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('line_leases', (t) => {
    // `<boot id>:<start time in clock ticks since boot>` from /proc; null where /proc is not there.
    t.string('pid_started', 64).nullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line-lease-pid-started migration is not reversible'));
}

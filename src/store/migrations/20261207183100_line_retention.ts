// Retention set by a line file (issue 15): a line's `retentionDays` applies to the batches run on
// it, below the batch's own value and above the site's. Recorded on the batch when a run starts,
// because the approval that fixes the retention date has no line file in hand. The line's id is
// kept beside it so the approval can say where the period came from.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('batches', (t) => {
    // Null: the line that ran the batch sets no retention period.
    t.integer('line_retention_days').nullable();
    t.string('retention_line_id', 64).nullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line retention migration is not reversible: it would change when personal data is purged'));
}

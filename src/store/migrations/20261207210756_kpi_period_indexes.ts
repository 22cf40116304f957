// The KPIs and reports of a period (issue 17) read a line's journal by time: station_events and
// card_events by (line_id, at) (src/store/kpi-store.ts). Without these a shift's KPIs scan every row
// the site has ever journalled; station_events had no index at all. Ended cards are found through
// cards_line_status_idx and cards_batch_status_idx: an index on (line_id, ended_at) would draw the
// planner away from the in-line cards' partial index, which the line reads on every resume.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('station_events', (t) => {
    t.index(['line_id', 'at'], 'station_events_line_at_idx');
  });
  await knex.schema.alterTable('card_events', (t) => {
    t.index(['line_id', 'at'], 'card_events_line_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('card_events', (t) => {
    t.dropIndex(['line_id', 'at'], 'card_events_line_at_idx');
  });
  await knex.schema.alterTable('station_events', (t) => {
    t.dropIndex(['line_id', 'at'], 'station_events_line_at_idx');
  });
}

// Fewer database pages written by each commit of the line's journal. With the stations' cycle
// times at 0 the line waits for every commit, and a commit's cost is the pages it writes to the WAL
// (16 KiB each): measured on a replay of 1,319 commits of the controller benchmark, 9.2 pages a
// commit before, 6.4 after (7.3 with the cards indexes alone, 8.4 without AUTOINCREMENT alone).
//
// - cards: the indexes on (batch_id, status) and (line_id, status) each took a card out of its
//   'in-line' range and into its 'good' or 'spoiled' range when it ended, two leaves apiece. Plain
//   (batch_id) and (line_id) indexes only grow at their end, and a partial index holds just the
//   cards in the line (a few dozen entries, one page) for the two queries that ask for them.
// - card_events (SQLite): AUTOINCREMENT wrote sqlite_sequence on every insert. An INTEGER PRIMARY
//   KEY without it still gives increasing ids while no row is deleted, and events never are.
//   PostgreSQL's serial column has no such cost and is left as it is.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('cards', (t) => {
    t.dropIndex(['batch_id', 'status'], 'cards_batch_status_idx');
    t.dropIndex(['line_id', 'status'], 'cards_line_status_idx');
    t.index(['batch_id'], 'cards_batch_idx');
    t.index(['line_id'], 'cards_line_idx');
  });
  // The same partial-index syntax on SQLite and PostgreSQL.
  await knex.raw(`create index cards_in_line_idx on cards (line_id, batch_id) where status = 'in-line'`);

  if ((knex.client as Knex.Client).dialect !== 'sqlite3') return;
  const columns = 'id, at, line_id, batch_id, seq, attempt, card_serial, unit, event, reason, detail';
  await knex.raw(
    'create table card_events_new (id integer not null primary key, at datetime not null, line_id varchar(64) not null, ' +
      'batch_id varchar(32) null, seq integer null, attempt integer null, card_serial varchar(32) null, unit varchar(32) null, ' +
      'event varchar(48) not null, reason varchar(64) null, detail text null)',
  );
  await knex.raw(`insert into card_events_new (${columns}) select ${columns} from card_events order by id`);
  await knex.raw('drop table card_events');
  await knex.raw('alter table card_events_new rename to card_events');
  await knex.raw('create index card_events_record_idx on card_events (batch_id, seq)');
  await knex.raw('create index card_events_card_idx on card_events (card_serial)');
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the line-write-pages migration is not reversible: the line-control tables it rebuilt hold the card accountability of released batches'));
}

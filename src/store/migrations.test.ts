// Migrations that change tables holding data, run on a database as the previous release left it,
// on both backends: nothing already written is lost, and the queries use the new indexes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db.ts';
import { LineStore } from './line-store.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { createTempPgDatabase } from '../../test/helpers/pg.ts';

const BEFORE_LINE_WRITE_PAGES = MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === '20261127210000_line_write_pages'));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(['sqlite', 'postgres'] as const)('the line-write-pages migration on %s', (backend) => {
  async function place(): Promise<{ dataDir: string; url: string | undefined }> {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cardline-migrate-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    if (backend === 'sqlite') return { dataDir, url: undefined };
    const pg = await createTempPgDatabase();
    cleanups.push(() => pg.drop());
    return { dataDir, url: pg.url };
  }

  it('keeps every card event and its id; new events get higher ids; in-line cards are found through the partial index', async () => {
    const where = await place();
    const old = await openDatabase({ ...where, migrations: BEFORE_LINE_WRITE_PAGES });
    const events = [1, 2, 3].map((n) => ({ at: new Date(Date.UTC(2026, 10, 27, 9, n)).toISOString(), line_id: 'L1', batch_id: 'B', seq: n, attempt: 1, card_serial: `C${n}`, unit: 'qa', event: 'qa.done', reason: null, detail: `{"n":${n}}` }));
    await old('card_events').insert(events);
    // A gap: ids go on from the highest one, whatever was deleted before.
    await old('card_events').where({ seq: 2 }).del();
    const before: { id: number | string; card_serial: string; detail: string }[] = await old('card_events').orderBy('id').select('id', 'card_serial', 'detail');
    await old.destroy();

    const db = await openDatabase(where);
    cleanups.push(() => db.destroy());
    const after: { id: number | string; card_serial: string; detail: string }[] = await db('card_events').orderBy('id').select('id', 'card_serial', 'detail');
    expect(after).toStrictEqual(before);
    const store = new LineStore(db, 'L1');
    await store.journal.append({ op: 'event', event: 'later', cardSerial: 'C9' });
    const later: { id: number | string } = await db('card_events').where({ card_serial: 'C9' }).first('id');
    expect(Number(later.id)).toBeGreaterThan(Math.max(...before.map((e) => Number(e.id))));

    if (backend === 'sqlite') {
      const plan = async (sql: string): Promise<string> => (await db.raw<{ detail: string }[]>(`explain query plan ${sql}`)).map((r) => r.detail).join('; ');
      expect(await plan(`select * from cards where line_id = 'L1' and status = 'in-line'`)).toMatch(/cards_in_line_idx/);
      expect(await plan(`select card_serial from cards where batch_id = 'B' and status = 'in-line'`)).toMatch(/cards_in_line_idx|cards_batch_idx/);
      expect(await plan(`select status, count(*) from cards where batch_id = 'B' group by status`)).toMatch(/cards_batch_idx/);
      expect(await plan(`select count(*) from cards where line_id = 'L1'`)).toMatch(/cards_line_idx|cards_in_line_idx/);
      const sequence: unknown[] = await db.raw(`select * from sqlite_sequence where name = 'card_events'`);
      expect(sequence).toStrictEqual([]);
      const ddl: { sql: string }[] = await db.raw(`select sql from sqlite_master where name = 'card_events'`);
      expect(ddl[0]!.sql).not.toMatch(/autoincrement/i);
    } else {
      const indexes = (await db.raw<{ rows: { indexname: string; indexdef: string }[] }>(`select indexname, indexdef from pg_indexes where tablename = 'cards' order by indexname`)).rows;
      expect(indexes.map((i) => i.indexname)).toStrictEqual(['cards_batch_idx', 'cards_in_line_idx', 'cards_line_idx', 'cards_pkey']);
      expect(indexes.find((i) => i.indexname === 'cards_in_line_idx')!.indexdef).toMatch(/WHERE \(\(status\)::text = 'in-line'::text\)/);
    }
  });
});

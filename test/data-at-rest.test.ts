/**
 * Personal data is encrypted at rest: after a real sample is imported through the CLI, no file
 * in the data directory (SQLite database, WAL, shared memory, reports, key folder) and no row of
 * a PostgreSQL store holds a name, a full birth date or a PID in clear.
 */
import { appendFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { cardline, cliUsers } from './helpers/cli.ts';
import { createTempPgDatabase, type TempPgDatabase } from './helpers/pg.ts';
import { filesUnder, leaks } from './helpers/scan.ts';

let work: string;
let secrets: string[];

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-rest-'));
  const sample = await cardline(['sample', '--count', '150', '--seed', 'at-rest', '--out', path.join(work, 'in')]);
  expect(sample.code).toBe(0);
  const lines = (await readFile(path.join(work, 'in', 'batch.jsonl'), 'utf8')).trim().split('\n');
  secrets = lines.flatMap((l) => {
    const r = JSON.parse(l) as Record<string, string>;
    // Year-only and year-month birth dates are too short to be told apart from random bytes.
    return [r.pid!, r.fullName!, r.residence!, ...(r.birthDate!.length === 10 ? [r.birthDate!] : [])];
  });
  // Some bad lines, so the quarantine report has content: their values must not leak either.
  const bad = JSON.parse(lines[0]!) as Record<string, string>;
  const extra = [
    JSON.stringify({ ...bad, pid: '001099999999', fullName: 'Đoàn Thị Bí Mật', sex: 'X' }),
    `{"pid": "001099999998", "fullName": Hoàng Văn Lộ}`,
  ];
  secrets.push('001099999999', 'Đoàn Thị Bí Mật', '001099999998', 'Hoàng Văn Lộ');
  await appendFile(path.join(work, 'in', 'batch.jsonl'), `${extra.join('\n')}\n`);
}, 60_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('no personal data in clear at rest', () => {
  it('the detector finds the values in the clear input (control)', async () => {
    expect(leaks(await readFile(path.join(work, 'in', 'batch.jsonl')), secrets)).toHaveLength(secrets.length);
  });

  it('SQLite data directory: database, WAL, reports, keys', async () => {
    const dataDir = path.join(work, 'data-sqlite');
    const { op } = await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' }, { op: 'operator' });
    const r = await cardline(['import', path.join(work, 'in', 'batch.jsonl'), '--json'], { env: op });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 150, quarantined: 2 });
    const files = await filesUnder(dataDir);
    // The store really wrote: the database, its WAL and the reports are all there.
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      expect.arrayContaining(['cardline.sqlite', 'data.key', expect.stringMatching(/-quarantine\.json$/), expect.stringMatching(/-quarantine\.txt$/)]),
    );
    for (const file of files) expect({ file, leaks: leaks(await readFile(file), secrets) }).toStrictEqual({ file, leaks: [] });
  });

  it('SQLite write-ahead log while the database is open', async () => {
    // The CLI checkpoints and removes the WAL on exit; here the database stays open while we look.
    const dataDir = path.join(work, 'data-wal');
    const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' });
    try {
      const summary = await importBatch({ file: path.join(work, 'in', 'batch.jsonl'), store: ctx.batches, reportDir: ctx.reportDir, actor: 'test' });
      expect(summary.accepted).toBe(150);
      const files = await filesUnder(dataDir);
      const wal = files.find((f) => f.endsWith('cardline.sqlite-wal'))!;
      expect((await stat(wal)).size).toBeGreaterThan(100_000);
      for (const file of files) expect({ file, leaks: leaks(await readFile(file), secrets) }).toStrictEqual({ file, leaks: [] });
    } finally {
      await ctx.close();
    }
  });

  describe('PostgreSQL store', () => {
    let pg: TempPgDatabase;
    beforeAll(async () => {
      pg = await createTempPgDatabase();
    });
    afterAll(async () => {
      await pg?.drop();
    });

    it('rows and data directory', async () => {
      const dataDir = path.join(work, 'data-pg');
      const { op } = await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: pg.url }, { op: 'operator' });
      const r = await cardline(['import', path.join(work, 'in', 'batch.jsonl'), '--json'], { env: op });
      expect(r.code).toBe(0);
      const db = knex({ client: 'pg', connection: pg.url });
      try {
        const tables: { tablename: string }[] = await db('pg_tables').where({ schemaname: 'public' }).select('tablename');
        expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['records', 'record_portraits', 'audit_log', 'batches', 'open_pids']));
        let rows = 0;
        for (const { tablename } of tables) {
          for (const row of (await db(tablename).select('*')) as Record<string, unknown>[]) {
            rows += 1;
            const text = Buffer.concat(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))));
            expect(leaks(text, secrets)).toStrictEqual([]);
          }
        }
        expect(rows).toBeGreaterThan(300);
      } finally {
        await db.destroy();
      }
      for (const file of await filesUnder(dataDir)) expect({ file, leaks: leaks(await readFile(file), secrets) }).toStrictEqual({ file, leaks: [] });
    });
  });
});

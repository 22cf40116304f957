import type { Knex } from 'knex';
import { chmod, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit } from './audit.ts';
import { databaseFromEnv, migrateToLatest, openDatabase } from './db.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { BACKENDS, tempDataDir, type StoreFixture } from '../../test/helpers/store-backends.ts';

const TABLES = ['audit_log', 'batches', 'open_pids', 'record_portraits', 'records'];

describe('migration registry', () => {
  it('lists every timestamped migration file of src/store/migrations, in order', async () => {
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
    const files = (await readdir(dir))
      .filter((f) => /^\d{14}_.+\.ts$/.test(f) && !f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(MIGRATIONS.map((m) => m.name)).toStrictEqual(files);
  });
});

describe.each(BACKENDS)('database on $name', (backend) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await backend.setup();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('creates the schema', async () => {
    for (const table of TABLES) expect(await fx.db.schema.hasTable(table), table).toBe(true);
  });

  it('runs migrations idempotently: again on the open pool, and on a second open of the same database', async () => {
    await migrateToLatest(fx.db);
    const second = await openDatabase({ dataDir: fx.dataDir, url: fx.url });
    try {
      const applied: { name: string }[] = await second('knex_migrations').select('name');
      expect(applied.map((r) => r.name)).toStrictEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      await second.destroy();
    }
  });

  describe('audit_log is append-only in the database itself', () => {
    beforeAll(async () => {
      await appendAudit(fx.db, { actor: 'test', action: 'test.append', subjectType: 'test', subjectId: 'x' });
    });

    it('accepts inserts', async () => {
      const rows = await fx.db<{ action: string; subject_id: string }>('audit_log').select('action').where({ subject_id: 'x' });
      expect(rows).toStrictEqual([{ action: 'test.append' }]);
    });

    it('refuses UPDATE', async () => {
      await expect(fx.db.raw(`update audit_log set actor = 'mallory'`)).rejects.toThrow(
        /audit_log is append-only: UPDATE is not allowed/,
      );
    });

    it('refuses DELETE', async () => {
      await expect(fx.db.raw('delete from audit_log')).rejects.toThrow(/audit_log is append-only: DELETE is not allowed/);
      const count = await fx.db('audit_log').count({ n: '*' }).first();
      expect(Number(count?.n)).toBeGreaterThan(0);
    });

    // SQLite has no TRUNCATE; its `delete from` without where is covered above.
    if (backend.name === 'postgres') {
      it('refuses TRUNCATE', async () => {
        await expect(fx.db.raw('truncate audit_log')).rejects.toThrow(/audit_log is append-only: TRUNCATE/);
      });
    }
  });

  if (backend.name === 'sqlite') {
    it('keeps the SQLite file and its WAL 0600, and narrows an older 0644 file', async () => {
      await fx.db.raw('select 1');
      const file = path.join(fx.dataDir, 'cardline.sqlite');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await stat(`${file}-wal`)).mode & 0o777).toBe(0o600);
      const older = await tempDataDir();
      try {
        await writeFile(path.join(older, 'cardline.sqlite'), '', { mode: 0o644 });
        await chmod(path.join(older, 'cardline.sqlite'), 0o644);
        const db = await openDatabase({ dataDir: older });
        await db.destroy();
        expect((await stat(path.join(older, 'cardline.sqlite'))).mode & 0o777).toBe(0o600);
      } finally {
        await rm(older, { recursive: true, force: true });
      }
    });

    it('sets the SQLite pragmas on the pooled connection', async () => {
      const pragma = async (name: string): Promise<unknown> => {
        const rows = await fx.db.raw<Record<string, unknown>[]>(`PRAGMA ${name}`);
        return Object.values(rows[0] ?? {})[0];
      };
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL: the WAL is synced at every commit (docs/line-control.md, "Durability")
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBeGreaterThan(0);
    });

    it('checkpoints the WAL in the background: committed pages reach the database file without a writer checkpointing', async () => {
      const file = path.join(fx.dataDir, 'cardline.sqlite');
      await fx.db.raw('create table checkpoint_probe (n integer primary key, data blob not null)');
      await fx.db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      const before = (await stat(file)).size;
      // 100 commits of 16 KiB each: 200-odd WAL frames, far below the writer's own checkpoint at 1,000.
      for (let n = 1; n <= 100; n++) await fx.db('checkpoint_probe').insert({ n, data: Buffer.alloc(16_384, n) });
      // The checkpointer runs every 50 ms; the rows reach the database file (not only the WAL).
      const deadline = Date.now() + 5_000;
      while ((await stat(file)).size < before + 100 * 16_384 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await stat(file)).size).toBeGreaterThanOrEqual(before + 100 * 16_384);
      await fx.db.raw('drop table checkpoint_probe');
    });
  }

  it('enforces foreign keys', async () => {
    await expect(
      fx.db('record_portraits').insert({ batch_id: 'no-such-batch', seq: 1, data: Buffer.from('x') }),
    ).rejects.toThrow(/foreign key/i);
  });
});

describe('opening errors are clear', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await tempDataDir();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('names an unreachable PostgreSQL server without its password', async () => {
    const opening = openDatabase({ dataDir, url: 'postgres://cardline:s3cret@127.0.0.1:1/cardline' });
    await expect(opening).rejects.toThrow(/cannot open the cardline database postgres:\/\/cardline:\*\*\*@127\.0\.0\.1:1\/cardline/);
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it('databaseFromEnv refuses a non-PostgreSQL CARDLINE_DB_URL, naming the variable', async () => {
    await expect(databaseFromEnv(dataDir, { CARDLINE_DB_URL: 'mysql://root:pw@db/cardline' })).rejects.toThrow(
      /^CARDLINE_DB_URL must be a PostgreSQL URL .*\(got mysql:\)/,
    );
  });

  it('databaseFromEnv uses SQLite in the data directory when CARDLINE_DB_URL is unset', async () => {
    const db: Knex = await databaseFromEnv(dataDir, {});
    try {
      expect((await readdir(dataDir)).includes('cardline.sqlite')).toBe(true);
    } finally {
      await db.destroy();
    }
  });
});

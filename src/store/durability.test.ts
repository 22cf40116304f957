// Durable commits: every connection the store opens syncs each commit before it reports it done
// (SQLite synchronous=FULL in WAL mode, PostgreSQL synchronous_commit=on), whatever the server's
// own default says. docs/line-control.md, "Durability".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knex from 'knex';
import { openDatabase, WalCheckpointer } from './db.ts';
import { Journal } from './line-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';

/** SQLite's PRAGMA synchronous values: 2 FULL, 3 EXTRA (both sync the WAL at every commit). */
const DURABLE_SQLITE = [2, 3];
const CONNECTIONS = 12;

describe.each(BACKENDS)('durable commits on $name', (backend) => {
  let fx: StoreFixture;
  beforeAll(async () => {
    fx = await backend.setup();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  /** The setting as each of `CONNECTIONS` transactions held at once sees it: the pool's every connection. */
  async function settingOnEveryConnection(db = fx.db): Promise<{ values: string[]; connections: number }> {
    const sql = backend.name === 'sqlite' ? 'PRAGMA synchronous' : 'show synchronous_commit';
    const backendIds = new Set<string>();
    let started = 0;
    let release!: () => void;
    const allStarted = new Promise<void>((resolve) => (release = resolve));
    const values = await Promise.all(
      Array.from({ length: CONNECTIONS }, () =>
        db.transaction(async (trx) => {
          const result: unknown = await trx.raw(sql);
          if (backend.name === 'postgres') backendIds.add(String((await trx.raw<{ rows: { pid: number }[] }>('select pg_backend_pid() as pid')).rows[0]!.pid));
          // Hold every PostgreSQL transaction until the pool has lent out all it can (10), so each connection answers.
          if (++started >= Math.min(CONNECTIONS, 10) || backend.name === 'sqlite') release();
          if (backend.name === 'postgres') await allStarted;
          return backend.name === 'sqlite' ? String((result as { synchronous: number }[])[0]!.synchronous) : (result as { rows: { synchronous_commit: string }[] }).rows[0]!.synchronous_commit;
        }),
      ),
    );
    return { values, connections: backend.name === 'sqlite' ? 1 : backendIds.size };
  }

  it('every pooled connection (and each WAL checkpointer) syncs every commit', async () => {
    const { values, connections } = await settingOnEveryConnection();
    expect(values).toHaveLength(CONNECTIONS);
    if (backend.name === 'sqlite') {
      for (const v of values) expect(DURABLE_SQLITE).toContain(Number(v));
      const checkpointers = WalCheckpointer.live();
      expect(checkpointers.length).toBeGreaterThan(0);
      for (const c of checkpointers) expect(DURABLE_SQLITE).toContain(await c.synchronous());
    } else {
      // The pool's maximum: every connection was asked.
      expect(connections).toBe(10);
      expect(new Set(values)).toStrictEqual(new Set(['on']));
    }
  });

  if (backend.name === 'postgres') it('synchronous_commit is on even where the database default turns it off', async () => {
    const name = new URL(fx.url!).pathname.slice(1);
    const admin = knex({ client: 'pg', connection: fx.url!, pool: { min: 0, max: 1 } });
    try {
      await admin.raw(`alter database ${name} set synchronous_commit = off`);
      // A plain connection now gets "off": the store's own must not.
      const plain = knex({ client: 'pg', connection: fx.url!, pool: { min: 0, max: 1 } });
      try {
        const shown = await plain.raw<{ rows: { synchronous_commit: string }[] }>('show synchronous_commit');
        expect(shown.rows[0]!.synchronous_commit).toBe('off');
      } finally {
        await plain.destroy();
      }
      const db = await openDatabase({ dataDir: fx.dataDir, url: fx.url });
      try {
        const { values } = await settingOnEveryConnection(db);
        expect(new Set(values)).toStrictEqual(new Set(['on']));
      } finally {
        await db.destroy();
      }
    } finally {
      await admin.raw(`alter database ${name} reset synchronous_commit`);
      await admin.destroy();
    }
  });

  it('the journal reports a commit done only after it is in the database, and group-commits what arrives together', async () => {
    const journal = new Journal(fx.db, 'durable-line');
    const commits: number[] = [];
    journal.onCommitted = (ops) => commits.push(ops.length);
    const appends = Array.from({ length: 20 }, (_, i) => journal.append({ op: 'station', unit: `u${i % 6}`, event: 'durability.probe', detail: { i } }));
    await Promise.all(appends);
    // Appended in one turn of the event loop: one commit (one sync) for all twenty.
    expect(commits).toStrictEqual([20]);
    const rows: unknown[] = await fx.db('station_events').where({ line_id: 'durable-line', event: 'durability.probe' });
    expect(rows).toHaveLength(20);
  });
});

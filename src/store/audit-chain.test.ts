// The audit chain against someone who holds the database and drops the append-only triggers: each
// kind of tampering is found and the first broken row named; an untouched log verifies, on both backends.
import { createHmac, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAudit, auditHead, bindAuditKeys, listAudit, verifyAuditChain } from './audit.ts';
import { openDatabase } from './db.ts';
import { deriveDataKeys } from './keys.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { dialectOf } from './sql.ts';
import { createTempPgDatabase } from '../../test/helpers/pg.ts';
import { BACKENDS, TEST_KEY, tempDataDir, type StoreFixture } from '../../test/helpers/store-backends.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dropTriggers(db: Knex): Promise<void> {
  if (dialectOf(db) === 'postgres') await db.raw('drop trigger audit_log_no_update_delete on audit_log');
  else {
    await db.raw('drop trigger audit_log_no_update');
    await db.raw('drop trigger audit_log_no_delete');
  }
}

async function fiveRows(fx: StoreFixture): Promise<void> {
  for (let n = 1; n <= 5; n++) {
    await appendAudit(fx.db, { actor: `op-${n}`, action: 'test.step', subjectType: 'batch', subjectId: 'B1', details: { n } });
  }
}

interface Row {
  id: number | string;
  at: Date | string;
  hash: string;
}

const TAMPERS: readonly { name: string; row: number; tamper: (db: Knex) => Promise<unknown> }[] = [
  { name: "update a row's actor", row: 3, tamper: (db) => db('audit_log').where({ id: 3 }).update({ actor: 'somebody-else' }) },
  { name: 'delete a middle row', row: 3, tamper: (db) => db('audit_log').where({ id: 3 }).delete() },
  { name: 'delete the last row', row: 5, tamper: (db) => db('audit_log').where({ id: 5 }).delete() },
  {
    name: 'insert a forged row',
    row: 6,
    tamper: async (db) => {
      // Linked to the real last row and MACed under a key the forger made up.
      const last: Row = await db('audit_log').orderBy('id', 'desc').first();
      const forged = { id: 6, at: new Date().toISOString(), actor: 'op-1', action: 'batch.released', subject_type: 'batch', subject_id: 'B1', details: null, prev_hash: last.hash };
      const hash = createHmac('sha256', randomBytes(32)).update(JSON.stringify(forged)).digest('hex');
      await db('audit_log').insert({ ...forged, hash });
    },
  },
];

describe.each(BACKENDS)('audit chain on $name', (backend) => {
  async function setup(): Promise<StoreFixture> {
    const fx = await backend.setup();
    cleanups.push(() => fx.cleanup());
    return fx;
  }

  it('an untouched log verifies, names its head, and a printed head anchors it', async () => {
    const fx = await setup();
    await fiveRows(fx);
    const printed = await auditHead(fx.db);
    expect(printed?.id).toBe(5);
    await appendAudit(fx.db, { actor: 'op-6', action: 'test.step', subjectType: 'batch', subjectId: 'B1' });
    const verdict = await verifyAuditChain(fx.db, fx.keys, { anchor: printed!.hash });
    expect(verdict).toStrictEqual({ ok: true, rows: 6, legacyRows: 0, head: await auditHead(fx.db), anchorRow: 5 });
    const rows: Row[] = await fx.db('audit_log').orderBy('id');
    expect(rows.map((r) => Number(r.id))).toStrictEqual([1, 2, 3, 4, 5, 6]);
  });

  it('an anchor no row has fails: the log was rolled back or rewritten since it was printed', async () => {
    const fx = await setup();
    await fiveRows(fx);
    const verdict = await verifyAuditChain(fx.db, fx.keys, { anchor: 'ab'.repeat(32) });
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.problem).toMatch(/no row has the anchor hash/);
  });

  it('verifying with another key fails at the first row: the MACs need the store key', async () => {
    const fx = await setup();
    await fiveRows(fx);
    const verdict = await verifyAuditChain(fx.db, deriveDataKeys(randomBytes(32)));
    expect(verdict).toMatchObject({ ok: false, rowId: 1 });
  });

  it.each(TAMPERS)('$name with the trigger dropped is found, naming row $row', async ({ row, tamper }) => {
    const fx = await setup();
    await fiveRows(fx);
    await dropTriggers(fx.db);
    await tamper(fx.db);
    const verdict = await verifyAuditChain(fx.db, fx.keys);
    expect(verdict).toMatchObject({ ok: false, rowId: row });
    expect(verdict.ok === false && verdict.problem).toMatch(new RegExp(`row ${row}\\b`));
  });

  it('an append after the newest row was deleted does not heal the chain', async () => {
    const fx = await setup();
    await fiveRows(fx);
    await dropTriggers(fx.db);
    await fx.db('audit_log').where({ id: 5 }).delete();
    await appendAudit(fx.db, { actor: 'op-6', action: 'test.step', subjectType: 'batch', subjectId: 'B1' });
    expect(await verifyAuditChain(fx.db, fx.keys)).toMatchObject({ ok: false, rowId: 5 });
  });

  it('appends from many concurrent transactions form one unbroken chain', async () => {
    const fx = await setup();
    await Promise.all(Array.from({ length: 20 }, (_, n) => fx.db.transaction((trx) => appendAudit(trx, { actor: `op-${n}`, action: 'test.step', subjectType: 'x', subjectId: null }))));
    expect(await verifyAuditChain(fx.db, fx.keys)).toMatchObject({ ok: true, rows: 20 });
  });
});

describe.each(['sqlite', 'postgres'] as const)('rows written before the chain on %s', (backend) => {
  it('are covered by the first chained row: untouched they verify, altered they break it', async () => {
    const dataDir = await tempDataDir();
    let url: string | undefined;
    if (backend === 'postgres') {
      const pg = await createTempPgDatabase();
      cleanups.push(() => pg.drop());
      url = pg.url;
    }
    const old = await openDatabase({ dataDir, url, migrations: MIGRATIONS.slice(0, -1) });
    await old('audit_log').insert([1, 2].map((n) => ({ at: new Date().toISOString(), actor: `old-${n}`, action: 'batch.created', subject_type: 'batch', subject_id: `B${n}`, details: null })));
    await old.destroy();
    const db = await openDatabase({ dataDir, url });
    cleanups.push(() => db.destroy());
    const keys = deriveDataKeys(TEST_KEY);
    bindAuditKeys(db, keys);
    await appendAudit(db, { actor: 'new', action: 'test.step', subjectType: 'x', subjectId: null });
    expect((await listAudit(db)).map((e) => e.id)).toStrictEqual([1, 2, 3]);
    expect(await verifyAuditChain(db, keys)).toMatchObject({ ok: true, rows: 1, legacyRows: 2 });
    await dropTriggers(db);
    await db('audit_log').where({ id: 1 }).update({ actor: 'rewritten' });
    expect(await verifyAuditChain(db, keys)).toMatchObject({ ok: false, rowId: 3 });
  });
});

describe('SQLite ids', () => {
  it('are AUTOINCREMENT: an id is never handed out twice, even after the last row is deleted', async () => {
    const fx = await BACKENDS[0]!.setup();
    cleanups.push(() => fx.cleanup());
    const ddl: { sql: string }[] = await fx.db.raw(`select sql from sqlite_master where name = 'audit_log'`);
    expect(ddl[0]!.sql).toMatch(/autoincrement/i);
  });
});

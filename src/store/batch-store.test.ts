import knex from 'knex';
import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from './audit.ts';
import { BatchStore, type NewRecord } from './batch-store.ts';
import { deriveDataKeys } from './keys.ts';
import { BACKENDS, TEST_KEY, type StoreFixture } from '../../test/helpers/store-backends.ts';

/** A fresh 12-digit PID per call: tests share one database per backend and must not collide. */
function newPid(): string {
  return String(randomInt(1e11, 1e12 - 1));
}

function record(seq: number, pid: string, extra: Partial<NewRecord> = {}): NewRecord {
  return {
    seq,
    lineNo: seq + 1, // line 1 of the source file is its header
    pid,
    cardVariant: 'with-portrait',
    personal: { fullName: `HỌ TÊN ${seq}`, dateOfBirth: '1990-01-31' },
    ...extra,
  };
}

describe.each(BACKENDS)('BatchStore on $name', (backend) => {
  let fx: StoreFixture;
  let store: BatchStore;
  beforeAll(async () => {
    fx = await backend.setup();
    store = new BatchStore(fx.db, fx.keys);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  const newBatch = (name = 'test batch') =>
    store.createBatch({ name, sourceFile: 'in/batch.jsonl', actor: 'operator-1' });

  describe('createBatch', () => {
    it('creates an importing batch with a dated id, and audits it', async () => {
      const before = Date.now();
      const batch = await store.createBatch({
        name: 'Hà Nội 2026-11-27',
        sourceFile: 'in/hn.jsonl',
        actor: 'operator-1',
        retentionDays: 30,
      });
      const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
      expect(batch.id).toMatch(new RegExp(`^${today}-[0-9a-f]{6}$`));
      expect(batch.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect(batch).toStrictEqual({
        id: batch.id,
        name: 'Hà Nội 2026-11-27',
        sourceFile: 'in/hn.jsonl',
        status: 'importing',
        createdAt: batch.createdAt,
        updatedAt: batch.createdAt,
        acceptedCount: 0,
        quarantinedCount: 0,
        reportPath: undefined,
        retentionDays: 30,
        failureReason: undefined,
      });
      expect(await store.getBatch(batch.id)).toStrictEqual(batch);
      const audit = await listAudit(fx.db, { subjectId: batch.id });
      expect(audit.map(({ actor, action, subjectType, subjectId, details }) => ({ actor, action, subjectType, subjectId, details }))).toStrictEqual([
        {
          actor: 'operator-1',
          action: 'batch.created',
          subjectType: 'batch',
          subjectId: batch.id,
          details: { name: 'Hà Nội 2026-11-27', sourceFile: 'in/hn.jsonl', retentionDays: 30 },
        },
      ]);
    });

    it('lists batches newest first; an unknown id is undefined', async () => {
      const a = await newBatch('first');
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = await newBatch('second');
      const ids = (await store.listBatches()).map((x) => x.id);
      expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
      expect(await store.getBatch('20000101-000000')).toBeUndefined();
    });

    it('refuses an empty name and a bad retention period', async () => {
      await expect(store.createBatch({ name: ' ', sourceFile: 'x', actor: 'a' })).rejects.toThrow(/name is empty/);
      await expect(store.createBatch({ name: 'x', sourceFile: 'x', actor: 'a', retentionDays: 0 })).rejects.toThrow(
        /retentionDays must be a whole number of days ≥ 1, got 0/,
      );
    });
  });

  describe('addRecords', () => {
    it('stores records encrypted and gives them back decrypted', async () => {
      const batch = await newBatch();
      const pids = [newPid(), newPid()];
      const portrait = randomBytes(6 * 1024);
      const result = await store.addRecords(batch.id, [
        record(1, pids[0]!, { portrait }),
        record(2, pids[1]!, { cardVariant: 'without-portrait', personal: { fullName: 'BÉ BA', dateOfBirth: '2022-05-01' } }),
      ]);
      expect(result).toStrictEqual({ accepted: [1, 2], duplicates: [] });

      expect(await store.recordPersonal(batch.id, 1)).toStrictEqual({
        fullName: 'HỌ TÊN 1',
        dateOfBirth: '1990-01-31',
        pid: pids[0],
      });
      expect(await store.recordPersonal(batch.id, 2)).toStrictEqual({
        fullName: 'BÉ BA',
        dateOfBirth: '2022-05-01',
        pid: pids[1],
      });
      expect((await store.recordPortrait(batch.id, 1))?.equals(portrait)).toBe(true);
      expect(await store.recordPortrait(batch.id, 2)).toBeUndefined();

      const rows: Record<string, unknown>[] = await fx.db('records')
        .where({ batch_id: batch.id })
        .orderBy('seq')
        .select('seq', 'line_no', 'pid_hash', 'has_portrait', 'card_variant', 'status');
      expect(rows.map((r) => ({ ...r, has_portrait: Boolean(r.has_portrait) }))).toStrictEqual([
        { seq: 1, line_no: 2, pid_hash: fx.keys.pidHash(pids[0]!), has_portrait: true, card_variant: 'with-portrait', status: 'queued' },
        { seq: 2, line_no: 3, pid_hash: fx.keys.pidHash(pids[1]!), has_portrait: false, card_variant: 'without-portrait', status: 'queued' },
      ]);
      const open: Record<string, unknown>[] = await fx.db('open_pids').where({ batch_id: batch.id }).orderBy('seq').select('pid_hash', 'seq');
      expect(open).toStrictEqual([
        { pid_hash: fx.keys.pidHash(pids[0]!), seq: 1 },
        { pid_hash: fx.keys.pidHash(pids[1]!), seq: 2 },
      ]);
    });

    it('binds each ciphertext to its row: values swapped between rows do not decrypt', async () => {
      const batch = await newBatch();
      await store.addRecords(batch.id, [record(1, newPid()), record(2, newPid())]);
      const [one, two] = await fx.db<{ batch_id: string; seq: number; payload: Buffer }>('records')
        .where({ batch_id: batch.id })
        .orderBy('seq')
        .select('payload');
      await fx.db('records').where({ batch_id: batch.id, seq: 1 }).update({ payload: two!.payload });
      await fx.db('records').where({ batch_id: batch.id, seq: 2 }).update({ payload: one!.payload });
      await expect(store.recordPersonal(batch.id, 1)).rejects.toThrow(`cannot decrypt record:${batch.id}:1: authentication failed`);
    });

    it('rejects a PID repeated within the chunk: the later occurrence is the duplicate', async () => {
      const batch = await newBatch();
      const pid = newPid();
      const result = await store.addRecords(batch.id, [record(1, pid), record(2, newPid()), record(3, pid)]);
      expect(result).toStrictEqual({
        accepted: [1, 2],
        duplicates: [{ seq: 3, lineNo: 4, reason: 'duplicate personal ID: same as line 2 of this batch' }],
      });
      expect(await fx.db('records').where({ batch_id: batch.id }).pluck('seq')).toHaveLength(2);
    });

    it('rejects a PID already stored by an earlier chunk of the same batch, naming its line', async () => {
      const batch = await newBatch();
      const pid = newPid();
      await store.addRecords(batch.id, [record(1, newPid()), record(2, pid)]);
      const result = await store.addRecords(batch.id, [record(3, newPid()), record(4, pid), record(5, newPid())]);
      expect(result).toStrictEqual({
        accepted: [3, 5], // seq 4 stays unused: the store renumbers nothing
        duplicates: [{ seq: 4, lineNo: 5, reason: 'duplicate personal ID: same as line 3 of this batch' }],
      });
    });

    it('rejects a PID in another open batch, naming that batch; after releasePids it is accepted again', async () => {
      const first = await newBatch('first');
      const second = await newBatch('second');
      const pid = newPid();
      await store.addRecords(first.id, [record(1, newPid()), record(2, newPid()), record(3, pid)]);

      const refused = await store.addRecords(second.id, [record(1, pid)]);
      expect(refused).toStrictEqual({
        accepted: [],
        duplicates: [{ seq: 1, lineNo: 2, reason: `duplicate personal ID: already in open batch ${first.id} (line 4 of its file)` }],
      });

      expect(await store.releasePids(first.id)).toBe(3);
      expect(await store.releasePids(first.id)).toBe(0);
      expect(await store.addRecords(second.id, [record(2, pid)])).toStrictEqual({ accepted: [2], duplicates: [] });
    });

    it('lets exactly one of two concurrent imports of the same PID into different batches win', async () => {
      const a = await newBatch('a');
      const b = await newBatch('b');
      const pid = newPid();
      const results = await Promise.all([
        store.addRecords(a.id, [record(1, pid)]),
        store.addRecords(b.id, [record(1, pid)]),
      ]);
      expect(results.map((r) => r.accepted.length).sort()).toStrictEqual([0, 1]);
      const open = await fx.db('open_pids').where({ pid_hash: fx.keys.pidHash(pid) }).count({ n: '*' }).first();
      expect(Number(open?.n)).toBe(1);
      const stored = await fx.db('records').where({ pid_hash: fx.keys.pidHash(pid) }).count({ n: '*' }).first();
      expect(Number(stored?.n)).toBe(1);
    });

    it('stores a chunk larger than one statement can carry', async () => {
      const batch = await newBatch();
      const records = Array.from({ length: 8000 }, (_, i) => record(i + 1, newPid(), { personal: {} }));
      const result = await store.addRecords(batch.id, records);
      expect(result.duplicates).toStrictEqual([]);
      expect(result.accepted).toHaveLength(8000);
      const stored = await fx.db('records').where({ batch_id: batch.id }).count({ n: '*' }).first();
      expect(Number(stored?.n)).toBe(8000);
    });

    it('refuses misuse with errors that say where', async () => {
      const batch = await newBatch();
      await expect(store.addRecords(batch.id, [record(1, newPid()), record(1, newPid())])).rejects.toThrow(
        `addRecords(batch ${batch.id}): record #1 (line 2): seq 1 appears twice in the chunk`,
      );
      await expect(store.addRecords(batch.id, [record(0, newPid())])).rejects.toThrow(/seq must be an integer ≥ 1, got 0/);
      await expect(
        store.addRecords(batch.id, [record(1, '012345678901', { personal: { pid: '999999999999' } })]),
      ).rejects.toThrow(/personal.pid differs from pid/);
      await store.addRecords(batch.id, [record(1, newPid())]);
      await expect(store.addRecords(batch.id, [record(1, newPid())])).rejects.toThrow(
        /one of the seqs 1..1 is already stored in this batch/,
      );
      await expect(store.addRecords('20000101-000000', [record(1, newPid())])).rejects.toThrow(
        'cannot add records to batch 20000101-000000: no such batch; check the batch id',
      );
      await expect(store.recordPersonal(batch.id, 99)).rejects.toThrow(`record 99 of batch ${batch.id} does not exist`);
    });
  });

  describe('finishImport and failImport', () => {
    it('finishes an import once (compare-and-set), audited; a second finish and later adds are refused', async () => {
      const batch = await newBatch();
      await store.addRecords(batch.id, [record(1, newPid()), record(2, newPid())]);
      const done = await store.finishImport(batch.id, {
        accepted: 2,
        quarantined: 1,
        reportPath: 'reports/x.json',
        actor: 'operator-2',
      });
      expect(done).toMatchObject({ status: 'imported', acceptedCount: 2, quarantinedCount: 1, reportPath: 'reports/x.json' });
      expect(done.updatedAt.getTime()).toBeGreaterThanOrEqual(batch.updatedAt.getTime());

      await expect(
        store.finishImport(batch.id, { accepted: 2, quarantined: 1, reportPath: 'reports/x.json', actor: 'operator-2' }),
      ).rejects.toThrow(
        `cannot finish the import of batch ${batch.id}: it is imported, and this is only possible while it is importing`,
      );
      await expect(store.addRecords(batch.id, [record(3, newPid())])).rejects.toThrow(
        `cannot add records to batch ${batch.id}: it is imported`,
      );
      expect((await listAudit(fx.db, { subjectId: batch.id })).map((e) => [e.action, e.actor, e.details])).toStrictEqual([
        ['batch.created', 'operator-1', { name: 'test batch', sourceFile: 'in/batch.jsonl', retentionDays: null }],
        ['batch.imported', 'operator-2', { accepted: 2, quarantined: 1, reportPath: 'reports/x.json' }],
      ]);
    });

    it('refuses to finish when the accepted count disagrees with what is stored, and changes nothing', async () => {
      const batch = await newBatch();
      await store.addRecords(batch.id, [record(1, newPid())]);
      await expect(
        store.finishImport(batch.id, { accepted: 2, quarantined: 0, reportPath: 'r', actor: 'a' }),
      ).rejects.toThrow(`finishImport(batch ${batch.id}): the importer reports 2 accepted records but the store holds 1`);
      expect((await store.getBatch(batch.id))?.status).toBe('importing');
    });

    it('fails an import, keeps the reason, releases its PIDs; failing twice is refused', async () => {
      const batch = await newBatch();
      const pid = newPid();
      await store.addRecords(batch.id, [record(1, pid)]);
      await store.failImport(batch.id, 'source file unreadable after line 1', 'operator-3');
      expect(await store.getBatch(batch.id)).toMatchObject({
        status: 'failed',
        failureReason: 'source file unreadable after line 1',
      });
      // The corrected file can be imported again.
      const retry = await newBatch('retry');
      expect((await store.addRecords(retry.id, [record(1, pid)])).accepted).toStrictEqual([1]);
      await expect(store.failImport(batch.id, 'again', 'operator-3')).rejects.toThrow(/it is failed/);
      const last = (await listAudit(fx.db, { subjectId: batch.id })).at(-1);
      expect(last).toMatchObject({
        action: 'batch.import-failed',
        actor: 'operator-3',
        details: { reason: 'source file unreadable after line 1', releasedPids: 1 },
      });
    });
  });
});

describe('BatchStore.create', () => {
  it('migrates a database it is handed before use', async () => {
    const db = knex({ client: 'sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    try {
      const store = await BatchStore.create(db, deriveDataKeys(TEST_KEY));
      const batch = await store.createBatch({ name: 'fresh', sourceFile: 'f', actor: 'a' });
      expect((await store.listBatches()).map((b) => b.id)).toStrictEqual([batch.id]);
    } finally {
      await db.destroy();
    }
  });
});

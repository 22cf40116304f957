// The store pins its data key: opened with another key it refuses before reading or writing anything.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listAudit, verifyAuditChain } from './audit.ts';
import { BatchStore } from './batch-store.ts';
import { openDatabase, pendingMigrations, SQLITE_FILE } from './db.ts';
import { deriveDataKeys } from './keys.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { openStore, StoreKeyError } from './open-store.ts';
import { TEST_KEY, tempDataDir } from '../../test/helpers/store-backends.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function dataDir(): Promise<string> {
  const dir = await tempDataDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const RIGHT = deriveDataKeys(TEST_KEY);
const WRONG = deriveDataKeys(randomBytes(32));
const open = (dir: string, keys = RIGHT) => openStore({ dataDir: dir, keys, keySource: 'CARDLINE_DATA_KEY', actor: 'op-1' });

async function importOne(store: BatchStore, pid: string): Promise<string> {
  const batch = await store.createBatch({ name: 'b', sourceFile: 'f.jsonl', actor: 'op-1' });
  await store.addRecords(batch.id, [{ seq: 1, lineNo: 1, pid, cardVariant: 'v', personal: { fullName: 'A' } }]);
  return batch.id;
}

describe('openStore', () => {
  it('pins a new store to its first key, audited, and opens it again with that key', async () => {
    const dir = await dataDir();
    const first = await open(dir);
    expect((await listAudit(first.db)).map((e) => [e.action, e.actor, e.details])).toStrictEqual([['store.key-pinned', 'op-1', { fingerprint: RIGHT.keyId }]]);
    await first.db.destroy();
    const again = await open(dir);
    cleanups.push(() => again.db.destroy());
    expect(await verifyAuditChain(again.db, again.keys)).toMatchObject({ ok: true, rows: 1 });
  });

  it('refuses another key with both fingerprints, and the database file is unchanged', async () => {
    const dir = await dataDir();
    const first = await open(dir);
    await importOne(new BatchStore(first.db, first.keys), '001099012345');
    await first.db.destroy();
    const file = path.join(dir, SQLITE_FILE);
    const before = await readFile(file);
    const error = await open(dir, WRONG).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreKeyError);
    expect((error as Error).message).toBe(
      `this data directory was written with key ${RIGHT.keyId}; CARDLINE_DATA_KEY has ${WRONG.keyId}. Use the key the store was written with; nothing was read or written`,
    );
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('pins a store from before pinning on its first open with the key of its records; another key is refused before migrating', async () => {
    // A store as the previous release left it: records, no store_keys.
    const dir2 = await dataDir();
    const legacyDb = await openDatabase({ dataDir: dir2, migrations: MIGRATIONS.slice(0, -1) });
    const now = new Date().toISOString();
    await legacyDb('batches').insert({ id: '20261201-aaaaaa', name: 'old', source_file: 'f', status: 'imported', created_at: now, updated_at: now });
    const payload = RIGHT.encrypt(Buffer.from(JSON.stringify({ pid: '001099012345', fullName: 'A' })), 'record:20261201-aaaaaa:1');
    await legacyDb('records').insert({ batch_id: '20261201-aaaaaa', seq: 1, line_no: 1, pid_hash: RIGHT.pidHash('001099012345'), payload, has_portrait: false, card_variant: 'v', status: 'queued', created_at: now });
    await legacyDb('open_pids').insert({ pid_hash: RIGHT.pidHash('001099012345'), batch_id: '20261201-aaaaaa', seq: 1 });
    await legacyDb.destroy();
    const file = path.join(dir2, SQLITE_FILE);
    const before = await readFile(file);

    const error = await open(dir2, WRONG).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreKeyError);
    expect((error as Error).message).toMatch(new RegExp(`written with another key than ${WRONG.keyId} \\(its records do not decrypt\\); CARDLINE_DATA_KEY has ${WRONG.keyId}`));
    expect((await readFile(file)).equals(before)).toBe(true);

    const opened = await open(dir2);
    cleanups.push(() => opened.db.destroy());
    expect(await pendingMigrations(opened.db)).toStrictEqual([]);
    const store = new BatchStore(opened.db, opened.keys);
    // The PID hashes written before pinning still match: the same citizen is a duplicate.
    const batch = await store.createBatch({ name: 'again', sourceFile: 'f2', actor: 'op-1' });
    const result = await store.addRecords(batch.id, [{ seq: 1, lineNo: 1, pid: '001099012345', cardVariant: 'v', personal: {} }]);
    expect(result.duplicates.map((d) => d.reason)).toStrictEqual(['duplicate personal ID: already in open batch 20261201-aaaaaa (line 1 of its file)']);
    expect((await listAudit(opened.db)).map((e) => e.action)).toStrictEqual(['store.key-pinned', 'batch.created']);
  });
});

// Key rotation on both backends: interrupted after a page it leaves the store refusing other keys and
// commands, run again it finishes; afterwards only the new key opens the store, every record and
// portrait decrypts under it, PID duplicates are still found and the audit chain is intact.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { bindAuditKeys, listAudit, verifyAuditChain } from './audit.ts';
import { BatchStore } from './batch-store.ts';
import { connectDatabase } from './db.ts';
import { beginRotation, finishRotation, reencryptAll } from './key-rotation.ts';
import { deriveDataKeys, withStoreSecretsOf } from './keys.ts';
import { openStore, StoreKeyError } from './open-store.ts';
import { createTempPgDatabase } from '../../test/helpers/pg.ts';
import { TEST_KEY, tempDataDir } from '../../test/helpers/store-backends.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const OLD = deriveDataKeys(TEST_KEY);
const NEW = deriveDataKeys(randomBytes(32));
const PIDS = Array.from({ length: 7 }, (_, i) => `0010990${String(i).padStart(5, '0')}`);

describe.each(['sqlite', 'postgres'] as const)('rotating the data key on %s', (backend) => {
  it('re-encrypts every record and portrait in a resumable pass; then only the new key opens the store', async () => {
    const dataDir = await tempDataDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let url: string | undefined;
    if (backend === 'postgres') {
      const pg = await createTempPgDatabase();
      cleanups.push(() => pg.drop());
      url = pg.url;
    }
    const open = (keys = OLD) => openStore({ dataDir, url, keys, keySource: 'CARDLINE_DATA_KEY', actor: 'admin-1' });

    const first = await open();
    const store = new BatchStore(first.db, first.keys);
    const batch = await store.createBatch({ name: 'b', sourceFile: 'f', actor: 'op-1' });
    await store.addRecords(
      batch.id,
      PIDS.map((pid, i) => ({ seq: i + 1, lineNo: i + 1, pid, cardVariant: 'v', personal: { fullName: `N${i}` }, ...(i % 2 === 0 ? { portrait: Buffer.from(`jpeg ${i}`) } : {}) })),
    );
    const next = withStoreSecretsOf(NEW, first.keys);
    expect(await beginRotation(first.db, first.keys, next, 'admin-1')).toBe('started');
    await expect(reencryptAll(first.db, first.keys, next, { pageSize: 3, onPage: () => Promise.reject(new Error('power cut')) })).rejects.toThrow('power cut');
    await first.db.destroy();

    // Interrupted: neither key opens the store for other commands.
    for (const keys of [OLD, NEW]) {
      await expect(open(keys)).rejects.toThrow(new StoreKeyError(`a data key rotation from key ${OLD.keyId} to key ${NEW.keyId} is unfinished: run \`cardline keys rotate\` again with the same keys to finish it; nothing was read or written`));
    }

    // Resumed (as the command does): the rows already done are skipped, the rest re-encrypted.
    const db = await connectDatabase({ dataDir, url });
    bindAuditKeys(db, first.keys);
    expect(await beginRotation(db, first.keys, next, 'admin-1')).toBe('resumed');
    const counts = await reencryptAll(db, first.keys, next, { pageSize: 3 });
    expect(counts).toStrictEqual({ records: 4, portraits: 4 });
    await finishRotation(db, first.keys, next, 'admin-1', counts);
    await db.destroy();

    await expect(open(OLD)).rejects.toThrow(`this data directory was written with key ${NEW.keyId}; CARDLINE_DATA_KEY has ${OLD.keyId}`);
    const after = await open(NEW);
    cleanups.push(() => after.db.destroy());
    const rotated = new BatchStore(after.db, after.keys);
    const seen: { seq: number; name: unknown; portrait: string | undefined }[] = [];
    for await (const r of rotated.batchRecords(batch.id)) seen.push({ seq: r.seq, name: r.personal.fullName, portrait: r.portrait?.toString() });
    expect(seen).toStrictEqual(PIDS.map((_, i) => ({ seq: i + 1, name: `N${i}`, portrait: i % 2 === 0 ? `jpeg ${i}` : undefined })));
    // The PID lookup key did not change: the same citizen is still a duplicate.
    const again = await rotated.createBatch({ name: 'again', sourceFile: 'f', actor: 'op-1' });
    expect((await rotated.addRecords(again.id, [{ seq: 1, lineNo: 1, pid: PIDS[3]!, cardVariant: 'v', personal: {} }])).duplicates).toHaveLength(1);
    expect(await verifyAuditChain(after.db, after.keys)).toMatchObject({ ok: true });
    expect((await listAudit(after.db)).filter((e) => e.action.startsWith('keys.')).map((e) => [e.action, e.details])).toStrictEqual([
      ['keys.rotation-started', { from: OLD.keyId, to: NEW.keyId }],
      ['keys.rotated', { from: OLD.keyId, to: NEW.keyId, records: 4, portraits: 4 }],
    ]);
  });
});

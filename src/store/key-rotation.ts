// Rotation of the data key: every record and portrait re-encrypted under a new key in one pass that
// can be interrupted and run again. The pass starts by recording the new key as `next` in store_keys
// (with the store's secrets sealed under it), so an interrupted store refuses every other command
// (open-store.ts) until the same rotation is run to its end; re-running it skips the rows already
// under the new key. The PID lookup key and the audit key do not change (keys.ts StoreSecrets): PID
// hashes and the audit chain stay valid. Started and finished are audited.
import type { Knex } from 'knex';
import { appendAudit } from './audit.ts';
import { portraitAad, recordAad } from './batch-store.ts';
import { sealStoreSecrets, type DataKeys } from './keys.ts';
import { sealedSecretsAad, StoreKeyError, type StoreKeyRow } from './open-store.ts';

export interface RotationCounts {
  /** Rows re-encrypted by this run (rows an interrupted run already did are not counted again). */
  records: number;
  portraits: number;
}

export async function storeKeyRows(db: Knex): Promise<{ active: StoreKeyRow | undefined; next: StoreKeyRow | undefined }> {
  const rows: StoreKeyRow[] = await db<StoreKeyRow>('store_keys').select('*').orderBy('version');
  return { active: rows.find((r) => r.status === 'active'), next: rows.find((r) => r.status === 'next') };
}

/** The store's key rows, none in a store that has no key table yet (created before keys were pinned). */
export async function storeKeyRowsIfAny(db: Knex): Promise<{ active: StoreKeyRow | undefined; next: StoreKeyRow | undefined }> {
  return (await db.schema.hasTable('store_keys')) ? storeKeyRows(db) : { active: undefined, next: undefined };
}

/**
 * Records `next` as the key being rotated to, unless this very rotation is already under way.
 * `current` must be the store's opened keys; `next` carries the same store secrets (withStoreSecretsOf).
 */
export async function beginRotation(db: Knex, current: DataKeys, next: DataKeys, actor: string): Promise<'started' | 'resumed'> {
  if (current.keyId === next.keyId) throw new StoreKeyError(`the new data key is the key in use (${current.keyId}): give another key`);
  return db.transaction(async (trx) => {
    const rows: StoreKeyRow[] = await trx<StoreKeyRow>('store_keys').select('*').orderBy('version');
    const active = rows.find((r) => r.status === 'active');
    const pending = rows.find((r) => r.status === 'next');
    if (!active || active.fingerprint !== current.keyId) {
      throw new StoreKeyError(`this data directory was written with key ${active?.fingerprint ?? '(none pinned)'}; the current key is ${current.keyId}`);
    }
    if (pending) {
      if (pending.fingerprint === next.keyId) return 'resumed';
      throw new StoreKeyError(
        `a rotation to key ${pending.fingerprint} is unfinished; the new key given is ${next.keyId}: run the rotation with the key it started with`,
      );
    }
    const version = Math.max(...rows.map((r) => Number(r.version))) + 1;
    await trx('store_keys').insert({
      version,
      fingerprint: next.keyId,
      status: 'next',
      sealed_secrets: sealStoreSecrets(next, sealedSecretsAad(version)),
      created_at: new Date().toISOString(),
      retired_at: null,
    });
    await appendAudit(trx, { actor, action: 'keys.rotation-started', subjectType: 'store', subjectId: null, details: { from: current.keyId, to: next.keyId } });
    return 'started';
  });
}

/**
 * Re-encrypts every record payload and portrait still under `current` with `next`, a page per
 * transaction, in (batch, seq) order. A value under neither key is an error naming the row.
 */
export async function reencryptAll(
  db: Knex,
  current: DataKeys,
  next: DataKeys,
  options: { pageSize?: number; onPage?: (counts: RotationCounts) => void | Promise<void> } = {},
): Promise<RotationCounts> {
  const pageSize = options.pageSize ?? 500;
  const counts: RotationCounts = { records: 0, portraits: 0 };
  const tables = [
    { table: 'records', column: 'payload', aad: recordAad, count: 'records' },
    { table: 'record_portraits', column: 'data', aad: portraitAad, count: 'portraits' },
  ] as const;
  for (const { table, column, aad, count } of tables) {
    let after: { batchId: string; seq: number } | undefined;
    for (;;) {
      type Row = { batch_id: string; seq: number | string } & Record<string, unknown>;
      const query = db<Row>(table).select('batch_id', 'seq', column).orderBy([{ column: 'batch_id' }, { column: 'seq' }]).limit(pageSize);
      const rows = (await (after ? query.whereRaw('(batch_id > ? or (batch_id = ? and seq > ?))', [after.batchId, after.batchId, after.seq]) : query)) as Row[];
      if (rows.length === 0) break;
      await db.transaction(async (trx) => {
        for (const row of rows) {
          const seq = Number(row.seq);
          const label = aad(row.batch_id, seq);
          const blob = row[column] as Buffer;
          if (decrypts(next, blob, label)) continue; // done by an interrupted run
          let plain: Buffer;
          try {
            plain = current.decrypt(blob, label);
          } catch (err) {
            throw new Error(`${table} row ${label} decrypts under neither the current key ${current.keyId} nor the new key ${next.keyId}: it was altered`, { cause: err });
          }
          await trx(table).where({ batch_id: row.batch_id, seq }).update({ [column]: next.encrypt(plain, label) });
          counts[count]++;
        }
      });
      await options.onPage?.({ ...counts });
      const last = rows.at(-1)!;
      after = { batchId: last.batch_id, seq: Number(last.seq) };
      if (rows.length < pageSize) break;
    }
  }
  return counts;
}

/** Makes `next` the store's key and retires `current`, audited with the counts of this run. */
export async function finishRotation(db: Knex, current: DataKeys, next: DataKeys, actor: string, counts: RotationCounts): Promise<void> {
  await db.transaction(async (trx) => {
    const now = new Date().toISOString();
    const retired = await trx('store_keys').where({ status: 'active', fingerprint: current.keyId }).update({ status: 'retired', retired_at: now });
    const activated = await trx('store_keys').where({ status: 'next', fingerprint: next.keyId }).update({ status: 'active' });
    if (retired !== 1 || activated !== 1) throw new Error(`the key rotation from ${current.keyId} to ${next.keyId} is not the one recorded in store_keys`);
    await appendAudit(trx, { actor, action: 'keys.rotated', subjectType: 'store', subjectId: null, details: { from: current.keyId, to: next.keyId, ...counts } });
  });
}

function decrypts(keys: DataKeys, blob: Buffer, aad: string): boolean {
  try {
    keys.decrypt(blob, aad);
    return true;
  } catch {
    return false;
  }
}

// Opens the store for a command: the database, checked against the data key before anything is read
// from it or written to it. A store pins the fingerprint of its data key (store_keys) the first time
// it is opened with a key that decrypts one of its records (or, for an empty store, at once); from
// then on a process holding another key is turned away with both fingerprints, so two keys can never
// be mixed in one store and duplicate detection (PID hashes) never silently stops matching.
import type { Knex } from 'knex';
import { appendAudit, bindAuditKeys } from './audit.ts';
import { recordAad } from './batch-store.ts';
import { connectDatabase, migrateToLatest, openError, pendingMigrations } from './db.ts';
import { openStoreSecrets, sealStoreSecrets, type DataKeys } from './keys.ts';
import { dialectOf, isUniqueViolation } from './sql.ts';

/** The store was written with another data key, or a key rotation is unfinished: nothing was read or written. */
export class StoreKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreKeyError';
  }
}

export interface OpenStoreOptions {
  readonly dataDir: string;
  /** PostgreSQL URL; SQLite in dataDir when absent. */
  readonly url?: string | undefined;
  readonly keys: DataKeys;
  /** Where the key came from (keys.ts dataKeySource), for the wrong-key message. */
  readonly keySource: string;
  /** Who opens the store: the actor of the audit row written when the store pins its key. */
  readonly actor: string;
}

export interface OpenedStore {
  readonly db: Knex;
  /** The data key with the store's own PID lookup and audit keys (see keys.ts StoreSecrets). */
  readonly keys: DataKeys;
}

export interface StoreKeyRow {
  version: number | string;
  fingerprint: string;
  status: string;
  sealed_secrets: Buffer;
}

export function sealedSecretsAad(version: number): string {
  return `store-secrets:v${version}`;
}

export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const db = await connectDatabase(options);
  try {
    const pinned = await checkStoreKey(db, options.keys, options.keySource);
    await migrateIfAllowed(db);
    const keys = pinned ?? (await pinStoreKey(db, options.keys, options.keySource, options.actor));
    bindAuditKeys(db, keys);
    return { db, keys };
  } catch (err) {
    await db.destroy();
    throw err instanceof StoreKeyError ? err : openError(options, err);
  }
}

/**
 * Read-only: the store's secrets opened with `keys` when the store is pinned to that key; undefined
 * when the store is not pinned yet and `keys` decrypts its first record (or it has none). Throws
 * StoreKeyError for another key or an unfinished rotation.
 */
export async function checkStoreKey(db: Knex, keys: DataKeys, keySource: string): Promise<DataKeys | undefined> {
  if (await db.schema.hasTable('store_keys')) {
    const rows: StoreKeyRow[] = await db<StoreKeyRow>('store_keys').select('*').orderBy('version');
    const active = rows.find((r) => r.status === 'active');
    const next = rows.find((r) => r.status === 'next');
    if (next) {
      throw new StoreKeyError(
        `a data key rotation from key ${active?.fingerprint ?? '?'} to key ${next.fingerprint} is unfinished: ` +
          'run `cardline keys rotate` again with the same keys to finish it; nothing was read or written',
      );
    }
    if (active) {
      const wrong = new StoreKeyError(
        `this data directory was written with key ${active.fingerprint}; ${keySource} has ${keys.keyId}. ` +
          'Use the key the store was written with; nothing was read or written',
      );
      if (active.fingerprint !== keys.keyId) throw wrong;
      try {
        return openStoreSecrets(keys, active.sealed_secrets, sealedSecretsAad(Number(active.version)));
      } catch {
        // Same fingerprint, yet the seal does not open: a fingerprint collision or an altered row.
        throw wrong;
      }
    }
  }
  // Not pinned yet (a store from before pinning, or a new one): the key must decrypt a known record.
  if (await db.schema.hasTable('records')) {
    const row = await db<{ batch_id: string; seq: number | string; payload: Buffer }>('records')
      .select('batch_id', 'seq', 'payload')
      .orderBy([{ column: 'batch_id' }, { column: 'seq' }])
      .first();
    if (row) {
      try {
        keys.decrypt(row.payload, recordAad(row.batch_id, Number(row.seq)));
      } catch {
        throw new StoreKeyError(
          `this data directory was written with another key than ${keys.keyId} (its records do not decrypt); ` +
            `${keySource} has ${keys.keyId}. Use the key the store was written with; nothing was read or written`,
        );
      }
    }
  }
  return undefined;
}

/**
 * SQLite: brings the schema up to date. PostgreSQL: only a role that may create in the schema (the
 * owner) migrates; the runtime role finds the schema current or is told to run `cardline db migrate`.
 */
async function migrateIfAllowed(db: Knex): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    const pending = await pendingMigrations(db);
    if (pending.length === 0) return;
    const may = (await db.raw<{ rows: { ok: boolean }[] }>(`select has_schema_privilege(current_schema(), 'CREATE') as ok`)).rows[0]?.ok;
    if (!may) {
      throw new Error(
        `the database schema lacks ${pending.length} migration(s) of this cardline (first: ${pending[0]}), and this role may not ` +
          'migrate: run `cardline db migrate --url <owner URL>` (or set CARDLINE_DB_OWNER_URL) first, see docs/security.md',
      );
    }
  }
  await migrateToLatest(db);
}

/** Pins `keys` as the store's data key (version 1) and audits it; a concurrent pin by another process wins. */
async function pinStoreKey(db: Knex, keys: DataKeys, keySource: string, actor: string): Promise<DataKeys> {
  bindAuditKeys(db, keys);
  try {
    await db.transaction(async (trx) => {
      // The insert first: it takes the write lock, and the primary key settles a race between two pins.
      await trx('store_keys').insert({
        version: 1,
        fingerprint: keys.keyId,
        status: 'active',
        sealed_secrets: sealStoreSecrets(keys, sealedSecretsAad(1)),
        created_at: new Date().toISOString(),
        retired_at: null,
      });
      await appendAudit(trx, { actor, action: 'store.key-pinned', subjectType: 'store', subjectId: null, details: { fingerprint: keys.keyId } });
    });
    return keys;
  } catch (err) {
    if (!isUniqueViolation(err, 'store_keys')) throw err;
    const pinned = await checkStoreKey(db, keys, keySource);
    if (!pinned) throw err;
    return pinned;
  }
}

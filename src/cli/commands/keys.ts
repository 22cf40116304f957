import type { Command } from 'commander';
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { authenticate, AuthError, authorize } from '../../auth/session.ts';
import { bindAuditKeys } from '../../store/audit.ts';
import { ensureDataDir, resolveDataDir } from '../../store/data-dir.ts';
import { connectDatabase, dbUrlFromEnv } from '../../store/db.ts';
import { beginRotation, finishRotation, reencryptAll, storeKeyRowsIfAny } from '../../store/key-rotation.ts';
import {
  createKeyFile,
  DATA_KEY_ENV,
  dataKeyFile,
  dataKeySource,
  deriveDataKeys,
  loadDataKeys,
  openStoreSecrets,
  parseKey,
  readKeyFile,
  replaceKeyFile,
  withStoreSecretsOf,
  type DataKeys,
} from '../../store/keys.ts';
import { openStore, sealedSecretsAad, StoreKeyError } from '../../store/open-store.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { progressLine } from '../progress.ts';

export const NEW_DATA_KEY_ENV = 'CARDLINE_NEW_DATA_KEY';

/**
 * The new key: CARDLINE_NEW_DATA_KEY when the current key comes from CARDLINE_DATA_KEY (the operator
 * then moves the new key into the secret store); with the key file, a new random key written to
 * keys/data.key.next, which replaces keys/data.key once every row is re-encrypted.
 */
async function newKey(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ key: Buffer; nextFile: string | undefined }> {
  const given = env[NEW_DATA_KEY_ENV];
  if (given !== undefined) return { key: parseKey(given, NEW_DATA_KEY_ENV), nextFile: undefined };
  if (env[DATA_KEY_ENV] !== undefined) {
    throw new CliError(`${DATA_KEY_ENV} is set: give the new key in ${NEW_DATA_KEY_ENV} (generate one with \`openssl rand -hex 32\`)`);
  }
  const nextFile = `${dataKeyFile(dataDir)}.next`;
  // An interrupted rotation left the file: it is the key the rotation started with.
  await createKeyFile(nextFile, randomBytes(32));
  const key = await readKeyFile(nextFile);
  if (!key) throw new Error(`the new key file ${nextFile} disappeared right after it was created`);
  return { key, nextFile };
}

/** The OS account, for the audit row a first pin of the store writes (the admin is checked right after). */
function processUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The authenticated admin who rotates the key (exit 4 for anybody else). */
async function rotatingAdmin(db: Knex, dataDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const user = await authenticate(db, dataDir, env);
    authorize(user, 'keys.rotate', 'rotate the data key');
    return user.name;
  } catch (error) {
    throw error instanceof AuthError ? new CliError(error.message, EXIT.notAllowed) : error;
  }
}

async function rotate(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dataDir = await ensureDataDir(resolveDataDir(env));
  const url = dbUrlFromEnv(dataDir, env);
  const loaded = await loadDataKeys(dataDir, env);
  const { key, nextFile } = await newKey(dataDir, env);
  const nextRaw = deriveDataKeys(key);

  const probe = await connectDatabase({ dataDir, url });
  let rows;
  try {
    rows = await storeKeyRowsIfAny(probe);
  } finally {
    await probe.destroy();
  }
  // The database switched keys but the key file was not swapped yet: only the swap is left.
  if (!rows.next && rows.active?.fingerprint === nextRaw.keyId && nextFile) {
    const db = await connectDatabase({ dataDir, url });
    await rotatingAdmin(db, dataDir, env).finally(() => db.destroy());
    await replaceKeyFile(nextFile, dataKeyFile(dataDir));
    writeLine(`key rotation to ${nextRaw.keyId} was already done in the store; keys/data.key now holds the new key`);
    return EXIT.ok;
  }

  let db;
  let current: DataKeys;
  try {
    if (rows.next) {
      // Resuming: openStore refuses a store in rotation, so the key is checked here.
      const active = rows.active;
      if (!active || active.fingerprint !== loaded.keyId || rows.next.fingerprint !== nextRaw.keyId) {
        throw new StoreKeyError(
          `a rotation from key ${active?.fingerprint ?? '?'} to key ${rows.next.fingerprint} is unfinished; ${dataKeySource(env)} has ` +
            `${loaded.keyId} and the new key is ${nextRaw.keyId}: run it again with the keys it started with`,
        );
      }
      db = await connectDatabase({ dataDir, url });
      current = openStoreSecrets(loaded, active.sealed_secrets, sealedSecretsAad(Number(active.version)));
      bindAuditKeys(db, current);
    } else {
      ({ db, keys: current } = await openStore({ dataDir, url, keys: loaded, keySource: dataKeySource(env), actor: `process:${processUser()}` }));
    }
  } catch (error) {
    throw error instanceof StoreKeyError ? new CliError(error.message, EXIT.wrongKey) : error;
  }
  // Who rotates: an admin, authenticated once the key has been checked against the store (exit 5 first).
  let actor: string;
  try {
    actor = await rotatingAdmin(db, dataDir, env);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const next = withStoreSecretsOf(nextRaw, current);
  const progress = progressLine('keys rotate');
  try {
    const how = await beginRotation(db, current, next, actor).catch((error: unknown) => {
      throw error instanceof StoreKeyError ? new CliError(error.message, EXIT.wrongKey) : error;
    });
    const counts = await reencryptAll(db, current, next, { onPage: (c) => progress.update(`${c.records} records, ${c.portraits} portraits re-encrypted`) });
    progress.done();
    await finishRotation(db, current, next, actor, counts);
    if (nextFile) await replaceKeyFile(nextFile, dataKeyFile(dataDir));
    writeLine(`data key rotated from ${current.keyId} to ${next.keyId}${how === 'resumed' ? ' (resumed)' : ''}: ${counts.records} records and ${counts.portraits} portraits re-encrypted`);
    writeLine(nextFile ? 'keys/data.key now holds the new key: back it up' : `put the new key in ${DATA_KEY_ENV} now; the old key no longer opens this store`);
    return EXIT.ok;
  } finally {
    progress.done();
    await db.destroy();
  }
}

export function registerKeys(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const keys = program.command('keys').description('the data key');
  keys
    .command('rotate')
    .description(
      `re-encrypt every record and portrait under a new data key in one pass (resumable: run it again after an interruption), audited. ` +
        `With ${DATA_KEY_ENV} set, the new key comes from ${NEW_DATA_KEY_ENV}; with the key file, a new key replaces keys/data.key`,
    )
    .action(() => run(() => rotate()));
}

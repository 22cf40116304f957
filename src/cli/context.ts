/**
 * The composition root of CLI commands that use the store: the data directory, the data key,
 * the database (SQLite in the data directory, or CARDLINE_DB_URL) and the repositories.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { currentActor } from '../store/audit.ts';
import { BatchStore } from '../store/batch-store.ts';
import { ensureDataDir, resolveDataDir } from '../store/data-dir.ts';
import { dbUrlFromEnv, StoreOpenError } from '../store/db.ts';
import { dataKeySource, loadDataKeys, type DataKeys } from '../store/keys.ts';
import { openStore, StoreKeyError } from '../store/open-store.ts';
import { CliError, EXIT } from './errors.ts';

export interface AppContext {
  readonly dataDir: string;
  readonly reportDir: string;
  readonly keys: DataKeys;
  readonly db: Knex;
  readonly batches: BatchStore;
  readonly actor: string;
  close(): Promise<void>;
}

export async function openContext(env: NodeJS.ProcessEnv = process.env): Promise<AppContext> {
  const dataDir = await ensureDataDir(resolveDataDir(env));
  const actor = currentActor(env);
  let store;
  try {
    store = await openStore({ dataDir, url: dbUrlFromEnv(dataDir, env), keys: await loadDataKeys(dataDir, env), keySource: dataKeySource(env), actor });
  } catch (error) {
    // Exit 5: the store was written with another data key; nothing was read or written.
    if (error instanceof StoreKeyError) throw new CliError(error.message, EXIT.wrongKey);
    // The message names the database and what to check: no stack trace for the operator.
    if (error instanceof StoreOpenError) throw new CliError(error.message, EXIT.invalid);
    throw error;
  }
  const { db, keys } = store;
  return {
    dataDir,
    reportDir: path.join(dataDir, 'reports'),
    keys,
    db,
    batches: new BatchStore(db, keys),
    actor,
    close: () => db.destroy(),
  };
}

/** Runs `fn` with an open context and always closes the database afterwards. */
export async function withContext<T>(fn: (ctx: AppContext) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const ctx = await openContext(env);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

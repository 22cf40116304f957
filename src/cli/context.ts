/**
 * The composition root of CLI commands that use the store: the data directory, the data key,
 * the database (SQLite in the data directory, or CARDLINE_DB_URL) and the repositories.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { currentActor } from '../store/audit.ts';
import { BatchStore } from '../store/batch-store.ts';
import { ensureDataDir, resolveDataDir } from '../store/data-dir.ts';
import { databaseFromEnv } from '../store/db.ts';
import { loadDataKeys, type DataKeys } from '../store/keys.ts';

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
  // The database first: a CARDLINE_DB_URL that cannot be used must leave no data key behind.
  const db = await databaseFromEnv(dataDir, env);
  let keys: DataKeys;
  try {
    keys = await loadDataKeys(dataDir, env);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return {
    dataDir,
    reportDir: path.join(dataDir, 'reports'),
    keys,
    db,
    batches: new BatchStore(db, keys),
    actor: currentActor(env),
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

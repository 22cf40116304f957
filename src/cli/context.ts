/**
 * The composition root of CLI commands that use the store: the data directory, the data key,
 * the database (SQLite in the data directory, or CARDLINE_DB_URL), the repositories and the
 * authenticated user (src/auth), whose name is the actor of every audit row the command writes.
 */
import path from 'node:path';
import { userInfo } from 'node:os';
import type { Knex } from 'knex';
import { authenticate, AuthError, authorize, type AuthUser } from '../auth/session.ts';
import type { Permission } from '../auth/roles.ts';
import { BatchStore } from '../store/batch-store.ts';
import { ensureDataDir, resolveDataDir } from '../store/data-dir.ts';
import { dbUrlFromEnv } from '../store/db.ts';
import { dataKeySource, loadDataKeys, type DataKeys } from '../store/keys.ts';
import { openStore, StoreKeyError } from '../store/open-store.ts';
import { CliError, EXIT } from './errors.ts';

export interface AppContext {
  readonly dataDir: string;
  readonly reportDir: string;
  readonly keys: DataKeys;
  readonly db: Knex;
  readonly batches: BatchStore;
  /** The authenticated user; undefined only for in-process callers that passed no `access`. */
  readonly user: AuthUser | undefined;
  /** Who the audit log names: the user, or `process:<OS user>` for an in-process caller (tests, benches). */
  readonly actor: string;
  close(): Promise<void>;
}

/** What a command needs: every permission listed (src/auth/roles.ts), and the words for the refusal. */
export interface Access {
  readonly permissions: readonly Permission[];
  /** "import a batch", "release a batch": completes "NAME (ROLE) may not …". */
  readonly what: string;
}

/**
 * Opens the store. Every CLI command passes `access`: the user is authenticated and their role
 * checked before anything else is read, and a refusal is exit code 4. Without it (tests and
 * benches driving the line in-process) nobody is authenticated and the actor names the OS user.
 */
export async function openContext(env: NodeJS.ProcessEnv = process.env, access?: Access): Promise<AppContext> {
  const dataDir = await ensureDataDir(resolveDataDir(env));
  // The URL is checked before the key is loaded: a CARDLINE_DB_URL that cannot be used leaves no data key behind.
  const url = dbUrlFromEnv(dataDir, env);
  let store;
  try {
    store = await openStore({ dataDir, url, keys: await loadDataKeys(dataDir, env), keySource: dataKeySource(env), actor: `process:${osUser()}` });
  } catch (error) {
    // Exit 5: the store was written with another data key; nothing was read or written.
    if (error instanceof StoreKeyError) throw new CliError(error.message, EXIT.wrongKey);
    // A database that cannot be opened (DatabaseError) ends through the one error path: exit 6, no stack trace.
    throw error;
  }
  const { db, keys } = store;
  let user: AuthUser | undefined;
  if (access) {
    try {
      user = await authenticate(db, dataDir, env);
      for (const permission of access.permissions) authorize(user, permission, access.what);
    } catch (error) {
      await db.destroy();
      throw error instanceof AuthError ? new CliError(error.message, EXIT.notAllowed) : error;
    }
  }
  return {
    dataDir,
    reportDir: path.join(dataDir, 'reports'),
    keys,
    db,
    batches: new BatchStore(db, keys),
    user,
    actor: user?.name ?? `process:${osUser()}`,
    close: () => db.destroy(),
  };
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // Containers can run under a uid with no passwd entry; the uid still identifies the account.
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Runs `fn` with an open context of an authenticated, allowed user, and always closes the database afterwards. */
export async function withContext<T>(access: Access, fn: (ctx: AppContext & { readonly user: AuthUser }) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const ctx = await openContext(env, access);
  try {
    return await fn(ctx as AppContext & { readonly user: AuthUser });
  } finally {
    await ctx.close();
  }
}

/** A refusal decided by a command itself (the two-person rule): exit code 4. */
export function notAllowed(message: string): CliError {
  return new CliError(message, EXIT.notAllowed);
}

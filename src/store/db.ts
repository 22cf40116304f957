// Opens the store's database and brings its schema up to date. SQLite in the data directory is the
// embedded default for one line; PostgreSQL (CARDLINE_DB_URL) is for sites where several lines share
// one database. Repositories receive the returned Knex and may assume the latest schema.
import knex, { type Knex } from 'knex';
import sqlite3 from 'sqlite3';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDataDir } from './data-dir.ts';
import { MIGRATIONS, type StoreMigration } from './migrations/index.ts';

export const DB_URL_ENV = 'CARDLINE_DB_URL';
export const SQLITE_FILE = 'cardline.sqlite';
// How long a connection waits for another process's write lock (a CLI import next to the running
// controller) before SQLite reports SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

export interface OpenDatabaseOptions {
  dataDir: string;
  /** PostgreSQL URL (`postgres://user@host:5432/db`); SQLite in `dataDir` when absent. */
  url?: string | undefined;
  /** The migrations to run (default: all): tests open a database as an earlier release left it. */
  migrations?: readonly StoreMigration[];
}

/** The configured database cannot be used: its message says which and what to check. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
}

/** Opens SQLite `<dataDir>/cardline.sqlite`, or PostgreSQL when `url` is given, and runs migrations. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Knex> {
  const db = await connectDatabase(options);
  try {
    await migrateToLatest(db, options.migrations);
  } catch (err) {
    await db.destroy();
    throw openError(options, err);
  }
  return db;
}

/**
 * Opens the database without touching its schema: the store opener (open-store.ts) checks the data
 * key against the store before anything is migrated or written.
 */
export async function connectDatabase(options: Pick<OpenDatabaseOptions, 'dataDir' | 'url'>): Promise<Knex> {
  const url = options.url?.trim();
  if (url) {
    return knex({
      client: 'pg',
      // synchronous_commit=on on every connection, whatever the server's or the role's default: a
      // commit returns only once its WAL record is flushed to disk (docs/line-control.md, "Durability").
      connection: { connectionString: url, application_name: 'cardline', options: `-c synchronous_commit=${PG_SYNCHRONOUS_COMMIT}` },
      pool: { min: 0, max: 10 },
    });
  }
  await ensureDataDir(options.dataDir);
  const filename = path.join(options.dataDir, SQLITE_FILE);
  await privateDatabaseFile(filename);
  return knex({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has a single writer anyway, and a second in-process connection would
    // only turn waiting into SQLITE_BUSY errors.
    pool: { min: 1, max: 1, afterCreate: sqliteConnectionSetup(filename) },
  });
}

/**
 * The SQLite file holds every record, encrypted, and the accounting: created 0600 (SQLite gives its
 * -wal and -shm files the same mode), and an older store's file narrowed to 0600 when we own it.
 */
async function privateDatabaseFile(filename: string): Promise<void> {
  const handle = await open(filename, 'a', 0o600);
  try {
    const { mode, uid } = await handle.stat();
    if ((mode & 0o077) !== 0 && uid === process.getuid?.()) await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
}

/** An opening failure, naming the database (without a password) and what to check. */
export function openError(options: Pick<OpenDatabaseOptions, 'dataDir' | 'url'>, err: unknown): Error {
  const url = options.url?.trim();
  const where = url ? describePgUrl(url) : path.join(options.dataDir, SQLITE_FILE);
  return new DatabaseError(
    `cannot open the cardline database ${where}: ${(err as Error).message}. ` +
      (url
        ? `Check ${DB_URL_ENV} and that the PostgreSQL server is running and reachable.`
        : 'Check that the data directory is writable and the file is a cardline database.'),
    { cause: err },
  );
}

/** Opens the database configured by the environment: PostgreSQL if CARDLINE_DB_URL is set. */
export async function databaseFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Knex> {
  return openDatabase({ dataDir, url: dbUrlFromEnv(dataDir, env) });
}

/** CARDLINE_DB_URL, checked to be a PostgreSQL URL; undefined (SQLite) when unset or empty. */
export function dbUrlFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env, name: string = DB_URL_ENV): string | undefined {
  const url = env[name]?.trim();
  if (url && !/^postgres(ql)?:\/\//.test(url)) {
    // Only the scheme is echoed: the rest of a URL may carry a password.
    const scheme = /^[a-z][a-z0-9+.-]{0,20}:/i.exec(url)?.[0] ?? 'no scheme';
    throw new DatabaseError(
      `${name} must be a PostgreSQL URL such as postgres://user@host:5432/cardline (got ${scheme}); ` +
        `unset it to use SQLite in ${dataDir}`,
    );
  }
  if (url && !pgUrlUser(url) && !env.PGUSER) {
    // Without a user the server is asked for none, or for the OS user's role: never what a site meant.
    throw new DatabaseError(
      `${name} names no database user (${describePgUrl(url)}): give one, as in postgres://cardline@host:5432/cardline, or set PGUSER`,
    );
  }
  return url || undefined;
}

/** Names of the migrations the database has not run yet (all of them on an empty database). */
export async function pendingMigrations(db: Knex, migrations: readonly StoreMigration[] = MIGRATIONS): Promise<string[]> {
  if (!(await db.schema.hasTable('knex_migrations'))) return migrations.map((m) => m.name);
  const done = new Set((await db('knex_migrations').select('name')).map((r: { name: string }) => r.name));
  return migrations.map((m) => m.name).filter((name) => !done.has(name));
}

/**
 * Runs pending migrations. Migrations come from the static list in migrations/index.ts through a
 * migrationSource, so knex never scans a directory.
 */
export async function migrateToLatest(db: Knex, migrations: readonly StoreMigration[] = MIGRATIONS): Promise<void> {
  const config: Knex.MigratorConfig = { migrationSource: new StaticMigrationSource(migrations) };
  // Several line controllers may start together against one PostgreSQL. knex serializes the
  // migrations themselves with its lock row, but the very first creation of knex_migrations can
  // still collide; the loser simply tries again and then finds the schema up to date.
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate.latest(config);
      return;
    } catch (err) {
      const message = (err as Error).message;
      if (attempt >= 5 || !/already exists|already locked|duplicate key/i.test(message)) throw err;
      await sleep(200 * attempt);
    }
  }
}

class StaticMigrationSource implements Knex.MigrationSource<StoreMigration> {
  constructor(private readonly migrations: readonly StoreMigration[]) {}

  getMigrations(): Promise<StoreMigration[]> {
    return Promise.resolve([...this.migrations]);
  }

  getMigrationName(migration: StoreMigration): string {
    return migration.name;
  }

  getMigration(migration: StoreMigration): Promise<Knex.Migration> {
    return Promise.resolve(migration.migration);
  }
}

interface SqliteConnection {
  exec(sql: string, callback: (err: Error | null) => void): void;
  close(callback?: (err: Error | null) => void): void;
}

// 32 MiB of page cache instead of SQLite's 2 MiB: the PID indexes take random inserts, and once they
// outgrow the cache every insert reads pages back (a 200,000-record import ran 10% faster).
const SQLITE_CACHE_KIB = 32 * 1024;

/**
 * SQLite's synchronous level on every connection: FULL syncs the WAL at each commit, before COMMIT
 * returns, so an acknowledged result survives a power cut (NORMAL syncs only at checkpoints).
 */
export const SQLITE_SYNCHRONOUS = 'FULL';
/** PostgreSQL's synchronous_commit on every connection: the commit's WAL record is flushed before it returns. */
export const PG_SYNCHRONOUS_COMMIT = 'on';

/** How often the WAL is checkpointed from a connection of its own (see WalCheckpointer). */
const CHECKPOINT_PERIOD_MS = 50;

// Per connection, because PRAGMAs other than journal_mode and page_size do not persist in the file.
// page_size only takes effect on a new, empty database (afterwards it is a no-op): 16 KiB pages hold
// two ~6 KiB encrypted portraits each instead of spilling every portrait into overflow pages, which
// made bulk import about 20% faster in measurements. WAL lets readers (dashboard) run while the line
// writes; synchronous=FULL makes each commit sync the WAL before it returns, so what the line
// acknowledged survives a power cut, not only a process crash (NORMAL would lose the commits since
// the last checkpoint, and with them results the PLCs were told were safe); foreign keys are off by
// default in SQLite. Each pooled connection gets a WalCheckpointer, closed with it.
function sqliteConnectionSetup(filename: string) {
  return (connection: SqliteConnection, done: (err: Error | null, connection: SqliteConnection) => void): void => {
    connection.exec(
      `PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = ${SQLITE_SYNCHRONOUS}; PRAGMA foreign_keys = ON; ` +
        `PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}; PRAGMA cache_size = -${SQLITE_CACHE_KIB};`,
      (err) => {
        if (err) return done(err, connection);
        const checkpointer = new WalCheckpointer(filename, CHECKPOINT_PERIOD_MS);
        const close = connection.close.bind(connection);
        connection.close = (callback) => {
          void checkpointer.close().finally(() => close(callback));
        };
        done(null, connection);
      },
    );
  };
}

const LIVE_CHECKPOINTERS = new Set<WalCheckpointer>();

/**
 * Checkpoints a WAL database every `periodMs` from a connection of its own. Left to itself, SQLite
 * checkpoints inside the commit that takes the WAL past 1,000 pages: that commit copies them into
 * the database and waits for two fsyncs, 20–30 ms here, and a production line that waits for every
 * commit stands still meanwhile (the 99th percentile of the line's commits in the controller
 * benchmark). A PASSIVE checkpoint takes no lock a writer needs, so it runs beside the writes; the
 * writer's own checkpoint then finds little left to copy or sync, and it still restarts the WAL,
 * which keeps the file bounded. A checkpoint that fails leaves the work to the writer's.
 */
export class WalCheckpointer {
  private readonly db: sqlite3.Database;
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(filename: string, periodMs: number) {
    this.db = new sqlite3.Database(filename, sqlite3.OPEN_READWRITE);
    // A failed open shows as failed checkpoints, which are harmless: nothing to report here.
    this.db.on('error', () => undefined);
    this.db.serialize();
    // Its checkpoints write the database file: synced like every other connection's writes.
    this.db.exec(`PRAGMA synchronous = ${SQLITE_SYNCHRONOUS}`, () => undefined);
    this.timer = setInterval(() => void this.checkpoint(), periodMs);
    this.timer.unref();
    LIVE_CHECKPOINTERS.add(this);
  }

  /** The checkpointers open now (one per pooled SQLite connection), for the durability tests. */
  static live(): readonly WalCheckpointer[] {
    return [...LIVE_CHECKPOINTERS];
  }

  /** This connection's `PRAGMA synchronous` (2 = FULL, 3 = EXTRA), for the durability tests. */
  synchronous(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.db.get('PRAGMA synchronous', (err: Error | null, row: { synchronous: number } | undefined) => (err ? reject(err) : resolve(Number(row?.synchronous))));
    });
  }

  /** Checkpoints now, unless a checkpoint is still running. */
  checkpoint(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.running ??= new Promise<void>((resolve) => {
      this.db.get('PRAGMA wal_checkpoint(PASSIVE)', () => {
        this.running = undefined;
        resolve();
      });
    });
    return this.running;
  }

  /** Stops checkpointing and closes its connection, after a checkpoint under way. */
  close(): Promise<void> {
    clearInterval(this.timer);
    LIVE_CHECKPOINTERS.delete(this);
    const running = this.running;
    this.closing ??= (async () => {
      await running;
      await new Promise<void>((resolve) => this.db.close(() => resolve()));
    })();
    return this.closing;
  }
}

/** The user a PostgreSQL URL names, or '' (none, or an unparseable URL). */
function pgUrlUser(url: string): string {
  try {
    const parsed = new URL(url);
    return decodeURIComponent(parsed.username) || (parsed.searchParams.get('user') ?? '');
  } catch {
    return '';
  }
}

/** The URL without its password, for error messages and logs. */
export function describePgUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'PostgreSQL (unparseable URL)';
  }
}

/** Resolves when the database answers a trivial query (the server's health check). */
export async function pingDatabase(db: Knex): Promise<void> {
  await db.raw('select 1');
}

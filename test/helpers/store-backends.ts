// Test support (imported only by *.test.ts): the same store suite runs against SQLite in a temporary
// data directory and against a temporary PostgreSQL database, so both clients stay equivalent.
import type { Knex } from 'knex';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTempPgDatabase } from './pg.ts';
import { bindAuditKeys } from '../../src/store/audit.ts';
import { openDatabase } from '../../src/store/db.ts';
import { deriveDataKeys, type DataKeys } from '../../src/store/keys.ts';

export interface StoreFixture {
  readonly db: Knex;
  readonly dataDir: string;
  /** PostgreSQL URL, undefined for SQLite. */
  readonly url: string | undefined;
  readonly keys: DataKeys;
  /** Destroys the pool, then removes the data directory and drops the database. */
  cleanup(): Promise<void>;
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  setup(): Promise<StoreFixture>;
}

/** A fixed test key: fixtures are reproducible, and no key file is written unless a test wants one. */
export const TEST_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

export const BACKENDS: readonly Backend[] = [
  {
    name: 'sqlite',
    async setup() {
      const dataDir = await tempDataDir();
      try {
        const db = await openDatabase({ dataDir });
        return fixture(db, dataDir, undefined, () => Promise.resolve());
      } catch (err) {
        await rm(dataDir, { recursive: true, force: true });
        throw err;
      }
    },
  },
  {
    name: 'postgres',
    async setup() {
      // Database first: when PostgreSQL is down this fails before anything needs cleaning up.
      const pg = await createTempPgDatabase();
      const dataDir = await tempDataDir();
      try {
        const db = await openDatabase({ dataDir, url: pg.url });
        return fixture(db, dataDir, pg.url, () => pg.drop());
      } catch (err) {
        await rm(dataDir, { recursive: true, force: true });
        await pg.drop();
        throw err;
      }
    },
  },
];

export function tempDataDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'cardline-store-'));
}

function fixture(db: Knex, dataDir: string, url: string | undefined, dropDb: () => Promise<void>): StoreFixture {
  const keys = deriveDataKeys(TEST_KEY);
  // The audit chain's key, as openStore binds it for the application.
  bindAuditKeys(db, keys);
  return {
    db,
    dataDir,
    url,
    keys,
    async cleanup() {
      await db.destroy();
      await dropDb();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

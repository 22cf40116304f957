// A throwaway PostgreSQL database per test file, so store tests run against the real server and can
// run in parallel. When PostgreSQL is down the tests fail (never skip) with how to start it.
// Administered through knex rather than pg directly: knex brings its own types (pg has none installed).
import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { describePgUrl } from '../../src/store/db.ts';

export const PG_ADMIN_URL_ENV = 'CARDLINE_TEST_PG_ADMIN_URL';
const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TempPgDatabase {
  /** URL of the new, empty database. */
  readonly url: string;
  /** Terminates leftover connections and drops the database. */
  drop(): Promise<void>;
}

export async function createTempPgDatabase(): Promise<TempPgDatabase> {
  const adminUrl = process.env[PG_ADMIN_URL_ENV]?.trim() || DEFAULT_ADMIN_URL;
  const name = `cardline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.raw(`create database ${name}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(adminUrl, async (admin) => {
        // A pool a test forgot to destroy would otherwise make DROP DATABASE fail.
        await admin.raw(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
          [name],
        );
        await admin.raw(`drop database if exists ${name}`);
      }),
  };
}

async function withAdmin<T>(adminUrl: string, work: (admin: Knex) => Promise<T>): Promise<T> {
  const admin = knex({
    client: 'pg',
    connection: { connectionString: adminUrl, connectionTimeoutMillis: 5_000 },
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 10_000,
  });
  try {
    try {
      await admin.raw('select 1');
    } catch (err) {
      throw new Error(
        `PostgreSQL is not reachable at ${describePgUrl(adminUrl)} (${(err as Error).message}). The store tests ` +
          'need it: start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
          `or point ${PG_ADMIN_URL_ENV} at a server where this user may create databases.`,
        { cause: err },
      );
    }
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}

export interface TempPgRoles {
  /** URL of `db` as its owner role: the role that runs `cardline db migrate`. */
  readonly ownerUrl: string;
  /** URL of `db` as the runtime role (no privileges until the owner grants them). */
  readonly runtimeUrl: string;
  readonly runtimeRole: string;
  /** Drops both roles; call after `db.drop()`, which drops the objects they own. */
  drop(): Promise<void>;
}

/**
 * Creates an owner role (made owner of the database, so it may create in its public schema) and a
 * runtime role with `create role` through the test admin connection. Roles are cluster-wide, so
 * their names are random too.
 */
export async function createTempPgRoles(db: TempPgDatabase): Promise<TempPgRoles> {
  const adminUrl = process.env[PG_ADMIN_URL_ENV]?.trim() || DEFAULT_ADMIN_URL;
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const owner = `cardline_owner_${suffix}`;
  const runtime = `cardline_runtime_${suffix}`;
  const dbName = new URL(db.url).pathname.slice(1);
  await withAdmin(adminUrl, async (admin) => {
    await admin.raw(`create role ${owner} login`);
    await admin.raw(`create role ${runtime} login`);
    await admin.raw(`alter database ${dbName} owner to ${owner}`);
  });
  const as = (role: string): string => {
    const url = new URL(db.url);
    url.username = role;
    url.password = '';
    return url.toString();
  };
  return {
    ownerUrl: as(owner),
    runtimeUrl: as(runtime),
    runtimeRole: runtime,
    drop: () =>
      withAdmin(adminUrl, async (admin) => {
        await admin.raw(`drop role if exists ${runtime}`);
        await admin.raw(`drop role if exists ${owner}`);
      }),
  };
}

/**
 * PostgreSQL with two roles, through the real CLI: the owner migrates (`cardline db migrate`) and
 * grants the runtime role; the runtime role runs the commands, may not migrate, and can neither
 * rewrite the audit log nor switch off its triggers.
 */
import knex, { type Knex } from 'knex';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline, cliUsers } from './helpers/cli.ts';
import { createTempPgDatabase, createTempPgRoles, type TempPgDatabase, type TempPgRoles } from './helpers/pg.ts';

let dir: string;
let pg: TempPgDatabase;
let roles: TempPgRoles;
let runtime: Knex;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-pgroles-'));
  pg = await createTempPgDatabase();
  roles = await createTempPgRoles(pg);
  runtime = knex({ client: 'pg', connection: roles.runtimeUrl, pool: { min: 0, max: 1 } });
}, 60_000);

afterAll(async () => {
  await runtime?.destroy();
  await pg?.drop();
  await roles?.drop();
  await rm(dir, { recursive: true, force: true });
});

const env = (url: string): NodeJS.ProcessEnv => ({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: url, CARDLINE_DATA_KEY: '3c'.repeat(32) });

describe('PostgreSQL owner and runtime roles', () => {
  it('the runtime role may not migrate: it is told to run cardline db migrate as the owner', async () => {
    const result = await cardline(['batch', 'list'], { env: env(roles.runtimeUrl) });
    expect(result.code).toBe(6); // the database cannot be used as it is: the environment's code
    expect(result.stderr).toMatch(/this role may not migrate: run `cardline db migrate --url <owner URL>`/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('the owner migrates and grants; the runtime role imports and verifies the chain, but cannot alter audit_log', async () => {
    const migrated = await cardline(['db', 'migrate', '--url', roles.ownerUrl, '--grant-to', roles.runtimeRole], { env: env('') });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/migration\(s\) applied: 20261127120000_initial, .*20261207120000_store_keys_audit_chain/);
    expect((await cardline(['db', 'migrate'], { env: { ...env(''), CARDLINE_DB_OWNER_URL: roles.ownerUrl } })).stdout).toMatch(/schema up to date/);

    expect((await cardline(['sample', '--count', '2', '--seed', 'pgroles', '--out', path.join(dir, 'in')])).code).toBe(0);
    // The runtime role adds a user (users are operational rows), who imports and verifies.
    const { mgr } = await cliUsers(env(roles.runtimeUrl), { mgr: 'manager' });
    const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env: mgr });
    expect(imported.code, imported.stderr).toBe(0);
    const verified = await cardline(['audit', 'verify'], { env: mgr });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^audit chain intact: 4 rows; head row 4 /m);

    await expect(runtime.raw('alter table audit_log disable trigger all')).rejects.toThrow(/must be owner of table audit_log/);
    await expect(runtime.raw('alter table audit_log disable trigger audit_log_no_update_delete')).rejects.toThrow(/must be owner/);
    await expect(runtime.raw("update audit_log set actor = 'x'")).rejects.toThrow(/permission denied for table audit_log/);
    await expect(runtime.raw('delete from audit_log')).rejects.toThrow(/permission denied for table audit_log/);
    await expect(runtime.raw('truncate audit_log')).rejects.toThrow(/permission denied for table audit_log/);
    await expect(runtime.raw('delete from audit_head')).rejects.toThrow(/permission denied for table audit_head/);
    await expect(runtime.raw('create table intruder (id int)')).rejects.toThrow(/permission denied for schema public/);
  }, 90_000);
});

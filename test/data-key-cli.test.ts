/**
 * The data key through the real CLI: every command that opens the store, given another key than the
 * one the store was written with, exits 5 naming both fingerprints before reading or writing anything
 * (the database file's bytes stay the same); with the right key the same store opens as before.
 */
import knex from 'knex';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../src/store/db.ts';
import { deriveDataKeys } from '../src/store/keys.ts';
import { cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

const KEY_A = '1f'.repeat(32);
const KEY_B = 'a0'.repeat(32);
const FP_A = deriveDataKeys(Buffer.from(KEY_A, 'hex')).keyId;
const FP_B = deriveDataKeys(Buffer.from(KEY_B, 'hex')).keyId;

let dir: string;
let dataDir: string;
let lineFile: string;
let batchId: string;
/** The credentials of the manager every command of the first data directory acts as. */
let manager: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-keycli-'));
  dataDir = path.join(dir, 'data');
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'key-line', timeScale: 20, seed: 3, initialBlanks: 10, serialPrefix: 'K', cycleMs: 200 });
  expect((await cardline(['sample', '--count', '3', '--seed', 'keycli', '--out', path.join(dir, 'in')])).code).toBe(0);
  const { mgr } = await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_DATA_KEY: KEY_A }, { mgr: 'manager' });
  manager = { CARDLINE_USER: mgr.CARDLINE_USER, CARDLINE_PASSWORD: mgr.CARDLINE_PASSWORD };
  const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env: env(KEY_A) });
  expect(imported.code, imported.stderr).toBe(0);
  batchId = /batch (\S+): \d+ record/.exec(imported.stdout)![1]!;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function env(key: string): NodeJS.ProcessEnv {
  return { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_DATA_KEY: key, ...manager };
}

const COMMANDS: readonly (readonly [string, () => string[]])[] = [
  ['import', () => ['import', path.join(dir, 'in', 'batch.jsonl')]],
  ['batch list', () => ['batch', 'list']],
  ['batch show', () => ['batch', 'show', batchId]],
  ['batch close', () => ['batch', 'close', batchId]],
  ['render --batch', () => ['render', '--batch', batchId, '--out', path.join(dir, 'render-out')]],
  ['run', () => ['run', batchId, '--line', lineFile]],
  ['stock load', () => ['stock', 'load', '--line', lineFile, '--count', '5']],
  ['qa list', () => ['qa', 'list', batchId]],
  ['qa reject', () => ['qa', 'reject', 'K0000001', '--reason', 'INSPECTOR_REJECT']],
  ['qa release', () => ['qa', 'release', batchId]],
  ['card write-off', () => ['card', 'write-off', 'K0000001']],
  ['audit verify', () => ['audit', 'verify']],
  ['keys rotate', () => ['keys', 'rotate']],
];

describe('a wrong data key', () => {
  it.each(COMMANDS)('%s exits 5 naming both keys, and the database file is unchanged', async (_name, args) => {
    const file = path.join(dataDir, SQLITE_FILE);
    const before = await readFile(file);
    const result = await cardline(args(), { env: { ...env(KEY_B), CARDLINE_NEW_DATA_KEY: '77'.repeat(32) } });
    expect(result.code, result.stdout + result.stderr).toBe(5);
    expect(result.stderr).toContain(`cardline: this data directory was written with key ${FP_A}; CARDLINE_DATA_KEY has ${FP_B}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect((await readFile(file)).equals(before)).toBe(true);
  }, 30_000);

  it('leaves the store as it was: with the right key the batch and the audit chain are intact', async () => {
    const shown = await cardline(['batch', 'show', batchId], { env: env(KEY_A) });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/records: 3 /);
    const verified = await cardline(['audit', 'verify'], { env: env(KEY_A) });
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toMatch(/^audit chain intact: 4 rows; head row 4 [0-9a-f]{64}$/m);
  }, 30_000);
});

describe('cardline keys rotate', () => {
  it('with the key file: a new key replaces keys/data.key; the old key is then refused; the store reads as before', async () => {
    const home = path.join(dir, 'rotate');
    const users = await cliUsers({ CARDLINE_DATA_DIR: home, CARDLINE_DB_URL: '' }, { adm: 'admin', mgr: 'manager' });
    // The manager imports and reads; only an admin rotates the key.
    const plain = users.mgr;
    const admin = users.adm;
    const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env: plain });
    expect(imported.code, imported.stderr).toBe(0);
    const oldKey = (await readFile(path.join(home, 'keys', 'data.key'), 'utf8')).trim();
    const fpOld = deriveDataKeys(Buffer.from(oldKey, 'hex')).keyId;

    const withEnvOnly = await cardline(['keys', 'rotate'], { env: { ...admin, CARDLINE_DATA_KEY: oldKey } });
    expect(withEnvOnly.code).toBe(2);
    expect(withEnvOnly.stderr).toMatch(/give the new key in CARDLINE_NEW_DATA_KEY/);

    const notAdmin = await cardline(['keys', 'rotate'], { env: plain });
    expect(notAdmin.code).toBe(4);
    const rotated = await cardline(['keys', 'rotate'], { env: admin });
    expect(rotated.code, rotated.stderr).toBe(0);
    const newKey = (await readFile(path.join(home, 'keys', 'data.key'), 'utf8')).trim();
    const fpNew = deriveDataKeys(Buffer.from(newKey, 'hex')).keyId;
    expect(rotated.stdout).toContain(`data key rotated from ${fpOld} to ${fpNew}: 3 records and`);

    const stale = await cardline(['batch', 'list'], { env: { ...plain, CARDLINE_DATA_KEY: oldKey } });
    expect(stale.code).toBe(5);
    expect(stale.stderr).toContain(`this data directory was written with key ${fpNew}; CARDLINE_DATA_KEY has ${fpOld}`);
    // The same citizens again: still duplicates of the open batch (the PID lookup key is stable).
    const again = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env: plain });
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(/0 record\(s\) accepted, 3 quarantined/);
    const verified = await cardline(['audit', 'verify'], { env: plain });
    expect(verified.code, verified.stdout).toBe(0);
  }, 60_000);
});

describe('a record that does not decrypt (altered in the database)', () => {
  it('render --batch and run exit 1 naming the record, without a stack trace and without starting the line', async () => {
    const home = path.join(dir, 'altered');
    const e = (await cliUsers({ CARDLINE_DATA_DIR: home, CARDLINE_DB_URL: '', CARDLINE_DATA_KEY: KEY_A }, { mgr: 'manager' })).mgr;
    const imported = await cardline(['import', path.join(dir, 'in', 'batch.jsonl')], { env: e });
    expect(imported.code, imported.stderr).toBe(0);
    const id = /batch (\S+): \d+ record/.exec(imported.stdout)![1]!;
    const db = knex({ client: 'sqlite3', connection: { filename: path.join(home, SQLITE_FILE) }, useNullAsDefault: true });
    try {
      const row: { payload: Buffer } = await db('records').where({ batch_id: id, seq: 2 }).first('payload');
      row.payload[row.payload.length - 1]! ^= 0x01;
      await db('records').where({ batch_id: id, seq: 2 }).update({ payload: row.payload });
    } finally {
      await db.destroy();
    }

    const rendered = await cardline(['render', '--batch', id, '--out', path.join(home, 'out')], { env: e });
    expect(rendered.code).toBe(1);
    expect(rendered.stderr).toContain(`cardline: batch ${id}: cannot decrypt record:${id}:2: authentication failed with data key ${FP_A}`);
    expect(rendered.stderr).not.toMatch(/\n\s+at /);

    const started = Date.now();
    const ran = await cardline(['run', id, '--line', lineFile], { env: e });
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`cardline: batch ${id} cannot run: cannot decrypt record:${id}:2`);
    expect(ran.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(20_000);

    // The attempted export is on record.
    const verified = await cardline(['audit', 'verify', '--json'], { env: e });
    expect(jsonLine(verified.stdout)).toMatchObject({ ok: true, rows: 5 });
  }, 60_000);
});

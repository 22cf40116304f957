/**
 * Issue 20, items 5–7, the parts that need no line: one error path (a person's message, the stack
 * only with --debug), a closed pipe ends quietly, a database URL that cannot be used leaves no data
 * key, a URL without a user is refused, `run FILE` and `import` say why nothing was accepted and
 * leave no batch that looks like a failure, `sample --out` keeps an earlier sample unless --force,
 * YAML errors name the offending key's line. The real `cardline` binary throughout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapText } from '../src/cli/io.ts';
import { CARDLINE_BIN, cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let env: NodeJS.ProcessEnv;

const RECORD = {
  pid: '001090000001',
  fullName: 'Nguyễn Văn An',
  birthDate: '1990-01-15',
  sex: 'M',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'Hà Nội',
  residence: 'Hà Nội',
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-errors-'));
  env = (await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { mgr: 'manager' })).mgr;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `cardline ARGS | head -1` in a shell; the exit status is cardline's own (PIPESTATUS). */
function throughHead(args: string): Promise<{ status: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `"${process.execPath}" "${CARDLINE_BIN}" ${args} 2>"${dir}/pipe.err" | head -1 >/dev/null; echo "\${PIPESTATUS[0]}"; cat "${dir}/pipe.err"`], {
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const [status = '', ...rest] = out.split('\n');
      resolve({ status, stderr: rest.join('\n').trim() });
    });
  });
}

describe('one error path', () => {
  it('ends quietly when the reader closes the pipe (EPIPE)', async () => {
    const big = path.join(dir, 'big.jsonl');
    await writeFile(big, `${JSON.stringify(RECORD)}\n`.repeat(4000));
    const r = await throughHead(`mrz compose --jsonl "${big}"`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe('0');
  }, 60_000);

  it('prints a person’s message for a CARDLINE_DB_URL that cannot be used, the stack only with --debug, and creates no data key', async () => {
    const dataDir = path.join(dir, 'bad-url');
    const plain = await cardline(['batch', 'list'], { env: { ...env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: 'mysql://x@localhost/cardline' } });
    expect(plain.code).toBe(6);
    expect(plain.stderr).toBe(
      `cardline: CARDLINE_DB_URL must be a PostgreSQL URL such as postgres://user@host:5432/cardline (got mysql:); unset it to use SQLite in ${dataDir}\n`,
    );
    expect(existsSync(path.join(dataDir, 'keys', 'data.key'))).toBe(false);
    const debug = await cardline(['batch', 'list', '--debug'], { env: { ...env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: 'mysql://x@localhost/cardline' } });
    expect(debug.code).toBe(6);
    expect(debug.stderr).toMatch(/^\s+at dbUrlFromEnv /m);
  }, 60_000);

  it('refuses a PostgreSQL URL that names no user', async () => {
    const dataDir = path.join(dir, 'no-user');
    const r = await cardline(['batch', 'list'], { env: { ...env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: 'postgres:///cardline', PGUSER: '' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^cardline: CARDLINE_DB_URL names no database user \(postgres:\/\/\/cardline\): give one/);
    expect(existsSync(path.join(dataDir, 'keys', 'data.key'))).toBe(false);
  }, 60_000);

  it('names the offending key’s line of a YAML line file, not its block’s', async () => {
    const lineFile = path.join(dir, 'typo.yaml');
    await writeCliLine(lineFile, { id: 'typo-line', timeScale: 20, seed: 1, initialBlanks: 5, serialPrefix: 'T', cycleMs: 200 });
    const lines = (await readFile(lineFile, 'utf8')).split('\n');
    // An unknown key inside `simulation:`, three lines below the block's own line.
    const block = lines.findIndex((l) => l.startsWith('simulation:'));
    lines.splice(block + 3, 0, '  timeScal: 5');
    await writeFile(lineFile, lines.join('\n'));
    const r = await cardline(['stock', 'show', '--line', lineFile], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`line ${block + 4}: simulation: `);
    expect(r.stderr).toMatch(/timeScal/);
  }, 60_000);
});

describe('imports that accept nothing', () => {
  it('import: says why, and the batch shows as quarantine only', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, `${JSON.stringify({ ...RECORD, pid: '12' })}\n${JSON.stringify({ ...RECORD, pid: '34' })}\n`);
    const r = await cardline(['import', file], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/no record was accepted: all 2 record\(s\) quarantined; most often: pid: .* \(2\)/);
    expect(r.stdout).toMatch(/holds only this quarantine report/);
    const listed = await cardline(['batch', 'list', '--json'], { env });
    expect(listed.code).toBe(0);
    const batch = jsonLine(listed.stdout);
    expect(batch).toMatchObject({ status: 'failed', quarantineOnly: true, accepted: 0 });
    expect((await cardline(['batch', 'list'], { env })).stdout).toMatch(/quarantine only/);
  }, 60_000);

  it('run FILE whose records are all duplicates: exit 3 with the reason, no line started', async () => {
    const out = path.join(dir, 'dup');
    expect((await cardline(['sample', '--count', '1', '--seed', 'dup', '--out', out], { env })).code).toBe(0);
    const file = path.join(out, 'batch.jsonl');
    expect((await cardline(['import', file], { env })).code).toBe(0);
    const r = await cardline(['run', file], { env });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/no record was accepted: all 1 record\(s\) quarantined; most often: pid: duplicate personal ID: already in open batch \S+ \(line … of its file\) \(1\)/);
    expect(r.stderr).not.toMatch(/simulator|TEST PKI/);
  }, 60_000);
});

describe('sample --out', () => {
  it('refuses to write over an earlier sample unless --force, and --force leaves no stale portrait', async () => {
    const out = path.join(dir, 'sample');
    const fresh = path.join(dir, 'sample-fresh');
    expect((await cardline(['sample', '--count', '3', '--seed', 'a', '--out', out], { env })).code).toBe(0);
    expect((await cardline(['sample', '--count', '1', '--seed', 'b', '--out', fresh], { env })).code).toBe(0);
    const first = { batch: await readFile(path.join(out, 'batch.jsonl'), 'utf8'), portraits: await readdir(path.join(out, 'portraits')) };
    const again = await cardline(['sample', '--count', '1', '--seed', 'b', '--out', out], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/holds a sample already .*--force to replace it/);
    expect({ batch: await readFile(path.join(out, 'batch.jsonl'), 'utf8'), portraits: await readdir(path.join(out, 'portraits')) }).toStrictEqual(first);
    const forced = await cardline(['sample', '--count', '1', '--seed', 'b', '--out', out, '--force'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    // Exactly what a fresh folder gets: no portrait of the earlier sample is left.
    expect(await readdir(path.join(out, 'portraits'))).toStrictEqual(await readdir(path.join(fresh, 'portraits')));
    expect(await readFile(path.join(out, 'batch.jsonl'), 'utf8')).toBe(await readFile(path.join(fresh, 'batch.jsonl'), 'utf8'));
  }, 60_000);
});

describe('wrapText', () => {
  const text =
    'created a TEST PKI for the demo with a random passphrase kept beside it. It is for demos only: its CSCA is no Country Signing CA, and a key whose passphrase lies next to it protects nothing.';
  it.each([20, 40, 61, 100])('breaks at spaces only, within %i columns, losing no word', (width) => {
    const lines = wrapText(text, width, '  ');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(text);
  });
  it('puts a word longer than the width on a line of its own', () => {
    expect(wrapText('a bbbbbbbbbb c', 5)).toStrictEqual(['a', 'bbbbbbbbbb', 'c']);
  });
});

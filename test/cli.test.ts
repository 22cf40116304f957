/**
 * The CLI contracts of docs/mrz.md and the README, checked from outside: the real command in a
 * child process, its output and its exit codes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import vectors from './vectors/mrz-td1-vectors.json' with { type: 'json' };
import { cardline, cliUsers } from './helpers/cli.ts';

let dataDir: string;
let work: string;
let operator: NodeJS.ProcessEnv;
const env = () => ({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' });

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-cli-'));
  dataDir = path.join(work, 'data');
  operator = (await cliUsers(env(), { 'op-test': 'operator' }))['op-test'];
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('--help', () => {
  it.each([[[]], [['mrz']], [['mrz', 'compose']], [['mrz', 'check']], [['sample']], [['import']], [['demo']]])('cardline %j --help', async (args) => {
    const r = await cardline([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cardline/);
  });

  it('an unknown command exits 2 with help', async () => {
    const r = await cardline(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('mrz compose', () => {
  const s1 = vectors.vectors.find((v) => v.id === 'VN-S1')!;
  const generic = vectors.vectors.find((v) => v.id === 'ICAO-P11-D2-longdoc')!;

  it('composes a record from standard input (Vietnamese profile)', async () => {
    const r = await cardline(['mrz', 'compose'], { input: JSON.stringify(s1.record) });
    expect(r).toMatchObject({ code: 0, stdout: `${s1.lines.join('\n')}\n` });
  });

  it('composes a generic field set from a file', async () => {
    const file = path.join(work, 'generic.json');
    await writeFile(file, JSON.stringify(generic.fields));
    const r = await cardline(['mrz', 'compose', file]);
    expect(r).toMatchObject({ code: 0, stdout: `${generic.lines.join('\n')}\n` });
  });

  it('exits 2 naming the bad field', async () => {
    const r = await cardline(['mrz', 'compose', '-'], { input: JSON.stringify({ ...generic.fields, sex: 'X' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cardline: standard input: sex: must be M, F or <\n');
    const notJson = await cardline(['mrz', 'compose'], { input: '{' });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^cardline: standard input is not valid JSON/);
  });

  it('--jsonl answers every line with mrz and expiryDate, or error', async () => {
    const input = [JSON.stringify(s1.record), '{"format":"TD1"}', JSON.stringify({ ...generic.fields, expiryDate: null }), 'nope'].join('\n');
    const r = await cardline(['mrz', 'compose', '--jsonl'], { input });
    expect(r.code).toBe(2);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(4);
    expect(out[0]).toStrictEqual({ mrz: s1.lines, expiryDate: '2030-01-15' });
    expect(out[1]).toStrictEqual({ error: expect.stringMatching(/^line 2: documentCode: is required; /) });
    expect(out[2]).toMatchObject({ expiryDate: null, mrz: [generic.lines[0], expect.stringMatching(/^3407127M<<<<<<0UTO/), generic.lines[2]] });
    expect(out[3]).toStrictEqual({ error: 'line 4: not valid JSON' });
  });
});

describe('mrz check', () => {
  it.each(vectors.vectors.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
    const r = await cardline(['mrz', 'check'], { input: `${v.lines.join('\r\n')}\r\n` });
    const result = JSON.parse(r.stdout) as { valid: boolean; errors: { line: number; start: number; end: number; field: string; message: string }[] };
    const expected = v.valid && ('vnProfileValid' in v ? v.vnProfileValid : true);
    expect(result.valid).toBe(expected);
    expect(r.code).toBe(expected ? 0 : 1);
    for (const e of result.errors) expect(Object.keys(e)).toEqual(expect.arrayContaining(['line', 'start', 'end', 'field', 'message']));
    expect(result.errors.length > 0).toBe(!expected);
  });
});

describe('sample and import', () => {
  it('writes a deterministic sample, imports it (--json) and refuses the same PIDs again (exit 3)', async () => {
    const a = path.join(work, 'sample-a');
    const b = path.join(work, 'sample-b');
    const first = await cardline(['sample', '--count', '40', '--seed', 'cli-test', '--out', a], { env: env() });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^wrote 40 records \(seed cli-test\)/);
    await cardline(['sample', '--count', '40', '--seed', 'cli-test', '--out', b], { env: env() });
    expect(await readFile(path.join(a, 'batch.jsonl'))).toStrictEqual(await readFile(path.join(b, 'batch.jsonl')));

    const imported = await cardline(['import', path.join(a, 'batch.jsonl'), '--json', '--name', 'cli test'], { env: operator });
    expect(imported.code).toBe(0);
    const summary = JSON.parse(imported.stdout) as Record<string, unknown>;
    expect(summary).toStrictEqual({ batchId: expect.stringMatching(/^\d{8}-[0-9a-f]{6}$/), accepted: 40, quarantined: 0, reportPath: expect.stringContaining(dataDir) });

    const again = await cardline(['import', path.join(b, 'batch.jsonl'), '--json'], { env: operator });
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, quarantined: 40 });
  });

  it('exits 2 naming a file that cannot be read', async () => {
    const r = await cardline(['import', path.join(work, 'missing.csv')], { env: operator });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cardline: .*missing\.csv: file not found\n$/);
  });

  it('refuses a bad --count', async () => {
    const r = await cardline(['sample', '--count', 'ten', '--out', path.join(work, 'x')]);
    expect(r).toMatchObject({ code: 2, stderr: "cardline: --count must be a whole number ≥ 1, got 'ten'\n" });
  });
});

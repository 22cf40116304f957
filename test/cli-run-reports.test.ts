/**
 * Issue 20, items 2–4 and 6 through the real CLI on a small simulated line: the run's throughput
 * the same in the progress line, the summary and report.json, from this run's cards and production
 * time ("simulated ×20"), also after a re-run of one card; one report per run plus the batch's
 * cumulative one; a proof removed when a card it shows is rejected; release messages that name the
 * next step; the TEST PKI warning wrapped at word boundaries; blank stock loaded once per lot,
 * recorded only once in the simulated magazine, and a difference from the line a warning and an
 * audit entry.
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline, cliUsers, jsonLine, startPlcSim, writeCliLine } from './helpers/cli.ts';

let dir: string;
let lineFile: string;
let env: NodeJS.ProcessEnv;
let asQa: NodeJS.ProcessEnv;
let asSecondQa: NodeJS.ProcessEnv;
let sim: ChildProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-reports-'));
  const users = await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { mgr: 'manager', 'qa-a': 'qa', 'qa-b': 'qa' });
  env = users.mgr;
  asQa = users['qa-a'];
  asSecondQa = users['qa-b'];
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'rep-line', timeScale: 20, seed: 7, initialBlanks: 60, serialPrefix: 'R', cycleMs: 200, controlPort: true });
}, 30_000);

afterAll(async () => {
  sim?.kill('SIGINT');
  await rm(dir, { recursive: true, force: true });
});

interface RunFigures {
  good: number;
  cardsPerHour: number;
  producingMs: number;
  pausedMs: number;
  simulated: { timeScale: number } | null;
}

async function reportOf(batchId: string): Promise<{ run: RunFigures; runs: unknown[]; proof: { file: string; cards: string[] } | null }> {
  return JSON.parse(await readFile(path.join(dir, 'data', 'reports', batchId, 'report.json'), 'utf8')) as never;
}

/** The rate the summary prints for this run. */
function summaryRate(stdout: string): { good: number; rate: number } {
  const m = /this run: (\d+) good card\(s\) in \S+ of production; ([\d,]+) cards\/h \(simulated ×20\)/.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return { good: Number(m![1]), rate: Number(m![2]!.replace(/,/g, '')) };
}

describe('run reports and throughput', () => {
  it('gives one rate in progress, summary and report.json, per run; keeps a report per run; drops a stale proof', async () => {
    expect((await cardline(['sample', '--count', '6', '--seed', 'reports', '--out', path.join(dir, 'in')], { env })).code).toBe(0);
    const first = await cardline(['run', path.join(dir, 'in', 'batch.jsonl'), '--line', lineFile, '--proof'], { env });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const batchId = /batch (\S+) on line rep-line: completed/.exec(first.stdout)![1]!;
    // The line's first magazine is recorded on its first run: store and magazine agree.
    expect(first.stderr).not.toMatch(/stock:/);

    // The TEST PKI warning: wrapped at word boundaries (no line over 100 columns, none cut mid-word).
    const warning = first.stderr.slice(first.stderr.indexOf('WARNING: created a TEST PKI')).split('\n');
    const paragraph = warning.slice(0, warning.findIndex((l, i) => i > 0 && !l.startsWith('  ')));
    expect(paragraph.length).toBeGreaterThan(1);
    for (const line of paragraph) expect(line.length).toBeLessThanOrEqual(100);
    expect(paragraph.join(' ')).toMatch(/its CSCA is no\s+Country Signing CA/);

    const one = summaryRate(first.stdout);
    expect(one.good).toBe(6);
    const progress = first.stderr.trim().split('\n').filter((l) => / · 6\/6 · /.test(l));
    expect(progress.at(-1)).toContain(`${one.rate.toLocaleString('en-US')} cards/h (simulated ×20)`);
    const report1 = await reportOf(batchId);
    expect(report1.run).toMatchObject({ good: 6, cardsPerHour: one.rate, simulated: { timeScale: 20 } });
    expect(report1.run.cardsPerHour).toBe(Math.round((6 * 3_600_000) / report1.run.producingMs));
    expect(report1.runs).toHaveLength(1);
    expect(report1.proof!.cards).toHaveLength(6);
    expect(existsSync(report1.proof!.file)).toBe(true);

    // An inspector rejects a card the proof shows: the proof goes; release names the next step.
    const serial = report1.proof!.cards[0]!;
    const rejected = await cardline(['qa', 'reject', serial, '--reason', 'INSPECTOR_REJECT'], { env: asQa });
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/proof .*proof\.pdf removed: it showed this card/);
    expect(existsSync(report1.proof!.file)).toBe(false);
    expect((await reportOf(batchId)).proof).toBeNull();
    const early = await cardline(['qa', 'release', batchId], { env: asQa });
    expect(early.code).toBe(2);
    expect(early.stderr).toContain(`batch ${batchId} is ready: only a reconciled batch can be released (it has records to make: cardline run ${batchId})`);

    // The re-run makes one card: its rate is of that card, over this run's production time.
    const second = await cardline(['run', batchId, '--line', lineFile], { env });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const two = summaryRate(second.stdout);
    expect(two.good).toBe(1);
    const report2 = await reportOf(batchId);
    expect(report2.run).toMatchObject({ good: 1, cardsPerHour: two.rate });
    expect(report2.run.cardsPerHour).toBe(Math.round((1 * 3_600_000) / report2.run.producingMs));
    expect(report2.runs).toHaveLength(2);
    const runFiles = (await readdir(path.join(dir, 'data', 'reports', batchId))).filter((f) => /^run-\d{8}T\d+Z\.json$/.test(f));
    expect(runFiles).toHaveLength(2);

    expect((await cardline(['batch', 'close', batchId], { env })).code).toBe(0);
    // Released by two people: one QA user asks, a second approves.
    const asked = await cardline(['qa', 'release', batchId], { env: asQa });
    expect(asked.code, asked.stderr).toBe(0);
    const approved = await cardline(['approve', /request (R-[0-9a-f]+)/.exec(asked.stdout)![1]!], { env: asSecondQa });
    expect(approved.code, approved.stderr).toBe(0);
    const twice = await cardline(['qa', 'release', batchId], { env: asQa });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toBe(`cardline: batch ${batchId} is already released: a released batch is final\n`);

    // The listings for scripts.
    const cards = (await cardline(['qa', 'list', batchId, '--json'], { env })).stdout.trim().split('\n').map((l) => JSON.parse(l) as { cardSerial: string; status: string });
    expect(cards.filter((c) => c.status === 'good')).toHaveLength(6);
    const card = jsonLine((await cardline(['card', 'show', serial, '--json'], { env })).stdout);
    expect(card).toMatchObject({ cardSerial: serial, status: 'spoiled', reason: 'INSPECTOR_REJECT', batchId });
    expect((card.events as { event: string }[]).length).toBeGreaterThan(0);
  }, 240_000);

  it('loads a lot once, into the running simulator’s magazine, and warns and audits when the store and the line differ', async () => {
    // A data directory of its own, with its own manager.
    const stockEnv = (await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'stock-data'), CARDLINE_DB_URL: '' }, { mgr: 'manager' })).mgr;
    const notRunning = await cardline(['stock', 'load', '--line', lineFile, '--count', '10', '--lot', 'L-1'], { env: stockEnv });
    expect(notRunning.code).toBe(6);
    expect(notRunning.stderr).toMatch(/does not answer on 127\.0\.0\.1:\d+: nothing was recorded\. Start it \(cardline plc-sim --line .*\) and run this command again/);
    sim = await startPlcSim(lineFile, stockEnv);
    const show = async (): Promise<Record<string, unknown>> => jsonLine((await cardline(['stock', 'show', '--line', lineFile, '--json'], { env: stockEnv })).stdout);
    // The simulator's first magazine is recorded by the first run; until then the store has nothing.
    const loaded = await cardline(['stock', 'load', '--line', lineFile, '--count', '10', '--lot', 'L-1'], { env: stockEnv });
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toMatch(/simulator: 10 blanks of lot L-1 added to the feeder magazine/);
    const again = await cardline(['stock', 'load', '--line', lineFile, '--count', '10', '--lot', 'L-1'], { env: stockEnv });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/lot L-1 is already loaded \(10 blanks, .*\): nothing recorded again, nothing added to the magazine/);
    const other = await cardline(['stock', 'load', '--line', lineFile, '--count', '12', '--lot', 'L-1'], { env: stockEnv });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/lot L-1 was loaded on line rep-line already, with 10 blanks .*a lot is loaded once/);
    const stock = await show();
    const lineConfig = parse(await readFile(lineFile, 'utf8')) as { simulation: { initialBlanks: number } };
    expect(stock).toMatchObject({ loaded: 10, available: 10, lots: [{ lot: 'L-1', count: 10 }], magazine: { blanks: lineConfig.simulation.initialBlanks + 10, agrees: false } });
    const shown = await cardline(['stock', 'show', '--line', lineFile], { env: stockEnv });
    expect(shown.stderr.replace(/\s+/g, ' ')).toMatch(/the store holds 10 blanks available, the line's magazine 70 \(\+60\); recorded in the audit log \(stock\.mismatch\)/);

    // A run on the line compares them too, before it feeds: the warning in its output, the entry in the audit log.
    const stopped = new Promise((resolve) => sim!.once('exit', resolve));
    sim.kill('SIGINT');
    await stopped;
    sim = undefined;
    expect((await cardline(['sample', '--count', '2', '--seed', 'stock-run', '--out', path.join(dir, 'stock-in')], { env: stockEnv })).code).toBe(0);
    const run = await cardline(['run', path.join(dir, 'stock-in', 'batch.jsonl'), '--line', lineFile], { env: stockEnv });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stderr.replace(/\s+/g, ' ')).toMatch(/WARNING: stock: the store holds 10 blanks available on line rep-line, the simulated magazine 70 \(\+60\)/);
    const db = knex({ client: 'sqlite3', connection: { filename: path.join(dir, 'stock-data', 'cardline.sqlite') }, useNullAsDefault: true });
    try {
      const audits = (await db('audit_log').where({ action: 'stock.mismatch' })) as { details: string }[];
      expect(audits.length).toBeGreaterThanOrEqual(3);
      expect(JSON.parse(audits[0]!.details)).toMatchObject({ store: 10, line: 70, difference: 60, when: 'stock load' });
      expect(audits.map((a) => (JSON.parse(a.details) as { when: string }).when)).toContain('run start');
    } finally {
      await db.destroy();
    }
  }, 240_000);
});

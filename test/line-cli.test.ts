/**
 * The operator's and inspector's commands through the real CLI, on a small simulated line started
 * in-process by `cardline run`: run a record file, show the accounting, list the cards, an
 * inspector's reject (spoil log, re-make at top priority, audit), run again, close, release; stock
 * loads; errors that name what is wrong.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let lineFile: string;
let env: NodeJS.ProcessEnv;
let inspector: NodeJS.ProcessEnv;
let secondQa: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-linecli-'));
  const users = await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { 'op-test': 'operator', 'qa-b': 'qa', 'qa-c': 'qa' });
  env = users['op-test'];
  inspector = users['qa-b'];
  secondQa = users['qa-c'];
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'cli-line', timeScale: 20, seed: 5, initialBlanks: 80, serialPrefix: 'C', cycleMs: 200, encoder: { heads: 2, cycleMs: 600 }, controlPort: true });
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cardline run, batch, qa and stock', () => {
  it('runs a batch, and an inspector’s reject sends its record back to re-make', async () => {
    const sample = await cardline(['sample', '--count', '6', '--seed', 'linecli', '--out', path.join(dir, 'in')], { env });
    expect(sample.code, sample.stderr).toBe(0);

    const first = await cardline(['run', path.join(dir, 'in', 'batch.jsonl'), '--line', lineFile], { env });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    const batchId = /batch (\S+) on line cli-line: completed/.exec(first.stdout)?.[1];
    expect(batchId, first.stdout).toBeDefined();
    expect(first.stdout).toMatch(/records: 6 — 6 produced/);
    expect(first.stdout).toMatch(/report: .*report\.json/);
    // The report carries the audit chain's head; a printed copy of it anchors the log.
    const report = JSON.parse(await readFile(/report: (.*report\.json)/.exec(first.stdout)![1]!, 'utf8')) as { auditHead: { id: number; hash: string } };
    const anchored = await cardline(['audit', 'verify', '--anchor', report.auditHead.hash], { env });
    expect(anchored.code, anchored.stdout).toBe(0);
    expect(anchored.stdout).toContain(`anchor found at row ${report.auditHead.id}`);
    // The demo warning about the TEST PKI, once.
    expect(first.stderr).toMatch(/WARNING: created a TEST PKI/);

    const shown = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(shown).toMatchObject({ status: 'reconciled', records: { total: 6, produced: 6, failed: 0, cancelled: 0, pending: 0 }, cards: { good: 6, inLine: 0 } });
    expect((shown.auditHead as { id: number }).id).toBeGreaterThanOrEqual(report.auditHead.id);
    const cards = shown.cards as { blanksConsumed: number; good: number; spoiled: number };
    expect(cards.blanksConsumed).toBe(cards.good + cards.spoiled);

    const listed = await cardline(['qa', 'list', batchId!], { env });
    const serial = /^(C\d+)\s+\d+\s+\d+\s+good/m.exec(listed.stdout)?.[1];
    expect(serial, listed.stdout).toBeDefined();

    const badReason = await cardline(['qa', 'reject', serial!, '--reason', 'SCRATCHED'], { env: inspector });
    expect(badReason.code).toBe(2);
    expect(badReason.stderr).toMatch(/--reason SCRATCHED is not a reason code/);

    const rejected = await cardline(['qa', 'reject', serial!, '--reason', 'INSPECTOR_REJECT', '--note', 'scratch'], { env: inspector });
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/queued for re-make/);
    const again = await cardline(['qa', 'reject', serial!, '--reason', 'INSPECTOR_REJECT'], { env: inspector });
    expect(again.stderr).toMatch(/is spoiled: only a card in the stacker/);

    const afterReject = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(afterReject).toMatchObject({ status: 'ready', records: { produced: 5, pending: 1 }, spoiledByReason: { INSPECTOR_REJECT: 1 } });
    const release = await cardline(['qa', 'release', batchId!], { env: inspector });
    expect(release.code).toBe(2);
    expect(release.stderr).toMatch(/only a reconciled batch can be released/);

    const second = await cardline(['run', batchId!, '--line', lineFile], { env });
    expect(second.code, second.stderr + second.stdout).toBe(0);
    const done = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(done).toMatchObject({ status: 'reconciled', records: { produced: 6, pending: 0 }, cards: { inLine: 0 } });
    const closed = await cardline(['batch', 'close', batchId!], { env });
    expect(closed.code).toBe(0);
    // Six good cards in the stacker; the inspector's reject among the spoiled.
    const balance = /reconciled: (\d+) blanks consumed = 6 good \+ (\d+) spoiled/.exec(closed.stdout);
    expect(balance, closed.stdout).not.toBeNull();
    expect(Number(balance![1])).toBe(6 + Number(balance![2]));
    expect(Number(balance![2])).toBeGreaterThanOrEqual(1);

    // Two people: one asks for the release, a second approves it.
    const asked = await cardline(['qa', 'release', batchId!], { env: inspector });
    expect(asked.code, asked.stderr).toBe(0);
    const request = /request (R-[0-9a-f]+)/.exec(asked.stdout)?.[1];
    expect(request, asked.stdout).toBeDefined();
    const released = await cardline(['approve', request!], { env: secondQa });
    expect(released.code, released.stderr).toBe(0);
    const status = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(status.status).toBe('released');
    const rerun = await cardline(['run', batchId!, '--line', lineFile], { env });
    expect(rerun.code).toBe(2);
    expect(rerun.stderr).toMatch(/is released: only an imported, ready, paused or interrupted batch can run/);
  }, 180_000);

  it('Ctrl-C aborts the run: the cards in the line go to the reject bin, the records back to the queue; --resume finishes', async () => {
    await cardline(['sample', '--count', '20', '--seed', 'linecli-abort', '--out', path.join(dir, 'in-abort')], { env });
    const aborted = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CARDLINE_BIN, 'run', path.join(dir, 'in-abort', 'batch.jsonl'), '--line', lineFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let sent = false;
      const onData = (d: string): void => {
        output += d;
        if (!sent && /good ([4-9]|\d\d)/.test(output)) {
          sent = true;
          child.kill('SIGINT');
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
    expect(aborted.code, aborted.output).toBe(1);
    expect(aborted.output).toMatch(/aborting — no more blanks are fed/);
    const batchId = /batch (\S+) on line cli-line: aborted/.exec(aborted.output)?.[1];
    expect(batchId, aborted.output).toBeDefined();
    const shown = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    const records = shown.records as { total: number; produced: number; pending: number };
    const cards = shown.cards as { blanksConsumed: number; good: number; spoiled: number; inLine: number };
    expect(shown.status).toBe('aborted');
    expect(cards.inLine).toBe(0);
    expect(cards.blanksConsumed).toBe(cards.good + cards.spoiled);
    expect(records.pending).toBeGreaterThan(0);
    expect(records.produced).toBe(cards.good);

    const resumed = await cardline(['run', batchId!, '--line', lineFile, '--resume'], { env });
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const done = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(done).toMatchObject({ status: 'reconciled', records: { total: 20, pending: 0 }, cards: { inLine: 0 } });
  }, 180_000);

  it('pauses on SIGUSR1 (the batch paused, no blank fed, no card stacked) and resumes on SIGUSR2 to the end', async () => {
    await cardline(['sample', '--count', '16', '--seed', 'linecli-pause', '--out', path.join(dir, 'in-pause')], { env });
    const show = async (id: string): Promise<Record<string, unknown>> => jsonLine((await cardline(['batch', 'show', id, '--json'], { env })).stdout);
    const seen: { paused?: Record<string, unknown>; settled?: Record<string, unknown>; later?: Record<string, unknown> } = {};
    const run = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CARDLINE_BIN, 'run', path.join(dir, 'in-pause', 'batch.jsonl'), '--line', lineFile], { env: { ...process.env, ...env, CARDLINE_TRACE: process.env.CARDLINE_TRACE ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      let step: 'running' | 'pausing' | 'paused' = 'running';
      const onData = (d: string): void => {
        output += d;
        if (step === 'running' && /good ([2-9]|\d\d)/.test(output)) {
          step = 'pausing';
          child.kill('SIGUSR1');
        } else if (step === 'pausing' && /paused — no blanks are fed/.test(output)) {
          step = 'paused';
          const id = /batch (\S+): \d+ record\(s\) accepted/.exec(output)?.[1];
          void (async () => {
            if (!id) return child.kill('SIGUSR2');
            seen.paused = await show(id);
            // Cycles under way end; then nothing moves while the stations hold.
            await new Promise((r) => setTimeout(r, 1500));
            seen.settled = await show(id);
            await new Promise((r) => setTimeout(r, 1500));
            seen.later = await show(id);
            child.kill('SIGUSR2');
          })().catch(reject);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      // A run that hangs is stopped, so its output says why instead of a bare test timeout.
      const limit = setTimeout(() => {
        output += '\n[test: the run did not end within 120 s; killed]';
        child.kill('SIGKILL');
      }, 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(limit);
        resolve({ code, output });
      });
    });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/resumed — the stations unhold/);
    expect(seen.paused, run.output).toMatchObject({ status: 'paused' });
    expect((seen.later!.cards as { blanksConsumed: number; good: number }).blanksConsumed).toBe((seen.settled!.cards as { blanksConsumed: number }).blanksConsumed);
    expect((seen.later!.cards as { good: number }).good).toBe((seen.settled!.cards as { good: number }).good);
    // Still records to make while paused: nothing moved because the line was held, not because it was done.
    expect((seen.later!.records as { pending: number }).pending).toBeGreaterThan(0);
    expect(seen.later).toMatchObject({ status: 'paused' });
    const batchId = /batch (\S+) on line cli-line: completed/.exec(run.output)?.[1];
    // The line has no failures configured: a pause costs no card (a held station still takes the job
    // of the card at its infeed; a feed job that met the Hold is sent again, for the same blank).
    expect(await show(batchId!), run.output).toMatchObject({ status: 'reconciled', records: { total: 16, produced: 16, pending: 0 }, cards: { blanksConsumed: 16, spoiled: 0, inLine: 0 } });
    // The paused time is left out of the run's production time and rate (report.json and summary).
    const report = JSON.parse(await readFile(path.join(dir, 'data', 'reports', batchId!, 'report.json'), 'utf8')) as { run: { pausedMs: number; producingMs: number; good: number; cardsPerHour: number } };
    expect(report.run.pausedMs).toBeGreaterThanOrEqual(2500);
    expect(report.run.cardsPerHour).toBe(Math.round((report.run.good * 3_600_000) / report.run.producingMs));
    expect(run.output).toMatch(/completed in \S+, \d\d:\d\d of it paused/);
  }, 180_000);

  it('records no blank stock while the simulated line’s simulator is not running, and says so', async () => {
    const before = jsonLine((await cardline(['stock', 'show', '--line', lineFile, '--json'], { env })).stdout);
    const loaded = await cardline(['stock', 'load', '--line', lineFile, '--count', '25', '--lot', 'L-42'], { env });
    expect(loaded.code, loaded.stderr).toBe(6);
    expect(loaded.stderr).toMatch(/the simulator of line cli-line does not answer on .*: nothing was recorded/);
    expect(jsonLine((await cardline(['stock', 'show', '--line', lineFile, '--json'], { env })).stdout)).toStrictEqual(before);
    const bad = await cardline(['stock', 'load', '--line', lineFile, '--count', 'many'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--count must be a whole number ≥ 1, got 'many'/);
  }, 60_000);

  it('names a batch that does not exist', async () => {
    const r = await cardline(['run', 'no-such-batch', '--line', lineFile], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/batch no-such-batch does not exist/);
  }, 60_000);
});

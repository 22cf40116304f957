/**
 * Issue 20, item 1: a run quit hard (a double Ctrl-C) with the in-process simulator leaves cards
 * the records hold in the line, which the restarted simulator has purged to its reject bin. The
 * batch shows `interrupted`; `run --resume` reconciles those cards with what the line reports
 * (spoiled, reason LINE_PURGED), re-makes their records and ends, and the batch balances against
 * the simulator's ledger with no manual write-off. A signal always ends a run within seconds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFile, summarizeLedger } from '../simulators/ledger.ts';
import { CARDLINE_BIN, cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let lineFile: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-hardquit-'));
  env = (await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { mgr: 'manager' })).mgr;
  lineFile = path.join(dir, 'line.yaml');
  await writeCliLine(lineFile, { id: 'quit-line', timeScale: 20, seed: 9, initialBlanks: 120, serialPrefix: 'Q', cycleMs: 200, encoder: { heads: 3, cycleMs: 900 } });
}, 30_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `cardline run` and sends `signals` once `good N` (N ≥ afterGood) shows, `gapMs` apart. */
function runAndSignal(args: string[], signals: readonly NodeJS.Signals[], afterGood: number, gapMs: number): Promise<{ code: number | null; output: string; msAfterFirstSignal: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'run', ...args, '--line', lineFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let firstAt = 0;
    const onData = (d: string): void => {
      output += d;
      const good = [...output.matchAll(/good (\d+)/g)].map((m) => Number(m[1]));
      if (firstAt === 0 && good.some((n) => n >= afterGood)) {
        firstAt = Date.now();
        signals.forEach((signal, i) => setTimeout(() => child.kill(signal), i * gapMs));
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, msAfterFirstSignal: firstAt === 0 ? -1 : Date.now() - firstAt }));
  });
}

describe('a run quit hard, then resumed', () => {
  it('double Ctrl-C mid-batch: the batch shows interrupted; --resume reconciles the purged cards, ends, and balances against the ledger', async () => {
    const sample = await cardline(['sample', '--count', '24', '--seed', 'hardquit', '--out', path.join(dir, 'in')], { env });
    expect(sample.code, sample.stderr).toBe(0);
    const quit = await runAndSignal([path.join(dir, 'in', 'batch.jsonl')], ['SIGINT', 'SIGINT'], 3, 150);
    expect(quit.code, quit.output).toBe(130);
    expect(quit.msAfterFirstSignal).toBeLessThan(5_000);
    const batchId = /batch (\S+): \d+ record\(s\) accepted/.exec(quit.output)?.[1];
    expect(batchId, quit.output).toBeDefined();

    const before = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(before.status).toBe('interrupted');
    const inLineAtQuit = (before.cards as { inLine: number }).inLine;
    expect(inLineAtQuit, 'the quit left cards the records hold in the line').toBeGreaterThan(0);
    expect((await cardline(['batch', 'list'], { env })).stdout).toMatch(new RegExp(`${batchId}\\s+interrupted`));

    const resumed = await cardline(['run', batchId!, '--line', lineFile, '--resume'], { env });
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    const done = jsonLine((await cardline(['batch', 'show', batchId!, '--json'], { env })).stdout);
    expect(done).toMatchObject({ status: 'reconciled', records: { total: 24, pending: 0 }, cards: { inLine: 0 } });
    const cards = done.cards as { blanksConsumed: number; good: number; spoiled: number };
    expect(cards.blanksConsumed).toBe(cards.good + cards.spoiled);
    // The cards the restarted simulator had purged are spoiled with the line's word for it (a card
    // the output had stacked as the run quit is taken as produced instead).
    const purged = (done.spoiledByReason as Record<string, number>).LINE_PURGED ?? 0;
    expect(purged).toBeGreaterThan(0);
    expect(purged).toBeLessThanOrEqual(inLineAtQuit);

    // Against the simulator's ledger: the stacker holds the good cards, the reject bin the spoiled ones.
    const ledger = await summarizeLedger(ledgerFile(path.join(dir, 'data')));
    expect(ledger.inMachine).toStrictEqual([]);
    expect(ledger.stacker.length).toBe(cards.good);
    expect(ledger.rejectBin.length).toBe(cards.spoiled);
    expect(ledger.fed).toBe(cards.blanksConsumed);
    // Every card spoiled as purged was purged by the restarted simulator; the line may have purged
    // more (a card it had stacked as the run quit counts as produced, not as purged, in the records).
    // It purged only cards fed and not stacked at the quit: those the records held in the line, and
    // those already spoiled by a station's reject gate but still on their way to the reject bin (the
    // records no longer hold them in the line: under load there were 7 purged for 4 or 5 in line), and
    // a blank fed as the run quit whose feed was never committed (UNKNOWN_CARD).
    expect(ledger.purged).toBeGreaterThanOrEqual(purged);
    const atQuit = before.cards as { blanksConsumed: number; good: number };
    const unknown = (done.spoiledByReason as Record<string, number>).UNKNOWN_CARD ?? 0;
    expect(ledger.purged).toBeLessThanOrEqual(atQuit.blanksConsumed - atQuit.good + unknown);
    expect(done.spoiledByReason).not.toHaveProperty('WRITTEN_OFF');
  }, 240_000);

  it('SIGTERM ends a run within seconds', async () => {
    await cardline(['sample', '--count', '12', '--seed', 'sigterm', '--out', path.join(dir, 'in-term')], { env });
    const ended = await runAndSignal([path.join(dir, 'in-term', 'batch.jsonl')], ['SIGTERM'], 1, 0);
    expect(ended.msAfterFirstSignal, ended.output).toBeGreaterThan(0);
    expect(ended.msAfterFirstSignal, ended.output).toBeLessThan(15_000);
    expect(ended.output).toMatch(/aborting/);
  }, 180_000);
});

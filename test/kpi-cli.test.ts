/**
 * `cardline kpi` through the real CLI over a journal written by the line store's own journal (a
 * run of four cards with a jam): the batch's KPIs as JSON and text, the same line over a period, a
 * site file's shifts and its faults, and the refusal without a user. (Each run of the CLI is a
 * process of its own: few of them; the option errors are in test/cli-contract.test.ts.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { PACKML_STATES as S, STOP_REASONS as R } from '../src/plc/packml.ts';
import { LineStore, type JournalOp } from '../src/store/line-store.ts';
import { cardline, cliUsers, jsonLine, writeCliLine } from './helpers/cli.ts';

const LINE = 'kpi-line';
const UNITS = ['feeder', 'encoder.1', 'laser', 'qa', 'output'];
let dir: string;
let env: NodeJS.ProcessEnv;
let batchId: string;
let before: Date;
let after: Date;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function card(serial: string, seq: number, attempt: number, rejectAt?: string): JournalOp[] {
  const ops: JournalOp[] = [{ op: 'card.fed', cardSerial: serial, batchId, seq, attempt, unit: 'feeder' }];
  for (const unit of UNITS) {
    const rejected = unit === rejectAt;
    ops.push({ op: 'event', event: `${unit.split('.')[0]!}.done`, batchId, seq, attempt, cardSerial: serial, unit, reason: rejected ? 'CARD_JAM' : null, detail: { jobId: 1, result: rejected ? 30 : 0 } });
    if (rejected) return [...ops, { op: 'card.ended', cardSerial: serial, status: 'spoiled', unit, reason: 'CARD_JAM', batchId }];
  }
  return [...ops, { op: 'card.ended', cardSerial: serial, status: 'good', unit: 'output', position: seq, batchId }];
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-kpicli-'));
  env = (await cliUsers({ CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' }, { op: 'operator' })).op;
  const sample = await writeSample({ count: 3, seed: 'kpicli', outDir: path.join(dir, 'in'), portraitPool: 1 });
  await mkdir(path.join(dir, 'lines'));
  await writeCliLine(path.join(dir, 'lines', `${LINE}.yaml`), { id: LINE, timeScale: 1, seed: 1, initialBlanks: 5, serialPrefix: 'K', cycleMs: 20 });

  const ctx = await openContext({ ...process.env, ...env });
  try {
    batchId = (await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'test', today: { year: 2026, month: 11, day: 27 } })).batchId;
    const journal = new LineStore(ctx.db, LINE).journal;
    const state = (unit: string, state: number, stopReason: number = R.None): JournalOp => ({ op: 'station', unit, event: 'state', detail: { state, stopReason }, at: new Date().toISOString() });
    before = new Date();
    await pause(20);
    await journal.append({ op: 'batch.status', batchId, status: 'running', actor: 'test' }, ...UNITS.map((u) => state(u, S.Execute)));
    await pause(30);
    await journal.append(...card('K001', 1, 1));
    await journal.append(state('laser', S.Held, R.CardJam), ...card('K002', 2, 1, 'laser'));
    await pause(40);
    await journal.append(state('laser', S.Execute));
    await journal.append(...card('K003', 2, 2), ...card('K004', 3, 1));
    await pause(30);
    await journal.append({ op: 'batch.status', batchId, status: 'completed', actor: 'test' });
    await pause(20);
    after = new Date();
  } finally {
    await ctx.close();
  }
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface KpiJson {
  scope: { kind: string; batchId?: string; linesWithoutPlan: string[] };
  total: { sums: Record<string, number> & { scrapByReason: Record<string, number> }; kpis: Record<string, number | null> };
  lines: { line: string; sums: Record<string, number> }[];
  stations: { station: string; units: number; sums: Record<string, number>; kpis: Record<string, number | null> }[];
  pareto: { byReason: { key: string; count: number }[]; byUnit: { key: string; count: number }[] };
}

function checkRun(k: KpiJson): void {
  const s = k.total.sums;
  expect({ blanks: s.blanks, pq: s.pq, gq: s.gq, sq: s.sq, firstPassGood: s.firstPassGood, failures: s.failures }).toStrictEqual({ blanks: 4, pq: 4, gq: 3, sq: 1, firstPassGood: 2, failures: 1 });
  expect(s.pbtMs).toBe(s.aptMs! + s.adetMs! + s.adotMs!);
  // The laser was held by the jam for about 40 ms of a run of about 120 ms.
  expect(s.adotMs).toBeGreaterThanOrEqual(30);
  expect(s.aptMs).toBeGreaterThan(0);
  expect(k.pareto.byReason).toStrictEqual([{ key: 'CARD_JAM', count: 1, share: 1, cumulativeShare: 1 }]);
  expect(k.pareto.byUnit.map((p) => [p.key, p.count])).toStrictEqual([['laser', 1]]);
  const laser = k.stations.find((st) => st.station === 'laser')!;
  expect({ pq: laser.sums.pq, sq: laser.sums.sq, failures: laser.sums.failures }).toStrictEqual({ pq: 4, sq: 1, failures: 1 });
  expect(k.total.kpis.qualityRatio).toBe(0.75);
  expect(k.total.kpis.effectiveness).not.toBeNull();
  expect(k.scope.linesWithoutPlan).toStrictEqual([]);
}

describe('cardline kpi', () => {
  it('gives a batch’s KPIs as JSON, with the planned run times of its line file', async () => {
    const r = await cardline(['kpi', '--batch', batchId, '--json', '--lines-dir', path.join(dir, 'lines')], { env });
    expect(r.code, r.stderr).toBe(0);
    const k = jsonLine(r.stdout) as unknown as KpiJson;
    expect(k.scope).toMatchObject({ kind: 'batch', batchId });
    checkRun(k);
  }, 120_000);

  it('gives the same for the line over a period, the line named by its file', async () => {
    const period = await cardline(['kpi', '--line', path.join(dir, 'lines', `${LINE}.yaml`), '--from', before.toISOString(), '--to', after.toISOString(), '--json'], { env });
    expect(period.code, period.stderr).toBe(0);
    checkRun(jsonLine(period.stdout) as unknown as KpiJson);
  }, 120_000);

  it('prints the KPIs as text', async () => {
    const r = await cardline(['kpi', '--batch', batchId, '--lines-dir', path.join(dir, 'lines')], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`KPIs of batch ${batchId}`);
    expect(r.stdout).toMatch(new RegExp(`line ${LINE}: OEE +[\\d.]+ % = availability [\\d.]+ % × effectiveness [\\d.]+ % × quality 75.0 %`));
    expect(r.stdout).toContain('cards: 4 blanks, 4 out (3 good, 1 scrap)');
    expect(r.stdout).toContain('rejects by reason: CARD_JAM 1 (100 %)');
  }, 120_000);

  it('reads the shifts of a site file, and names its faults', async () => {
    const site = path.join(dir, 'site.yaml');
    await writeFile(site, 'timeZone: Europe/Berlin\nshifts:\n  - { name: early, start: "05:00", end: "13:00" }\n');
    const r = await cardline(['kpi', '--shift', '2026-12-07/early', '--site', site, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const k = jsonLine(r.stdout) as { from: string; to: string; scope: { timeZone: string } };
    expect([k.from, k.to, k.scope.timeZone]).toStrictEqual(['2026-12-07T04:00:00.000Z', '2026-12-07T12:00:00.000Z', 'Europe/Berlin']);
    await writeFile(site, 'timeZone: Mars/Olympus\n');
    const bad = await cardline(['kpi', '--shift', '2026-12-07/early', '--site', site], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${site}: timeZone: "Mars/Olympus" is not an IANA time zone`);
  }, 120_000);

  it('refuses without a user', async () => {
    const anonymous = await cardline(['kpi', '--batch', batchId], { env: { ...env, CARDLINE_USER: '', CARDLINE_PASSWORD: '' } });
    expect(anonymous.code).toBe(4);
  }, 120_000);
});

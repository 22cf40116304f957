/**
 * The KPIs of a simulated run with known faults (card jams, an e-stop, an operator's pause, blank,
 * chip and engraving failures), computed from the journal, agree with the same KPIs computed here
 * from the simulator's own truth — its PLC states timed by its clock, its ledger of cards — to within
 * one card and 0.5 % of the planned busy time, for the line and for every unit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ledgerFile, readLedger } from '../simulators/ledger.ts';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { runBatch } from '../src/app/run-line.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { computeKpis, type KpiResult } from '../src/kpi/compute.ts';
import type { KpiEvent } from '../src/kpi/events.ts';
import { linePlan } from '../src/kpi/line-plan.ts';
import { ratios, type KpiSums } from '../src/kpi/sums.ts';
import { writeSample } from '../src/sample/generate.ts';
import { KpiStore } from '../src/store/kpi-store.ts';

const COUNT = 40;
const TIME_SCALE = 3;
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TIMES = ['pbtMs', 'aptMs', 'adetMs', 'adotMs', 'pdotMs'] as const;

function timesOf(s: KpiSums): Record<(typeof TIMES)[number], number> {
  return Object.fromEntries(TIMES.map((k) => [k, Math.round(s[k])])) as Record<(typeof TIMES)[number], number>;
}

describe('KPIs of a simulated run with faults', () => {
  it('agree with the simulator’s clock and ledger: within one card and 0.5 % of the planned busy time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cardline-kpi-sim-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const ctx: AppContext = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    cleanups.push(() => ctx.close());
    const sample = await writeSample({ count: COUNT, seed: 'kpi-sim', outDir: path.join(dir, 'in'), portraitPool: 4 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    expect(imported.accepted).toBe(COUNT);

    const line = testLine({
      id: 'kpi-sim',
      heads: 2,
      initialBlanks: COUNT * 3,
      timeScale: TIME_SCALE,
      heartbeatMs: 200,
      cycleMs: { feeder: 100, encoder: 900, laser: 250, qa: 200, output: 100 },
      opcuaPort: await freePort(),
      failures: {
        feeder: { blankDefect: 0.05 },
        encoder: { chipWriteFailure: 0.04, emptyChipWrite: 0.04 },
        laser: { misregistration: 0.04, jam: 0.02 },
        output: { jam: 0.02 },
      },
    });
    const sim = await LineSimulator.start({ line, dataDir: ctx.dataDir, ports: { control: false } });
    cleanups.push(() => sim.stop());

    // The simulator's truth: every PackML state change of every unit, timed by its clock (wall ms).
    const clock = sim.sim.clock;
    const wallOf = (simMs: number): number => base + simMs / TIME_SCALE;
    const base = Date.now() - clock.now() / TIME_SCALE;
    const truth: KpiEvent[] = [];
    for (const [unit, store] of sim.sim.stores) {
      const record = (): void => void truth.push({ type: 'state', at: wallOf(clock.now()), line: line.id, unit, state: store.get('StateCurrent'), stopReason: store.get('StopReason') });
      record();
      store.onChange((changes, by) => {
        if (by === 'plc' && (changes.StateCurrent !== undefined || changes.StopReason !== undefined)) record();
      });
    }

    const faults: string[] = [];
    let control: { pause(): boolean; resume(): boolean } | undefined;
    const result = await runBatch(ctx, {
      lineFile: 'kpi-sim (test)',
      line,
      batchId: imported.batchId,
      sim: 'external',
      recoverAfterMs: 300,
      onStarted: (c) => (control = c),
      onProgress: (p) => {
        if (p.good >= COUNT * 0.3 && faults.length === 0) {
          faults.push('e-stop');
          sim.control.eStop('laser');
        }
        if (p.good >= COUNT * 0.6 && faults.length === 1 && control?.pause()) {
          faults.push('pause');
          setTimeout(() => control!.resume(), 800);
        }
      },
    });
    expect(faults).toStrictEqual(['e-stop', 'pause']);
    expect(result.status).toBe('completed');

    const store = new KpiStore(ctx.db);
    const span = (await store.batchSpan(imported.batchId))!;
    expect(span.lines).toStrictEqual([line.id]);
    const from = span.from.getTime();
    const to = span.to.getTime();
    const options = { from, to, batchId: imported.batchId, plans: [linePlan(line)] };
    const journalEvents = await store.events(span.from, new Date(to + 1), { lines: [line.id] });
    const fromJournal = computeKpis(journalEvents, options);

    // The same KPIs from the simulator: its states, its ledger's cards, over the journal's run.
    const ledger = await readLedger(ledgerFile(ctx.dataDir));
    const simEvents: KpiEvent[] = [...truth, ...journalEvents.filter((e) => e.type === 'run')];
    for (const entry of ledger) {
      const at = wallOf(entry.sim);
      if (entry.ev === 'fed') simEvents.push({ type: 'fed', at, line: line.id, batchId: imported.batchId, seq: 0, card: entry.card });
      else if (entry.ev === 'stacked') simEvents.push({ type: 'ended', at, line: line.id, unit: entry.station, batchId: imported.batchId, seq: 0, attempt: 0, card: entry.card, good: true, reason: null });
      else if (entry.ev === 'rejected' || entry.ev === 'purged') simEvents.push({ type: 'ended', at, line: line.id, unit: entry.unit, batchId: imported.batchId, seq: 0, attempt: 0, card: entry.card, good: false, reason: entry.reason });
    }
    simEvents.sort((a, b) => a.at - b.at);
    const fromSim = computeKpis(simEvents, options);

    const lineOf = (r: KpiResult): KpiSums => r.lines.find((l) => l.line === line.id)!.sums;
    const j = lineOf(fromJournal);
    const s = lineOf(fromSim);
    const tolerance = 0.005 * s.pbtMs;
    const report = { journal: { ...timesOf(j), blanks: j.blanks, gq: j.gq, sq: j.sq }, simulator: { ...timesOf(s), blanks: s.blanks, gq: s.gq, sq: s.sq }, tolerance };
    // The faults cost time: down (jams, the e-stop) and planned down (the pause).
    expect(s.adotMs, JSON.stringify(report)).toBeGreaterThan(300);
    expect(s.pdotMs, JSON.stringify(report)).toBeGreaterThan(500);
    for (const k of TIMES) expect(Math.abs(j[k] - s[k]), `line ${k}: ${JSON.stringify(report)}`).toBeLessThanOrEqual(tolerance);
    expect(s.sq).toBeGreaterThan(0);
    for (const k of ['blanks', 'gq', 'sq', 'pq'] as const) expect(Math.abs(j[k] - s[k]), `line ${k}: ${JSON.stringify(report)}`).toBeLessThanOrEqual(1);
    expect(Math.abs(ratios(j).qualityRatio! - ratios(s).qualityRatio!)).toBeLessThan(2 / s.pq);
    // Every unit's time, by element.
    for (const u of fromSim.units) {
      const ju = fromJournal.units.find((x) => x.unit === u.unit)!;
      for (const k of TIMES) expect(Math.abs(ju.sums[k] - u.sums[k]), `${u.unit} ${k}: journal ${JSON.stringify(timesOf(ju.sums))}, simulator ${JSON.stringify(timesOf(u.sums))}`).toBeLessThanOrEqual(tolerance);
    }
    console.log(`kpi-sim: ${JSON.stringify(report)}`);
  }, 180_000);
});

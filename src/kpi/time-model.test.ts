/**
 * The PackML time model on a scenario derived by hand (the figures are in the comments): every
 * unit's and the line's time elements, failures, the quantities of a batch and its first-pass yield,
 * QA's findings attributed to the encoder head that wrote the chip, and another batch left out.
 */
import { describe, expect, it } from 'vitest';
import { PACKML_STATES as S, STOP_REASONS as R } from '../plc/packml.ts';
import { computeKpis } from './compute.ts';
import type { KpiEvent } from './events.ts';
import type { LinePlan } from './line-plan.ts';
import { kpiReport } from './report.ts';
import { ratios } from './sums.ts';
import { timeElement } from './time-model.ts';

const T0 = Date.UTC(2026, 11, 7, 1, 0);
const s = (seconds: number): number => T0 + seconds * 1000;
const L = 'line-a';

const plan: LinePlan = {
  id: L,
  priMs: 5000,
  units: new Map([
    ['feeder', { station: 'feeder', kind: 'feeder', priMs: 1000 }],
    ['encoder.1', { station: 'encoder', kind: 'encoder', priMs: 4000 }],
    ['encoder.2', { station: 'encoder', kind: 'encoder', priMs: 4000 }],
    ['qa', { station: 'qa', kind: 'qa', priMs: 1000 }],
    ['output', { station: 'output', kind: 'output', priMs: 500 }],
  ]),
};

const state = (at: number, unit: string, st: number, stopReason: number = R.None): KpiEvent => ({ type: 'state', at: s(at), line: L, unit, state: st, stopReason });
const run = (at: number, batchId: string, status: string): KpiEvent => ({ type: 'run', at: s(at), line: L, batchId, status });
const done = (at: number, unit: string, card: string, seq: number, result = 0, batchId = 'B1'): KpiEvent => ({ type: 'done', at: s(at), line: L, unit, kind: unit.split('.')[0]!, batchId, seq, card, result });
const fed = (at: number, card: string, seq: number, batchId = 'B1'): KpiEvent => ({ type: 'fed', at: s(at), line: L, batchId, seq, card });
const ended = (at: number, unit: string, card: string, seq: number, attempt: number, reason: string | null, batchId = 'B1'): KpiEvent => ({ type: 'ended', at: s(at), line: L, unit, batchId, seq, attempt, card, good: reason === null, reason });

const UNITS = ['feeder', 'encoder.1', 'encoder.2', 'qa', 'output'];

/*
 * Batch B2 ran from −50 s to −10 s, every unit in Execute. Batch B1 from 0 s to 100 s, paused by
 * the operator from 80 s to 90 s (every unit Held, StopReason Operator):
 * - feeder: Execute, Suspended Starved 40–50 → APT 80, ADET 10, PDOT 10.
 * - encoder.1: Held CardJam 20–30, Unholding 30–31 → APT 79, ADOT 11, one failure.
 * - encoder.2: Starting 0–2, link lost 60–65 → APT 83, ADET 2, ADOT 5, one failure.
 * - qa: e-stopped at 95 → APT 85, ADOT 5, one failure.
 * - output: APT 90.
 * The line: 0–2 ADET (starting), 2–20 APT, 20–31 ADOT, 31–40 APT, 40–50 ADET (starved), 50–60 APT,
 * 60–65 ADOT, 65–80 APT, 80–90 PDOT, 90–95 APT, 95–100 ADOT → APT 57, ADET 12, ADOT 21, PDOT 10,
 * PBT 90, three failures.
 * Cards of B1: c1 (record 1) good at once; c2 (record 2) failed QA (CHIP_UNREADABLE: its chip came
 * from encoder.2); c3 (record 2 again) jammed in encoder.1; c4 (record 2, third attempt) good; c5
 * (record 3) a defective blank; c6 (record 3 again) good → 6 blanks, 3 good, 3 spoiled; first-pass
 * yield 1 good at the first attempt ÷ 3 records inspected.
 */
function scenario(): KpiEvent[] {
  const e: KpiEvent[] = [run(-50, 'B2', 'running'), ...UNITS.map((u) => state(-50, u, S.Execute))];
  e.push(fed(-30, 'x1', 1, 'B2'), done(-30, 'feeder', 'x1', 1, 0, 'B2'), ended(-20, 'output', 'x1', 1, 1, null, 'B2'));
  e.push(run(-10, 'B2', 'completed'));
  e.push(run(0, 'B1', 'running'), state(0, 'encoder.2', S.Starting), state(2, 'encoder.2', S.Execute));
  e.push(fed(1, 'c1', 1), done(1, 'feeder', 'c1', 1), done(5, 'encoder.1', 'c1', 1), done(10, 'qa', 'c1', 1), done(12, 'output', 'c1', 1), ended(12, 'output', 'c1', 1, 1, null));
  e.push(fed(3, 'c2', 2), done(3, 'feeder', 'c2', 2), done(8, 'encoder.2', 'c2', 2), done(14, 'qa', 'c2', 2), done(16, 'output', 'c2', 2), ended(16, 'output', 'c2', 2, 1, 'CHIP_UNREADABLE'));
  e.push(state(20, 'encoder.1', S.Held, R.CardJam), fed(20, 'c3', 2), done(20, 'feeder', 'c3', 2), done(25, 'encoder.1', 'c3', 2, 30), ended(25, 'encoder.1', 'c3', 2, 2, 'CARD_JAM'));
  e.push(state(30, 'encoder.1', S.Unholding, R.CardJam), state(31, 'encoder.1', S.Execute));
  e.push(fed(35, 'c4', 2), done(35, 'feeder', 'c4', 2), done(40, 'encoder.2', 'c4', 2), done(45, 'qa', 'c4', 2), done(47, 'output', 'c4', 2), ended(47, 'output', 'c4', 2, 3, null));
  e.push(state(40, 'feeder', S.Suspended, R.Starved), state(50, 'feeder', S.Execute));
  e.push(fed(50, 'c5', 3), done(50, 'feeder', 'c5', 3, 31), ended(50, 'feeder', 'c5', 3, 1, 'BLANK_DEFECT'));
  e.push(fed(52, 'c6', 3), done(52, 'feeder', 'c6', 3), done(56, 'encoder.1', 'c6', 3), done(58, 'qa', 'c6', 3), done(59, 'output', 'c6', 3), ended(59, 'output', 'c6', 3, 2, null));
  e.push({ type: 'link', at: s(60), line: L, unit: 'encoder.2', up: false }, { type: 'link', at: s(65), line: L, unit: 'encoder.2', up: true });
  e.push(run(80, 'B1', 'paused'), ...UNITS.map((u) => state(80, u, S.Held, R.Operator)));
  e.push(run(90, 'B1', 'running'), ...UNITS.map((u) => state(90, u, S.Execute)));
  e.push(state(95, 'qa', S.Aborting, R.EmergencyStop), state(95.2, 'qa', S.Aborted, R.EmergencyStop));
  e.push(run(100, 'B1', 'completed'));
  // Stable: events of one instant keep their order.
  return e.map((x, i) => [x, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([x]) => x);
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

describe('the PackML time model', () => {
  it('maps states to ISO 22400 time elements', () => {
    expect(timeElement(S.Execute, R.None, true)).toBe('apt');
    expect(timeElement(S.Suspended, R.Starved, true)).toBe('adet');
    expect(timeElement(S.Suspended, R.Blocked, true)).toBe('adet');
    expect(timeElement(S.Held, R.Operator, true)).toBe('pdot');
    expect(timeElement(S.Held, R.CardJam, true)).toBe('adot');
    expect(timeElement(S.Aborted, R.EmergencyStop, true)).toBe('adot');
    expect(timeElement(S.Stopped, R.Fault, true)).toBe('adot');
    expect(timeElement(S.Stopped, R.None, true)).toBe('adet');
    expect(timeElement(S.Execute, R.None, false)).toBe('adot');
  });

  it('attributes every unit’s and the line’s time, counts failures, and keeps to the batch asked for', () => {
    const result = computeKpis(scenario(), { from: s(-50), to: s(100), batchId: 'B1', plans: [plan], bucketMs: 75_000 });
    const times = Object.fromEntries(result.units.map((u) => [u.unit, { apt: seconds(u.sums.aptMs), adet: seconds(u.sums.adetMs), adot: seconds(u.sums.adotMs), pdot: seconds(u.sums.pdotMs), pbt: seconds(u.sums.pbtMs), failures: u.sums.failures }]));
    expect(times).toStrictEqual({
      feeder: { apt: 80, adet: 10, adot: 0, pdot: 10, pbt: 90, failures: 0 },
      'encoder.1': { apt: 79, adet: 0, adot: 11, pdot: 10, pbt: 90, failures: 1 },
      'encoder.2': { apt: 83, adet: 2, adot: 5, pdot: 10, pbt: 90, failures: 1 },
      qa: { apt: 85, adet: 0, adot: 5, pdot: 10, pbt: 90, failures: 1 },
      output: { apt: 90, adet: 0, adot: 0, pdot: 10, pbt: 90, failures: 0 },
    });
    const line = result.lines[0]!.sums;
    expect({ apt: seconds(line.aptMs), adet: seconds(line.adetMs), adot: seconds(line.adotMs), pdot: seconds(line.pdotMs), pbt: seconds(line.pbtMs), failures: line.failures }).toStrictEqual({ apt: 57, adet: 12, adot: 21, pdot: 10, pbt: 90, failures: 3 });
    expect({ blanks: line.blanks, pq: line.pq, gq: line.gq, sq: line.sq, firstPassGood: line.firstPassGood, inspected: line.inspected }).toStrictEqual({ blanks: 6, pq: 6, gq: 3, sq: 3, firstPassGood: 1, inspected: 3 });
    const k = ratios(line);
    expect(k.firstPassYield).toBeCloseTo(1 / 3, 10);
    expect(k.blanksPerGoodCard).toBe(2);
    expect(k.availability).toBeCloseTo(57 / 90, 10);
    // The line's PRI (5 s) × 6 cards ÷ 57 s of production.
    expect(k.effectiveness).toBeCloseTo(30 / 57, 10);
    expect(k.goodCardsPerHour).toBeCloseTo((3 * 3600) / 90, 10);

    const report = kpiReport(result);
    // Scrap: QA's chip finding is encoder.2's (it wrote the chip), the jam encoder.1's, the blank the feeder's.
    expect(report.pareto.byUnit.map((p) => [p.key, p.count])).toStrictEqual([['encoder.1', 1], ['encoder.2', 1], ['feeder', 1]]);
    expect(report.pareto.byReason.map((p) => [p.key, p.count, p.cumulativeShare])).toStrictEqual([['BLANK_DEFECT', 1, 1 / 3], ['CARD_JAM', 1, 2 / 3], ['CHIP_UNREADABLE', 1, 1]]);
    // The encoder station: its two heads' sums (PQ: c1, c3, c6 on head 1; c2, c4 on head 2).
    const encoder = report.stations.find((st) => st.station === 'encoder')!;
    expect({ units: encoder.units, pq: encoder.sums.pq, sq: encoder.sums.sq, gq: encoder.sums.gq, apt: seconds(encoder.sums.aptMs), pbt: seconds(encoder.sums.pbtMs) }).toStrictEqual({ units: 2, pq: 5, sq: 2, gq: 3, apt: 162, pbt: 180 });
    expect(encoder.kpis.availability).toBeCloseTo(0.9, 10);
    expect(encoder.kpis.mtbfMs).toBe(81_000);
    expect(encoder.kpis.mttrMs).toBe(8_000);
    // Σ PRI × PQ ÷ APT: 4 s × 5 ÷ 162 s.
    expect(encoder.kpis.effectiveness).toBeCloseTo(20 / 162, 10);
    // Buckets of 75 s from −50 s: [−50, 25) holds c1 good, c2 spoiled; [25, 100) the rest; B1's busy time 25 s and 65 s.
    expect(report.throughput.buckets.map((b) => [b.good, b.spoiled, seconds(b.pbtMs)])).toStrictEqual([[1, 1, 25], [2, 2, 65]]);
  });

  it('without a batch, every run on the line counts', () => {
    const result = computeKpis(scenario(), { from: s(-50), to: s(100), plans: [plan] });
    const line = result.lines[0]!.sums;
    expect({ apt: seconds(line.aptMs), pbt: seconds(line.pbtMs), blanks: line.blanks, gq: line.gq }).toStrictEqual({ apt: 97, pbt: 130, blanks: 7, gq: 4 });
  });

  it('a unit named only by a card (the controller’s `line` for a card the line purged) has no state and holds no line time', () => {
    const purged = ended(70, 'line', 'c7', 4, 1, 'LINE_PURGED');
    const events = [...scenario()];
    events.splice(events.findIndex((e) => e.at > s(70)), 0, purged);
    const plain = computeKpis(scenario(), { from: s(0), to: s(100), batchId: 'B1', plans: [plan] }).lines[0]!.sums;
    const withPurge = computeKpis(events, { from: s(0), to: s(100), batchId: 'B1', plans: [plan] });
    const line = withPurge.lines[0]!.sums;
    expect([line.aptMs, line.adetMs, line.adotMs, line.pbtMs, line.sq]).toStrictEqual([plain.aptMs, plain.adetMs, plain.adotMs, plain.pbtMs, plain.sq + 1]);
    expect(withPurge.units.find((u) => u.unit === 'line')!.sums).toMatchObject({ pbtMs: 0, sq: 1 });
  });

  it('clips times to the period: the state at its start comes from before it', () => {
    const result = computeKpis(scenario(), { from: s(25), to: s(45), batchId: 'B1', plans: [plan] });
    const unit = result.units.find((u) => u.unit === 'encoder.1')!.sums;
    // Held 25–30, Unholding 30–31, Execute 31–45.
    expect({ apt: seconds(unit.aptMs), adot: seconds(unit.adotMs), failures: unit.failures }).toStrictEqual({ apt: 14, adot: 6, failures: 0 });
    // c3 ended at 25 (in), c4 at 47 (out).
    expect(result.lines[0]!.sums.sq).toBe(1);
  });
});

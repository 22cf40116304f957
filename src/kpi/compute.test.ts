/**
 * The KPIs on worked examples with published figures, a roll-up where averaging percentages would
 * be wrong, and the PackML time model on a hand-derived scenario.
 */
import { describe, expect, it } from 'vitest';
import { PACKML_STATES as S, STOP_REASONS as R } from '../plc/packml.ts';
import { computeKpis } from './compute.ts';
import type { KpiEvent } from './events.ts';
import type { LinePlan } from './line-plan.ts';
import { ratios, rollUp } from './sums.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 7, 0, 0);

/** A one-unit line `id` whose unit `press` has the planned run time `priMs`. */
function onePressPlan(id: string, priMs: number): LinePlan {
  return { id, priMs, units: new Map([['press', { station: 'press', kind: 'press', priMs }]]) };
}

type Segment = readonly ['execute' | 'break' | 'jam', number];

/**
 * The journal of one shift of a one-unit line: a run from `start` over the segments (Execute, an
 * operator's Hold for a break, a Hold by a jam), `total` cards made evenly over the Execute time,
 * `reject` of them spoiled (evenly spread), each card's Done and end at the same instant.
 */
function shiftEvents(line: string, start: number, segments: readonly Segment[], total: number, reject: number, batchId = 'B1'): KpiEvent[] {
  const events: KpiEvent[] = [{ type: 'run', at: start, line, batchId, status: 'running' }];
  let t = start;
  const executing: [number, number][] = [];
  for (const [what, minutes] of segments) {
    const state = what === 'execute' ? { state: S.Execute, stopReason: R.None } : { state: S.Held, stopReason: what === 'break' ? R.Operator : R.CardJam };
    events.push({ type: 'state', at: t, line, unit: 'press', ...state });
    if (what === 'execute') executing.push([t, t + minutes * MIN]);
    t += minutes * MIN;
  }
  events.push({ type: 'run', at: t, line, batchId, status: 'completed' });
  const executeMs = executing.reduce((n, [a, b]) => n + b - a, 0);
  for (let i = 0; i < total; i += 1) {
    // The i-th card at (i + 0.5) / total of the Execute time.
    let offset = ((i + 0.5) / total) * executeMs;
    let at = 0;
    for (const [a, b] of executing) {
      if (offset < b - a) {
        at = a + offset;
        break;
      }
      offset -= b - a;
    }
    const spoiled = Math.floor(((i + 1) * reject) / total) > Math.floor((i * reject) / total);
    const card = `C${i}`;
    events.push({ type: 'done', at, line, unit: 'press', kind: 'press', batchId, seq: i + 1, card, result: spoiled ? 30 : 0 });
    events.push({ type: 'ended', at, line, unit: 'press', batchId, seq: i + 1, attempt: 1, card, good: !spoiled, reason: spoiled ? 'CARD_JAM' : null });
  }
  return events.sort((a, b) => a.at - b.at);
}

/**
 * Vorne Industries, OEE.com, "OEE Calculation" (the worked example of the preferred calculation):
 * shift length 480 min, breaks 60 min (two 15-minute breaks, one 30-minute meal), stop time 47 min,
 * ideal cycle time 1.0 s, total count 19,271, reject count 423 → planned production time 420 min,
 * run time 373 min, good count 18,848; Availability 88.81 %, Performance 86.11 %, Quality 97.80 %,
 * OEE 74.79 %. In ISO 22400-2 terms: PBT 420 min, APT 373 min, ADOT 47 min, PRI 1 s, PQ 19,271,
 * GQ 18,848; performance is ISO's effectiveness.
 */
const OEE_COM: readonly Segment[] = [
  ['execute', 120],
  ['break', 15],
  ['execute', 105],
  ['break', 30],
  ['execute', 30],
  ['jam', 47],
  ['execute', 118],
  ['break', 15],
];

/**
 * Vorne Industries, "Calculating OEE Worksheet" (©2002–2005, www.oee.com): shift 3,240 min, meal
 * breaks and set-up 360 min, down time 960 min, ideal run rate 1.041 pieces a minute, total 1,626
 * pieces, 8 rejects → planned production time 2,780 min, operating time 1,820 min, good 1,618;
 * Availability 65.47 %, Performance 85.82 %, Quality 99.50 %, OEE 55.90 %.
 */
const VORNE_WORKSHEET: readonly Segment[] = [
  ['execute', 1000],
  ['break', 360],
  ['execute', 820],
  ['jam', 960],
];

describe('worked examples with published figures', () => {
  it('OEE.com: availability 88.81 %, performance 86.11 %, quality 97.80 %, OEE 74.79 %, for the unit and its line', () => {
    const events = shiftEvents('l1', T0, OEE_COM, 19_271, 423);
    const result = computeKpis(events, { from: T0, to: T0 + 480 * MIN, plans: [onePressPlan('l1', 1000)] });
    const unit = result.units[0]!;
    const line = result.lines[0]!;
    for (const sums of [unit.sums, line.sums]) {
      expect({ pbt: sums.pbtMs / MIN, apt: sums.aptMs / MIN, adot: sums.adotMs / MIN, pdot: sums.pdotMs / MIN, pq: sums.pq, gq: sums.gq, sq: sums.sq }).toStrictEqual({ pbt: 420, apt: 373, adot: 47, pdot: 60, pq: 19_271, gq: 18_848, sq: 423 });
      const k = ratios(sums);
      expect(k.availability).toBeCloseTo(0.8881, 4);
      expect(k.effectiveness).toBeCloseTo(0.8611, 4);
      expect(k.qualityRatio).toBeCloseTo(0.978, 4);
      expect(k.oee).toBeCloseTo(0.7479, 4);
      // One jam: MTBF = APT / 1, MTTR = ADOT / 1.
      expect(k.mtbfMs).toBe(373 * MIN);
      expect(k.mttrMs).toBe(47 * MIN);
      // 18,848 good cards in 7 h of planned busy time.
      expect(k.goodCardsPerHour).toBeCloseTo(18_848 / 7, 6);
    }
  });

  it('Vorne worksheet: availability 65.47 %, performance 85.82 %, quality 99.50 %, OEE 55.90 %', () => {
    const pri = 60_000 / 1.041;
    const events = shiftEvents('l2', T0, VORNE_WORKSHEET, 1_626, 8);
    const k = ratios(computeKpis(events, { from: T0, to: T0 + 3240 * MIN, plans: [onePressPlan('l2', pri)] }).lines[0]!.sums);
    expect(k.availability).toBeCloseTo(0.6547, 4);
    expect(k.effectiveness).toBeCloseTo(0.8582, 4);
    expect(k.qualityRatio).toBeCloseTo(0.995, 3);
    expect(k.oee).toBeCloseTo(0.559, 3);
  });
});

describe('roll-up', () => {
  it('two shifts of one unit roll up from their sums; the average of their percentages is a different, wrong answer', () => {
    // Shift 1: OEE.com's (PBT 420 min, OEE 74.79 %). Shift 2, derived by hand: a 240-minute shift
    // with no break, 120 min down, 6,000 cards (PRI 1 s: effectiveness 6,000 s ÷ 7,200 s = 83.33 %),
    // 600 rejects (quality 90 %): availability 50 %, OEE 0.5 × 0.8333 × 0.9 = 37.5 %.
    // Together: APT 373 + 120 = 493 min of PBT 420 + 240 = 660 min → availability 74.70 %;
    // OEE = PRI × GQ ÷ PBT = (18,848 + 5,400) s ÷ 39,600 s = 61.23 %. Averaging the shifts'
    // percentages gives availability (88.81 + 50) ÷ 2 = 69.40 % and OEE (74.79 + 37.5) ÷ 2 = 56.15 %.
    const shift2Start = T0 + 480 * MIN;
    const events = [...shiftEvents('l1', T0, OEE_COM, 19_271, 423, 'B1'), ...shiftEvents('l1', shift2Start, [['execute', 60], ['jam', 120], ['execute', 60]], 6_000, 600, 'B2')];
    for (const [i, e] of events.entries()) if (e.type === 'done' || e.type === 'ended') events[i] = { ...e, card: `${e.batchId}-${e.card}` };
    events.sort((a, b) => a.at - b.at);
    const plans = [onePressPlan('l1', 1000)];
    const one = computeKpis(events, { from: T0, to: shift2Start, plans }).lines[0]!.sums;
    const two = computeKpis(events, { from: shift2Start, to: shift2Start + 240 * MIN, plans }).lines[0]!.sums;
    const both = computeKpis(events, { from: T0, to: shift2Start + 240 * MIN, plans }).lines[0]!.sums;

    expect(ratios(two).availability).toBeCloseTo(0.5, 10);
    expect(ratios(two).oee).toBeCloseTo(0.375, 10);
    // The period's own KPIs and the roll-up of the shifts' sums are the same thing.
    expect(ratios(rollUp([one, two]))).toStrictEqual(ratios(both));
    const rolled = ratios(both);
    expect(rolled.availability).toBeCloseTo(493 / 660, 10);
    expect(rolled.oee).toBeCloseTo(24_248 / 39_600, 10);
    const averaged = (ratios(one).oee! + ratios(two).oee!) / 2;
    expect(averaged).toBeCloseTo(0.5615, 4);
    expect(Math.abs(rolled.oee! - averaged)).toBeGreaterThan(0.05);
    expect(Math.abs(rolled.availability! - (ratios(one).availability! + ratios(two).availability!) / 2)).toBeGreaterThan(0.05);
  });
});

/**
 * Properties of the virtual-time engine on random small lines (fast-check): at every event every
 * card fed is good, spoiled or still in the line (and the ones in the line are where the engine
 * says), no buffer holds fewer than none or more than its capacity, the clock never goes back; the
 * same seed gives the same run, bit for bit. And the fate the engine draws for a card is the one
 * the real-time simulator's physics (doWork) gives the same draws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLineConfig, type LineConfig } from '../../src/config/line-config.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import { Rng, seedWords } from '../../src/sample/rng.ts';
import { stationKinds, type StationKind } from '../../src/stations/kinds.ts';
import { Card } from '../model/card.ts';
import { DEFECT_EFFECTS, doWork, drawFate, type OutputBins, type StationFailures } from '../model/physics.ts';
import { MISREGISTRATION_MM } from '../model/surface.ts';
import { jobFor } from '../testing/jobs.ts';
import type { KpiEvent } from '../../src/kpi/events.ts';
import { runLine, type EngineProbe, type Schedule } from './engine.ts';

const distribution = fc.constantFrom('normal', 'lognormal', 'fixed', 'deterministic', 'exponential');
const cycle = fc.record({ meanMs: fc.integer({ min: 50, max: 5000 }), sdMs: fc.integer({ min: 0, max: 500 }), distribution });
const p = fc.double({ min: 0, max: 0.15, noNaN: true });
const buffer = fc.oneof(fc.constant<number | 'unlimited'>('unlimited'), fc.integer({ min: 0, max: 3 }));

/** A random line: every required station, maybe a packer, random cycles, failures, buffers, WIP, downtime. */
const lines = fc
  .record({
    heads: fc.integer({ min: 1, max: 4 }),
    cycles: fc.array(cycle, { minLength: 6, maxLength: 6 }),
    buffers: fc.array(buffer, { minLength: 6, maxLength: 6 }),
    staging: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    jam: p,
    blankDefect: p,
    chipWriteFailure: p,
    emptyChipWrite: p,
    misregistration: p,
    ocrMismatch: p,
    packer: fc.boolean(),
    wip: fc.oneof(fc.constant<number | 'unlimited' | undefined>(undefined), fc.constant('unlimited' as const), fc.integer({ min: 1, max: 12 })),
    transferMs: fc.integer({ min: 0, max: 500 }),
    stackerCapacity: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
    downtime: fc.option(fc.record({ mtbfMs: fc.integer({ min: 5_000, max: 200_000 }), mttrMs: fc.integer({ min: 100, max: 20_000 }), repair: fc.constantFrom('exponential', 'lognormal') }), { nil: undefined }),
  })
  .map((r): LineConfig => {
    const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output', ...(r.packer ? ['packer'] : [])];
    const failures: Record<string, Record<string, number>> = {
      feeder: { blankDefect: r.blankDefect, jam: r.jam },
      encoder: { chipWriteFailure: r.chipWriteFailure, emptyChipWrite: r.emptyChipWrite, jam: r.jam },
      laser: { misregistration: r.misregistration, jam: r.jam },
      qa: { ocrMismatch: r.ocrMismatch },
      output: { jam: r.jam },
      packer: { jam: r.jam },
    };
    return parseLineConfig(
      {
        id: 'prop',
        simulation: { seed: 1, transferMs: r.transferMs, stackerUnloadMs: 5000, ...(r.wip === undefined ? {} : { wip: r.wip }), opcua: { host: '127.0.0.1', port: 4840 } },
        stations: kinds.map((kind, i) => ({
          id: kind,
          kind,
          transport: 'opcua',
          cycle: r.cycles[i],
          failures: failures[kind],
          buffer: r.buffers[i],
          staging: r.staging[i],
          ...(kind === 'encoder' ? { heads: r.heads, ...(r.downtime ? { downtime: r.downtime } : {}) } : {}),
          ...(kind === 'output' && r.stackerCapacity !== undefined ? { stackerCapacity: r.stackerCapacity } : {}),
        })),
      },
      'property line',
    );
  });

/** No planned stops, or one or two in a short period (a break, the hours off). */
const schedules = fc.option(
  fc.record({ period: fc.integer({ min: 20_000, max: 120_000 }), cuts: fc.uniqueArray(fc.double({ min: 0.05, max: 0.95, noNaN: true }), { minLength: 2, maxLength: 4 }) }).map(({ period, cuts }): Schedule => {
    const at = [...cuts].sort((x, y) => x - y).map((c) => Math.round(c * period));
    const stops = [];
    for (let i = 0; i + 1 < at.length; i += 2) if (at[i + 1]! > at[i]!) stops.push({ fromMs: at[i]!, toMs: at[i + 1]! });
    return { periodMs: period, stops };
  }),
  { nil: null },
);

describe('the virtual-time engine (properties)', () => {
  it('conserves cards at every event, keeps buffers within 0 and their capacity, and never turns the clock back', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 120 }), schedules, (line, seed, cards, schedule) => {
        let last = 0;
        let journaled = 0;
        let events = 0;
        const problems: string[] = [];
        const onEvent = (e: EngineProbe): void => {
          events += 1;
          if (e.now < last) problems.push(`clock went back from ${last} to ${e.now}`);
          last = e.now;
          if (e.fed !== e.good + e.spoiled + e.inLine) problems.push(`fed ${e.fed} ≠ good ${e.good} + spoiled ${e.spoiled} + in line ${e.inLine} at ${e.now}`);
          if (e.located !== e.inLine) problems.push(`${e.located} cards found in the line, ${e.inLine} counted, at ${e.now}`);
          for (const b of e.buffers) if (b.cards < 0 || b.cards > b.capacity) problems.push(`buffer of ${b.station}: ${b.cards} of ${b.capacity}`);
        };
        // The journal comes in time order (the KPIs read it so), and nothing is done in a planned stop.
        const inStop = (t: number): boolean => schedule !== null && schedule.stops.some((st) => t % schedule.periodMs > st.fromMs && t % schedule.periodMs < st.toMs);
        const journal = (e: KpiEvent): void => {
          if (e.at < journaled) problems.push(`journal went back from ${journaled} to ${e.at}`);
          journaled = e.at;
          if ((e.type === 'done' || e.type === 'fed') && inStop(e.at)) problems.push(`${e.type} at ${e.at}, in a planned stop`);
        };
        const r = runLine({ line, seed, cards, onEvent, journal, ...(schedule ? { schedule } : {}) });
        expect(problems.slice(0, 3)).toStrictEqual([]);
        expect(events).toBeGreaterThan(0);
        // The batch ends: every record produced or failed, nothing left in the line.
        expect(r.records.produced + r.records.failed).toBe(cards);
        expect(r.good).toBe(r.records.produced);
        expect(r.fed).toBe(r.good + r.spoiled + r.inLineAtEnd);
        expect(r.inLineAtEnd).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same run, bit for bit, for the same seed — and another for another seed', () => {
    fc.assert(
      fc.property(lines, fc.integer({ min: 1, max: 10_000 }), (line, seed) => {
        const a = runLine({ line, seed, hours: 0.5 });
        const b = runLine({ line, seed, hours: 0.5 });
        expect(b).toStrictEqual(a);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 25 },
    );
  });

  it('a different seed gives a different run (of a line with randomness)', () => {
    const line = fc.sample(lines, { seed: 42, numRuns: 1 })[0]!;
    const noisy: LineConfig = { ...line, stations: line.stations.map((s) => ({ ...s, cycle: { ...s.cycle, distribution: 'exponential' as const } })) };
    expect(runLine({ line: noisy, seed: 1, hours: 1 }).digest).not.toBe(runLine({ line: noisy, seed: 2, hours: 1 }).digest);
  });
});

describe('one fate for a card in both simulators', () => {
  const none: StationFailures = { jam: 0, blankDefect: 0, chipWriteFailure: 0, emptyChipWrite: 0, partialChipWrite: 0, misregistration: 0, ocrMismatch: 0 };
  const bins: OutputBins = {
    stackerFull: () => false,
    stack: () => 1,
    reject: () => undefined,
    pack: () => ({ ok: true, count: 1 }),
  };
  const reported: Partial<Record<string, number>> = { blankDefect: RESULT_CODES.BlankDefect, chipWriteFailure: RESULT_CODES.ChipWriteFailed };

  it('drawFate draws what doWork does: a jam is CardJam, a reported defect its result code, any other Good', () => {
    const kinds: StationKind[] = ['feeder', 'encoder', 'laser'];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.integer({ min: 1, max: 1_000_000 }), fc.record({ jam: p, blankDefect: fc.double({ min: 0, max: 0.5, noNaN: true }), chipWriteFailure: fc.double({ min: 0, max: 0.3, noNaN: true }), emptyChipWrite: p, partialChipWrite: p, misregistration: fc.double({ min: 0, max: 0.5, noNaN: true }) }), (kind, seq, f) => {
        const failures = { ...none, ...f };
        const words = seedWords(7);
        const key = stationKinds().indexOf(kind);
        const fate = drawFate(kind, false, Rng.stream(words, seq, key), failures);
        const card = new Card(`T${seq}`, seq, 'test', kind);
        const outcome = doWork(kind, card, jobFor(kind, 1), Rng.stream(words, seq, key), failures, bins);
        const defect = fate.kind.defect;
        const expected = fate.jam ? RESULT_CODES.CardJam : defect !== undefined && DEFECT_EFFECTS[defect] === 'reported' ? reported[defect] : RESULT_CODES.Good;
        expect(outcome.result).toBe(expected);
        if (kind === 'laser' && !fate.jam) expect(card.surface.registrationOffsetMm > MISREGISTRATION_MM).toBe(defect === 'misregistration');
      }),
      { numRuns: 300 },
    );
  });
});

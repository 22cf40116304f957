/**
 * Two fidelities, one answer (issue 19): on each demo line (config/lines/*.yaml), a batch run
 * through the real controller, machines and station links on the virtual clock (line-fidelity.ts)
 * and the same batch in the fast engine (engine.ts) give the same throughput within 1 %, the same
 * bottleneck and busiest stations, and every station's utilization within 2 points.
 *
 * Run length: 60 records a line (about 105 simulated seconds), to keep the test under a minute.
 * The two differ by a constant at the start — the line fidelity's PLCs start Stopped and the
 * station machines take them through Resetting and Starting (2 × 200 ms acting states) before the
 * first card; the fast engine starts producing — so 0.4 s over 105 s, 0.4 %, within the 1 %. The
 * longer comparison (and the speed) is the bench's (bench/simulate.bench.ts, sim_line_fidelity_cards_per_s).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLineConfig } from '../../src/config/line-config.ts';
import { runLine } from './engine.ts';
import { summarize } from './figures.ts';
import { runLineFidelity } from './line-fidelity.ts';

const LINES_DIR = path.resolve(import.meta.dirname, '../../config/lines');
const CARDS = 60;
const demoLines = readdirSync(LINES_DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('the line fidelity against the fast engine', () => {
  it('finds the demo lines', () => {
    expect(demoLines.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses what only the fast engine models (breakdowns, buffers, unstaged units), naming it', async () => {
    const line = await loadLineConfig(path.join(LINES_DIR, 'demo-opcua.yaml'));
    const changed = { ...line, stations: line.stations.map((s) => (s.id === 'laser' ? { ...s, buffer: 4, downtime: { mtbfMs: 3_600_000, mttrMs: 60_000, repair: 'exponential' as const } } : s)) };
    await expect(runLineFidelity({ line: changed, cards: 5 })).rejects.toThrow(/stations\[2\] \(laser\)\.downtime, stations\[2\] \(laser\)\.buffer: only the fast engine models these/);
  });

  it.each(demoLines)('%s: the same throughput (within 1 percent), bottleneck and utilizations (within 2 points)', async (file) => {
    const line = await loadLineConfig(path.join(LINES_DIR, file));
    const fastRun = runLine({ line, cards: CARDS });
    const lineRun = await runLineFidelity({ line, cards: CARDS });
    const seed = String(line.simulation!.seed);
    const fast = summarize(line, seed, [fastRun], { cards: CARDS });
    const reference = summarize(line, seed, [lineRun], { cards: CARDS });

    // Every record went through the real controller: produced or failed, every blank accounted for.
    expect(lineRun.records.produced + lineRun.records.failed).toBe(CARDS);
    expect(lineRun.fed).toBe(lineRun.good + lineRun.spoiled);
    expect(lineRun.inLineAtEnd).toBe(0);

    const ratio = reference.throughputCardsPerH.mean / fast.throughputCardsPerH.mean;
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.01);
    expect(reference.bottleneck.stations).toStrictEqual(fast.bottleneck.stations);
    expect(reference.bottleneck.busiest).toStrictEqual(fast.bottleneck.busiest);
    expect(reference.stations.map((s) => s.id)).toStrictEqual(fast.stations.map((s) => s.id));
    for (const [i, s] of reference.stations.entries()) {
      expect({ station: s.id, off: Math.abs(s.utilization - fast.stations[i]!.utilization) <= 0.02 }).toStrictEqual({ station: s.id, off: true });
    }
  }, 90_000);
});

/**
 * The virtual-time engine against queueing theory (../shared/REFERENCE.md, "Queueing facts"), on
 * the dedicated line files of test-lines/ (unlimited WIP and buffers, instant transfers, no
 * failures), each with its file's fixed seed and a stated length:
 * - M/M/c (test-lines/mmc.yaml, c = 3, ρ = 2/3, 250 simulated hours ≈ 300,000 cards, first hour
 *   left out): utilization, mean wait Wq and mean queue Lq from the Erlang C formula, within 2 %;
 * - a deterministic line (test-lines/deterministic.yaml): exactly its bottleneck's rate;
 * - a tandem of four M/M/1 stations (test-lines/tandem.yaml, 80 h ≈ 290,000 cards): the Jackson
 *   network's mean sojourn Σ 1/(μᵢ − λ), within 3 %;
 * - the demo line: the encoder (6 × 9 s) and the laser (1.5 s) tie at 0.667 cards/s, reported as a tie.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLineConfig } from '../../src/config/line-config.ts';
import { simulate } from './figures.ts';

const lines = path.join(import.meta.dirname, 'test-lines');
const HOUR = 3_600_000;

/** Erlang C: P(wait), Wq and Lq of an M/M/c queue (rates per ms). */
function erlangC(lambda: number, mu: number, c: number): { pWait: number; wq: number; lq: number; rho: number } {
  const a = lambda / mu;
  const rho = a / c;
  let factorial = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    if (k > 0) factorial *= k;
    sum += a ** k / factorial;
  }
  const top = (a ** c / (factorial * c)) / (1 - rho);
  const pWait = top / (sum + top);
  const wq = pWait / (c * mu - lambda);
  return { pWait, wq, lq: lambda * wq, rho };
}

function within(measured: number, expected: number, tolerance: number): void {
  expect(Math.abs(measured - expected) / expected, `measured ${measured}, expected ${expected} ± ${tolerance * 100} %`).toBeLessThan(tolerance);
}

describe('queueing theory', () => {
  it('an M/M/3 encoder station matches Erlang C: utilization, Wq and Lq within 2 %', async () => {
    const line = await loadLineConfig(path.join(lines, 'mmc.yaml'));
    const f = simulate({ line, hours: 250, warmupMs: HOUR });
    const theory = erlangC(1 / 3000, 1 / 6000, 3);
    expect(theory.wq).toBeCloseTo(2666.67, 1); // 4/9 ÷ (1/2000 − 1/3000) ms: the formula as REFERENCE.md gives it
    const encoder = f.stations.find((s) => s.id === 'encoder')!;
    expect(f.good).toBeGreaterThan(290_000);
    within(encoder.utilization, theory.rho, 0.02);
    within(encoder.meanWaitMs, theory.wq, 0.02);
    within(encoder.meanQueue, theory.lq, 0.02);
  }, 60_000);

  it('a deterministic line without failures runs at exactly its bottleneck rate', async () => {
    const line = await loadLineConfig(path.join(lines, 'deterministic.yaml'));
    const f = simulate({ line, hours: 10, warmupMs: HOUR });
    // 4 heads ÷ 9 s: one card every 2.25 s, 1,600 an hour, 14,400 in the nine hours measured.
    expect(f.bottleneck).toStrictEqual({ stations: ['encoder'], nominalCardsPerH: 1600, tie: false, busiest: ['encoder'] });
    expect(f.good).toBe(14_400);
    expect(f.throughputCardsPerH.mean).toBe(1600);
    expect(f.spoiled).toBe(0);
    expect(f.stations.find((s) => s.id === 'encoder')!.utilization).toBe(1);
  });

  it('a tandem of M/M/1 stations matches the Jackson mean sojourn within 3 %', async () => {
    const line = await loadLineConfig(path.join(lines, 'tandem.yaml'));
    const f = simulate({ line, hours: 80, warmupMs: HOUR });
    const lambda = 1 / 1000;
    const expected = [500, 600, 400, 700].reduce((a, mean) => a + 1 / (1 / mean - lambda), 0);
    expect(expected).toBeCloseTo(5500, 6);
    const sojourn = f.stations.filter((s) => s.id !== 'feeder').reduce((a, s) => a + s.meanSojournMs, 0);
    expect(f.good).toBeGreaterThan(280_000);
    within(sojourn, expected, 0.03);
    // Little's law on the whole line (feeder included): WIP = throughput × lead time.
    within(f.wip.mean, (f.throughputCardsPerH.mean / HOUR) * f.leadTimeMs.mean, 0.01);
  }, 60_000);

  it('reports the demo line’s encoder and laser as a tie at 0.667 cards/s', async () => {
    const line = await loadLineConfig(path.join(import.meta.dirname, '../../config/lines/demo-opcua.yaml'));
    const f = simulate({ line, cards: 500 });
    expect(f.bottleneck.stations).toStrictEqual(['encoder', 'laser']);
    expect(f.bottleneck.tie).toBe(true);
    expect(f.bottleneck.nominalCardsPerH).toBeCloseTo(2400, 6);
  });
});

/**
 * Cycle-time and repair distributions (cycle-time.ts): each has the mean (and spread) it is
 * configured with, each draws exactly two numbers, and the normal draws are unchanged from before
 * the other distributions came (Box–Muller on the same two uniforms).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sample/rng.ts';
import { drawCycleMs, drawRepairMs, drawTimeToFailureMs, meanCycleMs, standardNormal, type CycleDistribution } from './cycle-time.ts';

function sample(cycle: CycleDistribution, n = 200_000, seed = 5): number[] {
  const rng = Rng.from(seed);
  return Array.from({ length: n }, () => drawCycleMs(cycle, rng));
}

function moments(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) };
}

describe('cycle-time distributions', () => {
  it('normal keeps its meaning: mean + sd × the same standard normal, truncated at a tenth of the mean', () => {
    const a = Rng.from(9);
    const b = Rng.from(9);
    for (let i = 0; i < 1000; i++) {
      expect(drawCycleMs({ meanMs: 9000, sdMs: 900, distribution: 'normal' }, a)).toBe(Math.max(900, 9000 + 900 * standardNormal(b)));
    }
    expect(Math.min(...sample({ meanMs: 100, sdMs: 200, distribution: 'normal' }, 10_000))).toBe(10);
  });

  it('fixed and deterministic always give the mean', () => {
    expect(new Set(sample({ meanMs: 1500, sdMs: 60, distribution: 'fixed' }, 100))).toStrictEqual(new Set([1500]));
    expect(new Set(sample({ meanMs: 1500, sdMs: 60, distribution: 'deterministic' }, 100))).toStrictEqual(new Set([1500]));
  });

  it('lognormal and exponential have the configured mean (and sd)', () => {
    const ln = moments(sample({ meanMs: 2000, sdMs: 500, distribution: 'lognormal' }));
    expect(ln.mean).toBeCloseTo(2000, -1);
    expect(ln.sd / 500).toBeCloseTo(1, 1);
    const ex = moments(sample({ meanMs: 3000, sdMs: 0, distribution: 'exponential' }));
    expect(ex.mean / 3000).toBeCloseTo(1, 2);
    expect(ex.sd / 3000).toBeCloseTo(1, 1);
  });

  it('empirical draws each bin by its count, uniformly within it', () => {
    const cycle: CycleDistribution = { meanMs: 0, sdMs: 0, distribution: 'empirical', histogram: { edgesMs: [1000, 2000, 4000, 5000], counts: [1, 0, 3] } };
    const xs = sample(cycle, 100_000);
    expect(xs.every((x) => (x >= 1000 && x < 2000) || (x >= 4000 && x < 5000))).toBe(true);
    expect(xs.filter((x) => x < 2000).length / xs.length).toBeCloseTo(0.25, 2);
    expect(meanCycleMs(cycle)).toBe(0.25 * 1500 + 0.75 * 4500);
    expect(moments(xs).mean / meanCycleMs(cycle)).toBeCloseTo(1, 2);
  });

  it('every distribution draws exactly two numbers, so the draws after it do not move', () => {
    for (const distribution of ['normal', 'lognormal', 'fixed', 'deterministic', 'exponential', 'empirical'] as const) {
      const rng = Rng.from(3);
      drawCycleMs({ meanMs: 100, sdMs: 10, distribution, histogram: { edgesMs: [0, 1], counts: [1] } }, rng);
      const reference = Rng.from(3);
      reference.next();
      reference.next();
      expect(rng.next()).toBe(reference.next());
    }
  });

  it('MTBF/MTTR: exponential times between failures; exponential or lognormal repairs with the configured mean', () => {
    const rng = Rng.from(11);
    const d = { mtbfMs: 3_600_000, mttrMs: 600_000, repair: 'lognormal' as const, repairSdMs: 120_000 };
    const ttf = moments(Array.from({ length: 100_000 }, () => drawTimeToFailureMs(d, rng)));
    expect(ttf.mean / d.mtbfMs).toBeCloseTo(1, 1);
    const repairs = moments(Array.from({ length: 100_000 }, () => drawRepairMs(d, rng)));
    expect(repairs.mean / d.mttrMs).toBeCloseTo(1, 2);
    expect(repairs.sd / 120_000).toBeCloseTo(1, 1);
    const exp = moments(Array.from({ length: 100_000 }, () => drawRepairMs({ ...d, repair: 'exponential' }, rng)));
    expect(exp.mean / d.mttrMs).toBeCloseTo(1, 1);
  });
});

/**
 * Cycle times drawn from a station's configured distribution (simulated milliseconds).
 */
import type { Rng } from '../../src/sample/rng.ts';

export interface CycleDistribution {
  readonly meanMs: number;
  readonly sdMs: number;
  readonly distribution: 'normal' | 'lognormal' | 'fixed';
}

/** A standard normal deviate (Box–Muller); always draws two numbers, so a stream stays aligned. */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) would be -Infinity
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * One cycle time. Normal is truncated at a tenth of the mean (a machine cannot work in no time);
 * lognormal has the configured mean and standard deviation (not those of the underlying normal).
 */
export function drawCycleMs(cycle: CycleDistribution, rng: Rng): number {
  const z = standardNormal(rng);
  const { meanMs, sdMs } = cycle;
  switch (cycle.distribution) {
    case 'fixed':
      return meanMs;
    case 'normal':
      return Math.max(meanMs / 10, meanMs + sdMs * z);
    case 'lognormal': {
      if (sdMs === 0) return meanMs;
      const sigma2 = Math.log(1 + (sdMs * sdMs) / (meanMs * meanMs));
      const mu = Math.log(meanMs) - sigma2 / 2;
      return Math.exp(mu + Math.sqrt(sigma2) * z);
    }
  }
}

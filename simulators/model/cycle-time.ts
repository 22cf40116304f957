/**
 * Cycle and repair times drawn from a configured distribution (simulated milliseconds). The
 * real-time simulator (line-model.ts) and the virtual-time engine (simulators/virtual/) both draw
 * here, so a card's cycle time at a station is the same in both.
 */
import { histogramMeanMs } from '../../src/config/line-config.ts';
import type { Rng } from '../../src/sample/rng.ts';

/** An empirical distribution: a histogram measured on a real line (bin edges in ms, counts per bin). */
export interface CycleHistogram {
  /** n + 1 increasing bin edges, ms. */
  readonly edgesMs: readonly number[];
  /** n counts (or weights), one per bin. */
  readonly counts: readonly number[];
}

export type CycleDistributionName = 'normal' | 'lognormal' | 'fixed' | 'deterministic' | 'exponential' | 'empirical';

export interface CycleDistribution {
  readonly meanMs: number;
  readonly sdMs: number;
  readonly distribution: CycleDistributionName;
  /** `empirical` only. */
  readonly histogram?: CycleHistogram | undefined;
}

/** A standard normal deviate (Box–Muller) from two uniforms: u1 in (0, 1], u2 in [0, 1). */
function normalOf(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A standard normal deviate (Box–Muller); always draws two numbers, so a stream stays aligned. */
export function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) would be -Infinity
  const u2 = rng.next();
  return normalOf(u1, u2);
}

/**
 * One cycle time. Every distribution draws exactly two numbers, so the draws after it (the card's
 * failure modes, physics.ts) are the same whichever distribution the line file names.
 * - normal: truncated at a tenth of the mean (a machine cannot work in no time);
 * - lognormal: the configured mean and standard deviation (not those of the underlying normal);
 * - fixed / deterministic: the mean, always;
 * - exponential: the mean (sdMs is not used; an exponential's sd is its mean);
 * - empirical: a bin by its count, then uniform within the bin.
 */
export function drawCycleMs(cycle: CycleDistribution, rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]
  const u2 = rng.next();
  const { meanMs, sdMs } = cycle;
  switch (cycle.distribution) {
    case 'fixed':
    case 'deterministic':
      return meanMs;
    case 'normal':
      return Math.max(meanMs / 10, meanMs + sdMs * normalOf(u1, u2));
    case 'lognormal':
      return lognormal(meanMs, sdMs, normalOf(u1, u2));
    case 'exponential':
      return -meanMs * Math.log(u1);
    case 'empirical':
      return fromHistogram(cycle, 1 - u1, u2);
  }
}

/** A lognormal draw with mean `meanMs` and standard deviation `sdMs`, from a standard normal z. */
export function lognormal(meanMs: number, sdMs: number, z: number): number {
  if (sdMs === 0) return meanMs;
  const sigma2 = Math.log(1 + (sdMs * sdMs) / (meanMs * meanMs));
  const mu = Math.log(meanMs) - sigma2 / 2;
  return Math.exp(mu + Math.sqrt(sigma2) * z);
}

function fromHistogram(cycle: CycleDistribution, pick: number, within: number): number {
  const h = cycle.histogram;
  if (!h) throw new RangeError('an empirical cycle needs a histogram');
  const total = h.counts.reduce((a, b) => a + b, 0);
  let target = pick * total;
  for (let i = 0; i < h.counts.length; i++) {
    target -= h.counts[i]!;
    if (target < 0) return h.edgesMs[i]! + within * (h.edgesMs[i + 1]! - h.edgesMs[i]!);
  }
  // pick * total rounded up to the total: the last bin with a count.
  const last = h.counts.findLastIndex((c) => c > 0);
  return h.edgesMs[last]! + within * (h.edgesMs[last + 1]! - h.edgesMs[last]!);
}

/** The mean cycle a distribution really has (an empirical one's histogram; normal's truncation ignored). */
export function meanCycleMs(cycle: CycleDistribution): number {
  return cycle.distribution === 'empirical' && cycle.histogram ? histogramMeanMs(cycle.histogram) : cycle.meanMs;
}

/** Downtime of a unit by MTBF/MTTR (time-based breakdowns, beside the per-card failures). */
export interface DowntimeModel {
  readonly mtbfMs: number;
  readonly mttrMs: number;
  readonly repair: 'exponential' | 'lognormal';
  /** Lognormal repair only: its standard deviation (default: the mean). */
  readonly repairSdMs?: number | undefined;
}

/** Time to the next breakdown, ms of calendar time: exponential with mean MTBF. Two draws. */
export function drawTimeToFailureMs(d: DowntimeModel, rng: Rng): number {
  const u1 = 1 - rng.next();
  rng.next();
  return -d.mtbfMs * Math.log(u1);
}

/** One repair's duration, ms. Two draws. */
export function drawRepairMs(d: DowntimeModel, rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  if (d.repair === 'exponential') return -d.mttrMs * Math.log(u1);
  return lognormal(d.mttrMs, d.repairSdMs ?? d.mttrMs, normalOf(u1, u2));
}

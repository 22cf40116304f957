/**
 * The capacity figures of a line from runs of the virtual-time engine: throughput with a 95 %
 * confidence interval over independent replications (Student's t), good and spoiled cards, blanks
 * per good card, each station's utilization and state shares, waits and queues, WIP and lead-time
 * distributions, and the bottleneck — stations that tie are reported together.
 */
import { simulationOf, type LineConfig } from '../../src/config/line-config.ts';
import { kpiAccumulator, type KpiResult } from '../../src/kpi/compute.ts';
import { linePlan } from '../../src/kpi/line-plan.ts';
import { kpiReport } from '../../src/kpi/report.ts';
import { ratios, rollUp, type KpiRatios, type KpiSums } from '../../src/kpi/sums.ts';
import type { Seed } from '../../src/sample/rng.ts';
import { runLine, UNIT_STATES, type RunResult, type Schedule, type UnitState } from './engine.ts';

export interface SimulateOptions {
  readonly line: LineConfig;
  readonly seed?: Seed;
  readonly cards?: number;
  readonly hours?: number;
  readonly warmupMs?: number;
  /** Independent runs (seeds `<seed>`, `<seed>/2`, …); default 1. */
  readonly replications?: number;
  /** Planned stops (breaks, shifts not worked). */
  readonly schedule?: Schedule;
  /** The ISO 22400 KPIs from the run's journal (default true; off, the run is a little faster). */
  readonly kpis?: boolean;
}

/** ISO 22400-2 KPIs of the simulated journal, computed by src/kpi from it (the same code as a real line's). */
export interface SimulatedKpis {
  readonly line: KpiRatios & { readonly sums: KpiSums };
  readonly stations: readonly (KpiRatios & { readonly station: string; readonly kind: string | null; readonly units: number })[];
}

export interface Interval {
  readonly mean: number;
  /** 95 % confidence interval of the mean over the replications (equal to the mean for one run). */
  readonly low: number;
  readonly high: number;
}

export interface StationFigures {
  readonly id: string;
  readonly kind: string;
  readonly units: number;
  readonly nominalCardsPerH: number;
  /** Working time ÷ (time × units), planned stops left out. */
  readonly utilization: number;
  readonly shares: Readonly<Record<UnitState, number>>;
  /** From a card's arrival at the station (buffer or infeed) to the start of its work. */
  readonly meanWaitMs: number;
  /** Time-weighted cards waiting at the station. */
  readonly meanQueue: number;
  /** From arrival to the end of work. */
  readonly meanSojournMs: number;
}

export interface Distribution {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface Histogram {
  /** Bin edges (one more than the counts). */
  readonly edgesMs: readonly number[];
  readonly counts: readonly number[];
}

export interface Figures {
  readonly line: string;
  readonly seed: string;
  readonly replications: number;
  readonly run: { readonly cards: number } | { readonly hours: number };
  /** Simulated hours a replication covered (mean). */
  readonly simulatedHours: number;
  readonly throughputCardsPerH: Interval;
  readonly good: number;
  readonly spoiled: number;
  readonly spoiledBy: Readonly<Record<string, number>>;
  readonly blanksPerGoodCard: number;
  readonly records: { readonly produced: number; readonly failed: number; readonly remakes: number };
  readonly stations: readonly StationFigures[];
  readonly wip: Distribution;
  /** Mean cards in the line over time (the replications' mean), from the end of the warm-up. */
  readonly wipOverTime: { readonly bucketMs: number; readonly mean: readonly number[] };
  readonly leadTimeMs: Distribution;
  readonly leadTimeHistogram: Histogram;
  /** ISO 22400 KPIs of the simulated journal (the replications' sums); null when not asked for. */
  readonly kpis: SimulatedKpis | null;
  readonly bottleneck: {
    /** The stations with the lowest nominal rate (units ÷ mean cycle × availability); several when they tie. */
    readonly stations: readonly string[];
    readonly nominalCardsPerH: number;
    readonly tie: boolean;
    /** The stations whose measured utilization is highest (within one point of each other). */
    readonly busiest: readonly string[];
  };
  readonly events: number;
  /** Each replication's digest (same seed and line → the same digests). */
  readonly digests: readonly string[];
}

/** Nominal rates this close (relative) are a tie: 6 heads × 9 s and one 1.5 s laser are both 0.667 cards/s. */
const TIE = 1e-9;

/** Runs the replications and sums them up. */
export function simulate(options: SimulateOptions): Figures {
  const replications = options.replications ?? 1;
  if (!Number.isInteger(replications) || replications < 1) throw new RangeError(`replications must be a whole number ≥ 1, got ${replications}`);
  const base = String(options.seed ?? options.line.simulation?.seed ?? 1);
  const runs: RunResult[] = [];
  const journals: KpiResult[] = [];
  // The plan of the line in simulated time: planned run times are the physical cycles.
  const plan = linePlan({ ...options.line, simulation: { ...simulationOf(options.line), timeScale: 1 } });
  for (let r = 0; r < replications; r++) {
    const kpis = options.kpis === false ? undefined : kpiAccumulator({ from: options.warmupMs ?? 0, plans: [plan] });
    const run = runLine({
      line: options.line,
      seed: replicationSeed(base, r),
      ...(options.cards !== undefined ? { cards: options.cards } : {}),
      ...(options.hours !== undefined ? { hours: options.hours } : {}),
      ...(options.warmupMs !== undefined ? { warmupMs: options.warmupMs } : {}),
      ...(options.schedule ? { schedule: options.schedule } : {}),
      ...(kpis ? { journal: (e) => kpis.add(e) } : {}),
    });
    runs.push(run);
    if (kpis) journals.push(kpis.result(run.warmupMs + run.elapsedMs));
  }
  const figures = summarize(options.line, base, runs, options.cards !== undefined ? { cards: options.cards } : { hours: options.hours! });
  if (journals.length === 0) return figures;
  const kpis = simulatedKpis(journals);
  // In route order, as the other station figures.
  const order = figures.stations.map((s) => s.id);
  return { ...figures, kpis: { ...kpis, stations: [...kpis.stations].sort((x, y) => order.indexOf(x.station) - order.indexOf(y.station)) } };
}

/** The replications' journals as one: their sums added, per line and per unit, then the ratios (never averaged). */
export function simulatedKpis(journals: readonly KpiResult[]): SimulatedKpis {
  const first = journals[0]!;
  const units = new Map<string, KpiResult['units'][number][]>();
  for (const j of journals) for (const u of j.units) units.set(u.unit, [...(units.get(u.unit) ?? []), u]);
  const merged: KpiResult = {
    ...first,
    lines: [{ line: first.lines[0]!.line, sums: rollUp(journals.flatMap((j) => j.lines.map((l) => l.sums))) }],
    units: [...units.values()].map((group) => ({ ...group[0]!, sums: rollUp(group.map((u) => u.sums)) })),
  };
  const report = kpiReport(merged);
  const line = report.lines[0]!;
  return {
    line: { ...line.kpis, sums: line.sums },
    stations: report.stations.map((s) => ({ station: s.station, kind: s.kind, units: s.units, ...ratios(s.sums) })),
  };
}

/** Replication r's seed: the seed itself first, then `<seed>/2`, `<seed>/3`, … */
export function replicationSeed(base: string, r: number): string {
  return r === 0 ? base : `${base}/${r + 1}`;
}

export function summarize(line: LineConfig, seed: string, runs: readonly RunResult[], run: Figures['run']): Figures {
  const n = runs.length;
  const sum = (f: (r: RunResult) => number): number => runs.reduce((a, r) => a + f(r), 0);
  const perH = runs.map((r) => (r.good / r.elapsedMs) * 3_600_000);
  const spoiledBy: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.spoiledBy)) spoiledBy[k] = (spoiledBy[k] ?? 0) + v / n;

  const stations: StationFigures[] = runs[0]!.stations.map((s0, i) => {
    const all = runs.map((r) => r.stations[i]!);
    const unitMs = all.reduce((a, s, k) => a + s.units * runs[k]!.elapsedMs, 0);
    const shares = Object.fromEntries(UNIT_STATES.map((st) => [st, all.reduce((a, s) => a + s.stateMs[st], 0) / unitMs])) as Record<UnitState, number>;
    const open = 1 - shares.paused;
    const arrivals = all.reduce((a, s) => a + s.arrivals, 0);
    const finished = all.reduce((a, s) => a + s.finished, 0);
    return {
      id: s0.id,
      kind: s0.kind,
      units: s0.units,
      nominalCardsPerH: s0.nominalRatePerS * 3600,
      utilization: open > 0 ? shares.working / open : 0,
      shares,
      meanWaitMs: arrivals === 0 ? 0 : all.reduce((a, s) => a + s.waitMsSum, 0) / arrivals,
      meanQueue: all.reduce((a, s) => a + s.queueCardMs, 0) / sum((r) => r.elapsedMs),
      meanSojournMs: finished === 0 ? 0 : all.reduce((a, s) => a + s.sojournMsSum, 0) / finished,
    };
  });

  const minRate = Math.min(...runs[0]!.stations.map((s) => s.nominalRatePerS));
  const slowest = runs[0]!.stations.filter((s) => s.nominalRatePerS <= minRate * (1 + TIE)).map((s) => s.id);
  const maxUtil = Math.max(...stations.map((s) => s.utilization));
  const busiest = stations.filter((s) => s.utilization >= maxUtil - 0.01).map((s) => s.id);

  const wipWeights = new Map<number, number>();
  for (const r of runs) for (const [k, ms] of Object.entries(r.wipMs)) wipWeights.set(Number(k), (wipWeights.get(Number(k)) ?? 0) + ms);
  const leads = runs.flatMap((r) => r.leadTimesMs);

  return {
    line: line.id,
    seed,
    replications: n,
    run,
    simulatedHours: sum((r) => r.elapsedMs) / n / 3_600_000,
    throughputCardsPerH: interval(perH),
    good: sum((r) => r.good) / n,
    spoiled: sum((r) => r.spoiled) / n,
    spoiledBy,
    blanksPerGoodCard: sum((r) => r.fed) / Math.max(1, sum((r) => r.good)),
    records: { produced: sum((r) => r.records.produced) / n, failed: sum((r) => r.records.failed) / n, remakes: sum((r) => r.records.remakes) / n },
    stations,
    wip: weightedDistribution(wipWeights),
    wipOverTime: meanSeries(runs),
    leadTimeMs: distribution(leads),
    leadTimeHistogram: histogram(leads, 30),
    kpis: null,
    bottleneck: { stations: slowest, nominalCardsPerH: minRate * 3600, tie: slowest.length > 1, busiest },
    events: sum((r) => r.events),
    digests: runs.map((r) => r.digest),
  };
}

/** Student's t, two-sided 95 %, for 1–30 degrees of freedom; 1.96 beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function interval(values: readonly number[]): Interval {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, low: mean, high: mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half };
}

export function distribution(values: readonly number[]): Distribution {
  if (values.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** `bins` equal bins from the least value to the greatest. */
export function histogram(values: readonly number[], bins: number): Histogram {
  if (values.length === 0) return { edgesMs: [], counts: [] };
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = hi > lo ? (hi - lo) / bins : 1;
  const counts = new Array<number>(hi > lo ? bins : 1).fill(0);
  for (const v of values) counts[Math.min(counts.length - 1, Math.floor((v - lo) / width))]! += 1;
  return { edgesMs: Array.from({ length: counts.length + 1 }, (_, i) => lo + i * width), counts };
}

/** The replications' WIP series, bucket by bucket (their widths agree unless their lengths differ much: then the first's). */
function meanSeries(runs: readonly RunResult[]): Figures['wipOverTime'] {
  const bucketMs = runs[0]!.wipSeries.bucketMs;
  const same = runs.filter((r) => r.wipSeries.bucketMs === bucketMs);
  const length = Math.min(...same.map((r) => r.wipSeries.mean.length));
  return { bucketMs, mean: Array.from({ length }, (_, i) => same.reduce((a, r) => a + r.wipSeries.mean[i]!, 0) / same.length) };
}

/** Percentiles of a time-weighted integer quantity (ms spent at each value). */
function weightedDistribution(weights: ReadonlyMap<number, number>): Distribution {
  const entries = [...weights].filter(([, w]) => w > 0).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  if (total === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const at = (q: number): number => {
    let acc = 0;
    for (const [v, w] of entries) {
      acc += w;
      if (acc >= q * total) return v;
    }
    return entries[entries.length - 1]![0];
  };
  return { mean: entries.reduce((a, [v, w]) => a + v * w, 0) / total, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: entries[entries.length - 1]![0] };
}

/**
 * The KPI report of a period, line or batch: the sums and ISO 22400-2 ratios per unit, per station,
 * per station kind (across lines), per line and in total, the reject Pareto by reason and by unit,
 * and throughput in time buckets. Every roll-up adds sums (src/kpi/sums.ts), never ratios. What
 * `cardline kpi --json` prints and `/api/v1/kpi/…` answers.
 */
import type { KpiResult } from './compute.ts';
import { ratios, rollUp, type KpiRatios, type KpiSums } from './sums.ts';
import { cardsPerHour } from './throughput.ts';

export interface Kpis {
  readonly sums: KpiSums;
  readonly kpis: KpiRatios;
}

export interface ParetoEntry {
  readonly key: string;
  readonly count: number;
  /** Share of all scrap. */
  readonly share: number;
  /** Share of this entry and every larger one. */
  readonly cumulativeShare: number;
}

export interface KpiReport {
  readonly from: string;
  readonly to: string;
  readonly batchId: string | null;
  readonly total: Kpis;
  readonly lines: readonly (Kpis & { readonly line: string })[];
  readonly stations: readonly (Kpis & { readonly line: string; readonly station: string; readonly kind: string | null; readonly units: number })[];
  /** Stations of a kind rolled up across lines. */
  readonly kinds: readonly (Kpis & { readonly kind: string; readonly units: number })[];
  readonly units: readonly (Kpis & { readonly line: string; readonly unit: string; readonly station: string; readonly kind: string | null })[];
  readonly pareto: { readonly byReason: readonly ParetoEntry[]; readonly byUnit: readonly ParetoEntry[] };
  readonly throughput: {
    readonly bucketMs: number;
    readonly buckets: readonly { readonly from: string; readonly good: number; readonly spoiled: number; readonly pbtMs: number; readonly goodCardsPerHour: number }[];
  };
}

const kpis = (sums: KpiSums): Kpis => ({ sums, kpis: ratios(sums) });

export function pareto(counts: ReadonlyMap<string, number>): ParetoEntry[] {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  let running = 0;
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([key, count]) => {
      running += count;
      return { key, count, share: count / total, cumulativeShare: running / total };
    });
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function kpiReport(result: KpiResult): KpiReport {
  const units = [...result.units].sort((a, b) => a.line.localeCompare(b.line) || a.unit.localeCompare(b.unit, 'en', { numeric: true }));
  const stations = [...groupBy(units, (u) => `${u.line}\u0000${u.station}`).values()].map((group) => {
    const first = group[0]!;
    return { line: first.line, station: first.station, kind: first.kind, units: group.length, ...kpis(rollUp(group.map((u) => u.sums))) };
  });
  const kinds = [...groupBy(units, (u) => u.kind ?? u.station)].map(([kind, group]) => ({ kind, units: group.length, ...kpis(rollUp(group.map((u) => u.sums))) }));
  const lines = [...result.lines].sort((a, b) => a.line.localeCompare(b.line));
  const total = rollUp(lines.map((l) => l.sums));
  const byUnit = new Map<string, number>();
  for (const u of units) if (u.sums.sq > 0) byUnit.set(lines.length > 1 ? `${u.line}/${u.unit}` : u.unit, u.sums.sq);
  return {
    from: new Date(result.from).toISOString(),
    to: new Date(result.to).toISOString(),
    batchId: result.batchId,
    total: kpis(total),
    lines: lines.map((l) => ({ line: l.line, ...kpis(l.sums) })),
    stations,
    kinds,
    units: units.map((u) => ({ line: u.line, unit: u.unit, station: u.station, kind: u.kind, ...kpis(u.sums) })),
    pareto: { byReason: pareto(new Map(Object.entries(total.scrapByReason))), byUnit: pareto(byUnit) },
    throughput: {
      bucketMs: result.bucketMs,
      buckets: result.buckets.map((b) => ({ from: new Date(b.from).toISOString(), good: b.good, spoiled: b.spoiled, pbtMs: b.pbtMs, goodCardsPerHour: cardsPerHour(b.good, b.pbtMs) })),
    },
  };
}

/**
 * What the manager's dashboard reads: the KPI answers of /api/v1/kpi (the JSON of `cardline kpi
 * --json`, docs/kpis.md), the site's recent shifts, the batches and the lines; and the report
 * download addresses of /api/v1/reports. Types are the fields the screen uses (the routes' zod
 * schemas are the whole truth; src/http is not importable here).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { API, get, seg } from '../../api.ts';
import { onEvent } from '../../live.ts';

export interface KpiFigures {
  readonly availability: number | null;
  readonly effectiveness: number | null;
  readonly qualityRatio: number | null;
  readonly oee: number | null;
  readonly firstPassYield: number | null;
  readonly goodCardsPerHour: number;
}

export interface KpiSums {
  readonly pbtMs: number;
  readonly aptMs: number;
  readonly gq: number;
  readonly sq: number;
  readonly pq: number;
}

export interface KpiBlock {
  readonly sums: KpiSums;
  readonly kpis: KpiFigures;
}

export interface ParetoEntry {
  readonly key: string;
  readonly count: number;
  readonly share: number;
  readonly cumulativeShare: number;
}

export interface KpiAnswer {
  readonly scope: { readonly kind: 'batch' | 'line' | 'shift'; readonly linesWithoutPlan: readonly string[] };
  readonly from: string;
  readonly to: string;
  readonly total: KpiBlock;
  readonly lines: readonly (KpiBlock & { readonly line: string })[];
  readonly stations: readonly (KpiBlock & { readonly line: string; readonly station: string })[];
  readonly pareto: { readonly byReason: readonly ParetoEntry[]; readonly byUnit: readonly ParetoEntry[] };
  readonly throughput: { readonly buckets: readonly { readonly from: string; readonly good: number; readonly spoiled: number; readonly goodCardsPerHour: number }[] };
}

export interface Shift {
  readonly date: string;
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

export interface LineView {
  readonly id: string;
  readonly name: string;
  readonly batch: { readonly batchId: string; readonly etaSeconds: number | null; readonly cardsPerHour: number | null } | null;
}

export interface BatchEntry {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly createdAt: string;
}

export interface BatchSummary {
  readonly id: string;
  readonly records: { readonly total: number; readonly produced: number; readonly failed: number; readonly cancelled: number; readonly pending: number };
  readonly cards: { readonly good: number; readonly spoiled: number };
}

/** What the dashboard shows: a shift (of the site, or of one line) or a batch. */
export type Scope = { readonly kind: 'shift'; readonly date: string; readonly name: string } | { readonly kind: 'batch'; readonly id: string };

export const shiftId = (s: { readonly date: string; readonly name: string }): string => `${s.date}/${s.name}`;

export function kpiPath(scope: Scope, line: string): string {
  if (scope.kind === 'batch') return `/kpi/batches/${seg(scope.id)}`;
  return `/kpi/shifts/${seg(scope.date)}/${seg(scope.name)}${line ? `?line=${seg(line)}` : ''}`;
}

export type ReportFormat = 'pdf' | 'json' | 'csv';
export const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'json', 'csv'];

/** The batch report of GET /api/v1/reports/batches/{batchId}. */
export function batchReportUrl(batchId: string, format: ReportFormat): string {
  return `${API}/reports/batches/${seg(batchId)}?format=${format}`;
}

/** A line's shift report of GET /api/v1/reports/shifts/{date}/{name}?line=ID. */
export function shiftReportUrl(shift: { readonly date: string; readonly name: string }, line: string, format: ReportFormat): string {
  return `${API}/reports/shifts/${seg(shift.date)}/${seg(shift.name)}?line=${seg(line)}&format=${format}`;
}

/** Batches shown in the status table: the newest. */
const BATCHES_SHOWN = 12;

export interface BatchRow extends BatchEntry {
  readonly summary: BatchSummary | null;
  readonly line: LineView | null;
}

export async function loadBatchRows(lines: readonly LineView[]): Promise<BatchRow[]> {
  const batches = (await get<BatchEntry[]>('/batches')).slice(0, BATCHES_SHOWN);
  return Promise.all(
    batches.map(async (b) => ({
      ...b,
      summary: b.status === 'quarantine only' ? null : await get<BatchSummary>(`/batches/${seg(b.id)}`).catch(() => null),
      line: lines.find((l) => l.batch?.batchId === b.id) ?? null,
    })),
  );
}

/** Shifts compared: the one under way and the ones before it. */
export const SHIFTS_COMPARED = 6;

/**
 * A number that grows by one whenever counters or batch events arrive, at most once every
 * `intervalMs`: the figures follow the line without a polling loop and without a reload per card.
 */
export function useLiveTick(intervalMs: number): number {
  const [tick, setTick] = useState(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    const schedule = (): void => {
      if (timer.current !== undefined) return;
      const wait = Math.max(0, last.current + intervalMs - Date.now());
      timer.current = setTimeout(() => {
        timer.current = undefined;
        last.current = Date.now();
        setTick((n) => n + 1);
      }, wait);
    };
    const stops = [onEvent('counters', schedule), onEvent('batch', schedule)];
    return () => {
      for (const stop of stops) stop();
      if (timer.current !== undefined) clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [intervalMs]);
  return tick;
}

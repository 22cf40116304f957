/**
 * A KPI question — a batch, a line over a period, or a shift (of one line or of every line) —
 * answered from the journal: the period is resolved (a batch's runs, a shift in the site's time
 * zone), the events read, the KPIs computed and reported. The CLI (`cardline kpi`) and the API
 * (`/api/v1/kpi/…`) both ask here.
 */
import type { KpiEvent } from './events.ts';
import { computeKpis } from './compute.ts';
import type { LinePlan } from './line-plan.ts';
import { kpiReport, type KpiReport } from './report.ts';
import { resolveShift, ShiftError } from './shifts.ts';
import type { SiteShifts } from './site-file.ts';

export type KpiQuery =
  | { readonly kind: 'batch'; readonly batchId: string }
  | { readonly kind: 'line'; readonly lineId: string; readonly from: Date; readonly to: Date }
  | { readonly kind: 'shift'; readonly shift: string; readonly lineId?: string };

/** Where the journal's events come from (src/store/kpi-store.ts). */
export interface KpiSource {
  batchSpan(batchId: string, now?: Date): Promise<{ readonly lines: readonly string[]; readonly from: Date; readonly to: Date; readonly running: boolean } | undefined>;
  events(from: Date, to: Date, options?: { lines?: readonly string[]; batchId?: string }): Promise<KpiEvent[]>;
}

/** A question that cannot be answered as asked; `field` is the option or parameter at fault. */
export class KpiQueryError extends Error {
  override name = 'KpiQueryError';
  constructor(
    message: string,
    readonly field: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

export interface KpiAnswer {
  readonly scope: {
    readonly kind: KpiQuery['kind'];
    readonly batchId?: string;
    readonly lineId?: string;
    readonly shift?: string;
    readonly timeZone: string;
    /**
     * Still under way, so the figures are up to now: a batch whose run has no end on record, or a
     * shift or period that ends after now (its time is counted up to now, never into the future).
     */
    readonly running?: boolean;
    /** Lines without a line file: no planned run time, so effectiveness and OEE are unknown. */
    readonly linesWithoutPlan: readonly string[];
  };
  readonly report: KpiReport;
}

const MAX_SPAN_MS = 366 * 86_400_000;

export async function answerKpiQuery(
  source: KpiSource,
  query: KpiQuery,
  options: { readonly site: SiteShifts; readonly plan: (lineId: string) => Promise<LinePlan | undefined>; readonly now?: Date; readonly bucketMs?: number },
): Promise<KpiAnswer> {
  const now = options.now ?? new Date();
  let from: Date;
  let to: Date;
  let lines: readonly string[] | undefined;
  let batchId: string | undefined;
  let running: boolean | undefined;
  let shift: string | undefined;
  switch (query.kind) {
    case 'batch': {
      const span = await source.batchSpan(query.batchId, now);
      if (!span) throw new KpiQueryError(`batch ${query.batchId} has no run on record (its KPIs start with its first run)`, 'batch', true);
      ({ from, to, lines, running } = span);
      batchId = query.batchId;
      break;
    }
    case 'line':
      if (!(query.to.getTime() > query.from.getTime())) throw new KpiQueryError(`the period must end after it starts (from ${query.from.toISOString()}, to ${query.to.toISOString()})`, 'to');
      if (query.to.getTime() - query.from.getTime() > MAX_SPAN_MS) throw new KpiQueryError('the period is longer than a year: ask for a shorter one', 'to');
      ({ from, to } = query);
      lines = [query.lineId];
      break;
    case 'shift': {
      try {
        const interval = resolveShift(query.shift, options.site.shifts, options.site.timeZone);
        ({ from, to } = interval);
        shift = interval.name;
      } catch (error) {
        if (error instanceof ShiftError) throw new KpiQueryError(error.message, 'shift');
        throw error;
      }
      if (query.lineId !== undefined) lines = [query.lineId];
      break;
    }
  }
  if (query.kind !== 'batch' && to.getTime() > now.getTime()) {
    // ISO 22400-2: PBT is the planned busy time of the period so far. The rest of a shift under way
    // has not happened: counted (the running line's last state carried to the shift's end), it made a
    // line that had run for minutes look fully available and a few percent effective.
    to = new Date(Math.max(from.getTime(), now.getTime()));
    running = true;
  }
  const events = await source.events(from, to, { ...(lines ? { lines } : {}), ...(batchId !== undefined ? { batchId } : {}) });
  const lineIds = new Set(lines ?? []);
  for (const e of events) lineIds.add(e.line);
  const plans: LinePlan[] = [];
  const linesWithoutPlan: string[] = [];
  for (const id of [...lineIds].sort()) {
    const plan = await options.plan(id);
    if (plan) plans.push(plan);
    else linesWithoutPlan.push(id);
  }
  const result = computeKpis(events, { from: from.getTime(), to: to.getTime(), plans, ...(batchId !== undefined ? { batchId } : {}), ...(options.bucketMs ? { bucketMs: options.bucketMs } : {}) });
  return {
    scope: {
      kind: query.kind,
      ...(batchId !== undefined ? { batchId } : {}),
      ...(query.kind !== 'batch' && query.lineId !== undefined ? { lineId: query.lineId } : {}),
      ...(shift !== undefined ? { shift } : {}),
      timeZone: options.site.timeZone,
      ...(running !== undefined ? { running } : {}),
      linesWithoutPlan,
    },
    report: kpiReport(result),
  };
}

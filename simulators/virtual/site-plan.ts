/**
 * How many lines, and which shift pattern, for a daily target (`cardline simulate site`): each
 * kind of line of a site (its line files) simulated for whole days under each pattern of the
 * site's shifts (1, 2, … of them, with a break in each and a handover at each start), then the
 * lines a target needs and the margin they leave. The site as configured (its lines) is answered
 * too.
 */
import type { LineConfig } from '../../src/config/line-config.ts';
import { simulate, type Figures, type Interval } from './figures.ts';
import { patternSchedule, plannedHours, type ShiftPattern, type ShiftTimes } from './schedule.ts';

export interface SitePlanOptions {
  /** The site's lines (several may share a line file: a kind is a line file). */
  readonly lines: readonly { readonly id: string; readonly kind: string; readonly config: LineConfig }[];
  readonly shifts: readonly ShiftTimes[];
  readonly cardsPerDay: number;
  /** Numbers of shifts to try (each the first k of the site's); default 1 … all of them. */
  readonly patterns?: readonly number[];
  readonly breakMinutes: number;
  readonly handoverMinutes: number;
  /** Days counted, after one day of warm-up. */
  readonly days: number;
  readonly replications: number;
  readonly seed?: string;
}

export interface PlanRow {
  /** The line kind (its line file's line id). */
  readonly kind: string;
  readonly shifts: readonly string[];
  readonly plannedHoursPerDay: number;
  /** Good cards a day one line of the kind makes under the pattern (95 % CI over the replications). */
  readonly cardsPerDay: Interval;
  readonly oee: number | null;
  readonly bottleneck: string;
  /** Lines of this kind alone the target needs, and the margin they leave (their capacity ÷ target − 1). */
  readonly linesNeeded: number;
  readonly margin: number;
  /** The same at the CI's low end (a cautious plan). */
  readonly linesNeededAtLow: number;
}

export interface SitePlan {
  readonly cardsPerDay: number;
  readonly days: number;
  readonly replications: number;
  readonly breakMinutes: number;
  readonly handoverMinutes: number;
  readonly rows: readonly PlanRow[];
  /** The site's own lines under each pattern: cards a day and the share of the target. */
  readonly site: readonly { readonly shifts: readonly string[]; readonly lines: number; readonly cardsPerDay: number; readonly shareOfTarget: number }[];
  /** For each kind, the pattern with the fewest lines (then the fewest shifts). */
  readonly recommended: readonly PlanRow[];
}

const DAY_MS = 86_400_000;

export function planSite(options: SitePlanOptions): SitePlan {
  if (!(options.cardsPerDay > 0)) throw new RangeError(`the daily target must be above 0, got ${options.cardsPerDay}`);
  const counts = options.patterns ?? options.shifts.map((_, i) => i + 1);
  for (const k of counts) if (!Number.isInteger(k) || k < 1 || k > options.shifts.length) throw new RangeError(`a pattern of ${k} shifts: the site has ${options.shifts.length} (${options.shifts.map((s) => s.name).join(', ')})`);
  const kinds = new Map<string, LineConfig>();
  for (const l of options.lines) if (!kinds.has(l.kind)) kinds.set(l.kind, l.config);
  const rows: PlanRow[] = [];
  const perKind = new Map<string, Map<number, number>>();
  for (const [kind, line] of kinds) {
    const byPattern = new Map<number, number>();
    perKind.set(kind, byPattern);
    for (const k of counts) {
      const pattern: ShiftPattern = { shifts: options.shifts.slice(0, k), breakMinutes: options.breakMinutes, handoverMinutes: options.handoverMinutes };
      const schedule = patternSchedule(pattern);
      const figures: Figures = simulate({
        line,
        hours: 24 * (options.days + 1),
        warmupMs: DAY_MS,
        replications: options.replications,
        schedule,
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
      });
      const t = figures.throughputCardsPerH;
      const perDay: Interval = { mean: t.mean * 24, low: t.low * 24, high: t.high * 24 };
      byPattern.set(k, perDay.mean);
      const need = (rate: number): number => (rate > 0 ? Math.ceil(options.cardsPerDay / rate) : Number.POSITIVE_INFINITY);
      const linesNeeded = need(perDay.mean);
      rows.push({
        kind,
        shifts: pattern.shifts.map((s) => s.name),
        plannedHoursPerDay: plannedHours(schedule),
        cardsPerDay: perDay,
        oee: figures.kpis?.line.oee ?? null,
        bottleneck: `${figures.bottleneck.stations.join(' and ')}${figures.bottleneck.tie ? ' (tie)' : ''}`,
        linesNeeded,
        margin: (linesNeeded * perDay.mean) / options.cardsPerDay - 1,
        linesNeededAtLow: need(perDay.low),
      });
    }
  }
  const site = counts.map((k) => {
    const cards = options.lines.reduce((a, l) => a + perKind.get(l.kind)!.get(k)!, 0);
    return { shifts: options.shifts.slice(0, k).map((s) => s.name), lines: options.lines.length, cardsPerDay: cards, shareOfTarget: cards / options.cardsPerDay };
  });
  const recommended = [...kinds.keys()].map((kind) => rows.filter((r) => r.kind === kind).reduce((best, r) => (r.linesNeeded < best.linesNeeded ? r : best)));
  return { cardsPerDay: options.cardsPerDay, days: options.days, replications: options.replications, breakMinutes: options.breakMinutes, handoverMinutes: options.handoverMinutes, rows, site, recommended };
}

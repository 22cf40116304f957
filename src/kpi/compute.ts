/**
 * The KPIs of a period in one pass over the journal's events (time order): each unit's and each
 * line's times by ISO 22400-2 element (src/kpi/time-model.ts) while a run is under way, clipped to
 * the period, and the quantities of the period — per unit, per line, and in time buckets. A batch's
 * KPIs are those of its runs and its cards. Pure: no I/O, no clock.
 */
import { stationKind } from '../stations/kinds.ts';
import type { KpiEvent } from './events.ts';
import type { LinePlan } from './line-plan.ts';
import { emptySums, type KpiSums } from './sums.ts';
import { lineElement, timeElement, type TimeElement } from './time-model.ts';

export interface KpiOptions {
  /** The period, epoch ms: times are clipped to it, quantities counted when from ≤ at < to. */
  readonly from: number;
  readonly to: number;
  /** Only this batch: its runs' time and its cards. */
  readonly batchId?: string;
  /** The lines' units and planned run times (line files); a unit not in a plan has no PRI. */
  readonly plans?: readonly LinePlan[];
  /** Width of the throughput buckets (default: the smallest of 1 min … 1 day giving at most 48). */
  readonly bucketMs?: number;
}

export interface UnitResult {
  readonly line: string;
  readonly unit: string;
  readonly station: string;
  readonly kind: string | null;
  readonly sums: KpiSums;
}

export interface LineResult {
  readonly line: string;
  readonly sums: KpiSums;
}

export interface Bucket {
  /** Start of the bucket, epoch ms. */
  readonly from: number;
  good: number;
  spoiled: number;
  /** The lines' planned busy time in the bucket (ms). */
  pbtMs: number;
}

export interface KpiResult {
  readonly from: number;
  readonly to: number;
  readonly batchId: string | null;
  readonly lines: LineResult[];
  readonly units: UnitResult[];
  readonly bucketMs: number;
  readonly buckets: Bucket[];
}

/**
 * Spoil reasons that QA finds about an earlier station's work: the scrap is that station's (the
 * encoder head that wrote the chip, the laser that engraved the card), not the unit that put the
 * card in the reject bin. Every other reason is the rejecting unit's.
 */
const REASON_MADE_AT: Readonly<Record<string, string>> = {
  CHIP_UNREADABLE: 'encoder',
  CHIP_FILE_MISSING: 'encoder',
  CHIP_HASH_MISMATCH: 'encoder',
  CHIP_DG1_MISMATCH: 'encoder',
  PRINT_GRADE_LOW: 'laser',
};

/** The kinds whose work QA judges (REASON_MADE_AT's stations), by slot in a card's visits. */
const MADE_AT_KINDS = [...new Set(Object.values(REASON_MADE_AT))];
const MADE_AT_SLOT: ReadonlyMap<string, number> = new Map(MADE_AT_KINDS.map((k, i) => [k, i]));

const BUCKET_SIZES = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 86_400_000];

export function defaultBucketMs(spanMs: number): number {
  return BUCKET_SIZES.find((b) => spanMs / b <= 48) ?? Math.ceil(spanMs / 48);
}

interface UnitAcc {
  readonly line: LineAcc;
  readonly unit: string;
  station: string;
  kind: string | null;
  priMs: number | undefined;
  state: number | undefined;
  stopReason: number;
  linkUp: boolean;
  /** The unit has reported a state or link event: it has times, and the line's state waits for it. */
  timed: boolean;
  el: TimeElement | null;
  since: number;
  readonly sums: KpiSums;
}

interface LineAcc {
  readonly id: string;
  readonly priMs: number | undefined;
  readonly units: Map<string, UnitAcc>;
  readonly counts: Record<TimeElement, number>;
  /** Units that have reported a state or link event (a unit named only by a card, such as `line`, has no state). */
  timed: number;
  /** A run under way that this computation counts (its batch, or any batch). */
  selected: boolean;
  el: TimeElement | null;
  since: number;
  readonly sums: KpiSums;
  readonly inspected: Set<string>;
}

function isInspecting(kind: string): boolean {
  try {
    return stationKind(kind).role === 'inspect';
  } catch {
    return false;
  }
}

export function computeKpis(events: Iterable<KpiEvent>, options: KpiOptions): KpiResult {
  const kpis = kpiAccumulator(options);
  for (const e of events) kpis.add(e);
  return kpis.result();
}

/** The same computation fed one event at a time (a run that produces its journal as it goes, such as the virtual-time engine's, need not keep it). */
export interface KpiAccumulator {
  /** The next event, in time order. */
  add(e: KpiEvent): void;
  /** The KPIs of the events added so far; add nothing after. `end`: the period ends there (an open period must be given one). */
  result(end?: number): KpiResult;
}

/** `to` may be left open (a run whose end is not known in advance): then `result(end)` closes it, and the buckets grow as events come. */
export function kpiAccumulator(options: Omit<KpiOptions, 'to'> & { readonly to?: number }): KpiAccumulator {
  const { from } = options;
  let to = options.to ?? Number.POSITIVE_INFINITY;
  const open = to === Number.POSITIVE_INFINITY;
  const filter = options.batchId;
  const bucketMs = options.bucketMs ?? (open ? 3_600_000 : defaultBucketMs(to - from));
  const bucketCount = open ? 1 : Math.max(1, Math.ceil((to - from) / bucketMs));
  const buckets: Bucket[] = Array.from({ length: bucketCount }, (_, i) => ({ from: from + i * bucketMs, good: 0, spoiled: 0, pbtMs: 0 }));
  const bucket = (i: number): Bucket => {
    while (buckets.length <= i) buckets.push({ from: from + buckets.length * bucketMs, good: 0, spoiled: 0, pbtMs: 0 });
    return buckets[i]!;
  };
  const lines = new Map<string, LineAcc>();
  const plans = new Map((options.plans ?? []).map((p) => [p.id, p]));
  /** The unit of each judged kind (MADE_AT_KINDS) a card in the line went through (to attribute QA's findings). */
  const visits = new Map<string, (string | undefined)[]>();
  const inspecting = new Map<string, boolean>();

  /** Adds [a, b) ∩ the period to `sums` under `el`. */
  const accrue = (sums: KpiSums, el: TimeElement | null, a: number, b: number): number => {
    if (el === null) return 0;
    const lo = a > from ? a : from;
    const hi = b < to ? b : to;
    if (hi <= lo) return 0;
    const ms = hi - lo;
    if (el === 'apt') sums.aptMs += ms;
    else if (el === 'adet') sums.adetMs += ms;
    else if (el === 'adot') sums.adotMs += ms;
    else sums.pdotMs += ms;
    if (el !== 'pdot') sums.pbtMs += ms;
    return ms;
  };

  const accrueLine = (line: LineAcc, t: number): void => {
    const el = line.el;
    if (el === null || t <= line.since) {
      line.since = t > line.since ? t : line.since;
      return;
    }
    accrue(line.sums, el, line.since, t);
    if (el !== 'pdot') {
      // The planned busy time of the throughput buckets.
      const lo = Math.max(line.since, from);
      const hi = Math.min(t, to);
      for (let s = lo; s < hi; ) {
        const i = Math.floor((s - from) / bucketMs);
        const end = Math.min(hi, from + (i + 1) * bucketMs);
        bucket(i).pbtMs += end - s;
        s = end;
      }
    }
    line.since = t;
  };

  const relineElement = (line: LineAcc, t: number): void => {
    const next = line.selected ? lineElement(line.counts, line.timed) : null;
    if (next === line.el) return;
    accrueLine(line, t);
    if (next === 'adot' && line.el !== null && t >= from && t < to) line.sums.failures += 1;
    line.el = next;
  };

  const reelement = (u: UnitAcc, t: number): void => {
    const next = u.line.selected && u.timed ? timeElement(u.state, u.stopReason, u.linkUp) : null;
    if (next === u.el) return;
    accrue(u.sums, u.el, u.since, t);
    if (next === 'adot' && u.el !== null && t >= from && t < to) u.sums.failures += 1;
    if (u.el !== null) u.line.counts[u.el] -= 1;
    if (next !== null) u.line.counts[next] += 1;
    u.el = next;
    u.since = t;
    relineElement(u.line, t);
  };

  const lineOf = (id: string): LineAcc => {
    let line = lines.get(id);
    if (line) return line;
    const plan = plans.get(id);
    line = { id, priMs: plan?.priMs, units: new Map(), counts: { apt: 0, adet: 0, adot: 0, pdot: 0 }, timed: 0, selected: false, el: null, since: from, sums: emptySums(), inspected: new Set() };
    lines.set(id, line);
    for (const [unit, p] of plan?.units ?? []) addUnit(line, unit, p.station, p.kind, p.priMs);
    return line;
  };

  const addUnit = (line: LineAcc, unit: string, station: string, kind: string | null, priMs: number | undefined): UnitAcc => {
    const u: UnitAcc = { line, unit, station, kind, priMs, state: undefined, stopReason: 0, linkUp: true, timed: false, el: null, since: from, sums: emptySums() };
    line.units.set(unit, u);
    return u;
  };

  const unitOf = (line: LineAcc, unit: string): UnitAcc => {
    const known = line.units.get(unit);
    if (known) return known;
    const dot = unit.indexOf('.');
    return addUnit(line, unit, dot > 0 ? unit.slice(0, dot) : unit, null, undefined);
  };

  /** A state or link event: the unit has times from now on, and the line's state counts it. */
  const timedUnit = (line: LineAcc, unit: string): UnitAcc => {
    const u = unitOf(line, unit);
    if (!u.timed) {
      u.timed = true;
      line.timed += 1;
    }
    return u;
  };

  let lastLine: LineAcc | undefined;
  const add = (e: KpiEvent): void => {
    const line = lastLine?.id === e.line ? lastLine : (lastLine = lineOf(e.line));
    const t = e.at;
    const inPeriod = t >= from && t < to;
    switch (e.type) {
      case 'done': {
        if (filter !== undefined && e.batchId !== filter) break;
        const u = unitOf(line, e.unit);
        if (u.kind === null) u.kind = e.kind;
        const slot = MADE_AT_SLOT.get(e.kind);
        if (slot !== undefined && e.card !== null) {
          const v = visits.get(e.card);
          if (v) v[slot] = e.unit;
          else {
            const fresh = new Array<string | undefined>(MADE_AT_KINDS.length);
            fresh[slot] = e.unit;
            visits.set(e.card, fresh);
          }
        }
        if (!inPeriod) break;
        u.sums.pq += 1;
        if (u.priMs !== undefined) u.sums.plannedRunMs += u.priMs;
        else u.sums.pqWithoutPri += 1;
        let inspects = inspecting.get(e.kind);
        if (inspects === undefined) inspecting.set(e.kind, (inspects = isInspecting(e.kind)));
        if (inspects && e.seq !== null && e.seq > 0 && e.batchId !== null) line.inspected.add(`${e.batchId}\u0000${e.seq}`);
        break;
      }
      case 'ended': {
        if (filter !== undefined && e.batchId !== filter) break;
        const v = visits.get(e.card);
        if (v) visits.delete(e.card);
        if (!inPeriod) break;
        const s = line.sums;
        s.pq += 1;
        if (line.priMs !== undefined) s.plannedRunMs += line.priMs;
        else s.pqWithoutPri += 1;
        const b = bucket(Math.floor((t - from) / bucketMs));
        if (e.good) {
          s.gq += 1;
          if (e.attempt === 1) s.firstPassGood += 1;
          b.good += 1;
        } else {
          const reason = e.reason ?? 'UNKNOWN';
          s.sq += 1;
          s.scrapByReason[reason] = (s.scrapByReason[reason] ?? 0) + 1;
          b.spoiled += 1;
          const madeAt = REASON_MADE_AT[reason];
          const unit = (madeAt !== undefined ? v?.[MADE_AT_SLOT.get(madeAt)!] : undefined) ?? e.unit;
          if (unit !== null) {
            const u = unitOf(line, unit);
            u.sums.sq += 1;
            u.sums.scrapByReason[reason] = (u.sums.scrapByReason[reason] ?? 0) + 1;
          }
        }
        break;
      }
      case 'fed':
        if ((filter === undefined || e.batchId === filter) && inPeriod) line.sums.blanks += 1;
        break;
      case 'state': {
        const u = timedUnit(line, e.unit);
        u.state = e.state;
        u.stopReason = e.stopReason;
        reelement(u, t);
        break;
      }
      case 'link': {
        const u = timedUnit(line, e.unit);
        u.linkUp = e.up;
        reelement(u, t);
        break;
      }
      case 'run': {
        const running = e.status === 'running' || e.status === 'paused';
        const selected = running && (filter === undefined || e.batchId === filter);
        if (selected === line.selected) break;
        line.selected = selected;
        for (const u of line.units.values()) reelement(u, t);
        relineElement(line, t);
        break;
      }
    }
  };

  const result = (end?: number): KpiResult => {
    if (end !== undefined && end < to) to = end;
    if (to === Number.POSITIVE_INFINITY) throw new RangeError('an open KPI period needs its end');
    buckets.length = Math.min(buckets.length, Math.max(1, Math.ceil((to - from) / bucketMs)));
    const resultLines: LineResult[] = [];
    const resultUnits: UnitResult[] = [];
    for (const line of lines.values()) {
      for (const u of line.units.values()) {
        accrue(u.sums, u.el, u.since, to);
        u.sums.gq = Math.max(0, u.sums.pq - u.sums.sq);
        resultUnits.push({ line: line.id, unit: u.unit, station: u.station, kind: u.kind, sums: u.sums });
      }
      accrueLine(line, to);
      line.sums.inspected = line.inspected.size;
      resultLines.push({ line: line.id, sums: line.sums });
    }
    return { from, to, batchId: filter ?? null, lines: resultLines, units: resultUnits, bucketMs, buckets };
  };
  return { add, result };
}

/**
 * What the KPIs are made of: sums of times and quantities, and the ISO 22400-2 ratios computed from
 * them. Roll-ups (stations of a kind, lines of a site, shifts of a week) add sums and compute the
 * ratios again: a ratio is never averaged (an average weighs a short shift like a long one).
 */
import { cardsPerHour } from './throughput.ts';

export interface KpiSums {
  /** Planned busy time PBT = APT + ADET + ADOT (ms). */
  pbtMs: number;
  /** Actual production time APT (PackML Execute). */
  aptMs: number;
  /** Actual unit delay time ADET (Suspended starved/blocked, starting, waiting). */
  adetMs: number;
  /** Actual unit down time ADOT (Held or Aborted, or stopped by a fault; link lost). */
  adotMs: number;
  /** Planned down time (an operator's pause): outside PBT. */
  pdotMs: number;
  /** Produced quantity PQ: cards the unit processed (a line: cards that left it). */
  pq: number;
  /** Good quantity GQ. */
  gq: number;
  /** Scrap quantity SQ. */
  sq: number;
  /** Rework quantity RQ: a card is never reworked (a record is re-made on a new blank), so 0. */
  rq: number;
  /** Σ PRI × PQ (ms): the time the produced quantity takes at the planned run time per item. */
  plannedRunMs: number;
  /** Produced cards whose unit has no planned run time (no line file): effectiveness is unknown. */
  pqWithoutPri: number;
  /** Failures: entries into down time from producing or waiting (MTBF, MTTR). */
  failures: number;
  /** Blanks consumed (cards fed). */
  blanks: number;
  /** Cards good at their record's first attempt. */
  firstPassGood: number;
  /** Records inspected at least once. */
  inspected: number;
  /** Scrap by reason code. */
  scrapByReason: Record<string, number>;
}

export function emptySums(): KpiSums {
  return { pbtMs: 0, aptMs: 0, adetMs: 0, adotMs: 0, pdotMs: 0, pq: 0, gq: 0, sq: 0, rq: 0, plannedRunMs: 0, pqWithoutPri: 0, failures: 0, blanks: 0, firstPassGood: 0, inspected: 0, scrapByReason: {} };
}

/** Adds `b` into `a` (and returns `a`). */
export function addSums(a: KpiSums, b: Readonly<KpiSums>): KpiSums {
  a.pbtMs += b.pbtMs;
  a.aptMs += b.aptMs;
  a.adetMs += b.adetMs;
  a.adotMs += b.adotMs;
  a.pdotMs += b.pdotMs;
  a.pq += b.pq;
  a.gq += b.gq;
  a.sq += b.sq;
  a.rq += b.rq;
  a.plannedRunMs += b.plannedRunMs;
  a.pqWithoutPri += b.pqWithoutPri;
  a.failures += b.failures;
  a.blanks += b.blanks;
  a.firstPassGood += b.firstPassGood;
  a.inspected += b.inspected;
  for (const [reason, n] of Object.entries(b.scrapByReason)) a.scrapByReason[reason] = (a.scrapByReason[reason] ?? 0) + n;
  return a;
}

/** The roll-up of several sums: their sum. */
export function rollUp(parts: Iterable<Readonly<KpiSums>>): KpiSums {
  const total = emptySums();
  for (const p of parts) addSums(total, p);
  return total;
}

/** ISO 22400-2 KPIs (null where the denominator is 0 or a planned run time is unknown). */
export interface KpiRatios {
  /** APT ÷ PBT. */
  readonly availability: number | null;
  /** PRI × PQ ÷ APT. */
  readonly effectiveness: number | null;
  /** GQ ÷ PQ. */
  readonly qualityRatio: number | null;
  /** Availability × effectiveness × quality ratio. */
  readonly oee: number | null;
  /** Cards good at the first attempt ÷ records inspected at least once. */
  readonly firstPassYield: number | null;
  /** SQ ÷ PQ. */
  readonly scrapRatio: number | null;
  /** Scrap of each reason ÷ PQ. */
  readonly scrapRatioByReason: Readonly<Record<string, number>>;
  /** Good cards an hour of planned busy time (src/kpi/throughput.ts). */
  readonly goodCardsPerHour: number;
  /** APT ÷ failures (ms). */
  readonly mtbfMs: number | null;
  /** ADOT ÷ failures (ms). */
  readonly mttrMs: number | null;
  /** Blanks consumed ÷ good cards. */
  readonly blanksPerGoodCard: number | null;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

export function ratios(s: Readonly<KpiSums>): KpiRatios {
  const availability = ratio(s.aptMs, s.pbtMs);
  const effectiveness = s.pqWithoutPri > 0 ? null : ratio(s.plannedRunMs, s.aptMs);
  const qualityRatio = ratio(s.gq, s.pq);
  const oee = availability !== null && effectiveness !== null && qualityRatio !== null ? availability * effectiveness * qualityRatio : null;
  const scrapRatioByReason: Record<string, number> = {};
  if (s.pq > 0) for (const [reason, n] of Object.entries(s.scrapByReason)) scrapRatioByReason[reason] = n / s.pq;
  return {
    availability,
    effectiveness,
    qualityRatio,
    oee,
    firstPassYield: ratio(s.firstPassGood, s.inspected),
    scrapRatio: ratio(s.sq, s.pq),
    scrapRatioByReason,
    goodCardsPerHour: cardsPerHour(s.gq, s.pbtMs),
    mtbfMs: ratio(s.aptMs, s.failures),
    mttrMs: ratio(s.adotMs, s.failures),
    blanksPerGoodCard: ratio(s.blanks, s.gq),
  };
}

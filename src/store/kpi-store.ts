/**
 * The journal read back for the KPIs (src/kpi): a period's station events (PackML states, links),
 * run boundaries (`batch.<status>` rows), unit Dones, blanks fed and cards ended, with each unit's
 * and each line's last state before the period, as KpiEvents in time order. Nothing personal.
 */
import type { Knex } from 'knex';
import type { KpiEvent } from '../kpi/events.ts';
import { toDate } from './sql.ts';

const STATE_EVENTS = ['state', 'link.up', 'link.down'] as const;
const RUN_ENDS = new Set(['batch.completed', 'batch.aborted']);

interface StationRow {
  id: number;
  at: string | Date;
  line_id: string;
  unit: string;
  event: string;
  detail: string | null;
}

interface EventRow {
  id: number;
  at: string | Date;
  line_id: string;
  batch_id: string | null;
  seq: number | null;
  card_serial: string | null;
  unit: string | null;
  event: string;
  reason: string | null;
  detail: string | null;
}

interface CardRow {
  at: string | Date;
  line_id: string;
  batch_id: string;
  seq: number;
  attempt: number;
  card_serial: string;
  unit: string | null;
  status: string;
  reason: string | null;
}

/** A batch's runs on record: the lines it ran on and from its first run's start to its last run's end (or now). */
export interface BatchSpan {
  readonly lines: readonly string[];
  readonly from: Date;
  readonly to: Date;
  /** A run is still under way (no end on record after its last start). */
  readonly running: boolean;
}

const ms = (value: unknown): number => toDate(value, 'kpi events').getTime();

function parseDetail(text: string | null): Record<string, unknown> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

export class KpiStore {
  constructor(private readonly db: Knex) {}

  /** When a batch's runs were under way, and on which lines; undefined when no run of it is on record. */
  async batchSpan(batchId: string, now: Date = new Date()): Promise<BatchSpan | undefined> {
    const rows: Pick<EventRow, 'at' | 'line_id' | 'event'>[] = await this.db('card_events').where({ batch_id: batchId }).whereLike('event', 'batch.%').orderBy('id').select('at', 'line_id', 'event');
    const starts = rows.filter((r) => r.event === 'batch.running');
    if (starts.length === 0) return undefined;
    const lastStart = rows.lastIndexOf(starts.at(-1)!);
    const end = rows.slice(lastStart).find((r) => RUN_ENDS.has(r.event));
    return { lines: [...new Set(starts.map((r) => r.line_id))].sort(), from: toDate(starts[0]!.at, 'batch run'), to: end ? toDate(end.at, 'batch run') : now, running: end === undefined };
  }

  /**
   * The events of `lines` (every line when undefined) in [from, to), preceded by each unit's last
   * state and link event and each line's last run event before `from`. With `batchId`, only that
   * batch's Dones, blanks and cards are read (the runs and states of the lines all are).
   */
  async events(from: Date, to: Date, options: { lines?: readonly string[]; batchId?: string } = {}): Promise<KpiEvent[]> {
    const lo = from.toISOString();
    const hi = to.toISOString();
    const onLines = <T extends Knex.QueryBuilder>(q: T): T => (options.lines ? (q.whereIn('line_id', [...options.lines]) as T) : q);
    const ofBatch = <T extends Knex.QueryBuilder>(q: T): T => (options.batchId !== undefined ? (q.where('batch_id', options.batchId) as T) : q);

    const lastStates = onLines(this.db('station_events').where('at', '<', lo).whereIn('event', [...STATE_EVENTS]).groupBy('line_id', 'unit', 'event').max({ id: 'id' }));
    const stationRows: StationRow[] = await onLines(
      this.db('station_events')
        .whereIn('event', [...STATE_EVENTS])
        .where((q) => void q.where((r) => void r.where('at', '>=', lo).where('at', '<', hi)).orWhereIn('id', lastStates)),
    ).select('id', 'at', 'line_id', 'unit', 'event', 'detail');

    const lastRuns = onLines(this.db('card_events').where('at', '<', lo).whereLike('event', 'batch.%').groupBy('line_id').max({ id: 'id' }));
    const runRows: EventRow[] = await onLines(
      this.db('card_events')
        .whereLike('event', 'batch.%')
        .where((q) => void q.where((r) => void r.where('at', '>=', lo).where('at', '<', hi)).orWhereIn('id', lastRuns)),
    ).select('id', 'at', 'line_id', 'batch_id', 'event');

    const eventRows: EventRow[] = await ofBatch(onLines(this.db('card_events').where('at', '>=', lo).where('at', '<', hi).where((q) => void q.whereLike('event', '%.done').orWhere('event', 'card.fed')))).select(
      'id',
      'at',
      'line_id',
      'batch_id',
      'seq',
      'card_serial',
      'unit',
      'event',
      'reason',
      'detail',
    );

    const cardRows: CardRow[] = await ofBatch(onLines(this.db('cards').where('ended_at', '>=', lo).where('ended_at', '<', hi).whereIn('status', ['good', 'spoiled']))).select(
      { at: 'ended_at' },
      'line_id',
      'batch_id',
      'seq',
      'attempt',
      'card_serial',
      'unit',
      'status',
      'reason',
    );

    // Sorted by time; at one instant runs first, then states, then cards (a run's start precedes its first card).
    const keyed: { at: number; rank: number; id: number; event: KpiEvent }[] = [];
    for (const r of runRows) {
      if (r.batch_id === null) continue;
      keyed.push({ at: ms(r.at), rank: 0, id: r.id, event: { type: 'run', at: ms(r.at), line: r.line_id, batchId: r.batch_id, status: r.event.slice('batch.'.length) } });
    }
    for (const r of stationRows) {
      const at = ms(r.at);
      const detail = parseDetail(r.detail);
      if (r.event !== 'state') keyed.push({ at, rank: 1, id: r.id, event: { type: 'link', at, line: r.line_id, unit: r.unit, up: r.event === 'link.up' } });
      if (typeof detail.state === 'number') keyed.push({ at, rank: 2, id: r.id, event: { type: 'state', at, line: r.line_id, unit: r.unit, state: detail.state, stopReason: typeof detail.stopReason === 'number' ? detail.stopReason : 0 } });
    }
    for (const r of eventRows) {
      const at = ms(r.at);
      if (r.event === 'card.fed') {
        if (r.batch_id !== null && r.card_serial !== null) keyed.push({ at, rank: 3, id: r.id, event: { type: 'fed', at, line: r.line_id, batchId: r.batch_id, seq: Number(r.seq ?? 0), card: r.card_serial } });
        continue;
      }
      if (r.unit === null) continue;
      // A Done's reason is set exactly when its result is not 0 (the controller's reasonOfResult).
      const result = r.reason === null ? 0 : Number(parseDetail(r.detail).result ?? -1);
      keyed.push({
        at,
        rank: 3,
        id: r.id,
        event: { type: 'done', at, line: r.line_id, unit: r.unit, kind: r.event.slice(0, -'.done'.length), batchId: r.batch_id, seq: r.seq === null ? null : Number(r.seq), card: r.card_serial, result },
      });
    }
    for (const r of cardRows) {
      const at = ms(r.at);
      keyed.push({
        at,
        rank: 4,
        id: 0,
        event: { type: 'ended', at, line: r.line_id, unit: r.unit, batchId: r.batch_id, seq: Number(r.seq), attempt: Number(r.attempt), card: r.card_serial, good: r.status === 'good', reason: r.reason },
      });
    }
    keyed.sort((a, b) => a.at - b.at || a.rank - b.rank || a.id - b.id);
    return keyed.map((k) => k.event);
  }
}

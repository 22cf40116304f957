/**
 * The site's alarms in the database: each alarm's current state and the history of its states
 * (src/alarms decides the transitions; this file only keeps them). An acknowledgement is written
 * with its audit entry in one transaction: an alarm is never acknowledged without the evidence.
 */
import type { Knex } from 'knex';
import type { AlarmState } from '../events/site-event.ts';
import { appendAudit } from './audit.ts';
import { toDate } from './sql.ts';

export type AlarmPriority = 'low' | 'medium' | 'high' | 'urgent';

export interface AlarmRecord {
  readonly id: string;
  readonly lineId: string;
  readonly unitId: string | null;
  readonly condition: string;
  readonly message: string;
  readonly priority: AlarmPriority;
  readonly state: AlarmState;
  readonly raisedAt: string;
  readonly clearedAt: string | null;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
}

export interface AlarmHistoryEntry {
  readonly at: string;
  readonly state: AlarmState;
  readonly actor: string | null;
}

export interface AlarmFilter {
  readonly lineId?: string | undefined;
  /** Only alarms that still need something: active, or cleared but unacknowledged. */
  readonly openOnly?: boolean | undefined;
  readonly activeOnly?: boolean | undefined;
  readonly limit?: number | undefined;
}

interface AlarmRow {
  alarm_id: string;
  line_id: string;
  unit_id: string | null;
  condition: string;
  message: string;
  priority: string;
  state: string;
  raised_at: string | Date;
  cleared_at: string | Date | null;
  acknowledged_at: string | Date | null;
  acknowledged_by: string | null;
}

const iso = (value: string | Date | null, where: string): string | null => (value === null ? null : toDate(value, where).toISOString());

function fromRow(row: AlarmRow): AlarmRecord {
  const where = `alarm ${row.alarm_id}`;
  return {
    id: row.alarm_id,
    lineId: row.line_id,
    unitId: row.unit_id,
    condition: row.condition,
    message: row.message,
    priority: row.priority as AlarmPriority,
    state: row.state as AlarmState,
    raisedAt: iso(row.raised_at, `${where} raised_at`)!,
    clearedAt: iso(row.cleared_at, `${where} cleared_at`),
    acknowledgedAt: iso(row.acknowledged_at, `${where} acknowledged_at`),
    acknowledgedBy: row.acknowledged_by,
  };
}

const OPEN_STATES: readonly AlarmState[] = ['active-unacknowledged', 'active-acknowledged', 'cleared-unacknowledged'];
const ACTIVE_STATES: readonly AlarmState[] = ['active-unacknowledged', 'active-acknowledged'];

export class AlarmStore {
  constructor(private readonly db: Knex) {}

  /** A new alarm, active and unacknowledged. */
  async raise(alarm: AlarmRecord): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('alarms').insert({
        alarm_id: alarm.id,
        line_id: alarm.lineId,
        unit_id: alarm.unitId,
        condition: alarm.condition,
        message: alarm.message,
        priority: alarm.priority,
        state: alarm.state,
        raised_at: alarm.raisedAt,
        cleared_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        updated_at: alarm.raisedAt,
      });
      await trx('alarm_history').insert({ alarm_id: alarm.id, at: alarm.raisedAt, state: alarm.state, actor: null });
    });
  }

  /**
   * A state its condition brought (cleared, or re-raised). A re-raised alarm is unacknowledged and
   * active again: its clearing and acknowledgement times are reset.
   */
  async changeState(id: string, state: AlarmState, at: string): Promise<void> {
    const reraised = state === 'active-unacknowledged';
    await this.db.transaction(async (trx) => {
      const changes: Record<string, unknown> = { state, updated_at: at };
      if (reraised) Object.assign(changes, { cleared_at: null, acknowledged_at: null, acknowledged_by: null });
      else changes.cleared_at = at;
      await trx('alarms').where({ alarm_id: id }).update(changes);
      await trx('alarm_history').insert({ alarm_id: id, at, state, actor: null });
    });
  }

  /**
   * An acknowledgement: the new state, who and when, and the audit entry, in one transaction. Resolves
   * false (and changes nothing) when the alarm is no longer in `from` (somebody else acted first).
   */
  async acknowledge(id: string, from: AlarmState, to: AlarmState, by: string, at: string): Promise<boolean> {
    return this.db.transaction(async (trx) => {
      const row = await trx<AlarmRow>('alarms').where({ alarm_id: id }).first();
      if (!row || row.state !== from) return false;
      await trx('alarms').where({ alarm_id: id }).update({ state: to, acknowledged_at: at, acknowledged_by: by, updated_at: at });
      await trx('alarm_history').insert({ alarm_id: id, at, state: to, actor: by });
      await appendAudit(trx, {
        actor: by,
        action: 'alarm.acknowledge',
        subjectType: 'alarm',
        subjectId: id,
        details: { lineId: row.line_id, unitId: row.unit_id, condition: row.condition, priority: row.priority, from, to },
      });
      return true;
    });
  }

  async get(id: string): Promise<AlarmRecord | undefined> {
    const row = await this.db<AlarmRow>('alarms').where({ alarm_id: id }).first();
    return row ? fromRow(row) : undefined;
  }

  /** Newest first. */
  async list(filter: AlarmFilter = {}): Promise<AlarmRecord[]> {
    const q = this.db<AlarmRow>('alarms');
    if (filter.lineId !== undefined) q.where('line_id', filter.lineId);
    if (filter.activeOnly) q.whereIn('state', ACTIVE_STATES);
    else if (filter.openOnly) q.whereIn('state', OPEN_STATES);
    q.orderBy([{ column: 'raised_at', order: 'desc' }, { column: 'alarm_id', order: 'desc' }]).limit(filter.limit ?? 500);
    const rows: AlarmRow[] = await q;
    return rows.map(fromRow);
  }

  /**
   * The alarms of `lines` that were active at some time in [from, to): raised before `to` and not
   * cleared before `from`, oldest first (the reports' "alarms of the period"), at most `limit`.
   */
  async ofPeriod(lines: readonly string[], from: Date, to: Date, limit = 1000): Promise<AlarmRecord[]> {
    const rows: AlarmRow[] = await this.db<AlarmRow>('alarms')
      .whereIn('line_id', [...lines])
      .where('raised_at', '<', to.toISOString())
      .where((q) => void q.whereNull('cleared_at').orWhere('cleared_at', '>=', from.toISOString()))
      .orderBy([{ column: 'raised_at', order: 'asc' }, { column: 'alarm_id', order: 'asc' }])
      .limit(limit);
    return rows.map(fromRow);
  }

  async history(id: string): Promise<AlarmHistoryEntry[]> {
    const rows = await this.db<{ id: number; alarm_id: string; at: string | Date; state: string; actor: string | null }>('alarm_history').where({ alarm_id: id }).orderBy('id');
    return rows.map((r) => ({ at: iso(r.at, `alarm ${id} history`)!, state: r.state as AlarmState, actor: r.actor }));
  }
}

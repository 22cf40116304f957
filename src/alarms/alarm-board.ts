/**
 * The site's alarm board: observes the lines this server drives (a LineObserver), reads every
 * unit's conditions through the rule table on each link event, each committed journal group and a
 * timer (heartbeats age without events), moves each alarm through the ISA-18.2 states, keeps them
 * in the alarm store and publishes each change as an `alarm` event. Acknowledging is an operator's
 * act, audited with the user.
 *
 * Every change of an alarm runs on one queue, so the board's memory, the store and the events see
 * the same order whatever the timing of conditions and acknowledgements.
 */
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/session.ts';
import type { AlarmState, SiteEventBus } from '../events/site-event.ts';
import type { StationLink } from '../plc/station-link.ts';
import { SiteRequestError, type AlarmBoard, type AlarmView, type LineObserver, type ObservedLine } from '../site/runtime.ts';
import type { AlarmRecord, AlarmStore } from '../store/alarm-store.ts';
import { alarmStep, AlarmTransitionError, type AlarmPhase } from './alarm-state.ts';
import { nextStreak, unitResults } from './reject-streak.ts';
import { ALARM_RULES, DEFAULT_ALARM_SETTINGS, readConditions, type AlarmRule, type AlarmSettings, type RejectStreak, type UnitObservation } from './rules.ts';

export interface AlarmBoardOptions extends Partial<AlarmSettings> {
  /** How often every unit's conditions are read again without an event (ms); default 250. */
  readonly evaluateEveryMs?: number;
  readonly rules?: readonly AlarmRule[];
  /** Where a failed alarm write goes (default: a process warning). */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

/** The alarm an open condition has. */
interface OpenAlarm {
  readonly record: AlarmRecord;
  state: AlarmPhase;
}

interface UnitTrack {
  readonly unitId: string;
  readonly link: StationLink;
  unreachableSince: number | null;
  streak: RejectStreak | null;
}

const keyOf = (lineId: string, unitId: string | null, condition: string): string => `${lineId}\u0000${unitId ?? ''}\u0000${condition}`;

export class SiteAlarmBoard implements AlarmBoard, LineObserver {
  private readonly settings: AlarmSettings;
  private readonly rules: readonly AlarmRule[];
  private readonly open = new Map<string, OpenAlarm>();
  /** The last reading queued per condition: a reading is queued only when it changes. */
  private readonly readings = new Map<string, boolean>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AlarmStore,
    private readonly bus: SiteEventBus,
    private readonly options: AlarmBoardOptions = {},
  ) {
    this.settings = {
      staleHeartbeatMs: options.staleHeartbeatMs ?? DEFAULT_ALARM_SETTINGS.staleHeartbeatMs,
      offlineDelayMs: options.offlineDelayMs ?? DEFAULT_ALARM_SETTINGS.offlineDelayMs,
      rejectRepeat: options.rejectRepeat ?? DEFAULT_ALARM_SETTINGS.rejectRepeat,
    };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!(Number.isFinite(value) && value >= 0)) throw new RangeError(`alarm setting ${name} must be a number ≥ 0, got ${String(value)}`);
    }
    this.rules = options.rules ?? ALARM_RULES;
  }

  attach(line: ObservedLine): () => void {
    const { lineId } = line;
    const units = new Map<string, UnitTrack>();
    // Readings from an earlier attachment of this line are stale (another server may have driven it since).
    const forget = (): void => {
      for (const key of this.readings.keys()) if (key.startsWith(`${lineId}\u0000`)) this.readings.delete(key);
    };
    forget();
    const offs: (() => void)[] = [];
    // Alarms a previous process left open on this line carry on (no duplicate when their condition still holds).
    this.background(async () => {
      for (const record of await this.store.list({ lineId, openOnly: true })) {
        this.open.set(keyOf(record.lineId, record.unitId, record.condition), { record, state: record.state });
      }
    });
    const evaluate = (unit: UnitTrack): void => this.evaluate(lineId, unit);
    for (const [unitId, link] of line.links) {
      const unit: UnitTrack = { unitId, link, unreachableSince: null, streak: null };
      units.set(unitId, unit);
      offs.push(link.subscribe(() => evaluate(unit)));
    }
    offs.push(
      line.onCommitted((ops) => {
        const touched = new Set<UnitTrack>();
        for (const result of unitResults(ops)) {
          const unit = units.get(result.unitId);
          if (!unit) continue;
          unit.streak = nextStreak(unit.streak, result.reason);
          touched.add(unit);
        }
        for (const unit of touched) evaluate(unit);
      }),
    );
    const everyMs = this.options.evaluateEveryMs ?? 250;
    const timer = setInterval(() => {
      for (const unit of units.values()) evaluate(unit);
    }, everyMs);
    timer.unref();
    for (const unit of units.values()) evaluate(unit);
    return () => {
      clearInterval(timer);
      for (const off of offs.splice(0)) off();
      forget();
    };
  }

  async list(filter: { readonly lineId?: string; readonly activeOnly?: boolean; readonly openOnly?: boolean; readonly limit?: number } = {}): Promise<readonly AlarmView[]> {
    await this.settled();
    return this.store.list(filter);
  }

  async acknowledge(alarmId: string, by: AuthUser): Promise<AlarmView> {
    return this.enqueue(async () => {
      const record = await this.store.get(alarmId);
      if (!record) throw new SiteRequestError(`no alarm ${alarmId}`, 404, 'alarmId');
      let step;
      try {
        step = alarmStep(record.state, 'acknowledge');
      } catch (error) {
        if (error instanceof AlarmTransitionError) throw new SiteRequestError(`alarm ${alarmId}: ${error.message}`, 409, 'alarmId');
        throw error;
      }
      const at = this.isoNow();
      const to = step.to as AlarmState;
      if (!(await this.store.acknowledge(alarmId, record.state, to, by.name, at))) {
        throw new SiteRequestError(`alarm ${alarmId} changed while being acknowledged; reload it`, 409, 'alarmId');
      }
      const key = keyOf(record.lineId, record.unitId, record.condition);
      const open = this.open.get(key);
      if (open?.record.id === alarmId) {
        if (to === 'cleared') this.open.delete(key);
        else open.state = to;
      }
      this.bus.publish({ type: 'alarm', alarmId, lineId: record.lineId, unitId: record.unitId, condition: record.condition, priority: record.priority, state: to, by: by.name });
      const updated = await this.store.get(alarmId);
      return updated!;
    });
  }

  /** Resolves once every change queued so far is stored and published. */
  async settled(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.queue) {
      last = this.queue;
      await last;
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  private observe(unit: UnitTrack): UnitObservation {
    const now = this.now();
    const link = unit.link;
    const reachable = link.reachable ?? link.connected;
    if (reachable) unit.unreachableSince = null;
    else unit.unreachableSince ??= now;
    return {
      unitId: unit.unitId,
      status: link.status,
      reachable,
      unreachableForMs: unit.unreachableSince === null ? 0 : now - unit.unreachableSince,
      heartbeatAgeMs: link.lastHeartbeatAt === undefined ? null : Math.max(0, now - link.lastHeartbeatAt),
      rejectStreak: unit.streak,
    };
  }

  private evaluate(lineId: string, unit: UnitTrack): void {
    const observation = this.observe(unit);
    for (const { rule, active } of readConditions(observation, this.settings, this.rules)) {
      const key = keyOf(lineId, unit.unitId, rule.condition);
      if (this.readings.get(key) === active) continue;
      this.readings.set(key, active);
      const message = rule.message(observation, this.settings);
      this.background(async () => {
        try {
          await this.apply(key, lineId, unit.unitId, rule, active, message);
        } catch (error) {
          // Read again at the next evaluation: the store may be back.
          this.readings.delete(key);
          throw error;
        }
      });
    }
  }

  /** A condition's new reading: the alarm's transition, stored, then published. */
  private async apply(key: string, lineId: string, unitId: string, rule: AlarmRule, active: boolean, message: string): Promise<void> {
    let open = this.open.get(key);
    if (open) {
      // Another server of the site may have acknowledged it since: the store has the last word.
      const stored = await this.store.get(open.record.id);
      open.state = stored?.state ?? 'cleared';
      if (open.state === 'cleared') {
        this.open.delete(key);
        open = undefined;
      }
    }
    const step = alarmStep(open?.state ?? 'normal', active ? 'condition.active' : 'condition.normal');
    if (!step.changed) return;
    const at = this.isoNow();
    let record: AlarmRecord;
    if (step.raised || !open) {
      record = {
        id: `AL-${randomUUID().replaceAll('-', '').slice(0, 16)}`,
        lineId,
        unitId,
        condition: rule.condition,
        message,
        priority: rule.priority,
        state: 'active-unacknowledged',
        raisedAt: at,
        clearedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
      };
      await this.store.raise(record);
      this.open.set(key, { record, state: step.to });
    } else {
      record = open.record;
      await this.store.changeState(record.id, step.to as AlarmState, at);
      if (step.to === 'cleared') this.open.delete(key);
      else open.state = step.to;
    }
    this.bus.publish({ type: 'alarm', alarmId: record.id, lineId, unitId, condition: rule.condition, priority: rule.priority, state: step.to as AlarmState });
  }

  /** A change nobody awaits: its failure goes to onError (through the queue). */
  private background(task: () => Promise<void>): void {
    this.enqueue(task).catch(() => undefined);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(
      () => undefined,
      (error: unknown) => {
        // A refused acknowledgement is its caller's answer, not a board failure.
        if (!(error instanceof SiteRequestError)) (this.options.onError ?? defaultOnError)(error);
      },
    );
    return run;
  }
}

function defaultOnError(error: unknown): void {
  process.emitWarning(`alarm board: ${error instanceof Error ? error.message : String(error)}`);
}

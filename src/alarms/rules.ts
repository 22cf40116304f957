/**
 * When a unit is in alarm: the rules as one table (condition, priority, when its condition is true,
 * the operator's text). Pure: a unit's observation in, the conditions out. Texts name units, PackML
 * states and reason codes, nothing personal.
 */
import { PACKML_STATES, stateName, STOP_REASONS } from '../plc/packml.ts';
import type { StationStatus } from '../plc/station-link.ts';
import type { AlarmPriority } from '../store/alarm-store.ts';

/** What the alarm board knows of a unit at one moment. */
export interface UnitObservation {
  readonly unitId: string;
  /** The PLC's last report, undefined before the first. */
  readonly status: StationStatus | undefined;
  /** The transport is up (the PLC answers), whatever its heartbeat does. */
  readonly reachable: boolean;
  /** For how long the transport has been down (0 while up). */
  readonly unreachableForMs: number;
  /** Since the PLC's heartbeat last changed; null when unknown. */
  readonly heartbeatAgeMs: number | null;
  /** The unit's consecutive rejects with one reason since its last good result. */
  readonly rejectStreak: RejectStreak | null;
}

export interface RejectStreak {
  readonly reason: string;
  readonly count: number;
}

export interface AlarmSettings {
  /** A reachable PLC whose heartbeat has not changed for longer than this is in alarm (ms). */
  readonly staleHeartbeatMs: number;
  /** An unreachable PLC is in alarm after this on-delay (ms; connection blips stay quiet). */
  readonly offlineDelayMs: number;
  /** This many rejects in a row with the same reason on one unit are in alarm. */
  readonly rejectRepeat: number;
}

export const DEFAULT_ALARM_SETTINGS: AlarmSettings = Object.freeze({ staleHeartbeatMs: 5_000, offlineDelayMs: 1_000, rejectRepeat: 3 });

export interface AlarmRule {
  readonly condition: string;
  readonly priority: AlarmPriority;
  /** What the operator is to do about it (docs and screens). */
  readonly response: string;
  active(unit: UnitObservation, settings: AlarmSettings): boolean;
  message(unit: UnitObservation, settings: AlarmSettings): string;
}

const S = PACKML_STATES;
const R = STOP_REASONS;
/** Stop reasons that are faults; an emergency stop is the Aborted alarm's, the operator's own stops are none. */
const FAULT_STOPS: readonly number[] = [R.CardJam, R.HostLost, R.Fault];
const STOP_REASON_NAMES = Object.fromEntries(Object.entries(STOP_REASONS).map(([k, v]) => [v, k])) as Record<number, string>;

const stateIs = (unit: UnitObservation, ...states: number[]): boolean => unit.status !== undefined && states.includes(unit.status.state);
const reasonOf = (unit: UnitObservation): string => STOP_REASON_NAMES[unit.status?.stopReason ?? 0] ?? `Unknown(${unit.status?.stopReason})`;
const stateOf = (unit: UnitObservation): string => (unit.status ? stateName(unit.status.state) : 'unknown');

export const ALARM_RULES: readonly AlarmRule[] = [
  {
    condition: 'station.aborted',
    priority: 'urgent',
    response: 'find why the station was aborted (emergency stop), make it safe, then Clear and Reset it',
    active: (u) => stateIs(u, S.Aborting, S.Aborted) && u.status!.stopReason !== R.Operator,
    message: (u) => `${u.unitId} ${stateOf(u)} (stop reason ${reasonOf(u)})`,
  },
  {
    condition: 'station.held',
    priority: 'high',
    response: 'clear the cause (a card jam) at the station; the line unholds it',
    active: (u) => stateIs(u, S.Held) && u.status!.stopReason !== R.Operator,
    message: (u) => `${u.unitId} Held (stop reason ${reasonOf(u)})`,
  },
  {
    condition: 'station.stopped',
    priority: 'high',
    response: 'the station stopped on a fault: fix it, then Reset and Start it',
    active: (u) => stateIs(u, S.Stopping, S.Stopped) && FAULT_STOPS.includes(u.status!.stopReason),
    message: (u) => `${u.unitId} Stopped by a fault (stop reason ${reasonOf(u)})`,
  },
  {
    condition: 'station.offline',
    priority: 'high',
    response: 'the PLC does not answer: check its power and network',
    active: (u, s) => !u.reachable && u.unreachableForMs >= s.offlineDelayMs,
    message: (u) => `${u.unitId} offline: its PLC does not answer`,
  },
  {
    condition: 'heartbeat.stale',
    priority: 'high',
    response: "the PLC answers but its program is not running: check the PLC's mode and program",
    active: (u, s) => u.reachable && u.heartbeatAgeMs !== null && u.heartbeatAgeMs > s.staleHeartbeatMs,
    message: (u, s) => `${u.unitId} heartbeat stale: unchanged for more than ${s.staleHeartbeatMs / 1000} s`,
  },
  {
    condition: 'feeder.starved',
    priority: 'medium',
    response: 'load blanks into the feeder magazine (stock load)',
    active: (u) => stateIs(u, S.Suspending, S.Suspended) && u.status!.stopReason === R.Starved,
    message: (u) => `${u.unitId} starved: the magazine is empty`,
  },
  {
    condition: 'stacker.full',
    priority: 'medium',
    response: 'empty the stacker',
    active: (u) => stateIs(u, S.Suspending, S.Suspended) && u.status!.stopReason === R.Blocked,
    message: (u) => `${u.unitId} blocked: the stacker is full`,
  },
  {
    condition: 'reject.repeated',
    priority: 'high',
    response: 'the same fault keeps spoiling cards on this unit: take it out of production and inspect it',
    active: (u, s) => u.rejectStreak !== null && u.rejectStreak.count >= s.rejectRepeat,
    message: (u) => `${u.unitId}: ${u.rejectStreak?.count ?? 0} rejects in a row with ${u.rejectStreak?.reason ?? 'the same reason'}`,
  },
];

export interface ConditionReading {
  readonly rule: AlarmRule;
  readonly active: boolean;
}

/** Every rule's reading for one unit. */
export function readConditions(unit: UnitObservation, settings: AlarmSettings = DEFAULT_ALARM_SETTINGS, rules: readonly AlarmRule[] = ALARM_RULES): ConditionReading[] {
  return rules.map((rule) => ({ rule, active: rule.active(unit, settings) }));
}

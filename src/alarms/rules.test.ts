// Each alarm rule, table-driven: the observations that raise it and the ones that must not.
import { describe, expect, it } from 'vitest';
import { PACKML_STATES as S, STOP_REASONS as R, type PackMLState } from '../plc/packml.ts';
import type { JournalOp } from '../store/line-store.ts';
import { nextStreak, unitResults } from './reject-streak.ts';
import { ALARM_RULES, DEFAULT_ALARM_SETTINGS, readConditions, type UnitObservation } from './rules.ts';

const base: UnitObservation = {
  unitId: 'encoder-1',
  status: { state: S.Execute, unitMode: 1, processed: 0, defective: 0, stopReason: R.None },
  reachable: true,
  unreachableForMs: 0,
  heartbeatAgeMs: 100,
  rejectStreak: null,
};
const at = (state: PackMLState, stopReason: number = R.None): UnitObservation => ({ ...base, status: { ...base.status!, state, stopReason } });

/** The conditions in alarm for an observation. */
const alarmsOf = (u: UnitObservation, settings = DEFAULT_ALARM_SETTINGS): string[] =>
  readConditions(u, settings)
    .filter((r) => r.active)
    .map((r) => r.rule.condition);

describe('alarm rules', () => {
  it.each<[string, UnitObservation, string[]]>([
    ['producing', base, []],
    ['idle, stopped by the operator', at(S.Stopped, R.Operator), []],
    ['held by the operator (a line pause)', at(S.Held, R.Operator), []],
    ['held by a card jam', at(S.Held, R.CardJam), ['station.held']],
    ['aborted by the emergency stop', at(S.Aborted, R.EmergencyStop), ['station.aborted']],
    ['aborting by the emergency stop', at(S.Aborting, R.EmergencyStop), ['station.aborted']],
    ['aborted by the operator', at(S.Aborted, R.Operator), []],
    ['stopped after an emergency stop was cleared (the Aborted alarm said it)', at(S.Stopped, R.EmergencyStop), []],
    ['stopped by a fault', at(S.Stopped, R.Fault), ['station.stopped']],
    ['stopped because the host was lost', at(S.Stopped, R.HostLost), ['station.stopped']],
    ['stopped by a jam', at(S.Stopping, R.CardJam), ['station.stopped']],
    ['suspended, starved', at(S.Suspended, R.Starved), ['feeder.starved']],
    ['suspended, blocked by a full stacker', at(S.Suspended, R.Blocked), ['stacker.full']],
    ['back in Execute with a stale stop reason', at(S.Execute, R.Starved), []],
    ['unreachable for less than the on-delay', { ...base, reachable: false, unreachableForMs: 500 }, []],
    ['unreachable past the on-delay', { ...base, reachable: false, unreachableForMs: 1000, heartbeatAgeMs: 60_000 }, ['station.offline']],
    ['unreachable before any report', { ...base, status: undefined, reachable: false, unreachableForMs: 5000, heartbeatAgeMs: null }, ['station.offline']],
    ['reachable, heartbeat unchanged 5 s (not more)', { ...base, heartbeatAgeMs: 5000 }, []],
    ['reachable, heartbeat unchanged over 5 s', { ...base, heartbeatAgeMs: 5001 }, ['heartbeat.stale']],
    ['heartbeat age unknown', { ...base, heartbeatAgeMs: null }, []],
    ['two rejects in a row', { ...base, rejectStreak: { reason: 'CHIP_WRITE_FAILED', count: 2 } }, []],
    ['three rejects in a row', { ...base, rejectStreak: { reason: 'CHIP_WRITE_FAILED', count: 3 } }, ['reject.repeated']],
  ])('%s → %j', (_, unit, expected) => {
    expect(alarmsOf(unit)).toStrictEqual(expected);
  });

  it('follows the settings (stale heartbeat threshold, repeat count, offline delay)', () => {
    const settings = { staleHeartbeatMs: 2000, rejectRepeat: 5, offlineDelayMs: 0 };
    expect(alarmsOf({ ...base, heartbeatAgeMs: 2500 }, settings)).toStrictEqual(['heartbeat.stale']);
    expect(alarmsOf({ ...base, rejectStreak: { reason: 'LASER_FAULT', count: 4 } }, settings)).toStrictEqual([]);
    expect(alarmsOf({ ...base, rejectStreak: { reason: 'LASER_FAULT', count: 5 } }, settings)).toStrictEqual(['reject.repeated']);
    expect(alarmsOf({ ...base, reachable: false, unreachableForMs: 0 }, settings)).toStrictEqual(['station.offline']);
  });

  it('every rule has a distinct condition, a priority and texts without anything but unit, state and code', () => {
    expect(new Set(ALARM_RULES.map((r) => r.condition)).size).toBe(ALARM_RULES.length);
    const unit: UnitObservation = { ...at(S.Held, R.CardJam), rejectStreak: { reason: 'CHIP_WRITE_FAILED', count: 3 } };
    for (const rule of ALARM_RULES) {
      expect(['low', 'medium', 'high', 'urgent']).toContain(rule.priority);
      expect(rule.message(unit, DEFAULT_ALARM_SETTINGS)).toMatch(/^encoder-1\b/);
      expect(rule.response.length).toBeGreaterThan(10);
    }
    expect(ALARM_RULES.find((r) => r.condition === 'reject.repeated')!.message(unit, DEFAULT_ALARM_SETTINGS)).toBe('encoder-1: 3 rejects in a row with CHIP_WRITE_FAILED');
  });
});

describe('reject streaks', () => {
  it('counts one reason in a row per unit; a good result or another reason restarts it', () => {
    const ops: JournalOp[] = [
      { op: 'event', event: 'encoder.done', cardSerial: 'T1', unit: 'encoder-1', reason: 'CHIP_WRITE_FAILED' },
      { op: 'card.ended', cardSerial: 'T1', status: 'spoiled', unit: 'encoder-1', reason: 'CHIP_WRITE_FAILED', batchId: 'B' },
      { op: 'event', event: 'encoder.done', cardSerial: 'T2', unit: 'encoder-2', reason: null },
      { op: 'event', event: 'job.failed', cardSerial: 'T3', unit: 'encoder-1', reason: 'JOB_TIMEOUT' },
      { op: 'event', event: 'qa.passed', cardSerial: 'T4' },
    ];
    expect(unitResults(ops)).toStrictEqual([
      { unitId: 'encoder-1', reason: 'CHIP_WRITE_FAILED' },
      { unitId: 'encoder-2', reason: null },
      { unitId: 'encoder-1', reason: 'JOB_TIMEOUT' },
    ]);
    // QA's Done is good as a station result; the controller's verdict on it fails the card.
    expect(
      unitResults([
        { op: 'event', event: 'qa.done', cardSerial: 'T5', unit: 'qa', reason: null },
        { op: 'event', event: 'qa.failed', cardSerial: 'T5', reason: 'CHIP_UNREADABLE' },
        { op: 'event', event: 'qa.done', cardSerial: 'T6', unit: 'qa', reason: null },
        { op: 'event', event: 'qa.passed', cardSerial: 'T6' },
        { op: 'event', event: 'qa.failed', cardSerial: 'T7', reason: 'CHIP_UNREADABLE' },
      ]),
    ).toStrictEqual([
      { unitId: 'qa', reason: 'CHIP_UNREADABLE' },
      { unitId: 'qa', reason: null },
    ]);
    let s = nextStreak(null, 'CHIP_NO_RESPONSE');
    s = nextStreak(s, 'CHIP_NO_RESPONSE');
    expect(s).toStrictEqual({ reason: 'CHIP_NO_RESPONSE', count: 2 });
    expect(nextStreak(s, 'LASER_FAULT')).toStrictEqual({ reason: 'LASER_FAULT', count: 1 });
    expect(nextStreak(s, null)).toBeNull();
  });
});

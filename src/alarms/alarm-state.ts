/**
 * The ISA-18.2 alarm state machine as cardline uses it, pure. An alarm is raised when its condition
 * becomes true (normal → active-unacknowledged). The operator acknowledges it (→ active-acknowledged)
 * and it ends (cleared) when the condition returns to normal; a condition that returns to normal
 * before anybody acknowledged it leaves the alarm cleared-unacknowledged until acknowledged (→ cleared).
 * A condition that comes back before the alarm ended re-raises that same alarm as
 * active-unacknowledged (an operator must see it again); once cleared, a new alarm is raised.
 */
import type { AlarmState } from '../events/site-event.ts';

/** 'normal': no alarm (none raised, or the last one ended). */
export type AlarmPhase = AlarmState | 'normal';

export type AlarmInput = 'condition.active' | 'condition.normal' | 'acknowledge';

export interface AlarmStep {
  readonly to: AlarmPhase;
  /** A new alarm starts (normal → active-unacknowledged). */
  readonly raised: boolean;
  /** The state changed: the alarm is stored and published again. */
  readonly changed: boolean;
}

/** An acknowledgement of an alarm that has nothing to acknowledge. */
export class AlarmTransitionError extends Error {
  override name = 'AlarmTransitionError';
  constructor(readonly from: AlarmPhase) {
    super(from === 'normal' || from === 'cleared' ? 'the alarm has ended; there is nothing to acknowledge' : 'the alarm is acknowledged already');
  }
}

const TABLE: Readonly<Record<AlarmPhase, Readonly<Record<AlarmInput, AlarmPhase | 'refuse'>>>> = {
  normal: { 'condition.active': 'active-unacknowledged', 'condition.normal': 'normal', acknowledge: 'refuse' },
  'active-unacknowledged': { 'condition.active': 'active-unacknowledged', 'condition.normal': 'cleared-unacknowledged', acknowledge: 'active-acknowledged' },
  'active-acknowledged': { 'condition.active': 'active-acknowledged', 'condition.normal': 'cleared', acknowledge: 'refuse' },
  'cleared-unacknowledged': { 'condition.active': 'active-unacknowledged', 'condition.normal': 'cleared-unacknowledged', acknowledge: 'cleared' },
  // An ended alarm: its condition coming back raises a new alarm (the caller starts one from normal).
  cleared: { 'condition.active': 'active-unacknowledged', 'condition.normal': 'cleared', acknowledge: 'refuse' },
};

/** The next state of an alarm; throws AlarmTransitionError for an acknowledgement with nothing to acknowledge. */
export function alarmStep(from: AlarmPhase, input: AlarmInput): AlarmStep {
  const to = TABLE[from][input];
  if (to === 'refuse') throw new AlarmTransitionError(from);
  return { to, raised: (from === 'normal' || from === 'cleared') && to === 'active-unacknowledged', changed: to !== from };
}

/** Whether the alarm still needs something: its condition is active, or it waits for an acknowledgement. */
export function isOpen(state: AlarmPhase): boolean {
  return state !== 'normal' && state !== 'cleared';
}

export function isActive(state: AlarmPhase): boolean {
  return state === 'active-unacknowledged' || state === 'active-acknowledged';
}

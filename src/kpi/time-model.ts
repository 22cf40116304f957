/**
 * ISO 22400-2's time model from PackML states (ISA-TR88.00.02): which time element a unit's state
 * feeds while a run is under way. docs/kpis.md has the table in words.
 *
 * - Execute → actual production time (APT).
 * - Any other state with StopReason Operator (a Hold, Stop, Suspend or Abort by an operator: the
 *   operator's pause) → planned down time (PDOT), outside the planned busy time.
 * - Held, Holding, Unholding, Aborting, Aborted, Clearing, or any state with a fault StopReason
 *   (CardJam, EmergencyStop, Fault, HostLost: the recovery after a fault too), and a lost link →
 *   actual unit down time (ADOT).
 * - Suspended starved or blocked, and the other non-producing states (Stopped, Resetting, Idle,
 *   Starting, Completing, Complete without a fault) → actual unit delay time (ADET).
 * Outside a run nothing is planned: the time is in no element.
 */
import { PACKML_STATES, STOP_REASONS } from '../plc/packml.ts';

export type TimeElement = 'apt' | 'adet' | 'adot' | 'pdot';

const FAULT_REASONS: ReadonlySet<number> = new Set([STOP_REASONS.CardJam, STOP_REASONS.EmergencyStop, STOP_REASONS.Fault, STOP_REASONS.HostLost]);
const DOWN_STATES: ReadonlySet<number> = new Set([
  PACKML_STATES.Holding,
  PACKML_STATES.Held,
  PACKML_STATES.Unholding,
  PACKML_STATES.Aborting,
  PACKML_STATES.Aborted,
  PACKML_STATES.Clearing,
]);

/** The element a unit's state feeds during a run; `undefined` state: not known yet (a delay). */
export function timeElement(state: number | undefined, stopReason: number, linkUp: boolean): TimeElement {
  if (!linkUp) return 'adot';
  if (state === PACKML_STATES.Execute) return 'apt';
  if (stopReason === STOP_REASONS.Operator) return 'pdot';
  if (FAULT_REASONS.has(stopReason) || (state !== undefined && DOWN_STATES.has(state))) return 'adot';
  return 'adet';
}

/**
 * The line's own element from its units' (clarification of issue 17: not a sum of station times in
 * series): paused by an operator anywhere → planned down; else any unit down → down; else every
 * unit producing → production; else a delay (starved, blocked, starting).
 */
export function lineElement(counts: Readonly<Record<TimeElement, number>>, units: number): TimeElement {
  if (counts.pdot > 0) return 'pdot';
  if (counts.adot > 0) return 'adot';
  if (units > 0 && counts.apt === units) return 'apt';
  return 'adet';
}

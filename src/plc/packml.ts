/**
 * PackML (ISA-TR88.00.02-2015) states, commands and transitions: the one table the simulator's PLC
 * logic, the station links and the station machine all use. Numbers are PackTags' StateCurrent and
 * CntrlCmd values (docs/plc-interface.md, "States and commands").
 */

export const PACKML_STATES = {
  Undefined: 0,
  Clearing: 1,
  Stopped: 2,
  Starting: 3,
  Idle: 4,
  Suspended: 5,
  Execute: 6,
  Stopping: 7,
  Aborting: 8,
  Aborted: 9,
  Holding: 10,
  Held: 11,
  Unholding: 12,
  Suspending: 13,
  Unsuspending: 14,
  Resetting: 15,
  Completing: 16,
  Complete: 17,
} as const;

export type PackMLStateName = keyof typeof PACKML_STATES;
export type PackMLState = (typeof PACKML_STATES)[PackMLStateName];

export const PACKML_COMMANDS = {
  Undefined: 0,
  Reset: 1,
  Start: 2,
  Stop: 3,
  Hold: 4,
  Unhold: 5,
  Suspend: 6,
  Unsuspend: 7,
  Abort: 8,
  Clear: 9,
  Complete: 10,
} as const;

export type PackMLCommandName = Exclude<keyof typeof PACKML_COMMANDS, 'Undefined'>;
export type PackMLCommand = (typeof PACKML_COMMANDS)[PackMLCommandName];

const STATE_NAMES = Object.fromEntries(Object.entries(PACKML_STATES).map(([k, v]) => [v, k])) as Record<number, PackMLStateName>;
const COMMAND_NAMES = Object.fromEntries(Object.entries(PACKML_COMMANDS).map(([k, v]) => [v, k])) as Record<number, PackMLCommandName>;

export function stateName(state: number): PackMLStateName | `Invalid(${number})` {
  return STATE_NAMES[state] ?? `Invalid(${state})`;
}

export function commandName(command: number): PackMLCommandName | `Invalid(${number})` {
  return COMMAND_NAMES[command] ?? `Invalid(${command})`;
}

export function isPackMLState(value: number): value is PackMLState {
  return STATE_NAMES[value] !== undefined;
}

/**
 * Command transitions: the acting state each command leads to, from the states where it is
 * allowed. Held leaves only by Unhold; Clear is accepted only in Aborted; Abort everywhere but
 * Aborting and Aborted; Stop everywhere but the stopped and aborted branch.
 */
export const COMMAND_TRANSITIONS: Readonly<Record<PackMLCommandName, { readonly from: readonly PackMLStateName[]; readonly to: PackMLStateName }>> = {
  Reset: { from: ['Stopped', 'Complete'], to: 'Resetting' },
  Start: { from: ['Idle'], to: 'Starting' },
  Stop: {
    from: ['Idle', 'Starting', 'Execute', 'Completing', 'Complete', 'Resetting', 'Holding', 'Held', 'Unholding', 'Suspending', 'Suspended', 'Unsuspending'],
    to: 'Stopping',
  },
  Hold: { from: ['Execute', 'Suspending', 'Suspended', 'Unsuspending'], to: 'Holding' },
  Unhold: { from: ['Held'], to: 'Unholding' },
  Suspend: { from: ['Execute'], to: 'Suspending' },
  Unsuspend: { from: ['Suspended'], to: 'Unsuspending' },
  Abort: {
    from: ['Clearing', 'Stopped', 'Starting', 'Idle', 'Suspended', 'Execute', 'Stopping', 'Holding', 'Held', 'Unholding', 'Suspending', 'Unsuspending', 'Resetting', 'Completing', 'Complete'],
    to: 'Aborting',
  },
  Clear: { from: ['Aborted'], to: 'Clearing' },
  Complete: { from: ['Execute'], to: 'Completing' },
};

/** State-complete (SC) transitions: where an acting state goes when its work is done. */
export const STATE_COMPLETE: Readonly<Partial<Record<PackMLStateName, PackMLStateName>>> = {
  Clearing: 'Stopped',
  Stopping: 'Stopped',
  Aborting: 'Aborted',
  Starting: 'Execute',
  Resetting: 'Idle',
  Holding: 'Held',
  Unholding: 'Execute',
  Suspending: 'Suspended',
  Unsuspending: 'Execute',
  Completing: 'Complete',
};

/** The acting state `command` leads to from `state`, or undefined when PackML does not allow it. */
export function commandTarget(state: PackMLState, command: PackMLCommandName): PackMLState | undefined {
  const t = COMMAND_TRANSITIONS[command];
  return t.from.includes(STATE_NAMES[state]!) ? PACKML_STATES[t.to] : undefined;
}

/** Wait states are stable; acting states move on by themselves (STATE_COMPLETE). */
export function isActingState(state: PackMLState): boolean {
  return STATE_COMPLETE[STATE_NAMES[state]!] !== undefined;
}

/**
 * States in which a station takes the job of the card at its infeed (the card's work starts only in
 * Execute): a station held by the operator or a jam, or suspended, keeps its next card and job ready,
 * so a pause costs no card. The feeder takes a job (it picks the blank) only in Execute.
 */
export const JOB_TAKING_STATES: readonly PackMLState[] = [
  PACKML_STATES.Execute,
  PACKML_STATES.Holding,
  PACKML_STATES.Held,
  PACKML_STATES.Unholding,
  PACKML_STATES.Suspending,
  PACKML_STATES.Suspended,
  PACKML_STATES.Unsuspending,
];

/** Why a station stopped producing (Admin.StopReason). */
export const STOP_REASONS = {
  None: 0,
  CardJam: 1,
  EmergencyStop: 2,
  Starved: 3,
  Blocked: 4,
  Operator: 5,
  HostLost: 6,
  Fault: 7,
} as const;

export type StopReasonName = keyof typeof STOP_REASONS;
export type StopReason = (typeof STOP_REASONS)[StopReasonName];

export const UNIT_MODES = { Produce: 1, Maintenance: 2, Manual: 3 } as const;

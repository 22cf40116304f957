/**
 * One station unit as the controller sees it: it mirrors the PLC's PackML state (from the link's
 * `plc.state` events) and issues the commands that bring the unit where the line wants it — Reset
 * and Start to produce, Hold to pause, Unhold to resume, Clear after an emergency stop, Stop at the
 * end — following PackML's own transitions (src/plc/packml.ts). A lost link (or a stale heartbeat)
 * takes it offline; Held and Aborted wait for a person unless the line recovers them by itself
 * (`autoRecover`, a simulated line's stand-in for the operator).
 *
 * No I/O: `sendCommand` is provided by the composition root (src/line) with machine.provide().
 */
import { assign, fromPromise, setup } from 'xstate';
import { PACKML_STATES, type PackMLCommandName } from '../src/plc/packml.ts';

export const STATION_MACHINE_VERSION = 1;

export type StationTarget = 'produce' | 'pause' | 'stop';

export interface StationContext {
  readonly unitId: string;
  readonly target: StationTarget;
  readonly autoRecover: boolean;
  /** The PLC's StateCurrent, undefined while offline. */
  readonly packml: number | undefined;
  readonly stopReason: number;
  readonly lastError: string | null;
  readonly recoverAfterMs: number;
  /** The PLC's state when the last command was sent: its Done re-decides if the PLC moved meanwhile. */
  readonly commandFrom?: number | undefined;
}

export type StationEvent =
  | { readonly type: 'plc.link.up' }
  | { readonly type: 'plc.link.down'; readonly reason: string }
  | { readonly type: 'plc.state'; readonly state: number; readonly stopReason: number }
  | { readonly type: 'line.produce' }
  | { readonly type: 'line.pause' }
  | { readonly type: 'line.stop' };

const S = PACKML_STATES;
const is = (...states: number[]) => ({ context }: { context: StationContext }) => context.packml !== undefined && states.includes(context.packml);

export const stationMachine = setup({
  types: {
    context: {} as StationContext,
    input: {} as { unitId: string; autoRecover?: boolean; recoverAfterMs?: number },
    events: {} as StationEvent,
  },
  actors: {
    sendCommand: fromPromise<void, { unitId: string; command: PackMLCommandName }>(() => {
      throw new Error('sendCommand is provided by the line controller');
    }),
  },
  delays: {
    recover: ({ context }) => context.recoverAfterMs,
    retry: 1000,
  },
  guards: {
    aborted: is(S.Aborted),
    held: is(S.Held),
    stopped: is(S.Stopped),
    idle: is(S.Idle),
    complete: is(S.Complete),
    executing: is(S.Execute, S.Suspended, S.Suspending, S.Unsuspending),
    wantsProduce: ({ context }) => context.target === 'produce',
    wantsPause: ({ context }) => context.target === 'pause',
    wantsStop: ({ context }) => context.target === 'stop',
    autoRecover: ({ context }) => context.autoRecover,
    /**
     * The PLC's state changed while the command was being answered (a data change can arrive ahead
     * of the write's response): no further plc.state may come, so the Done must decide again.
     */
    movedSinceCommand: ({ context }) => context.packml !== context.commandFrom,
  },
  actions: {
    keepState: assign({
      packml: ({ context, event }) => (event.type === 'plc.state' ? event.state : context.packml),
      stopReason: ({ context, event }) => (event.type === 'plc.state' ? event.stopReason : context.stopReason),
    }),
    forget: assign({ packml: () => undefined }),
    noteCommandFrom: assign({ commandFrom: ({ context }) => context.packml }),
    targetProduce: assign({ target: () => 'produce' as const }),
    targetPause: assign({ target: () => 'pause' as const }),
    targetStop: assign({ target: () => 'stop' as const }),
    keepError: assign({
      lastError: ({ event }) => {
        const error = (event as { error?: unknown }).error;
        return error instanceof Error ? error.message : 'unknown error';
      },
    }),
  },
}).createMachine({
  id: 'station',
  initial: 'offline',
  context: ({ input }) => ({
    unitId: input.unitId,
    target: 'produce',
    autoRecover: input.autoRecover ?? false,
    packml: undefined,
    stopReason: 0,
    lastError: null,
    recoverAfterMs: input.recoverAfterMs ?? 2000,
  }),
  on: {
    'line.produce': { actions: 'targetProduce', target: '.deciding' },
    'line.pause': { actions: 'targetPause', target: '.deciding' },
    'line.stop': { actions: 'targetStop', target: '.deciding' },
    'plc.link.down': { actions: 'forget', target: '.offline' },
  },
  states: {
    offline: {
      description: 'No link (or a stale heartbeat): nothing known, nothing commanded.',
      on: { 'plc.state': { actions: 'keepState', target: 'deciding' } },
    },
    deciding: {
      description: 'Picks the command that moves the unit toward the target, if any.',
      always: [
        { guard: ({ context }) => context.packml === undefined, target: 'offline' },
        { guard: ({ context }) => context.target === 'stop' && (context.packml === S.Stopped || context.packml === S.Aborted || context.packml === S.Stopping), target: 'settled' },
        { guard: 'wantsStop', target: 'stopping' },
        { guard: 'aborted', target: 'aborted' },
        { guard: 'held', target: 'held' },
        { guard: ({ context }) => context.target === 'produce' && (context.packml === S.Stopped || context.packml === S.Complete), target: 'resetting' },
        { guard: ({ context }) => context.target === 'produce' && context.packml === S.Idle, target: 'starting' },
        { guard: ({ context }) => context.target === 'pause' && context.packml === S.Execute, target: 'holding' },
        { target: 'settled' },
      ],
    },
    settled: {
      description: 'Where the target wants it, or in an acting state on its way.',
      on: { 'plc.state': { actions: 'keepState', target: 'deciding' } },
    },
    resetting: command('Reset'),
    starting: command('Start'),
    holding: command('Hold'),
    stopping: command('Stop'),
    held: {
      description: 'Held (a jam, or the operator). Produce target: Unhold — at once after a pause, after recoverAfterMs when the line recovers by itself from a jam, otherwise when a person resumes the line.',
      always: [{ guard: ({ context }) => context.target === 'produce' && context.stopReason !== 1, target: 'unholding' }],
      after: { recover: { guard: ({ context }) => context.autoRecover && context.target === 'produce', target: 'unholding' } },
      on: { 'plc.state': { actions: 'keepState', target: 'deciding' } },
    },
    unholding: command('Unhold'),
    aborted: {
      description: 'Aborted (emergency stop): Clear when the line recovers by itself, after recoverAfterMs; otherwise a person clears it.',
      after: { recover: { guard: 'autoRecover', target: 'clearing' } },
      on: { 'plc.state': { actions: 'keepState', target: 'deciding' } },
    },
    clearing: command('Clear'),
    fault: {
      description: 'A command failed (refused or no answer): look again after a pause.',
      after: { retry: 'deciding' },
      on: { 'plc.state': { actions: 'keepState' } },
    },
  },
});

/** A state that sends one command, then waits for the PLC's next state. */
function command(name: PackMLCommandName) {
  return {
    description: `Sends ${name}; when it is answered, waits for the PLC's next state, or decides again if the PLC moved meanwhile.`,
    entry: 'noteCommandFrom' as const,
    invoke: {
      src: 'sendCommand' as const,
      input: ({ context }: { context: StationContext }) => ({ unitId: context.unitId, command: name }),
      onDone: [{ guard: 'movedSinceCommand' as const, target: 'deciding' as const }, { target: 'settled' as const }],
      onError: { target: 'fault' as const, actions: 'keepError' as const },
    },
    on: { 'plc.state': { actions: 'keepState' as const } },
  };
}

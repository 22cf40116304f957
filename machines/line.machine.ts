/**
 * The line as the operator runs it: start a batch; pause (Hold every station) and resume (Unhold);
 * Suspended by itself while the feeder is starved or the stacker blocked; abort (the cards in the
 * line go to the reject bin, their records back to the queue or cancelled, as the operator
 * chooses); complete when every record has ended and the line is empty. The controller feeds
 * blanks only while the line is `running.producing` (feeding policy: src/line/scheduler.ts).
 */
import { assign, setup } from 'xstate';

export const LINE_MACHINE_VERSION = 1;

export interface LineContext {
  readonly lineId: string;
  readonly batchId: string | null;
  /** What happens to the records of cards in the line when the batch is aborted. */
  readonly onAbort: 'requeue' | 'cancel' | null;
  readonly suspendedBy: 'starved' | 'blocked' | null;
}

export type LineEvent =
  | { readonly type: 'line.start'; readonly batchId: string }
  /** Every station is producing. */
  | { readonly type: 'line.ready' }
  | { readonly type: 'line.pause' }
  | { readonly type: 'line.resume' }
  | { readonly type: 'line.starved' }
  | { readonly type: 'line.blocked' }
  | { readonly type: 'line.unsuspended' }
  | { readonly type: 'line.abort'; readonly records: 'requeue' | 'cancel' }
  /** Every card of the batch has left the line (stacker or reject bin). */
  | { readonly type: 'line.empty' }
  /** Every record of the batch is produced, failed or cancelled. */
  | { readonly type: 'line.allEnded' }
  /** A record has work again (an inspector rejected its card during the run): the line produces again. */
  | { readonly type: 'line.reopened' };

export const lineMachine = setup({
  types: {
    context: {} as LineContext,
    input: {} as { lineId: string },
    events: {} as LineEvent,
  },
  actions: {
    keepBatch: assign({ batchId: ({ event }) => (event.type === 'line.start' ? event.batchId : null), onAbort: () => null }),
    keepAbortChoice: assign({ onAbort: ({ event }) => (event.type === 'line.abort' ? event.records : null) }),
    keepSuspension: assign({ suspendedBy: ({ event }) => (event.type === 'line.starved' ? 'starved' : event.type === 'line.blocked' ? 'blocked' : null) }),
  },
}).createMachine({
  id: 'line',
  initial: 'idle',
  context: ({ input }) => ({ lineId: input.lineId, batchId: null, onAbort: null, suspendedBy: null }),
  states: {
    idle: { description: 'No batch on the line.', on: { 'line.start': { target: 'starting', actions: 'keepBatch' } } },
    starting: {
      description: 'Stations are reset and started.',
      on: { 'line.ready': 'running', 'line.abort': { target: 'aborting', actions: 'keepAbortChoice' } },
    },
    running: {
      initial: 'producing',
      states: {
        producing: {
          description: 'Blanks are fed as the WIP limit allows.',
          on: { 'line.starved': { target: 'suspended', actions: 'keepSuspension' }, 'line.blocked': { target: 'suspended', actions: 'keepSuspension' } },
        },
        suspended: {
          description: 'Starved (no blanks) or blocked (stacker full): waits for the cause to clear.',
          on: { 'line.unsuspended': { target: 'producing', actions: 'keepSuspension' } },
        },
      },
      on: {
        'line.pause': 'paused',
        'line.abort': { target: 'aborting', actions: 'keepAbortChoice' },
        'line.allEnded': 'completing',
      },
    },
    paused: {
      description: 'Every station held by the operator.',
      on: { 'line.resume': 'running', 'line.abort': { target: 'aborting', actions: 'keepAbortChoice' } },
    },
    aborting: { description: 'No more feeding; the cards in the line are sent to the reject bin.', on: { 'line.empty': 'aborted' } },
    aborted: { type: 'final' },
    completing: { description: 'The last cards leave the line; a record re-made meanwhile (an inspector’s reject) brings the line back to producing.', on: { 'line.empty': 'completed', 'line.reopened': 'running' } },
    completed: { type: 'final' },
  },
});

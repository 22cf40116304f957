/**
 * A batch's life: imported → ready → running ⇄ paused → completed → reconciled → released, and
 * aborted from running or paused. Reconciliation (blanks consumed = good + spoiled) is checked by
 * the controller and reported with `batch.reconcile`; an unreconciled batch cannot be released.
 * A run may start a batch that is imported, ready, aborted, or left running or paused by a run
 * that stopped (interrupted); a card rejected or written off after the batch completed reopens it.
 * The stored batch status is this machine's state (src/line/batch-status.ts steps it).
 */
import { assign, setup } from 'xstate';

export const BATCH_MACHINE_VERSION = 1;

export type BatchStatus = 'imported' | 'ready' | 'running' | 'paused' | 'completed' | 'reconciled' | 'released' | 'aborted';

export interface BatchContext {
  readonly batchId: string;
  /** Cards not accounted for at the last reconciliation attempt. */
  readonly unaccounted: readonly string[];
  readonly releasedBy: string | null;
}

export type BatchEvent =
  | { readonly type: 'batch.prepared' }
  | { readonly type: 'batch.start' }
  | { readonly type: 'batch.pause' }
  | { readonly type: 'batch.resume' }
  /** Every record is produced, failed or cancelled and no card of the batch is in the line. */
  | { readonly type: 'batch.completed' }
  | { readonly type: 'batch.abort' }
  /** The reconciliation: the cards not accounted for (empty when it balances) and, from a run, the records still queued. */
  | { readonly type: 'batch.reconcile'; readonly unaccounted: readonly string[]; readonly pending?: number }
  /** A produced record went back to re-make (an inspector's reject, a write-off): the batch has work again. */
  | { readonly type: 'batch.reopen' }
  | { readonly type: 'batch.release'; readonly by: string };

export const batchMachine = setup({
  types: {
    context: {} as BatchContext,
    input: {} as { batchId: string },
    events: {} as BatchEvent,
  },
  guards: {
    balances: ({ event }) => event.type === 'batch.reconcile' && event.unaccounted.length === 0 && (event.pending ?? 0) === 0,
  },
  actions: {
    keepUnaccounted: assign({ unaccounted: ({ event }) => (event.type === 'batch.reconcile' ? event.unaccounted : []) }),
    keepReleaser: assign({ releasedBy: ({ event }) => (event.type === 'batch.release' ? event.by : null) }),
  },
}).createMachine({
  id: 'batch',
  initial: 'imported',
  context: ({ input }) => ({ batchId: input.batchId, unaccounted: [], releasedBy: null }),
  states: {
    imported: { description: 'Records stored; a run prepares their data as it goes.', on: { 'batch.prepared': 'ready', 'batch.start': 'running' } },
    ready: { description: 'Ready to run on a line.', on: { 'batch.start': 'running' } },
    running: {
      description: 'Cards are being produced; stored so with no live run, the batch was interrupted and a run resumes it.',
      on: { 'batch.start': 'running', 'batch.pause': 'paused', 'batch.completed': 'completed', 'batch.abort': 'aborted' },
    },
    paused: { description: 'Held by the operator.', on: { 'batch.start': 'running', 'batch.resume': 'running', 'batch.abort': 'aborted' } },
    completed: {
      description: 'Every record ended; waiting for the stock reconciliation.',
      on: {
        'batch.reconcile': [{ guard: 'balances', target: 'reconciled', actions: 'keepUnaccounted' }, { actions: 'keepUnaccounted' }],
        'batch.reopen': 'ready',
      },
    },
    aborted: {
      description: 'Stopped by the operator; run again, or reconciled before the batch is closed.',
      on: { 'batch.start': 'running', 'batch.reconcile': [{ guard: 'balances', target: 'reconciled', actions: 'keepUnaccounted' }, { actions: 'keepUnaccounted' }] },
    },
    reconciled: {
      description: 'Blanks consumed = good + spoiled.',
      tags: ['closed'],
      on: { 'batch.release': { target: 'released', actions: 'keepReleaser' }, 'batch.reopen': 'ready' },
    },
    released: { type: 'final', tags: ['closed'], description: 'Released by QA; personal data purged after the retention period.' },
  },
});

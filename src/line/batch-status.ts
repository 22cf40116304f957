/**
 * The batch machine (machines/batch.machine.ts) decides every change of a batch's status: the
 * stored status is its state, and a step is the machine's transition for an event — a transition
 * the machine does not allow is refused with the reason, never written.
 */
import { createActor } from 'xstate';
import { batchMachine, BATCH_MACHINE_VERSION, type BatchEvent, type BatchStatus } from '../../machines/batch.machine.ts';

export { BATCH_MACHINE_VERSION };

const STATUSES: readonly BatchStatus[] = ['imported', 'ready', 'running', 'paused', 'completed', 'reconciled', 'released', 'aborted'];
const EVENT_TYPES: readonly BatchEvent['type'][] = ['batch.prepared', 'batch.start', 'batch.pause', 'batch.resume', 'batch.completed', 'batch.abort', 'batch.reconcile', 'batch.release', 'batch.reopen'];

export function isBatchStatus(status: string): status is BatchStatus {
  return (STATUSES as readonly string[]).includes(status);
}

/** The batch machine at a stored status, started. */
export function batchActorAt(batchId: string, status: BatchStatus) {
  const snapshot = batchMachine.resolveState({ value: status, context: { batchId, unaccounted: [], releasedBy: null } });
  return createActor(batchMachine, { input: { batchId }, snapshot }).start();
}

/** A sample of each event type, to ask the machine whether it takes it. */
function probe(type: BatchEvent['type']): BatchEvent {
  if (type === 'batch.reconcile') return { type, unaccounted: [] };
  if (type === 'batch.release') return { type, by: '?' };
  return { type };
}

export type BatchStep = { readonly ok: true; readonly from: BatchStatus; readonly status: BatchStatus; readonly changed: boolean; readonly snapshot: unknown } | { readonly ok: false; readonly reason: string };

/** The machine's step from `status` for `event`: the new status and snapshot, or why it is refused. */
export function stepBatch(batchId: string, status: string, event: BatchEvent): BatchStep {
  if (!isBatchStatus(status)) return { ok: false, reason: `batch ${batchId} has the unknown status '${status}'` };
  const actor = batchActorAt(batchId, status);
  if (!actor.getSnapshot().can(event)) {
    const allowed = EVENT_TYPES.filter((t) => actor.getSnapshot().can(probe(t)));
    return { ok: false, reason: `batch ${batchId} is ${status}: ${event.type} is not a step a ${status} batch takes (it takes ${allowed.join(', ') || 'none'})` };
  }
  actor.send(event);
  const after = actor.getSnapshot();
  const next = after.value;
  return { ok: true, from: status, status: next, changed: next !== status, snapshot: actor.getPersistedSnapshot() };
}

/**
 * The release of a batch as the batch machine decides it, for the two-person rule's approval
 * (src/store/approval-store.ts carries it out in the approval's transaction).
 */
export function releaseStep(batchId: string, by: string): (status: string) => { ok: true; status: string; snapshot: { version: number; state: unknown } } | { ok: false; reason: string } {
  return (status) => {
    const step = stepBatch(batchId, status, { type: 'batch.release', by });
    return step.ok ? { ok: true, status: step.status, snapshot: { version: BATCH_MACHINE_VERSION, state: step.snapshot } } : step;
  };
}

/** Whether a batch at `status` takes `type` (a sample event of that type). */
export function batchTakes(status: string, type: BatchEvent['type']): boolean {
  return isBatchStatus(status) && batchActorAt('?', status).getSnapshot().can(probe(type));
}

/** The statuses at which a batch takes `type`: for a compare-and-set in the store. */
export function statusesTaking(type: BatchEvent['type']): BatchStatus[] {
  return STATUSES.filter((s) => batchTakes(s, type));
}

/** Reconciled or released: the batch is closed. */
export function isClosed(status: string): boolean {
  return isBatchStatus(status) && batchActorAt('?', status).getSnapshot().hasTag('closed');
}

/**
 * The batch's run on the line from start to end: the batch machine's steps (stored status and
 * snapshot, audited), the line machine's snapshot after every transition, and the run's end —
 * completed when every record has ended and the line is empty, aborted when an abort emptied it —
 * followed by the reconciliation of the blanks.
 */
import type { BatchEvent } from '../../../machines/batch.machine.ts';
import { LINE_MACHINE_VERSION } from '../../../machines/line.machine.ts';
import { BATCH_MACHINE_VERSION, stepBatch } from '../batch-status.ts';
import type { LineRun } from './line-run.ts';

export class BatchLifecycle {
  private completing = false;

  constructor(private readonly run: LineRun) {
    run.line.subscribe(() => this.saveLineSnapshot());
  }

  /**
   * The batch machine's step (src/line/batch-status.ts) and, when it moves, the batch's stored
   * status (audited) and machine snapshot. A step the machine does not take is not written.
   */
  async step(event: BatchEvent): Promise<void> {
    const run = this.run;
    const step = stepBatch(run.batchId, run.batchStatus, event);
    if (!step.ok) {
      run.log(`${step.reason}; the batch status is left as it is`);
      return;
    }
    run.batchStatus = step.status;
    // A run's start is written even on a batch left running (the audit shows who resumed it).
    if (!step.changed && event.type !== 'batch.start') return;
    await run.store.journal.append({ op: 'batch.status', batchId: run.batchId, status: step.status, actor: run.options.actor });
    await run.store.putSnapshot(`batch:${run.batchId}`, BATCH_MACHINE_VERSION, step.snapshot);
  }

  /** Steps the batch machine in the background (an operator's pause or resume); a failure fails the run. */
  stepLater(event: BatchEvent): void {
    this.step(event).catch((error: unknown) => this.run.fail(error));
  }

  /** After every result and operator action: the line completes or ends its abort once it is empty. */
  checkEnd(): void {
    const run = this.run;
    if (run.relinquished) return;
    const allEnded = run.records.allEnded();
    const aborting = run.line.getSnapshot().matches('aborting');
    // The line ends only through the line.empty sent below: with records still to make and no
    // abort there is nothing to send, and nothing to complete (checked after every result).
    if (!allEnded && !aborting) return;
    if (allEnded && !aborting) run.line.send({ type: 'line.allEnded' });
    if (run.inLine() === 0 && (allEnded || aborting)) run.line.send({ type: 'line.empty' });
    const after = run.line.getSnapshot();
    if (after.matches('completed')) {
      this.complete('completed').catch((error: unknown) => run.fail(error));
    } else if (after.matches('aborted')) {
      this.complete('aborted').catch((error: unknown) => run.fail(error));
    }
  }

  private async complete(status: 'completed' | 'aborted'): Promise<void> {
    if (this.completing) return;
    this.completing = true;
    const run = this.run;
    if (status === 'aborted') {
      const choice = run.line.getSnapshot().context.onAbort;
      if (choice === 'cancel') for (const seq of run.queue.drain()) run.cardEvent(seq, { type: 'batch.cancel' });
    }
    await this.step({ type: status === 'completed' ? 'batch.completed' : 'batch.abort' });
    // Reconciled when every record has ended and every blank is accounted for; a batch aborted with
    // its records back in the queue stays aborted, to be run again (`cardline run ID --resume`).
    const pending = run.records.queuedCount();
    const unaccounted = await run.store.unaccountedCards(run.batchId);
    await this.step({ type: 'batch.reconcile', unaccounted, pending });
    run.ending?.resolve(status);
  }

  private saveLineSnapshot(): void {
    const run = this.run;
    if (!run.batchId) return;
    run.store
      .putSnapshot(`line:${run.config.id}`, LINE_MACHINE_VERSION, run.line.getPersistedSnapshot(), () => run.crash.hit('during-snapshot'))
      .catch((error: unknown) => run.log(`snapshot: ${(error as Error).message}`));
  }
}

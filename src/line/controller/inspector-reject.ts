/**
 * An inspector's reject of a card of the batch the line is running (issue 14): the inspector takes a
 * stacked (or packed) card out while the batch runs, and the running controller — whose record
 * machines hold the batch — turns it into a re-make at the front of the feed queue without stopping
 * the line. One commit holds the card spoiled (spoil log), its record back to queued (or failed when
 * its attempts are used up), the card out of its pack (the pack reopens) and the audit entry; the
 * answer comes after it. Outside a run the store's own path does the same (batch-actions.ts).
 */
import type { JournalOp } from '../../store/line-store.ts';
import { BatchActionError, checkRejectInput, type RejectInput } from '../batch-actions.ts';
import type { LineRun } from './line-run.ts';
import { isEnded } from './record-machines.ts';

export interface RunningReject {
  readonly batchId: string;
  readonly seq: number;
  readonly record: string;
}

/** What the controller does once the reject is committed: the line may end no more, a blank may be fed. */
export interface RejectHooks {
  checkEnd(): void;
  feed(): void;
}

export async function rejectInRun(run: LineRun, hooks: RejectHooks, cardSerial: string, input: RejectInput): Promise<RunningReject> {
  checkRejectInput(input);
  const card = await run.store.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  if (card.batchId !== run.batchId) throw new BatchActionError(`card ${cardSerial} belongs to batch ${card.batchId}, not to batch ${run.batchId} that this line runs`);
  if (card.status !== 'good') throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card in the stacker can be rejected by an inspector`);
  // From here on nothing awaits until the ops are journaled: the run cannot end or move the record meanwhile.
  const line = run.line.getSnapshot();
  if (run.relinquished || !(line.matches('running') || line.matches('paused') || line.matches('completing'))) {
    throw new BatchActionError(`batch ${card.batchId} is ending on line ${run.config.id} (${JSON.stringify(line.value)}): reject card ${cardSerial} once the run has ended`);
  }
  if (run.records.state(card.seq) !== 'produced' || run.records.currentSerial(card.seq) !== cardSerial) {
    throw new BatchActionError(`card ${cardSerial} is not the produced card of its record`);
  }
  const ops: JournalOp[] = [{ op: 'card.ended', cardSerial, status: 'spoiled', unit: 'inspector', reason: input.reason, batchId: card.batchId }];
  // The record's machine decides: back to the queue at top priority (its remake action), or failed.
  run.cardEvent(card.seq, { type: 'qa.reject', code: input.reason, ...(input.note ? { detail: input.note } : {}) }, ops);
  const remade = !isEnded(run.records.state(card.seq));
  if (run.packing?.packOf(cardSerial) !== undefined) run.applyPacking(run.packing.remove(cardSerial, input.reason, remade), ops);
  // A line whose last cards were leaving has work again.
  if (remade) run.line.send({ type: 'line.reopened' });
  run.counters.cardRejectedAfterStacking(input.reason);
  ops.push({
    op: 'audit',
    entry: { actor: input.by, action: 'qa.reject', subjectType: 'card', subjectId: cardSerial, details: { batchId: card.batchId, seq: card.seq, reason: input.reason, note: input.note ?? null, record: remade ? 'queued' : 'failed', duringRun: true } },
  });
  await run.store.journal.append(...ops);
  run.report();
  hooks.checkEnd();
  hooks.feed();
  return { batchId: card.batchId, seq: card.seq, record: remade ? 'queued for re-make' : 'failed (attempts used up)' };
}

/**
 * What operators and inspectors do to a batch outside a run: close it (reconcile the blanks),
 * reject a stacked card (the record goes back to re-make), recall a card of a released batch (its
 * record re-issued in a new batch). The release is the two-person rule's (src/auth/two-person.ts).
 * Each action is audited with who, what and when; none of them carries personal data.
 */
import type { Knex } from 'knex';
import { cardActorFrom, CARD_MACHINE_VERSION } from '../../machines/card.machine.ts';
import { appendAudit } from '../store/audit.ts';
import type { PackChange } from '../packing/pack.ts';
import { PackPlanner } from '../packing/planner.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { describeHolder, LineLease } from '../store/line-lease.ts';
import { CardLeftTheLine, type LineStore, type RecordOutcome } from '../store/line-store.ts';
import { BATCH_MACHINE_VERSION, batchActorAt, isClosed, statusesTaking, stepBatch } from './batch-status.ts';
import { isReasonCode } from './reasons.ts';

export class BatchActionError extends Error {
  override name = 'BatchActionError';
}

export interface CloseResult {
  readonly closed: boolean;
  readonly unaccounted: readonly string[];
  readonly blanksConsumed: number;
  readonly good: number;
  readonly spoiled: number;
}

/**
 * The status a person sees: a batch stored as running or paused whose controller is gone (no live
 * lease holds a line for it: the process quit or crashed) is `interrupted` — `run ID --resume`
 * continues it.
 */
export async function shownStatus(db: Knex, batch: { readonly id: string; readonly status: string }): Promise<string> {
  if (batch.status !== 'running' && batch.status !== 'paused') return batch.status;
  return (await LineLease.holderOfBatch(db, batch.id)) ? batch.status : 'interrupted';
}

/** The batch machine's snapshot after a reopen the store made (compare-and-set in its transaction). */
async function saveReopened(lines: LineStore, batchId: string): Promise<void> {
  await lines.putSnapshot(`batch:${batchId}`, BATCH_MACHINE_VERSION, batchActorAt(batchId, 'ready').getPersistedSnapshot());
}

/** Reconciles a completed or aborted batch: blanks consumed = good + spoiled, nothing in the line. */
export async function closeBatch(batches: BatchStore, lines: LineStore, batchId: string, actor: string): Promise<CloseResult> {
  const batch = await batches.getBatch(batchId);
  if (!batch) throw new BatchActionError(`batch ${batchId} does not exist`);
  const accounting = await lines.accounting(batchId);
  const unaccounted = await lines.unaccountedCards(batchId);
  const balances = unaccounted.length === 0 && accounting.cards.blanksConsumed === accounting.cards.good + accounting.cards.spoiled;
  const result = { closed: false, unaccounted, blanksConsumed: accounting.cards.blanksConsumed, good: accounting.cards.good, spoiled: accounting.cards.spoiled };
  if (isClosed(batch.status)) return { ...result, closed: true };
  // The batch machine decides: it reconciles a completed or aborted batch whose cards balance.
  const step = stepBatch(batchId, batch.status, { type: 'batch.reconcile', unaccounted: balances ? [] : unaccounted.length > 0 ? unaccounted : ['(blanks consumed ≠ good + spoiled)'] });
  if (!step.ok) throw new BatchActionError(`batch ${batchId} is ${batch.status}: only a completed or aborted batch can be closed (${step.reason})`);
  if (!step.changed) return result;
  await lines.journal.append({ op: 'batch.status', batchId, status: step.status, actor, detail: { blanksConsumed: result.blanksConsumed, good: result.good, spoiled: result.spoiled } });
  await lines.putSnapshot(`batch:${batchId}`, BATCH_MACHINE_VERSION, step.snapshot);
  return { ...result, closed: true };
}

export interface RejectInput {
  readonly reason: string;
  /** The inspector (a user name). */
  readonly by: string;
  readonly note?: string;
}

/** An inspector's reject names a reason code and who rejects. */
export function checkRejectInput(input: RejectInput): void {
  if (!isReasonCode(input.reason)) throw new BatchActionError(`--reason ${input.reason} is not a reason code (docs/line-control.md lists them; an inspector's is INSPECTOR_REJECT)`);
  if (input.by.trim() === '') throw new BatchActionError('the inspector is not named: every action needs a who');
}

/**
 * An inspector rejects a card the vision system passed: it goes to the spoil log and its record
 * back to re-make at top priority (or fails when its attempts are used up). A card in a delivery pack
 * is taken out of it; the pack reopens.
 */
export async function inspectorReject(lines: LineStore, cardSerial: string, input: RejectInput & { maxAttempts?: number }): Promise<{ batchId: string; seq: number; record: string }> {
  checkRejectInput(input);
  const card = await lines.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  if (card.status !== 'good') throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card in the stacker can be rejected by an inspector`);
  const batchStatus = await lines.batchStatus(card.batchId);
  // A run keeps its records' machines in memory: a record sent back to re-make behind its back
  // would be missed, and the run would end reconciled with that record never made. The running
  // controller takes the reject itself (inspector-reject.ts, through the server that runs the line).
  if (batchStatus === 'running' || batchStatus === 'paused') {
    throw new BatchActionError(
      `card ${cardSerial} belongs to batch ${card.batchId}, which is ${batchStatus} on a line: reject it through the server that runs the line (POST /api/v1/cards/${cardSerial}/reject), which re-makes it during the run, or once the run has ended`,
    );
  }
  if (batchStatus === 'released') {
    throw new BatchActionError(`card ${cardSerial} belongs to batch ${card.batchId}, which is released: a released batch is final. A defective card is recalled and its record re-issued in a new batch: cardline qa recall ${cardSerial} --reason CODE`);
  }
  const record = (await lines.records(card.batchId)).find((r) => r.seq === card.seq);
  if (!record || record.status !== 'produced' || record.cardSerial !== cardSerial) {
    throw new BatchActionError(`card ${cardSerial} is not the produced card of its record`);
  }
  const machine = cardActorFrom(record.machine, { batchId: card.batchId, seq: card.seq, maxAttempts: input.maxAttempts ?? 3 }).start();
  machine.send({ type: 'qa.reject', code: input.reason, ...(input.note ? { detail: input.note } : {}) });
  const snap = machine.getSnapshot();
  const status = snap.value === 'failed' ? 'failed' : 'queued';
  // A completed or reconciled batch has work again: the batch machine's reopen, where it takes it.
  const packChanges = await takeOutOfPack(lines, card.batchId, cardSerial, input.reason, status === 'queued');
  const reopened = await lines.rejectStackedCard({
    card,
    packChanges,
    reason: input.reason,
    record: { status, reasons: snap.context.reasons, machine: { version: CARD_MACHINE_VERSION, snapshot: machine.getPersistedSnapshot() } },
    reopenFrom: statusesTaking('batch.reopen'),
    audit: { actor: input.by, action: 'qa.reject', subjectType: 'card', subjectId: cardSerial, details: { batchId: card.batchId, seq: card.seq, reason: input.reason, note: input.note ?? null, record: status } },
  });
  if (reopened) await saveReopened(lines, card.batchId);
  return { batchId: card.batchId, seq: card.seq, record: status === 'failed' ? 'failed (attempts used up)' : 'queued for re-make' };
}

/**
 * A card of a released batch found defective later (returned, failed in the field): the released
 * batch is final and stays as it was; the card's record is re-issued as a new batch of one record,
 * audited on the card with the new batch's id, and goes through the line, QA and the two-person
 * release like any other. Refused once the batch is purged: the record is then re-imported from the
 * bureau's source, as a renewal would be.
 */
export async function reissueRecord(
  batches: BatchStore,
  lines: LineStore,
  cardSerial: string,
  input: { reason: string; by: string; note?: string },
): Promise<{ batchId: string; seq: number; newBatchId: string }> {
  if (!isReasonCode(input.reason)) throw new BatchActionError(`--reason ${input.reason} is not a reason code (docs/line-control.md lists them)`);
  const card = await lines.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  const batch = await batches.getBatch(card.batchId);
  if (batch?.status !== 'released') throw new BatchActionError(`card ${cardSerial} belongs to batch ${card.batchId}, which is ${batch?.status ?? 'gone'}: only a card of a released batch is recalled (before the release, an inspector rejects it: cardline qa reject)`);
  if (card.status !== 'good') throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card that left the line good is recalled`);
  if (batch.purgedAt) throw new BatchActionError(`batch ${card.batchId} was purged on ${batch.purgedAt.toISOString().slice(0, 10)}: its personal data is gone; import the citizen's record again from the source`);
  const source = await batches.recordSource(card.batchId, card.seq);
  if (!source) throw new BatchActionError(`card ${cardSerial} names record ${card.seq} of batch ${card.batchId}, which does not exist`);
  const personal = await batches.recordPersonal(card.batchId, card.seq);
  const portrait = await batches.recordPortrait(card.batchId, card.seq);
  const created = await batches.createBatch({ name: `re-issue of card ${cardSerial} (batch ${card.batchId} record ${card.seq})`, sourceFile: `recall:${card.batchId}:${card.seq}`, actor: input.by, ...(batch.retentionDays !== undefined ? { retentionDays: batch.retentionDays } : {}) });
  const added = await batches.addRecords(created.id, [{ seq: 1, lineNo: source.lineNo, pid: String(personal.pid), cardVariant: source.cardVariant, personal, ...(portrait ? { portrait } : {}) }]);
  if (added.accepted.length !== 1) {
    await batches.failImport(created.id, `the record is in another open batch already: ${added.duplicates[0]?.reason ?? 'duplicate'}`, input.by);
    throw new BatchActionError(`record ${card.seq} of batch ${card.batchId} is in another open batch already (${added.duplicates[0]?.reason ?? 'duplicate'}): no re-issue batch was made`);
  }
  await batches.finishImport(created.id, { accepted: 1, quarantined: 0, reportPath: '', actor: input.by });
  await appendAudit(lines.db, {
    actor: input.by,
    action: 'card.recalled',
    subjectType: 'card',
    subjectId: cardSerial,
    details: { batchId: card.batchId, seq: card.seq, reason: input.reason, note: input.note ?? null, reissueBatch: created.id },
  });
  return { batchId: card.batchId, seq: card.seq, newBatchId: created.id };
}

/** The changes that take a packed card out of its pack (none for a card in no pack). */
async function takeOutOfPack(lines: LineStore, batchId: string, cardSerial: string, reason: string, remade: boolean): Promise<PackChange[]> {
  const packId = await lines.packs.packOfCard(cardSerial);
  if (packId === undefined) return [];
  const packs = await lines.packs.packs(batchId);
  const office = packs.find((p) => p.packId === packId)!.office;
  const pending = await lines.packs.pendingOfOffice(batchId, office);
  // Removing a card needs no pocket or pack size: the planner is given room for the packs as stored.
  const pockets = Math.max(1, ...packs.map((p) => (p.pocket ?? 0) + 1));
  const planner = new PackPlanner(batchId, { pockets, packSize: Number.MAX_SAFE_INTEGER }, packs, [[office, pending]]);
  return planner.remove(cardSerial, reason, remade);
}

/**
 * A supervisor writes off a card the records hold in the line but that is not there any more (taken
 * out by hand while clearing a jam, dropped, destroyed): without this, the batch can never reconcile
 * and every run on the line waits for the card's result. The card goes to the spoil log; when it was
 * its record's current card, the record goes back to re-make at top priority (or fails when its
 * attempts are used up). Refused while a run holds the line (a run keeps waiting for the cards it
 * knows): stop it, write the card off and `run --resume`. Should the card turn up after all, the
 * line treats it as a card it does not know: skip jobs, then the reject bin. Audited.
 */
export async function writeOffCard(
  lines: LineStore,
  cardSerial: string,
  input: { reason?: string; by: string; note?: string; maxAttempts?: number },
): Promise<{ batchId: string; seq: number; record: string }> {
  const reason = input.reason ?? 'WRITTEN_OFF';
  if (!isReasonCode(reason)) throw new BatchActionError(`--reason ${reason} is not a reason code (docs/line-control.md lists them; a write-off's own is WRITTEN_OFF)`);
  if (input.by.trim() === '') throw new BatchActionError('the supervisor is not named: every action needs a who');
  const card = await lines.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  if (card.status !== 'in-line') {
    throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card the records hold in the line can be written off${card.status === 'good' ? ' (an inspector rejects a stacked card: cardline qa reject)' : ''}`);
  }
  const holder = await LineLease.holder(lines.db, card.lineId);
  if (holder) {
    throw new BatchActionError(`a run is under way on line ${card.lineId}: ${describeHolder(holder)}. Stop it first (a run waits for the cards it knows), then write the card off and run --resume`);
  }
  const record_ = (await lines.records(card.batchId)).find((r) => r.seq === card.seq);
  if (!record_) throw new BatchActionError(`card ${cardSerial} names record ${card.seq} of batch ${card.batchId}, which does not exist`);
  // The record's current card: the record is in the line on this attempt. A card of an earlier
  // attempt (its record since re-made or produced) only leaves the accounting.
  const current = record_.status === 'in-line' && record_.attempts === card.attempt;
  let record: RecordOutcome | undefined;
  let outcome = 'unchanged (the card was an earlier attempt)';
  if (current) {
    // The stored snapshot is the record's last stable state, before this card was fed.
    const machine = cardActorFrom(record_.machine, { batchId: card.batchId, seq: card.seq, maxAttempts: input.maxAttempts ?? 3 }).start();
    machine.send({ type: 'card.feeding', cardSerial });
    machine.send({ type: 'card.fed' });
    if (machine.getSnapshot().context.attempt !== card.attempt) {
      throw new BatchActionError(`record ${card.seq} of batch ${card.batchId}: its stored state is not the one card ${cardSerial} was fed from (attempt ${card.attempt}); nothing was changed`);
    }
    machine.send({ type: 'card.rejected', station: 'line', code: reason, ...(input.note ? { detail: input.note } : {}) });
    const snap = machine.getSnapshot();
    const status = snap.value === 'failed' ? 'failed' : 'queued';
    record = { status, attempts: snap.context.attempt, reasons: snap.context.reasons, machine: { version: CARD_MACHINE_VERSION, snapshot: machine.getPersistedSnapshot() } };
    outcome = status === 'failed' ? 'failed (attempts used up)' : 'queued for re-make';
  }
  const reopened = await lines
    .writeOffCard({
      card,
      reason,
      record,
      reopenFrom: statusesTaking('batch.reopen'),
      audit: {
        actor: input.by,
        action: 'card.write-off',
        subjectType: 'card',
        subjectId: cardSerial,
        details: { batchId: card.batchId, seq: card.seq, attempt: card.attempt, lastUnit: card.unit, reason, note: input.note ?? null, record: record ? record.status : 'unchanged' },
      },
    })
    .catch((error: unknown) => {
      throw error instanceof CardLeftTheLine ? new BatchActionError(error.message) : error;
    });
  if (reopened) await saveReopened(lines, card.batchId);
  return { batchId: card.batchId, seq: card.seq, record: outcome };
}

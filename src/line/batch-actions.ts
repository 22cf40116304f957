/**
 * What operators and inspectors do to a batch outside a run: close it (reconcile the blanks),
 * reject a stacked card (the record goes back to re-make), release it. Each action is audited with
 * who, what and when; none of them carries personal data.
 */
import { cardActorFrom, CARD_MACHINE_VERSION } from '../../machines/card.machine.ts';
import type { PackChange } from '../packing/pack.ts';
import { PackPlanner } from '../packing/planner.ts';
import { appendAudit } from '../store/audit.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { describeHolder, LineLease } from '../store/line-lease.ts';
import type { LineStore } from '../store/line-store.ts';
import { writePackChanges } from '../store/pack-store.ts';
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

/** Reconciles a completed or aborted batch: blanks consumed = good + spoiled, nothing in the line. */
export async function closeBatch(batches: BatchStore, lines: LineStore, batchId: string, actor: string): Promise<CloseResult> {
  const batch = await batches.getBatch(batchId);
  if (!batch) throw new BatchActionError(`batch ${batchId} does not exist`);
  const accounting = await lines.accounting(batchId);
  const unaccounted = await lines.unaccountedCards(batchId);
  const balances = unaccounted.length === 0 && accounting.cards.blanksConsumed === accounting.cards.good + accounting.cards.spoiled;
  const result = { closed: false, unaccounted, blanksConsumed: accounting.cards.blanksConsumed, good: accounting.cards.good, spoiled: accounting.cards.spoiled };
  if (batch.status === 'reconciled' || batch.status === 'released') return { ...result, closed: true };
  if (batch.status !== 'completed' && batch.status !== 'aborted') {
    throw new BatchActionError(`batch ${batchId} is ${batch.status}: only a completed or aborted batch can be closed`);
  }
  if (!balances) return result;
  await lines.journal.append({ op: 'batch.status', batchId, status: 'reconciled', actor, detail: { blanksConsumed: result.blanksConsumed, good: result.good, spoiled: result.spoiled } });
  return { ...result, closed: true };
}

/**
 * An inspector rejects a card the vision system passed: it goes to the spoil log and its record
 * back to re-make at top priority (or fails when its attempts are used up). A card in a delivery pack
 * is taken out of it; the pack reopens.
 */
export async function inspectorReject(
  lines: LineStore,
  cardSerial: string,
  input: { reason: string; by: string; note?: string; maxAttempts?: number },
): Promise<{ batchId: string; seq: number; record: string }> {
  if (!isReasonCode(input.reason)) throw new BatchActionError(`--reason ${input.reason} is not a reason code (docs/line-control.md lists them; an inspector's is INSPECTOR_REJECT)`);
  if (input.by.trim() === '') throw new BatchActionError('--by must name the inspector');
  const card = await lines.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  if (card.status !== 'good') throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card in the stacker can be rejected by an inspector`);
  const record = (await lines.records(card.batchId)).find((r) => r.seq === card.seq);
  if (!record || record.status !== 'produced' || record.cardSerial !== cardSerial) {
    throw new BatchActionError(`card ${cardSerial} is not the produced card of its record`);
  }
  const machine = cardActorFrom(record.machine, { batchId: card.batchId, seq: card.seq, maxAttempts: input.maxAttempts ?? 3 }).start();
  machine.send({ type: 'qa.reject', code: input.reason, ...(input.note ? { detail: input.note } : {}) });
  const snap = machine.getSnapshot();
  const status = snap.value === 'failed' ? 'failed' : 'queued';
  const packChanges = await takeOutOfPack(lines, card.batchId, cardSerial, input.reason, status === 'queued');
  await lines.db.transaction(async (trx) => {
    // A packed card comes out of its pack, which reopens (its manifest is reissued when it closes again).
    await writePackChanges(trx, card.lineId, card.batchId, packChanges);
    await trx('cards').where({ card_serial: cardSerial }).update({ status: 'spoiled', reason: input.reason, ended_at: new Date().toISOString() });
    await trx('spoil_log').insert({ at: new Date().toISOString(), line_id: card.lineId, batch_id: card.batchId, card_serial: cardSerial, reason: input.reason, unit: 'inspector' });
    await trx('records').where({ batch_id: card.batchId, seq: card.seq }).update({
      status,
      card_serial: null,
      position: null,
      reasons: JSON.stringify(snap.context.reasons),
      machine: JSON.stringify({ version: CARD_MACHINE_VERSION, snapshot: machine.getPersistedSnapshot() }),
    });
    // A completed or reconciled batch has work again.
    await trx('batches').where({ id: card.batchId }).whereIn('status', ['completed', 'reconciled']).update({ status: 'ready', updated_at: new Date().toISOString() });
    await appendAudit(trx, {
      actor: input.by,
      action: 'qa.reject',
      subjectType: 'card',
      subjectId: cardSerial,
      details: { batchId: card.batchId, seq: card.seq, reason: input.reason, note: input.note ?? null, record: status },
    });
  });
  return { batchId: card.batchId, seq: card.seq, record: status === 'failed' ? 'failed (attempts used up)' : 'queued for re-make' };
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

/** QA releases a reconciled batch: its PIDs leave duplicate detection, its data the retention clock. */
export async function releaseBatch(batches: BatchStore, lines: LineStore, batchId: string, by: string): Promise<void> {
  if (by.trim() === '') throw new BatchActionError('--by must name the person releasing the batch');
  const batch = await batches.getBatch(batchId);
  if (!batch) throw new BatchActionError(`batch ${batchId} does not exist`);
  if (batch.status !== 'reconciled') {
    throw new BatchActionError(`batch ${batchId} is ${batch.status}: only a reconciled batch can be released (cardline batch close ${batchId} first)`);
  }
  await lines.journal.append({ op: 'batch.status', batchId, status: 'released', actor: by });
  await batches.releasePids(batchId);
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
  if (input.by.trim() === '') throw new BatchActionError('--by must name the supervisor');
  const card = await lines.card(cardSerial);
  if (!card) throw new BatchActionError(`card ${cardSerial} is not known`);
  if (card.status !== 'in-line') {
    throw new BatchActionError(`card ${cardSerial} is ${card.status}: only a card the records hold in the line can be written off${card.status === 'good' ? ' (an inspector rejects a stacked card: cardline qa reject)' : ''}`);
  }
  const holder = await LineLease.holder(lines.db, card.lineId);
  if (holder) {
    throw new BatchActionError(`a run is under way on line ${card.lineId}: ${describeHolder(holder)}. Stop it first (a run waits for the cards it knows), then write the card off and run --resume`);
  }
  const record = (await lines.records(card.batchId)).find((r) => r.seq === card.seq);
  if (!record) throw new BatchActionError(`card ${cardSerial} names record ${card.seq} of batch ${card.batchId}, which does not exist`);
  // The record's current card: the record is in the line on this attempt. A card of an earlier
  // attempt (its record since re-made or produced) only leaves the accounting.
  const current = record.status === 'in-line' && record.attempts === card.attempt;
  let recordUpdate: Record<string, unknown> | undefined;
  let outcome = 'unchanged (the card was an earlier attempt)';
  if (current) {
    // The stored snapshot is the record's last stable state, before this card was fed.
    const machine = cardActorFrom(record.machine, { batchId: card.batchId, seq: card.seq, maxAttempts: input.maxAttempts ?? 3 }).start();
    machine.send({ type: 'card.feeding', cardSerial });
    machine.send({ type: 'card.fed' });
    if (machine.getSnapshot().context.attempt !== card.attempt) {
      throw new BatchActionError(`record ${card.seq} of batch ${card.batchId}: its stored state is not the one card ${cardSerial} was fed from (attempt ${card.attempt}); nothing was changed`);
    }
    machine.send({ type: 'card.rejected', station: 'line', code: reason, ...(input.note ? { detail: input.note } : {}) });
    const snap = machine.getSnapshot();
    const status = snap.value === 'failed' ? 'failed' : 'queued';
    recordUpdate = {
      status,
      attempts: snap.context.attempt,
      card_serial: null,
      position: null,
      reasons: JSON.stringify(snap.context.reasons),
      machine: JSON.stringify({ version: CARD_MACHINE_VERSION, snapshot: machine.getPersistedSnapshot() }),
      ended_at: status === 'failed' ? new Date().toISOString() : null,
    };
    outcome = status === 'failed' ? 'failed (attempts used up)' : 'queued for re-make';
  }
  await lines.db.transaction(async (trx) => {
    const at = new Date().toISOString();
    // Only while it is still in the line: a run that ended it meanwhile wins.
    const changed = await trx('cards').where({ card_serial: cardSerial, status: 'in-line' }).update({ status: 'spoiled', reason, ended_at: at });
    if (changed !== 1) throw new BatchActionError(`card ${cardSerial} left the line meanwhile; nothing was changed`);
    await trx('spoil_log').insert({ at, line_id: card.lineId, batch_id: card.batchId, card_serial: cardSerial, reason, unit: card.unit });
    await trx('card_events').insert({ at, line_id: card.lineId, batch_id: card.batchId, seq: card.seq, attempt: card.attempt, card_serial: cardSerial, unit: card.unit, event: 'card.written-off', reason, detail: null });
    if (recordUpdate) {
      await trx('records').where({ batch_id: card.batchId, seq: card.seq, status: 'in-line', attempts: card.attempt }).update(recordUpdate);
      // A completed batch has work again.
      if (recordUpdate.status === 'queued') await trx('batches').where({ id: card.batchId }).where({ status: 'completed' }).update({ status: 'ready', updated_at: at });
    }
    await appendAudit(trx, {
      actor: input.by,
      action: 'card.write-off',
      subjectType: 'card',
      subjectId: cardSerial,
      details: { batchId: card.batchId, seq: card.seq, attempt: card.attempt, lastUnit: card.unit, reason, note: input.note ?? null, record: current ? String(recordUpdate!.status) : 'unchanged' },
    });
  });
  return { batchId: card.batchId, seq: card.seq, record: outcome };
}

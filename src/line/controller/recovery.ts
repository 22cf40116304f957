/**
 * A batch taken up by a run: its records' machines restored from the store, the feed queue (re-makes
 * first), the packs so far — and, when the run resumes after a stop, the cards the store still holds
 * in the line: suspect, and reconciled with what the line says it holds when it can say (the
 * in-process simulator). A record whose card was packed before the stop is brought back to the
 * packer with that card, never re-made.
 */
import type { JournalOp } from '../../store/line-store.ts';
import { kindsWithRole } from '../../stations/kinds.ts';
import { adoptStackedCard, endCard } from './card-ends.ts';
import type { LineRun } from './line-run.ts';
import { PackingRun } from '../packing.ts';
import { RecordMachines } from './record-machines.ts';
import { DEFAULT_MAX_ATTEMPTS, FeedQueue } from '../scheduler.ts';

/** Loads the batch's records, queue and packs; on resume, every card the store holds in the line becomes suspect. */
export async function loadBatch(run: LineRun, batchId: string, resume: boolean): Promise<void> {
  const rows = await run.store.records(batchId);
  run.records = new RecordMachines(batchId, run.recordEffects);
  const { queued, remakes } = run.records.load(rows, run.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  run.queue = new FeedQueue(queued);
  if (run.packer) {
    // The packs so far and each record's office: a run resumed packs on where the last one stopped.
    const good = new Set((await run.store.batchCards(batchId)).filter((c) => c.status === 'good').map((c) => c.cardSerial));
    run.packing = PackingRun.open(batchId, run.packer.config, await run.store.packs.packs(batchId), await run.store.packs.recordOffices(batchId), rows, good);
  }
  for (const seq of remakes) run.queue.remake(seq);
  if (run.packing) await restorePackedRecords(run, run.packing);
  run.counters.endedBefore = run.records.produced + run.records.failed + run.records.cancelled;
  if (!resume) return;
  // Cards that were in the line when the previous controller stopped: their outcome is uncertain.
  for (const card of await run.store.cardsInLine()) {
    run.admitCard({
      serial: card.cardSerial,
      batchId: card.batchId,
      seq: card.seq,
      attempt: card.attempt,
      suspect: { code: 'SUSPECT_AFTER_RESTART', detail: `was at ${card.unit ?? 'the feeder'} when the controller stopped` },
      ...(card.unit ? { lastUnit: card.unit } : {}),
    });
    if (card.batchId === batchId && run.records.state(card.seq) === 'queued') {
      run.queue.drop(card.seq);
      // Not journaled: the stored row stays as it was until the card's fate is known.
      run.records.send(card.seq, { type: 'card.feeding', cardSerial: card.cardSerial }, []);
      run.records.send(card.seq, { type: 'card.fed' }, []);
    }
  }
  await run.store.journal.append(...[...run.cards.values()].map((t): JournalOp => ({ op: 'card.suspect', cardSerial: t.serial })));
}

/**
 * Records whose card the packer packed before the last run stopped, its pack still open: the card
 * lies in the pack (its result was committed, the card is good) and the record waits for the pack
 * to close. The record's machine was stored at its last stable state, before that card was fed:
 * it is brought to the packer again with that card (not re-made: that would be a second good card
 * for one record), and produced at once when the pack closed meanwhile.
 */
async function restorePackedRecords(run: LineRun, packing: PackingRun): Promise<void> {
  const { waiting, produced } = packing.packedUnproduced();
  const [inspecting] = kindsWithRole('inspect');
  const [sorting] = kindsWithRole('sort');
  const [packingKind] = kindsWithRole('pack');
  for (const p of [...waiting, ...produced]) {
    if (run.records.state(p.seq) !== 'queued') continue;
    run.queue.drop(p.seq);
    const path = [
      { type: 'card.feeding', cardSerial: p.cardSerial },
      { type: 'card.fed' },
      { type: 'card.at', station: inspecting! },
      { type: 'qa.passed' },
      { type: 'card.at', station: sorting! },
      { type: 'card.at', station: packingKind! },
    ] as const;
    // Not journaled: the stored row already says in-line; the record's row changes when it is produced.
    for (const event of path) run.records.send(p.seq, event, []);
  }
  const ops: JournalOp[] = [];
  run.produce(produced, ops);
  if (ops.length > 0) await run.store.journal.append(...ops);
}

/**
 * After a stop, the cards the store holds in the line against what the line says it holds (when
 * it can say: the in-process simulator, restarted with the controller, has nothing inside and
 * knows where every card went). A card the line put in the reject bin is spoiled with that reason
 * and its record re-made; a card it stacked is taken as the output's result; a card inside, or
 * one the line cannot place, stays suspect and is checked when a station reports it.
 */
export async function reconcileWithLine(run: LineRun): Promise<void> {
  const inventory = await run.options.inventory?.();
  if (!inventory) return;
  const sortUnit = run.unitWithRole('sort') ?? 'line';
  const ops: JournalOp[] = [];
  // A blank fed just before the stop, whose feed the store never committed: the line purged it;
  // it is accounted for as a card the controller did not know.
  for (const serial of inventory.purged()) {
    if (run.cards.has(serial) || (await run.store.card(serial))) continue;
    const unit = run.feederUnit ?? 'line';
    const track = run.admitCard({ serial, batchId: run.batchId, seq: 0, attempt: 0, suspect: { code: 'UNKNOWN_CARD', detail: 'fed as the controller stopped' } }, false);
    ops.push({ op: 'card.fed', cardSerial: serial, batchId: run.batchId, seq: 0, attempt: 0, unit });
    endCard(run, track, 'spoiled', unit, 'UNKNOWN_CARD', 'fed as the controller stopped; the line purged it', ops);
  }
  for (const track of [...run.cards.values()]) {
    const where = inventory.whereIs(track.serial);
    if (where.at === 'reject') {
      ops.push({ op: 'event', event: 'card.reconciled', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, unit: track.lastUnit ?? null, reason: 'LINE_PURGED', detail: { bin: 'reject', lineReason: where.reason } });
      endCard(run, track, 'spoiled', track.lastUnit ?? 'line', 'LINE_PURGED', `the line put it in the reject bin (${where.reason})`, ops);
    } else if (where.at === 'stacker') {
      ops.push({ op: 'event', event: 'card.reconciled', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, unit: sortUnit, reason: null, detail: { bin: 'stacker', position: where.position } });
      await adoptStackedCard(run, track, ops);
      endCard(run, track, 'good', sortUnit, undefined, undefined, ops, where.position);
    }
  }
  if (ops.length > 0) await run.store.journal.append(...ops);
}

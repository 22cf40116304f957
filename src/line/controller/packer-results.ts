/**
 * The packer's two moments (a line with a `pack` station): the plan for a good card that arrives
 * there (journaled before its job goes out) and its Done — the card lies in the pack the plan gave
 * it, or it is out of the plan, spoiled, and a person takes it out of the pack.
 */
import { decodeResult } from '../../plc/job-data.ts';
import type { StationKind } from '../../config/line-config.ts';
import type { JournalOp } from '../../store/line-store.ts';
import { packJob } from '../../stations/kinds.ts';
import { adoptStackedCard, endCard } from './card-ends.ts';
import type { LineCard } from './line-card.ts';
import type { LineRun } from './line-run.ts';
import type { ReasonCode } from '../reasons.ts';

/**
 * The pack plan for a good card at the packer. Its changes go into the journal before the job is
 * sent, so they commit no later than the packer's Done for the card (the journal commits in order)
 * and a pack opened, evicted or closed for this card is on record before any result that follows.
 * Not awaited: the packer waits for its job only so long (NoJobInTime), like every station.
 */
export function planPacking(run: LineRun, track: LineCard, kind: StationKind): Buffer {
  run.cardEvent(track.seq, { type: 'card.at', station: kind });
  const planned = run.packing!.plan(track.serial, track.seq);
  run.applyPacking(planned);
  // The plan is in the journal but not yet committed, and the packer has no job yet.
  run.crash.hit('after-pack-plan-before-job');
  return packJob(planned.instruction);
}

/** The packer's good Done: the card lies in the pack the plan gave it (or it is taken out and re-made). */
export async function onPacked(run: LineRun, track: LineCard, unitId: string, data: Buffer, ops: JournalOp[]): Promise<void> {
  const decoded = decodeResult(data);
  if (!decoded.ok || decoded.value.kind !== 'pack') {
    const reject = track.reject ?? { code: 'JOB_LOST' as ReasonCode, detail: 'the packer sent the card to the reject bin' };
    endCard(run, track, 'spoiled', unitId, reject.code, reject.detail, ops);
    return;
  }
  // A card packed on the previous process's order (it crashed before persisting the Done): that
  // order was only given after QA passed the card, and the plan holding it was committed first.
  if (track.suspect && run.packing?.packOf(track.serial) === decoded.value.packId) {
    await adoptStackedCard(run, track, ops);
    if (track.trusted && run.records.qaPassed(track)) run.cardEvent(track.seq, { type: 'card.at', station: run.kindOf(unitId) }, ops);
  }
  const check = run.packing && track.trusted ? run.packing.done(track.serial, decoded.value) : undefined;
  if (!check?.ok) {
    // It physically lies in a pack it must not be in: out of the plan, spoiled; a person takes it out.
    const detail = check ? check.detail : `the packer packed a card it was not to pack (${track.reject?.code ?? 'suspect'})`;
    run.log(`${unitId}: card ${track.serial} is in pack ${decoded.value.packId} but must not be: take it out (${detail})`);
    endCard(run, track, 'spoiled', unitId, track.reject?.code ?? 'PACK_MISMATCH', detail, ops);
    return;
  }
  track.send({ type: 'card.ended' });
  run.counters.cardGood();
  ops.push({ op: 'card.ended', cardSerial: track.serial, status: 'good', unit: unitId, batchId: track.batchId, position: decoded.value.count });
  run.produce(check.produced, ops);
}

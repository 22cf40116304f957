/**
 * How a physical card leaves the controller's view, and how one it does not know enters it: a card
 * ended good (its record stacked) or spoiled (its record rejected when it was the record's current
 * card, its pack place given up), a card the store holds in the line taken up as suspect, and a
 * suspect card found stacked or packed on the previous process's order adopted when its QA pass is
 * on record.
 */
import type { CardStation } from '../../../machines/card.machine.ts';
import type { JournalOp } from '../../store/line-store.ts';
import { kindsWithRole } from '../../stations/kinds.ts';
import type { LineCard } from './line-card.ts';
import type { LineRun } from './line-run.ts';
import type { ReasonCode } from '../reasons.ts';
import { isEnded } from './record-machines.ts';

export function endCard(run: LineRun, track: LineCard, status: 'good' | 'spoiled', unitId: string, code: ReasonCode | undefined, detail: string | undefined, ops: JournalOp[], position?: number): void {
  track.send({ type: 'card.ended' });
  ops.push({ op: 'card.ended', cardSerial: track.serial, status, unit: unitId, batchId: track.batchId, ...(code ? { reason: code } : {}), ...(position !== undefined ? { position } : {}) });
  if (status === 'good') {
    run.counters.cardGood();
    run.cardEvent(track.seq, { type: 'card.stacked', position: position ?? 0 }, ops);
    return;
  }
  run.counters.cardSpoiled(code ?? 'UNKNOWN');
  if (track.seq === 0) return;
  const packed = run.packing?.packOf(track.serial) !== undefined;
  // Only the record's current card decides about the record (an old attempt's card may still be leaving).
  if (run.records.isCurrent(track)) {
    run.cardEvent(
      track.seq,
      { type: 'card.rejected', station: stationOf(run, unitId), code: code ?? 'STATION_ERROR', ...(detail ? { detail } : {}), ...(code === 'LINE_ABORTED' ? { lineAborted: true } : {}) },
      ops,
    );
  }
  // A card planned into a pack that did not get there: out of the plan; its record brings another card unless it ended.
  if (packed) run.applyPacking(run.packing!.remove(track.serial, code ?? 'STATION_ERROR', !isEnded(run.records.state(track.seq))), ops);
}

/** The card this process knows by serial, or one the store holds in the line (taken up as suspect: it was there at a restart). */
export async function trackOf(run: LineRun, serial: string): Promise<LineCard | undefined> {
  const known = run.cards.get(serial);
  if (known) return known;
  if (!serial) return undefined;
  const row = await run.store.card(serial);
  if (!row || row.status !== 'in-line') return undefined;
  return run.admitCard({ serial, batchId: row.batchId, seq: row.seq, attempt: row.attempt, suspect: { code: 'SUSPECT_AFTER_RESTART', detail: 'in the line when the controller stopped' } });
}

/**
 * A suspect card found stacked (or packed) on the previous process's order: trusted again when the
 * QA pass of this very card is on record and it is its record's current card; its record is then
 * brought to the sorting station as it was when the order was given.
 */
export async function adoptStackedCard(run: LineRun, track: LineCard, ops: JournalOp[]): Promise<void> {
  const passed = await run.store.cardPassedQa(track.serial);
  ops.push({ op: 'event', event: 'card.adopted', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: passed ? null : 'SUSPECT_AFTER_RESTART', detail: { qaPassedBefore: passed } });
  track.send({ type: 'card.adopted', qaPassedBefore: passed, current: run.records.isCurrent(track) });
  if (!track.trusted) return;
  const [inspecting] = kindsWithRole('inspect');
  const [sorting] = kindsWithRole('sort');
  for (const event of [{ type: 'card.at', station: inspecting! }, { type: 'qa.passed' }, { type: 'card.at', station: sorting! }] as const) run.cardEvent(track.seq, event, ops);
}

function stationOf(run: LineRun, unitId: string): CardStation | 'line' {
  return run.units.get(unitId) ?? 'line';
}

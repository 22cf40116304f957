/**
 * What the site's event stream says about committed journal operations: card steps (fed, encoded,
 * engraved, inspected, stacked, packed, rejected, suspect) and batch status changes. Pure: the same
 * operations give the same events. Only identifiers cross over — card serials, batch ids, sequence
 * numbers, attempts, unit ids and reason codes; never a record's machine snapshot, an event's
 * detail or a verdict's text, which may carry personal data.
 */
import { isReasonCode } from '../line/reasons.ts';
import type { JournalOp } from '../store/line-store.ts';
import type { CardStep, SiteEventBody } from './site-event.ts';

/** What is known of a card in the line: fed ops name its record; later ops name only the card. */
export interface CardOrigin {
  readonly batchId: string;
  readonly seq: number;
  readonly attempt: number;
}

/** The cards of a line the mapping has seen fed and not yet ended (bounded by the line's WIP). */
export class CardOrigins {
  private readonly cards = new Map<string, CardOrigin>();

  get(cardSerial: string): CardOrigin | undefined {
    return this.cards.get(cardSerial);
  }

  /** Learns from a committed group: fed cards are remembered, ended ones forgotten. */
  note(ops: readonly JournalOp[]): void {
    for (const op of ops) {
      if (op.op === 'card.fed') this.cards.set(op.cardSerial, { batchId: op.batchId, seq: op.seq, attempt: op.attempt });
      else if (op.op === 'card.ended') this.cards.delete(op.cardSerial);
    }
  }

  get size(): number {
    return this.cards.size;
  }
}

/** Which station kinds' good results are which card step (the `<kind>.done` journal events). */
const DONE_STEPS: Readonly<Record<string, CardStep>> = { encoder: 'encoded', laser: 'engraved' };

/** A reason code, or nothing: free text never reaches the stream. */
function reasonCode(reason: string | null | undefined): string | undefined {
  return reason && isReasonCode(reason) ? reason : undefined;
}

type CardEvent = Extract<SiteEventBody, { type: 'card' }>;

function card(
  lineId: string,
  step: CardStep,
  cardSerial: string,
  origin: { readonly batchId?: string | null | undefined; readonly seq?: number | undefined; readonly attempt?: number | undefined },
  unitId: string | null | undefined,
  reason?: string | null,
): CardEvent {
  const code = reasonCode(reason);
  return {
    type: 'card',
    lineId,
    step,
    cardSerial,
    batchId: origin.batchId ?? null,
    seq: origin.seq ?? null,
    attempt: origin.attempt ?? null,
    unitId: unitId ?? null,
    ...(code ? { reason: code } : {}),
  };
}

/**
 * The events of one committed group, in the order of its operations. `origins` names the record of
 * cards whose later operations carry only the serial (call `origins.note(ops)` after mapping).
 */
export function journalEvents(lineId: string, ops: readonly JournalOp[], origins?: CardOrigins): SiteEventBody[] {
  const out: SiteEventBody[] = [];
  // Cards fed in this very group: their later ops in the group know their record too.
  const fedHere = new Map<string, CardOrigin>();
  const originOf = (serial: string): Partial<CardOrigin> => fedHere.get(serial) ?? origins?.get(serial) ?? {};
  for (const op of ops) {
    switch (op.op) {
      case 'card.fed': {
        const origin = { batchId: op.batchId, seq: op.seq, attempt: op.attempt };
        fedHere.set(op.cardSerial, origin);
        out.push(card(lineId, 'fed', op.cardSerial, origin, op.unit));
        break;
      }
      case 'card.suspect':
        out.push(card(lineId, 'suspect', op.cardSerial, originOf(op.cardSerial), null));
        break;
      case 'card.ended': {
        const origin = { ...originOf(op.cardSerial), batchId: op.batchId ?? originOf(op.cardSerial).batchId ?? null };
        out.push(op.status === 'good' ? card(lineId, 'stacked', op.cardSerial, origin, op.unit) : card(lineId, 'rejected', op.cardSerial, origin, op.unit, op.reason ?? 'STATION_ERROR'));
        break;
      }
      case 'event': {
        if (!op.cardSerial) break;
        const origin = { batchId: op.batchId ?? null, ...(op.seq != null ? { seq: op.seq } : {}), ...(op.attempt != null ? { attempt: op.attempt } : {}) };
        const kind = op.event.endsWith('.done') ? op.event.slice(0, -'.done'.length) : undefined;
        const step = kind !== undefined ? DONE_STEPS[kind] : undefined;
        // A station's good result; a failed one ends the card (card.ended spoiled → rejected).
        if (step && !op.reason) out.push(card(lineId, step, op.cardSerial, origin, op.unit));
        else if (op.event === 'qa.passed') out.push(card(lineId, 'inspected', op.cardSerial, origin, op.unit));
        else if (op.event === 'qa.failed') out.push(card(lineId, 'inspected', op.cardSerial, origin, op.unit, op.reason ?? 'STATION_ERROR'));
        break;
      }
      case 'packs':
        for (const change of op.changes) {
          if (change.kind === 'packed') out.push(card(lineId, 'packed', change.card.cardSerial, { ...originOf(change.card.cardSerial), batchId: op.batchId, seq: change.card.seq }, null));
        }
        break;
      case 'batch.status':
        out.push({ type: 'batch', lineId, batchId: op.batchId, status: op.status, by: op.actor });
        break;
      // card.unit (a card moved), station (its state trail: the links report it live), record (a
      // record's machine snapshot: personal data never leaves the store).
      case 'card.unit':
      case 'station':
      case 'record':
        break;
    }
  }
  return out;
}

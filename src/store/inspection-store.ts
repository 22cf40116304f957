/**
 * The controller's QA verdicts as the journal recorded them (card events qa.passed, qa.failed and
 * qa.verdict), with what the QA station measured when it was kept (src/qa/figures.ts): what the
 * QA screen lists and shows. No personal data is stored there to read.
 */
import type { Knex } from 'knex';
import type { InspectionFigures } from '../qa/figures.ts';

/** The card events that are a QA verdict on a card. */
const VERDICT_EVENTS = ['qa.passed', 'qa.failed', 'qa.verdict'] as const;

export interface QaVerdictRow {
  readonly cardSerial: string;
  readonly seq: number | null;
  readonly attempt: number | null;
  readonly outcome: 'passed' | 'failed';
  readonly reason: string | null;
  /** Why it failed, in the verifier's words (never personal data). */
  readonly detail: string | null;
  readonly figures: InspectionFigures | null;
  readonly at: string;
}

interface Row {
  card_serial: string;
  seq: number | string | null;
  attempt: number | string | null;
  event: string;
  reason: string | null;
  detail: string | null;
  at: string | Date;
}

function toVerdict(r: Row): QaVerdictRow {
  const detail = r.detail ? (JSON.parse(r.detail) as { detail?: unknown; inspection?: InspectionFigures }) : {};
  return {
    cardSerial: r.card_serial,
    seq: r.seq === null ? null : Number(r.seq),
    attempt: r.attempt === null ? null : Number(r.attempt),
    outcome: r.event === 'qa.passed' ? 'passed' : 'failed',
    reason: r.reason,
    detail: typeof detail.detail === 'string' ? detail.detail : null,
    figures: detail.inspection?.v === 1 ? detail.inspection : null,
    at: new Date(r.at).toISOString(),
  };
}

/** The QA verdicts on a batch's cards, or on one card, oldest first. */
export async function qaVerdicts(db: Knex, where: { readonly batchId: string } | { readonly cardSerial: string }): Promise<QaVerdictRow[]> {
  const rows: Row[] = await db('card_events')
    .where('batchId' in where ? { batch_id: where.batchId } : { card_serial: where.cardSerial })
    .whereIn('event', VERDICT_EVENTS)
    .whereNotNull('card_serial')
    .orderBy('id')
    .select('card_serial', 'seq', 'attempt', 'event', 'reason', 'detail', 'at');
  return rows.map(toVerdict);
}

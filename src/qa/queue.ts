/**
 * The cards the controller wants a person at the QA desk to look at, and why: its verdict failed,
 * the print grade passed but below grade A (borderline), the card is in the random sample (the site
 * file's qa.sampleRate, src/qa/sample.ts), it is a re-make, or it was spoiled after QA passed it (an
 * inspector rejected it; shown with what became of its record). A card scanned by serial is looked at
 * whatever the list says. Pure: the API composes it from the store.
 */
import type { CardRow, RecordProgress } from '../store/line-store.ts';
import type { QaVerdictRow } from '../store/inspection-store.ts';
import { inQaSample } from './sample.ts';
import type { LookReason, QaQueueEntry } from './view.ts';

export type { LookReason, QaQueueEntry };

/** Below this print grade (ISO/IEC 15415 grade A) a card that passed is borderline. */
export const BORDERLINE_BELOW_GRADE = 3.5;

const ORDER: readonly LookReason[] = ['failed', 'rejected', 'borderline', 'remake', 'sample'];

/** Why a person should look at this card (empty: the controller does not ask for it). */
export function lookReasons(card: CardRow, verdict: QaVerdictRow | undefined, sampleRate: number): LookReason[] {
  const why: LookReason[] = [];
  if (verdict?.outcome === 'failed') why.push('failed');
  // Spoiled after QA passed it: an inspector rejected it (or the packer took it out).
  if (card.status === 'spoiled' && verdict?.outcome === 'passed') why.push('rejected');
  if (verdict?.outcome === 'passed') {
    const grade = verdict.figures?.printGrade;
    if (grade !== undefined && grade < BORDERLINE_BELOW_GRADE) why.push('borderline');
    if (card.attempt > 1) why.push('remake');
    if (inQaSample(card.cardSerial, sampleRate)) why.push('sample');
  }
  return why;
}

export function qaQueue(cards: readonly CardRow[], records: readonly RecordProgress[], verdicts: readonly QaVerdictRow[], sampleRate: number): QaQueueEntry[] {
  const verdictOf = new Map(verdicts.map((v) => [v.cardSerial, v]));
  const recordOf = new Map(records.map((r) => [r.seq, r]));
  const entries: QaQueueEntry[] = [];
  for (const card of cards) {
    const verdict = verdictOf.get(card.cardSerial);
    const why = lookReasons(card, verdict, sampleRate);
    if (why.length === 0) continue;
    const record = recordOf.get(card.seq);
    entries.push({
      cardSerial: card.cardSerial,
      seq: card.seq,
      attempt: card.attempt,
      status: card.status,
      reason: card.reason,
      verdict: verdict?.outcome ?? null,
      printGrade: verdict?.figures?.printGrade ?? null,
      why,
      record: { status: record?.status ?? 'queued', cardSerial: record?.cardSerial ?? null },
    });
  }
  const rank = (e: QaQueueEntry): number => ORDER.indexOf(e.why[0]!);
  return entries.sort((a, b) => rank(a) - rank(b) || a.seq - b.seq || a.attempt - b.attempt);
}

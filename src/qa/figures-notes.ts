/**
 * Carries the figures of a QA judgement (src/qa/figures.ts) from the judge to the journal, so they
 * are written in the same row and commit as the controller's verdict on the card: the judge puts
 * them under the record it judged, and the verdict's card event (`qa.passed`/`qa.failed`, which the
 * controller journals right after it judged, with the card's serial) takes them. This way the line
 * controller is not changed to carry them. A judgement whose verdict is never journalled (the
 * controller stopped in between) leaves a note the record's next judgement replaces.
 */
import type { JournalOp } from '../store/line-store.ts';
import type { InspectionFigures } from './figures.ts';

type EventOp = Extract<JournalOp, { op: 'event' }>;

/** The card events that carry the controller's QA verdict (src/line/controller.ts names them). */
export const QA_VERDICT_EVENTS: readonly string[] = ['qa.passed', 'qa.failed'];

const keyOf = (batchId: string, seq: number): string => `${batchId}\u0000${seq}`;

export class InspectionNotes {
  private readonly pending = new Map<string, InspectionFigures>();

  /** The judge's side: the figures of the record it has just judged. */
  readonly put = (record: { readonly batchId: string; readonly seq: number }, figures: InspectionFigures): void => {
    this.pending.set(keyOf(record.batchId, record.seq), figures);
  };

  /** The journal's side (Journal.annotate): a verdict event takes its record's figures. */
  readonly annotate = (op: EventOp): Record<string, unknown> | undefined => {
    if (!QA_VERDICT_EVENTS.includes(op.event) || op.batchId == null || op.seq == null) return undefined;
    const key = keyOf(op.batchId, op.seq);
    const figures = this.pending.get(key);
    if (!figures) return undefined;
    this.pending.delete(key);
    return { inspection: figures };
  };
}

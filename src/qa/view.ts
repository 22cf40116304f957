/** What the QA desk lists (queue.ts builds it; the API answers it; the browser reads it). Types only. */

export type LookReason = 'failed' | 'rejected' | 'borderline' | 'remake' | 'sample';

export interface QaQueueEntry {
  readonly cardSerial: string;
  readonly seq: number;
  readonly attempt: number;
  readonly status: 'in-line' | 'good' | 'spoiled';
  readonly reason: string | null;
  readonly verdict: 'passed' | 'failed' | null;
  readonly printGrade: number | null;
  readonly why: LookReason[];
  /** The card's record now, and its current card (another serial once it was re-made). */
  readonly record: { readonly status: 'queued' | 'in-line' | 'produced' | 'failed' | 'cancelled'; readonly cardSerial: string | null };
}

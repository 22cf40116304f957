/** What the QA desk's API answers (src/http/routes/inspection.ts, qa.ts, batches.ts), as the screen reads it. */
import type { InspectionFigures } from '../../../../src/qa/figures.ts';
import type { LookReason, QaQueueEntry } from '../../../../src/qa/view.ts';

export type { InspectionFigures, LookReason, QaQueueEntry };

export interface BatchEntry {
  readonly id: string;
  readonly name: string;
  readonly status: string;
}

export interface QaQueue {
  readonly batchId: string;
  readonly batchStatus: string;
  readonly sampleRate: number;
  readonly borderlineBelowGrade: number;
  readonly cards: readonly QaQueueEntry[];
}

export interface Inspection {
  readonly cardSerial: string;
  readonly batchId: string;
  readonly lineId: string;
  readonly seq: number;
  readonly attempt: number;
  readonly status: 'in-line' | 'good' | 'spoiled';
  readonly reason: string | null;
  readonly suspect: boolean;
  readonly record: QaQueueEntry['record'];
  readonly why: readonly LookReason[];
  readonly sampled: boolean;
  readonly verdict: { readonly outcome: 'passed' | 'failed'; readonly reason: string | null; readonly detail: string | null; readonly at: string } | null;
  readonly figures: InspectionFigures | null;
}

export interface ApprovalRequest {
  readonly id: string;
  readonly kind: 'release' | 'purge';
  readonly batchId: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly status: 'pending' | 'approved' | 'withdrawn';
  readonly approvedBy: string | null;
}

export interface Approved {
  readonly kind: 'release' | 'purge';
  readonly request: ApprovalRequest;
  readonly purgeDueAt?: string;
}

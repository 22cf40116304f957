/**
 * What a run reports (Progress, RunOutcome) and the counters behind it: cards ended good or spoiled
 * (by reason), the run's start, production and paused time. The record counts are the record
 * machines' own (record-machines.ts); these are the physical cards' and the clock's.
 */

export interface Progress {
  readonly total: number;
  readonly produced: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly inLine: number;
  readonly good: number;
  readonly spoiled: number;
  readonly rejects: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly line: string;
  /** When the line started producing in this run (stations connected), for rates; 0 before that. */
  readonly producingSince: number;
  /** Time the line has been paused in this run, up to `at`. */
  readonly pausedMs: number;
  /** Records that had ended (produced, failed, cancelled) before this run: the rest are this run's. */
  readonly endedBefore: number;
  /** When this progress was taken. */
  readonly at: number;
  /** Delivery packs closed so far (a line with a packer). */
  readonly packsClosed?: number;
}

export interface RunOutcome {
  readonly batchId: string;
  readonly status: 'completed' | 'aborted';
  readonly progress: Progress;
  readonly failedRecords: readonly { seq: number; reasons: readonly unknown[] }[];
}

/** The cards' tally and the run's clock. */
export class RunCounters {
  good = 0;
  spoiled = 0;
  rejects: Record<string, number> = {};
  startedAt: number;
  producingSince = 0;
  endedBefore = 0;
  private pausedMs = 0;
  private pausedSince: number | undefined;

  constructor(startedAt: number) {
    this.startedAt = startedAt;
  }

  cardGood(): void {
    this.good += 1;
  }

  cardSpoiled(code: string): void {
    this.spoiled += 1;
    this.rejects[code] = (this.rejects[code] ?? 0) + 1;
  }

  /** A good card an inspector rejected after it left the line: spoiled now. */
  cardRejectedAfterStacking(code: string): void {
    this.good -= 1;
    this.cardSpoiled(code);
  }

  paused(now: number): void {
    this.pausedSince = now;
  }

  resumed(now: number): void {
    if (this.pausedSince !== undefined) this.pausedMs += now - this.pausedSince;
    this.pausedSince = undefined;
  }

  /** Time paused in this run up to `now` (a pause under way included). */
  pausedUpTo(now: number): number {
    return this.pausedMs + (this.pausedSince !== undefined ? now - this.pausedSince : 0);
  }
}

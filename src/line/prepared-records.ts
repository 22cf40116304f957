/**
 * The records' prepared jobs (rendering, signing), each prepared once and kept until its record
 * ends; the feeder's next records are prepared ahead (prestage) so no handshake waits for them.
 */
import type { JobPreparer, PreparedRecord } from './ports.ts';

export class PreparedRecords {
  private readonly prepared = new Map<number, Promise<PreparedRecord>>();

  constructor(private readonly preparer: JobPreparer) {}

  get(batchId: string, seq: number): Promise<PreparedRecord> {
    let p = this.prepared.get(seq);
    if (!p) {
      p = this.preparer.prepare(batchId, seq);
      // A failed preparation is tried again next time rather than remembered.
      p.catch(() => this.prepared.delete(seq));
      this.prepared.set(seq, p);
    }
    return p;
  }

  prestage(batchId: string, seqs: readonly number[]): void {
    for (const seq of seqs) void this.get(batchId, seq).catch(() => undefined);
  }

  /** A record that ended needs its prepared data no longer. */
  forget(seq: number): void {
    this.prepared.delete(seq);
  }
}

/**
 * The feeding policy: which record gets the next blank. Re-makes first (in the order they were
 * rejected), then records never tried, in record order; nothing while the line holds its WIP
 * limit of cards. Pure and small, so the policy is tested on its own.
 */
export class FeedQueue {
  private readonly remakes: number[] = [];
  private readonly fresh: number[];
  private next = 0;

  constructor(seqs: readonly number[]) {
    this.fresh = [...seqs].sort((a, b) => a - b);
  }

  /** A rejected record goes to the front, after earlier re-makes. */
  remake(seq: number): void {
    this.remakes.push(seq);
  }

  get size(): number {
    return this.remakes.length + this.fresh.length - this.next;
  }

  /** The records that will be fed next, for pre-staging their jobs. */
  peek(count: number): number[] {
    // Called on every feed: copies only what it returns, never the rest of the batch.
    const head = this.remakes.slice(0, count);
    if (head.length >= count) return head;
    return head.concat(this.fresh.slice(this.next, this.next + count - head.length));
  }

  take(): number | undefined {
    if (this.remakes.length > 0) return this.remakes.shift();
    if (this.next < this.fresh.length) return this.fresh[this.next++];
    return undefined;
  }

  /** Removes a record that must not be fed any more (cancelled). */
  drop(seq: number): void {
    const r = this.remakes.indexOf(seq);
    if (r >= 0) this.remakes.splice(r, 1);
    const f = this.fresh.indexOf(seq, this.next);
    if (f >= 0) this.fresh.splice(f, 1);
  }

  /** Every record still waiting, remakes first. */
  drain(): number[] {
    const all = [...this.remakes, ...this.fresh.slice(this.next)];
    this.remakes.length = 0;
    this.next = this.fresh.length;
    return all;
  }
}

/**
 * The feeding policy: which record gets the next blank. Re-makes first (in the order they were
 * rejected), then records never tried, in record order; nothing while the line holds its WIP
 * limit of cards. Pure and small, so the policy is tested on its own — and shared: the line
 * controller and the virtual-time engine (simulators/virtual/, `cardline simulate`) both feed
 * by it. Which head of a station a card goes to is the machine's routing, not the controller's
 * (simulators/model/line-model.ts leastLoaded).
 */
export class FeedQueue {
  private readonly remakes: number[] = [];
  private readonly fresh: number[];
  private next = 0;

  constructor(seqs: readonly number[]) {
    this.fresh = [...seqs].sort((a, b) => a - b);
  }

  /** A record that arrived after the others (a queue that keeps growing: capacity planning's endless batch). */
  append(seq: number): void {
    const last = this.fresh[this.fresh.length - 1];
    if (last !== undefined && seq <= last) throw new RangeError(`record ${seq} must come after ${last}`);
    this.fresh.push(seq);
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

/**
 * The default WIP limit: two cards a unit — one in work, the next staged at its infeed, so no unit
 * waits for a card — and two more on the way. Every card in the line is scrapped if the batch is
 * aborted, so the limit is no higher than the line needs to run at its bottleneck's pace.
 */
export function defaultWip(units: number): number {
  return 2 * units + 2;
}

/** The line may feed another blank: fewer cards in it than the WIP limit (Infinity: no limit). */
export function underWipLimit(inLine: number, wip: number): boolean {
  return inLine < wip;
}

/** Cards a record may use before it fails (the first and two re-makes), unless the run says otherwise. */
export const DEFAULT_MAX_ATTEMPTS = 3;

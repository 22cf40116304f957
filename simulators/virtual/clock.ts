/**
 * The discrete-event clock: simulated time jumps from one event to the next, with no timers and no
 * sleeping. Events at the same time run in the order they were scheduled, so a run is the same
 * every time. It implements the simulators' Clock (simulators/model/clock.ts): on it, "real" time
 * (heartbeats, grace periods) is simulated time too.
 */
import type { Cancel, Clock } from '../model/clock.ts';

interface Entry {
  readonly at: number;
  readonly seq: number;
  fn: (() => void) | undefined;
}

export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private readonly heap: Entry[] = [];
  private stopped = false;
  /** Events run so far. */
  events = 0;

  now(): number {
    return this.time;
  }

  after(simMs: number, fn: () => void): Cancel {
    if (this.stopped) return noop;
    const entry: Entry = { at: this.time + Math.max(0, simMs), seq: this.seq++, fn };
    this.push(entry);
    return () => {
      entry.fn = undefined;
    };
  }

  afterReal(realMs: number, fn: () => void): Cancel {
    return this.after(realMs, fn);
  }

  everyReal(realMs: number, fn: () => void): Cancel {
    let cancel: Cancel = noop;
    let live = true;
    const tick = (): void => {
      if (!live) return;
      cancel = this.after(realMs, tick);
      fn();
    };
    cancel = this.after(realMs, tick);
    return () => {
      live = false;
      cancel();
    };
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Drops every pending event; later calls to after() do nothing. */
  stop(): void {
    this.stopped = true;
    this.heap.length = 0;
  }

  /**
   * Runs events in time order until `until` returns true (checked after each event), the time
   * limit passes (events after it stay pending, the clock ends at the limit) or nothing is left.
   * Returns the number of events run.
   */
  run(limitMs = Number.POSITIVE_INFINITY, until: () => boolean = never): number {
    let ran = 0;
    while (!this.stopped && this.heap.length > 0) {
      const top = this.heap[0]!;
      if (top.at > limitMs) {
        this.time = limitMs;
        return ran;
      }
      this.pop();
      const fn = top.fn;
      if (fn === undefined) continue;
      this.time = top.at;
      ran += 1;
      this.events += 1;
      fn();
      if (until()) return ran;
    }
    if (limitMs !== Number.POSITIVE_INFINITY && !this.stopped) this.time = Math.max(this.time, limitMs);
    return ran;
  }

  /**
   * Runs the earliest pending event (skipping cancelled ones) and returns true, or false when none
   * is left: a run loop that lets other work settle between events (the line fidelity's) steps
   * the clock one event at a time.
   */
  step(): boolean {
    while (!this.stopped && this.heap.length > 0) {
      const top = this.heap[0]!;
      this.pop();
      const fn = top.fn;
      if (fn === undefined) continue;
      this.time = top.at;
      this.events += 1;
      fn();
      return true;
    }
    return false;
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function noop(): void {}

function never(): boolean {
  return false;
}

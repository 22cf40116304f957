/**
 * The simulation clock: simulated time runs `timeScale` times faster than real time. Cycle,
 * transfer and timeout delays are simulated milliseconds; the PLC heartbeat is real time (the host
 * judges a link by the wall clock). Every pending timer is tracked, so stop() leaves no handle.
 */
export type Cancel = () => void;

/**
 * What the PLC programs and the line model need of a clock. SimClock runs it on timers against the
 * wall clock; the virtual-time engine's clock (simulators/virtual/clock.ts) runs it as a queue of
 * events with no sleeping, so the same modules can run in either.
 */
export interface Clock {
  /** Simulated milliseconds since the clock started. */
  now(): number;
  /** Runs `fn` after `simMs` of simulated time. */
  after(simMs: number, fn: () => void): Cancel;
  /** Runs `fn` after `realMs` of real time (on a virtual clock: that many simulated ms). */
  afterReal(realMs: number, fn: () => void): Cancel;
  /** Runs `fn` every `realMs` of real time until cancelled. */
  everyReal(realMs: number, fn: () => void): Cancel;
  stop(): void;
}

export class SimClock implements Clock {
  private readonly startedReal = performance.now();
  private readonly timers = new Set<TimerEntry>();
  private stopped = false;

  constructor(readonly timeScale: number) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
  }

  /** Simulated milliseconds since the clock started. */
  now(): number {
    return (performance.now() - this.startedReal) * this.timeScale;
  }

  /** Runs `fn` after `simMs` of simulated time. Delays under a real millisecond run on the next turn. */
  after(simMs: number, fn: () => void): Cancel {
    return this.schedule(Math.max(0, simMs) / this.timeScale, fn);
  }

  /** Runs `fn` after `realMs` of real time (the heartbeat, the job-data grace). */
  afterReal(realMs: number, fn: () => void): Cancel {
    return this.schedule(Math.max(0, realMs), fn);
  }

  /** Runs `fn` every `realMs` of real time until cancelled. */
  everyReal(realMs: number, fn: () => void): Cancel {
    if (this.stopped) return () => undefined;
    const handle = setInterval(fn, realMs);
    const entry = { cancel: () => undefined as void };
    entry.cancel = () => {
      clearInterval(handle);
      this.timers.delete(entry);
    };
    this.timers.add(entry);
    return entry.cancel;
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Cancels every pending timer; later calls to after() do nothing. */
  stop(): void {
    this.stopped = true;
    for (const t of [...this.timers]) t.cancel();
  }

  private schedule(realMs: number, fn: () => void): Cancel {
    if (this.stopped) return () => undefined;
    // Every card's cycle and transfer comes through here: no closures beyond the cancel function
    // (tsx keeps function names, which costs a defineProperty for each named closure created).
    const entry: TimerEntry = { cancel: noop };
    if (realMs < 1) {
      const handle = setImmediate(runTimer, this.timers, entry, fn);
      entry.cancel = () => {
        clearImmediate(handle);
        this.timers.delete(entry);
      };
    } else {
      const handle = setTimeout(runTimer, realMs, this.timers, entry, fn);
      entry.cancel = () => {
        clearTimeout(handle);
        this.timers.delete(entry);
      };
    }
    this.timers.add(entry);
    return entry.cancel;
  }
}

interface TimerEntry {
  cancel: Cancel;
}

function noop(): void {}

function runTimer(timers: Set<TimerEntry>, entry: TimerEntry, fn: () => void): void {
  timers.delete(entry);
  fn();
}

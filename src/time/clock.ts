/**
 * The time source of the line controller and its station links: the wall clock and Node's timers
 * in a real run (systemClock), or a simulated clock when the real controller runs in virtual time
 * (the capacity simulation's `--fidelity line`). It is also what XState's `createActor(…, { clock })`
 * takes, so the station machines' delayed transitions run on the same time as everything else.
 */

/** A timer's handle, opaque: only the clock that made it can clear it. */
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
  /** The timer does not keep the process alive (a watchdog's); nothing to do on a simulated clock. */
  unref(handle: TimerHandle): void;
}

/** The wall clock and Node's own timers: every real run. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (fn: () => void, ms: number): TimerHandle => setInterval(fn, ms),
  clearInterval: (handle: TimerHandle) => clearInterval(handle as NodeJS.Timeout | undefined),
  unref: (handle: TimerHandle) => {
    (handle as NodeJS.Timeout).unref();
  },
});

/**
 * The controller's and the station links' Clock (src/time/clock.ts) on the virtual-time engine's
 * VirtualClock: their timers are the clock's events, and their now() is a fixed epoch plus
 * simulated time, so the real controller runs in virtual time (the line fidelity) and a seeded
 * run's timestamps are the same every time.
 */
import type { Clock, TimerHandle } from '../../src/time/clock.ts';
import type { Cancel } from '../model/clock.ts';
import type { VirtualClock } from './clock.ts';

/** 2026-01-01T00:00:00Z: where simulated time 0 falls on the controller's calendar. */
export const VIRTUAL_EPOCH_MS = Date.UTC(2026, 0, 1);

export class VirtualHostClock implements Clock {
  constructor(
    private readonly clock: VirtualClock,
    private readonly epochMs = VIRTUAL_EPOCH_MS,
  ) {}

  now(): number {
    return this.epochMs + this.clock.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.clock.after(ms, fn);
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as Cancel | undefined)?.();
  }

  /** As Node's: an interval under a millisecond is one. */
  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.clock.everyReal(Math.max(1, ms), fn);
  }

  clearInterval(handle: TimerHandle): void {
    (handle as Cancel | undefined)?.();
  }

  unref(): void {}
}

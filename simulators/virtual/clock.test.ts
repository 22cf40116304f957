/**
 * The discrete-event clock: events run in time order (same time: the order they were scheduled),
 * cancelled ones never, the clock jumps without sleeping and stops at a limit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.ts';

describe('VirtualClock', () => {
  it('runs events in time order, ties in scheduling order, and jumps to each event’s time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (delays) => {
        const clock = new VirtualClock();
        const ran: { i: number; at: number }[] = [];
        delays.forEach((d, i) => clock.after(d, () => ran.push({ i, at: clock.now() })));
        expect(clock.run()).toBe(delays.length);
        const expected = delays.map((d, i) => ({ i, at: d })).sort((a, b) => a.at - b.at || a.i - b.i);
        expect(ran).toStrictEqual(expected);
      }),
    );
  });

  it('never runs a cancelled event; events scheduled while running take their place', () => {
    const clock = new VirtualClock();
    const ran: string[] = [];
    const cancel = clock.after(10, () => ran.push('cancelled'));
    clock.after(5, () => {
      ran.push(`a@${clock.now()}`);
      clock.after(0, () => ran.push(`b@${clock.now()}`));
      clock.after(20, () => ran.push(`c@${clock.now()}`));
    });
    cancel();
    clock.run();
    expect(ran).toStrictEqual(['a@5', 'b@5', 'c@25']);
    expect(clock.now()).toBe(25);
  });

  it('stops at a time limit (later events stay pending) and when asked to', () => {
    const clock = new VirtualClock();
    const ticks: number[] = [];
    const stop = clock.everyReal(1000, () => ticks.push(clock.now()));
    clock.run(3500);
    expect(ticks).toStrictEqual([1000, 2000, 3000]);
    expect(clock.now()).toBe(3500);
    expect(clock.pending).toBe(1);
    clock.run(Number.POSITIVE_INFINITY, () => ticks.length === 5);
    expect(ticks).toStrictEqual([1000, 2000, 3000, 4000, 5000]);
    stop();
    expect(clock.run()).toBe(0);
    clock.stop();
    clock.after(1, () => ticks.push(-1));
    expect(clock.pending).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.ts';

const body = (batchId: string) => ({ type: 'batch', lineId: 'L1', batchId, status: 'running' }) as const;

describe('EventBus', () => {
  it('numbers events and replays those after Last-Event-ID', () => {
    let now = 0;
    const bus = new EventBus({ now: () => now });
    const seen: number[] = [];
    bus.subscribe((e) => seen.push(e.id));
    for (const id of ['a', 'b', 'c']) bus.publish(body(id));
    expect(seen).toEqual([1, 2, 3]);
    expect(bus.since(1)?.map((e) => e.id)).toEqual([2, 3]);
    expect(bus.since(3)).toEqual([]);
    now = 5 * 60_000;
    bus.publish(body('d'));
    expect(bus.since(0)?.map((e) => e.id)).toEqual([1, 2, 3, 4]);
  });

  it('tells the id of the last event published', () => {
    const bus = new EventBus({ firstId: 100 });
    expect(bus.latestId()).toBe(99);
    bus.publish(body('a'));
    bus.publish(body('b'));
    expect(bus.latestId()).toBe(101);
  });

  it('says when a client asks for events older than the window (it must reload)', () => {
    let now = 0;
    const bus = new EventBus({ now: () => now, windowMs: 1000 });
    bus.publish(body('a'));
    bus.publish(body('b'));
    now = 1500;
    bus.publish(body('c'));
    expect(bus.since(0)).toBeUndefined();
    expect(bus.since(2)?.map((e) => e.id)).toEqual([3]);
  });
});

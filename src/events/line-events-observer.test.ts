// The line events observer on a real journal (SQLite): committed groups become events once
// committed, counters tick while a batch runs and once more when it leaves, and detaching stops it all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchProgressView, ObservedLine } from '../site/runtime.ts';
import { LineStore } from '../store/line-store.ts';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { EventBus } from './event-bus.ts';
import { createLineEventsObserver } from './line-events-observer.ts';
import type { SiteEvent } from './site-event.ts';

let fx: StoreFixture;
beforeAll(async () => {
  fx = await BACKENDS[0]!.setup();
});
afterAll(async () => {
  await fx?.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('createLineEventsObserver', () => {
  it('publishes committed card steps, counters while running, and stops when detached', async () => {
    const store = new LineStore(fx.db, 'obs-line');
    const bus = new EventBus();
    const events: SiteEvent[] = [];
    bus.subscribe((e) => events.push(e));
    let progress: BatchProgressView | null = null;
    const line: ObservedLine = { lineId: 'obs-line', links: new Map(), onCommitted: (fn) => store.journal.addCommitListener(fn), progress: () => progress };
    const detach = createLineEventsObserver(bus, { countersEveryMs: 40 }).attach(line);

    // Idle: no counters.
    await sleep(120);
    expect(events).toStrictEqual([]);

    progress = { batchId: 'B7', status: 'running', records: 10, good: 3, spoiled: 1, pending: 5, inLine: 1, cardsPerHour: 1200, etaSeconds: 12 };
    await store.journal.append({ op: 'station', unit: 'feeder', event: 'state', detail: { note: 'not an event' } }, { op: 'event', event: 'laser.done', batchId: 'B7', seq: 2, attempt: 1, cardSerial: 'T42', unit: 'laser', reason: null });
    expect(events.filter((e) => e.type === 'card')).toMatchObject([{ step: 'engraved', cardSerial: 'T42', batchId: 'B7', seq: 2, attempt: 1, unitId: 'laser', lineId: 'obs-line' }]);
    await sleep(130);
    const running = events.filter((e) => e.type === 'counters');
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(running[0]).toMatchObject({ lineId: 'obs-line', batchId: 'B7', good: 3, spoiled: 1, pending: 5, inLine: 1, cardsPerHour: 1200 });

    progress = null;
    await sleep(130);
    const counters = events.filter((e) => e.type === 'counters');
    // Exactly one idle reading after the batch left.
    expect(counters.filter((e) => e.batchId === null)).toHaveLength(1);
    expect(counters.at(-1)).toMatchObject({ batchId: null, good: 0, inLine: 0 });

    detach();
    const count = events.length;
    progress = { ...running[0]!, batchId: 'B8', status: 'running', records: 1, etaSeconds: null };
    await store.journal.append({ op: 'card.suspect', cardSerial: 'T43' });
    await sleep(100);
    expect(events).toHaveLength(count);
  });

  it('refuses a counters period that is not a positive number', () => {
    expect(() => createLineEventsObserver(new EventBus(), { countersEveryMs: 0 })).toThrow('countersEveryMs must be a positive number of milliseconds, got 0');
  });
});

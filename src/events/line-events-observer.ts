/**
 * The producer of a site's live events for the lines this server drives: a LineObserver that turns
 * a line's station links into `station.state` events, its committed journal operations into card
 * and batch events (journal-events.ts), and publishes the running batch's `counters` every second.
 */
import type { LineObserver, ObservedLine } from '../site/runtime.ts';
import { CardOrigins, journalEvents } from './journal-events.ts';
import type { SiteEventBus } from './site-event.ts';
import { stationEventOf, stationState } from './station-events.ts';

export interface LineEventsOptions {
  /** How often the running batch's counters are published (ms); default 1000. */
  readonly countersEveryMs?: number;
}

export function createLineEventsObserver(bus: SiteEventBus, options: LineEventsOptions = {}): LineObserver {
  const countersEveryMs = options.countersEveryMs ?? 1000;
  if (!(countersEveryMs > 0)) throw new RangeError(`countersEveryMs must be a positive number of milliseconds, got ${countersEveryMs}`);
  return {
    attach(line: ObservedLine): () => void {
      const { lineId } = line;
      const offs: (() => void)[] = [];
      // Where each unit stands now, so a client connecting later sees it in the replay window.
      for (const [unitId, link] of line.links) {
        bus.publish(stationState(lineId, unitId, link.status, link.connected));
        offs.push(
          link.subscribe((event) => {
            const body = stationEventOf(lineId, unitId, event, link.status);
            if (body) bus.publish(body);
          }),
        );
      }
      const origins = new CardOrigins();
      offs.push(
        line.onCommitted((ops) => {
          for (const body of journalEvents(lineId, ops, origins)) bus.publish(body);
          origins.note(ops);
        }),
      );
      let wasRunning = false;
      const tick = (): void => {
        const p = line.progress();
        if (p) {
          bus.publish({ type: 'counters', lineId, batchId: p.batchId, good: p.good, spoiled: p.spoiled, pending: p.pending, inLine: p.inLine, cardsPerHour: p.cardsPerHour });
        } else if (wasRunning) {
          // Once more when the batch leaves the line: the counters of an idle line.
          bus.publish({ type: 'counters', lineId, batchId: null, good: 0, spoiled: 0, pending: 0, inLine: 0, cardsPerHour: null });
        }
        wasRunning = p !== null;
      };
      const timer = setInterval(tick, countersEveryMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        for (const off of offs.splice(0)) off();
      };
    },
  };
}

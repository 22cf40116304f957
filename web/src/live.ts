/**
 * The site's live events (Server-Sent Events from /api/v1/events). One EventSource for the whole
 * page; screens subscribe to the event types they draw. The browser reconnects by itself and sends
 * Last-Event-ID, so nothing of the last 10 minutes is missed; a `reset` (the client was away longer)
 * tells every screen to reload its state. No screen polls.
 */
import { signal } from '@preact/signals';
import type { SiteEvent } from '../../src/events/site-event.ts';

export type { SiteEvent };
export type SiteEventType = SiteEvent['type'];
export type EventOf<T extends SiteEventType> = Extract<SiteEvent, { type: T }>;

const TYPES: readonly (SiteEventType | 'reset')[] = ['station.state', 'card', 'counters', 'batch', 'queue', 'alarm', 'reset'];

export const connected = signal(false);
/** Bumped on every `reset` and reconnection: screens that hold state reload when it changes. */
export const reloadGeneration = signal(0);

type Listener = (event: SiteEvent) => void;
const listeners = new Map<string, Set<Listener>>();
let source: EventSource | undefined;

export function startLive(): void {
  if (source) return;
  source = new EventSource('/api/v1/events');
  source.onopen = () => {
    if (!connected.value) reloadGeneration.value++;
    connected.value = true;
  };
  source.onerror = () => {
    connected.value = false;
  };
  for (const type of TYPES) {
    source.addEventListener(type, (message: MessageEvent<string>) => {
      if (type === 'reset') {
        reloadGeneration.value++;
        return;
      }
      const event = JSON.parse(message.data) as SiteEvent;
      for (const listener of listeners.get(type) ?? []) listener(event);
    });
  }
}

export function stopLive(): void {
  source?.close();
  source = undefined;
  connected.value = false;
}

/** Calls `listener` with every event of `type`; returns the way to stop (for a useEffect cleanup). */
export function onEvent<T extends SiteEventType>(type: T, listener: (event: EventOf<T>) => void): () => void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  const wrapped = listener as Listener;
  set.add(wrapped);
  return () => set.delete(wrapped);
}

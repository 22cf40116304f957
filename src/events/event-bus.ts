/**
 * The site's event bus: numbers each event, keeps a replay window (10 minutes by default, and at
 * least the last `minEvents`) for clients reconnecting with Last-Event-ID, and hands every event to
 * the subscribers (the SSE streams, the PostgreSQL relay).
 */
import type { SiteEvent, SiteEventBody, SiteEventBus } from './site-event.ts';

export const REPLAY_WINDOW_MS = 10 * 60_000;

export class EventBus implements SiteEventBus {
  private readonly window: SiteEvent[] = [];
  private readonly listeners = new Set<(event: SiteEvent) => void>();
  private nextId: number;

  constructor(private readonly options: { readonly windowMs?: number; readonly firstId?: number; readonly now?: () => number } = {}) {
    this.nextId = options.firstId ?? 1;
  }

  publish(body: SiteEventBody, at: Date = new Date(this.now()), relayedFrom?: string): SiteEvent {
    const event = { ...body, id: this.nextId++, at: at.toISOString(), ...(relayedFrom !== undefined ? { relayedFrom } : {}) } as SiteEvent;
    this.window.push(event);
    this.trim();
    for (const listener of this.listeners) listener(event);
    return event;
  }

  since(lastId: number): readonly SiteEvent[] | undefined {
    this.trim();
    const first = this.window[0];
    // Nothing was dropped after lastId: either the window still starts at or before lastId + 1, or nothing happened since.
    if (lastId >= this.nextId - 1) return [];
    if (!first || first.id > lastId + 1) return undefined;
    return this.window.slice(lastId + 1 - first.id);
  }

  subscribe(listener: (event: SiteEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latestId(): number {
    return this.nextId - 1;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private trim(): void {
    const oldest = this.now() - (this.options.windowMs ?? REPLAY_WINDOW_MS);
    let drop = 0;
    while (drop < this.window.length && Date.parse(this.window[drop]!.at) < oldest) drop++;
    if (drop > 0) this.window.splice(0, drop);
  }
}

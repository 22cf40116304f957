/**
 * The text/event-stream framing of site events (WHATWG HTML, "Server-sent events"): `id:` the
 * event's id (what a reconnecting client sends back as Last-Event-ID), `event:` its type, `data:`
 * its JSON on one line.
 */
import type { SiteEvent } from './site-event.ts';

// One event goes to every connected client: its frame is made once.
const frames = new WeakMap<SiteEvent, string>();

export function sseEvent(event: SiteEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

/**
 * The stream's answer to a Last-Event-ID older than the replay window: the client missed events and
 * must reload its state, then follow the stream, which goes on after `resumeFrom` (the reset's id).
 */
export function sseReset(lastEventId: number, resumeFrom: number): string {
  return `id: ${resumeFrom}\nevent: reset\ndata: ${JSON.stringify({ type: 'reset', lastEventId, resumeFrom, reason: 'the events after this id are no longer kept; reload the state' })}\n\n`;
}

/** A comment line: keeps proxies and clients from timing the stream out. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';

/** The reconnection delay the client is asked to use (ms). */
export function sseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** A Last-Event-ID value: a whole number ≥ 0, or undefined when absent; throws on anything else. */
export function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,15}$/.test(trimmed)) throw new RangeError(`Last-Event-ID must be a whole number ≥ 0 (an event id), got ${JSON.stringify(value.slice(0, 40))}`);
  return Number(trimmed);
}

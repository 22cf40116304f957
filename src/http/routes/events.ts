/**
 * GET /api/v1/events: the site's live events as Server-Sent Events. A client reconnecting with
 * `Last-Event-ID` (header, or `?lastEventId=` for clients that cannot set headers) first gets every
 * event it missed from the bus's replay window, then the live ones, none twice and none missing;
 * an id older than the window (or from before a server restart) gets a `reset` event — reload the
 * state — and the live stream. A comment every 15 s keeps idle connections open; a client too slow
 * to take its events is cut off (it reconnects and replays). Events carry identifiers and codes
 * only, never personal data.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { parseLastEventId, SSE_HEARTBEAT, sseEvent, sseReset, sseRetry } from '../../events/sse-format.ts';
import type { SiteEvent, SiteEventBus } from '../../events/site-event.ts';
import { SiteRequestError } from '../../site/runtime.ts';
import { route, type RouteFactory } from '../route-spec.ts';

export interface EventStreamOptions {
  /** Between keep-alive comments (ms); default 15 000. */
  readonly heartbeatMs?: number;
  /** A client with more than this many bytes not yet taken is disconnected; default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** The reconnection delay told to clients (ms); default 2000. */
  readonly retryMs?: number;
}

const querySchema = z.strictObject({
  lastEventId: z.string().regex(/^\d{1,15}$/, 'an event id: a whole number ≥ 0').optional(),
  lineId: z.string().min(1).max(64).optional(),
});

function lastEventIdOf(headerValue: string | string[] | undefined, query: string | undefined): number | undefined {
  const header = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  try {
    return parseLastEventId(header) ?? parseLastEventId(query);
  } catch (error) {
    throw new SiteRequestError((error as Error).message, 400, 'Last-Event-ID');
  }
}

function concernsLine(event: SiteEvent, lineId: string | undefined): boolean {
  return lineId === undefined || !('lineId' in event) || event.lineId === lineId || event.lineId === null;
}

export function eventRoutesWith(options: EventStreamOptions = {}): RouteFactory {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const retryMs = options.retryMs ?? 2_000;
  return (deps) => {
    const site = deps.site;
    if (!site) return [];
    return [
      route({
        method: 'GET',
        url: '/events',
        permission: 'batch.read',
        summary: 'The site’s live events (Server-Sent Events); reconnect with Last-Event-ID to replay what was missed',
        tags: ['events'],
        query: querySchema,
        handler: ({ request, reply, query }) => {
          const lastId = lastEventIdOf(request.headers['last-event-id'], query.lastEventId);
          streamEvents(site.events, request.raw, reply, { lastId, lineId: query.lineId, heartbeatMs, maxBuffered, retryMs });
          return Promise.resolve(undefined);
        },
      }),
    ];
  };
}

/** GET /api/v1/events with the default timings. */
export const eventRoutes: RouteFactory = eventRoutesWith();

interface StreamSettings {
  readonly lastId: number | undefined;
  readonly lineId: string | undefined;
  readonly heartbeatMs: number;
  readonly maxBuffered: number;
  readonly retryMs: number;
}

function streamEvents(bus: SiteEventBus, rawRequest: IncomingMessage, reply: FastifyReply, settings: StreamSettings): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  let lastSent = settings.lastId ?? -1;
  const write = (chunk: string): void => {
    if (closed) return;
    res.write(chunk);
    if (res.writableLength > settings.maxBuffered) {
      // Too slow: cut it off; it comes back with its Last-Event-ID and replays.
      close();
      res.destroy();
    }
  };
  const send = (event: SiteEvent): void => {
    if (event.id <= lastSent) return;
    lastSent = event.id;
    if (concernsLine(event, settings.lineId)) write(sseEvent(event));
  };
  // Subscribe before reading the replay window: nothing published in between can fall through.
  const early: SiteEvent[] = [];
  let live = false;
  const unsubscribe = bus.subscribe((event) => (live ? send(event) : early.push(event)));
  const timer = setInterval(() => write(SSE_HEARTBEAT), settings.heartbeatMs);
  timer.unref();
  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    unsubscribe();
  }
  rawRequest.on('close', close);
  res.on('close', close);
  res.on('error', close);

  write(sseRetry(settings.retryMs));
  if (settings.lastId !== undefined) {
    // An id this bus never gave (the server restarted since) is as unknown as one too old.
    const missed = settings.lastId > bus.latestId() ? undefined : bus.since(settings.lastId);
    if (missed === undefined) {
      lastSent = bus.latestId();
      write(sseReset(settings.lastId, lastSent));
    } else {
      for (const event of missed) send(event);
    }
  }
  for (const event of early) send(event);
  early.length = 0;
  live = true;
}

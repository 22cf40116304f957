/**
 * Events of lines another server drives: every server of a site on PostgreSQL sends the events it
 * publishes to the others through LISTEN/NOTIFY, and publishes theirs on its own bus, so a client
 * of any server sees the whole site (issue 16, item 6). Relayed events get this bus's ids (the ids a
 * client's Last-Event-ID names are per server), keep the time they happened and name the server
 * they came from (`relayedFrom`, so the metrics count a card once, where it was made). Each server sends
 * only what its own producers published — never what it relayed — so nothing goes round twice.
 */
import type { Knex } from 'knex';
import { listen, MAX_NOTIFY_BYTES, notify } from '../store/pg-notify.ts';
import type { SiteEvent, SiteEventBody, SiteEventBus } from './site-event.ts';

export const SITE_EVENTS_CHANNEL = 'cardline_site_events';

export interface PgRelayOptions {
  /** This server's name in the site (unique per process). */
  readonly serverId: string;
  readonly channel?: string;
  /** Where a failed send or a malformed notification goes (default: a process warning). */
  readonly onError?: (error: unknown) => void;
  /** Delay before listening again after the connection was lost (ms); default 1000. */
  readonly retryMs?: number;
}

interface Envelope {
  readonly v: 1;
  readonly from: string;
  readonly at: string;
  readonly body: SiteEventBody;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['station.state', 'card', 'counters', 'batch', 'queue', 'alarm']);

function bodyOf(event: SiteEvent): SiteEventBody {
  const { id: _id, at: _at, relayedFrom: _from, ...body } = event;
  return body;
}

/** A notification's envelope, or a reason why it is none. */
export function parseEnvelope(payload: string): Envelope | string {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return 'not JSON';
  }
  const e = value as Partial<Envelope> | null;
  if (!e || e.v !== 1 || typeof e.from !== 'string' || typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return 'not a version 1 envelope (v, from, at)';
  if (!e.body || typeof e.body !== 'object' || !EVENT_TYPES.has((e.body as { type?: unknown }).type as string)) return 'its body is not a site event';
  return e as Envelope;
}

export interface PgRelay {
  close(): Promise<void>;
}

export async function startPgRelay(db: Knex, bus: SiteEventBus, options: PgRelayOptions): Promise<PgRelay> {
  const channel = options.channel ?? SITE_EVENTS_CHANNEL;
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`event relay ${options.serverId}: ${error instanceof Error ? error.message : String(error)}`));
  let relaying = false;
  // Sends go one after the other: the other servers see this server's events in its order.
  let sending: Promise<void> = Promise.resolve();

  const listener = await listen(
    db,
    channel,
    (payload) => {
      const envelope = parseEnvelope(payload);
      if (typeof envelope === 'string') return onError(new Error(`a notification on ${channel} was dropped: ${envelope}`));
      if (envelope.from === options.serverId) return;
      relaying = true;
      try {
        bus.publish(envelope.body, new Date(envelope.at), envelope.from);
      } finally {
        relaying = false;
      }
    },
    { onError, ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}) },
  );

  const unsubscribe = bus.subscribe((event) => {
    if (relaying) return;
    const payload = JSON.stringify({ v: 1, from: options.serverId, at: event.at, body: bodyOf(event) } satisfies Envelope);
    if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) return onError(new Error(`event ${event.id} (${event.type}) is too large to relay`));
    sending = sending.then(() => notify(db, channel, payload)).catch(onError);
  });

  return {
    async close() {
      unsubscribe();
      await sending;
      await listener.close();
    },
  };
}

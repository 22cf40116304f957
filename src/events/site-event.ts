/**
 * The site's live events: what the event stream (SSE) carries and what a reconnecting client
 * replays from `Last-Event-ID`. Card events name cards by serial and records by batch and sequence
 * number, never by anything personal. src/events implements the bus (a replay window of at least
 * 10 minutes); producers are the line agents (src/site) and the alarm board (src/alarms).
 */
export type CardStep = 'fed' | 'encoded' | 'engraved' | 'inspected' | 'stacked' | 'packed' | 'rejected' | 'suspect';

export type SiteEventBody =
  | { readonly type: 'station.state'; readonly lineId: string; readonly unitId: string; readonly state: string; readonly mode: string; readonly connected: boolean }
  | {
      readonly type: 'card';
      readonly lineId: string;
      readonly step: CardStep;
      readonly cardSerial: string;
      readonly batchId: string | null;
      readonly seq: number | null;
      readonly attempt: number | null;
      readonly unitId: string | null;
      /** A reason code (src/line/reasons.ts) for rejected/suspect cards. */
      readonly reason?: string | undefined;
    }
  | { readonly type: 'counters'; readonly lineId: string; readonly batchId: string | null; readonly good: number; readonly spoiled: number; readonly pending: number; readonly inLine: number; readonly cardsPerHour: number | null }
  | { readonly type: 'batch'; readonly lineId: string | null; readonly batchId: string; readonly status: string; readonly by?: string | undefined }
  | { readonly type: 'queue'; readonly lineId: string; readonly batchIds: readonly string[] }
  | { readonly type: 'alarm'; readonly alarmId: string; readonly lineId: string; readonly unitId: string | null; readonly condition: string; readonly priority: 'low' | 'medium' | 'high' | 'urgent'; readonly state: AlarmState; readonly by?: string | undefined };

/** ISA-18.2 alarm states as cardline uses them. */
export type AlarmState = 'active-unacknowledged' | 'active-acknowledged' | 'cleared-unacknowledged' | 'cleared';

export type SiteEvent = SiteEventBody & {
  /** Monotonic across the site's server (the SSE id). */
  readonly id: number;
  /** ISO 8601 time the event happened. */
  readonly at: string;
  /** The server that published it, when another server's event came through the relay (src/events/pg-relay.ts). */
  readonly relayedFrom?: string;
};

export interface SiteEventBus {
  /** `relayedFrom`: the server whose event this is, when the relay publishes another server's. */
  publish(body: SiteEventBody, at?: Date, relayedFrom?: string): SiteEvent;
  /** Events after `lastId` still in the replay window; undefined when `lastId` is older than the window (the client must reload). */
  since(lastId: number): readonly SiteEvent[] | undefined;
  subscribe(listener: (event: SiteEvent) => void): () => void;
  /** The id of the last event published (firstId − 1 before any). */
  latestId(): number;
}

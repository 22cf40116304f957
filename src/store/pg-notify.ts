/**
 * PostgreSQL LISTEN/NOTIFY for the servers of one site: a notification sent by one server reaches
 * every server listening on the channel (src/events/pg-relay.ts relays the site's events this
 * way). A listener holds one connection of the pool for as long as it listens, and comes back by
 * itself (a fresh connection, LISTEN again) when that connection is lost; notifications sent while
 * it is away are lost to it.
 */
import type { Knex } from 'knex';
import { dialectOf } from './sql.ts';

/** The part of node-postgres's Client a listener uses (pg ships no types here; knex hands out its connections). */
interface PgConnection {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): void;
  on(event: 'error' | 'end', listener: (error?: Error) => void): void;
  removeAllListeners(event?: string): void;
}

/** PostgreSQL's limit on a NOTIFY payload is 8000 bytes. */
export const MAX_NOTIFY_BYTES = 7_999;

function checkChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new RangeError(`a notification channel is a lower-case SQL identifier, got ${JSON.stringify(channel)}`);
}

function checkPostgres(db: Knex, what: string): void {
  if (dialectOf(db) !== 'postgres') throw new Error(`${what} needs PostgreSQL (CARDLINE_DB_URL); a SQLite store serves one server only`);
}

export async function notify(db: Knex, channel: string, payload: string): Promise<void> {
  checkChannel(channel);
  if (Buffer.byteLength(payload) > MAX_NOTIFY_BYTES) throw new RangeError(`a notification payload is at most ${MAX_NOTIFY_BYTES} bytes, this one has ${Buffer.byteLength(payload)}`);
  await db.raw('select pg_notify(?, ?)', [channel, payload]);
}

export interface NotifyListener {
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Delay before listening again after the connection was lost (ms); default 1000. */
  readonly retryMs?: number;
  readonly onError?: (error: unknown) => void;
}

/** Listens on `channel` until close(); resolves once the first LISTEN is in place. */
export async function listen(db: Knex, channel: string, onPayload: (payload: string) => void, options: ListenOptions = {}): Promise<NotifyListener> {
  checkChannel(channel);
  checkPostgres(db, 'listening for notifications');
  const client = db.client as { acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown> };
  let closed = false;
  let connection: PgConnection | undefined;
  let retry: NodeJS.Timeout | undefined;

  const drop = (conn: PgConnection, error?: Error): void => {
    if (connection !== conn) return;
    connection = undefined;
    conn.removeAllListeners('notification');
    if (error) options.onError?.(error);
    // The pool finds a broken connection on release (knex validates it) and replaces it.
    client.releaseConnection(conn).catch(() => undefined);
    if (!closed) retry = setTimeout(() => void start().catch((e: unknown) => options.onError?.(e)), options.retryMs ?? 1_000);
  };

  const start = async (): Promise<void> => {
    const conn = (await client.acquireConnection()) as PgConnection;
    if (closed) {
      await client.releaseConnection(conn);
      return;
    }
    connection = conn;
    conn.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) onPayload(message.payload);
    });
    conn.on('error', (error) => drop(conn, error ?? new Error('the listening connection failed')));
    conn.on('end', () => drop(conn, new Error('the listening connection ended')));
    try {
      await conn.query(`listen ${channel}`);
    } catch (error) {
      drop(conn, error as Error);
      throw error;
    }
  };

  await start();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const conn = connection;
      connection = undefined;
      if (!conn) return;
      conn.removeAllListeners('notification');
      try {
        await conn.query(`unlisten ${channel}`);
      } finally {
        await client.releaseConnection(conn);
      }
    },
  };
}

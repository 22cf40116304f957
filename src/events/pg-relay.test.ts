// Two servers of one site on one PostgreSQL database: what either publishes reaches the other's
// bus through LISTEN/NOTIFY, in order, with its time, renumbered by the receiving bus, and never
// comes back to its sender; malformed notifications are dropped with a reason; closing stops it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../store/db.ts';
import { notify } from '../store/pg-notify.ts';
import { createTempPgDatabase, type TempPgDatabase } from '../../test/helpers/pg.ts';
import { EventBus } from './event-bus.ts';
import { parseEnvelope, SITE_EVENTS_CHANNEL, startPgRelay, type PgRelay } from './pg-relay.ts';
import type { SiteEvent, SiteEventBody } from './site-event.ts';

let pg: TempPgDatabase;
let dir: string;
const dbs: Knex[] = [];

beforeAll(async () => {
  pg = await createTempPgDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-relay-'));
  for (const name of ['a', 'b']) dbs.push(await openDatabase({ dataDir: path.join(dir, name), url: pg.url }));
});
afterAll(async () => {
  for (const db of dbs) await db.destroy();
  await pg?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const card = (n: number): SiteEventBody => ({ type: 'card', lineId: 'line-a', step: 'stacked', cardSerial: `T${n}`, batchId: 'B1', seq: n, attempt: 1, unitId: 'output' });

describe('the PostgreSQL event relay', () => {
  it('relays each server’s events to the other, in order, once', async () => {
    const busA = new EventBus();
    const busB = new EventBus({ firstId: 1000 });
    const seenA: SiteEvent[] = [];
    const seenB: SiteEvent[] = [];
    busA.subscribe((e) => seenA.push(e));
    busB.subscribe((e) => seenB.push(e));
    const errors: unknown[] = [];
    const relays: PgRelay[] = [
      await startPgRelay(dbs[0]!, busA, { serverId: 'server-a', onError: (e) => errors.push(e) }),
      await startPgRelay(dbs[1]!, busB, { serverId: 'server-b', onError: (e) => errors.push(e) }),
    ];
    try {
      const at = new Date('2026-12-07T18:00:00.000Z');
      for (let n = 1; n <= 50; n++) busA.publish(card(n), at);
      busB.publish({ type: 'alarm', alarmId: 'AL-1', lineId: 'line-b', unitId: 'qa', condition: 'station.aborted', priority: 'urgent', state: 'active-acknowledged', by: 'op-anna' });
      await until('A’s events on B', () => seenB.filter((e) => e.type === 'card').length === 50);
      await until('B’s alarm on A', () => seenA.some((e) => e.type === 'alarm'));
      // Give an echo the time to come back, if the relay sent one.
      await new Promise((r) => setTimeout(r, 300));

      expect(seenB.filter((e) => e.type === 'card').map((e) => (e as { seq: number }).seq)).toStrictEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // B's numbering and A's time.
      expect(seenB.find((e) => e.type === 'card')).toMatchObject({ id: 1001, at: at.toISOString(), cardSerial: 'T1', lineId: 'line-a' });
      expect(seenA.filter((e) => e.type === 'alarm')).toMatchObject([{ alarmId: 'AL-1', by: 'op-anna', id: 51 }]);
      // Nothing went round: A has its 50 and B's one alarm, B its alarm and A's 50.
      expect(seenA).toHaveLength(51);
      expect(seenB).toHaveLength(51);
      expect(errors).toStrictEqual([]);
    } finally {
      for (const r of relays) await r.close();
    }

    // Closed: nothing relayed any more.
    busA.publish(card(99));
    await new Promise((r) => setTimeout(r, 300));
    expect(seenB.filter((e) => e.type === 'card')).toHaveLength(50);
  }, 30_000);

  it('listens again when its connection is lost', async () => {
    const busA = new EventBus();
    const busB = new EventBus();
    const seenB: SiteEvent[] = [];
    busB.subscribe((e) => seenB.push(e));
    const errors: unknown[] = [];
    const relayA = await startPgRelay(dbs[0]!, busA, { serverId: 'server-a', onError: (e) => errors.push(e) });
    const relayB = await startPgRelay(dbs[1]!, busB, { serverId: 'server-b', onError: (e) => errors.push(e), retryMs: 100 });
    try {
      busA.publish(card(1));
      await until('the first event', () => seenB.length === 1);
      // The database drops B's listening connection (a restart, a network cut).
      const killed = await dbs[0]!.raw<{ rows: unknown[] }>("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = 'listen cardline_site_events' and pid <> pg_backend_pid()");
      expect(killed.rows.length).toBeGreaterThanOrEqual(1);
      await until('the loss to be noticed', () => errors.length > 0);
      // Once it listens again, events flow again.
      await until('events after the reconnection', () => {
        busA.publish(card(2));
        return seenB.some((e) => e.type === 'card' && e.seq === 2);
      });
    } finally {
      await relayA.close();
      await relayB.close();
    }
  }, 30_000);

  it('drops what is not an event envelope, saying why', async () => {
    const bus = new EventBus();
    const seen: SiteEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const errors: string[] = [];
    const relay = await startPgRelay(dbs[1]!, bus, { serverId: 'server-b', onError: (e) => errors.push((e as Error).message) });
    try {
      await notify(dbs[0]!, SITE_EVENTS_CHANNEL, 'hello');
      await notify(dbs[0]!, SITE_EVENTS_CHANNEL, JSON.stringify({ v: 1, from: 'x', at: '2026-12-07T18:00:00Z', body: { type: 'nonsense' } }));
      await until('two refusals', () => errors.length === 2);
      expect(errors).toStrictEqual([`a notification on ${SITE_EVENTS_CHANNEL} was dropped: not JSON`, `a notification on ${SITE_EVENTS_CHANNEL} was dropped: its body is not a site event`]);
      expect(seen).toStrictEqual([]);
    } finally {
      await relay.close();
    }
    expect(parseEnvelope(JSON.stringify({ v: 2, from: 'x', at: 'now', body: card(1) }))).toBe('not a version 1 envelope (v, from, at)');
  });
});

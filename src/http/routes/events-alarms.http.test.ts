// The event stream and the alarm routes over real HTTP: a fastify on 127.0.0.1:0 serving the two
// route factories (test/helpers/route-harness.ts), a real HTTP client reading text/event-stream,
// disconnecting and reconnecting with Last-Event-ID while events keep coming — nothing missed,
// nothing twice — the reset of an id out of the window, keep-alive comments, cleanup on close; the
// alarms listed and acknowledged (audited) with the right permission.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteAlarmBoard } from '../../alarms/alarm-board.ts';
import { EventBus } from '../../events/event-bus.ts';
import type { SiteEvent, SiteEventBody } from '../../events/site-event.ts';
import type { SiteRuntime } from '../../site/runtime.ts';
import { AlarmStore } from '../../store/alarm-store.ts';
import { listAudit } from '../../store/audit.ts';
import { BACKENDS, type StoreFixture } from '../../../test/helpers/store-backends.ts';
import { serveRoutes, type Harness } from '../../../test/helpers/route-harness.ts';
import type { ApiDeps } from '../route-spec.ts';
import { alarmRoutes } from './alarms.ts';
import { eventRoutesWith } from './events.ts';

/** A real bus that counts its live subscriptions (the streams must give theirs back). */
class CountingBus extends EventBus {
  active = 0;
  override subscribe(listener: (event: SiteEvent) => void): () => void {
    const off = super.subscribe(listener);
    this.active++;
    let done = false;
    return () => {
      if (!done) this.active--;
      done = true;
      off();
    };
  }
}

interface Frame {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
}

/** A text/event-stream reader over node:http. */
class SseClient {
  readonly frames: Frame[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  private buffer = '';
  private readonly req: http.ClientRequest;
  readonly ended: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    let end!: () => void;
    this.ended = new Promise((r) => (end = r));
    this.req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.take(chunk));
      res.on('close', end);
    });
    this.req.on('error', () => end());
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const frame: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) frame.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          frame[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
        }
      }
      this.frames.push(frame);
    }
  }

  events(): SiteEvent[] {
    return this.frames.filter((f) => f.event !== undefined && f.event !== 'reset' && f.data !== undefined).map((f) => JSON.parse(f.data!) as SiteEvent);
  }

  lastId(): string | undefined {
    return this.frames.filter((f) => f.id !== undefined).at(-1)?.id;
  }

  async waitFor(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!probe()) {
      if (Date.now() - started > timeoutMs) throw new Error(`SSE client: timed out waiting for ${what}; frames ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.req.destroy();
  }
}

const card = (n: number): SiteEventBody => ({ type: 'card', lineId: 'L1', step: 'stacked', cardSerial: `T${n}`, batchId: 'B1', seq: n, attempt: 1, unitId: 'output' });

async function request(h: Harness, method: string, path: string, user?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${h.base}${path}`, { method, headers: user ? { 'x-test-user': user } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

let fx: StoreFixture;
let bus: CountingBus;
let clock: number;
let board: SiteAlarmBoard;
let alarms: AlarmStore;
let h: Harness;

beforeAll(async () => {
  fx = await BACKENDS[0]!.setup();
  clock = Date.parse('2026-12-07T12:00:00Z');
  bus = new CountingBus({ windowMs: 60_000, now: () => clock });
  alarms = new AlarmStore(fx.db);
  board = new SiteAlarmBoard(alarms, bus);
  const refuse = (): never => {
    throw new Error('not served by this harness');
  };
  const site: SiteRuntime = { siteId: 'test-site', settings: { name: 'test site', timeZone: 'Asia/Ho_Chi_Minh', shifts: [], idleLogoutMinutes: 5, qaSampleRate: 0 }, events: bus, alarms: board, lines: refuse, line: refuse, enqueue: refuse, dequeue: refuse, reorder: refuse, start: refuse, pause: refuse, resume: refuse, abort: refuse, loadStock: refuse, rejectRunningCard: refuse, stop: refuse, lineConfig: refuse, linkHealth: refuse, simulator: refuse, simulatorFault: refuse };
  const deps: ApiDeps = { dataDir: fx.dataDir, db: fx.db, keys: fx.keys, batches: undefined as never, site };
  h = await serveRoutes([...eventRoutesWith({ heartbeatMs: 150 })(deps), ...alarmRoutes(deps)]);
});
afterAll(async () => {
  await h?.close();
  await fx?.cleanup();
});

describe('GET /api/v1/events', () => {
  it('needs a user with batch.read; without a site the routes are not there', async () => {
    expect((await request(h, 'GET', '/api/v1/events')).status).toBe(401);
    expect(eventRoutesWith()({ dataDir: '', db: fx.db, keys: fx.keys, batches: undefined as never })).toStrictEqual([]);
    expect(alarmRoutes({ dataDir: '', db: fx.db, keys: fx.keys, batches: undefined as never })).toStrictEqual([]);
  });

  it('streams live events; a client that reconnects with Last-Event-ID misses nothing while events keep coming', async () => {
    const received: SiteEvent[] = [];
    const firstId = bus.latestId() + 1;
    // A producer publishing all along, across disconnections and reconnections.
    let n = 0;
    const producer = setInterval(() => bus.publish(card(++n)), 2);
    try {
      let last: string | undefined;
      for (let round = 0; round < 4; round++) {
        const client = new SseClient(`${h.base}/api/v1/events`, { 'x-test-user': 'op:operator', ...(last !== undefined ? { 'last-event-id': last } : {}) });
        const before = client.frames.length;
        await client.waitFor('some events', () => client.events().length >= 20 + before);
        client.close();
        await client.ended;
        expect(client.status).toBe(200);
        expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
        received.push(...client.events());
        last = client.lastId();
        if (round === 0) {
          // The first connection had no Last-Event-ID: it starts with what is published after it connected.
          expect(received[0]!.id).toBeGreaterThanOrEqual(firstId);
        }
        // Events published while nobody is connected.
        await new Promise((r) => setTimeout(r, 30));
      }
    } finally {
      clearInterval(producer);
    }
    const ids = received.map((e) => e.id);
    const start = ids[0]!;
    // Contiguous from the first event on: none missing, none twice, in order.
    expect(ids).toStrictEqual(ids.map((_, i) => start + i));
    expect(received.every((e) => e.type === 'card' && e.cardSerial === `T${(e as { seq: number }).seq}`)).toBe(true);
    // Every stream gave its subscription back.
    await new Promise((r) => setTimeout(r, 50));
    expect(bus.active).toBe(0);
  }, 30_000);

  it('replays from ?lastEventId= too, with id and event type on every frame, and filters by line', async () => {
    const from = bus.latestId();
    bus.publish(card(1001));
    bus.publish({ type: 'queue', lineId: 'L2', batchIds: ['B9'] });
    bus.publish({ type: 'batch', lineId: 'L1', batchId: 'B1', status: 'paused', by: 'op' });
    const client = new SseClient(`${h.base}/api/v1/events?lastEventId=${from}&lineId=L1`, { 'x-test-user': 'qa1:qa' });
    await client.waitFor('the replay', () => client.events().length >= 2);
    client.close();
    const frames = client.frames.filter((f) => f.event);
    expect(frames.map((f) => [f.id, f.event])).toStrictEqual([
      [String(from + 1), 'card'],
      [String(from + 3), 'batch'],
    ]);
    expect(client.frames[0]).toStrictEqual({ retry: '2000' });
  });

  it('answers reset for an id older than the window or never given, then goes on live', async () => {
    const old = bus.latestId();
    bus.publish(card(2001));
    clock += 120_000; // the window is one minute: the event after `old` is gone
    bus.publish(card(2002));
    const client = new SseClient(`${h.base}/api/v1/events`, { 'x-test-user': 'op:operator', 'last-event-id': String(old) });
    await client.waitFor('the reset', () => client.frames.some((f) => f.event === 'reset'));
    const reset = client.frames.find((f) => f.event === 'reset')!;
    expect(reset.id).toBe(String(bus.latestId()));
    expect(JSON.parse(reset.data!)).toMatchObject({ type: 'reset', lastEventId: old, resumeFrom: bus.latestId() });
    bus.publish(card(2003));
    await client.waitFor('the live event', () => client.events().length === 1);
    expect(client.events()[0]).toMatchObject({ cardSerial: 'T2003' });
    client.close();

    const future = new SseClient(`${h.base}/api/v1/events`, { 'x-test-user': 'op:operator', 'last-event-id': String(bus.latestId() + 500) });
    await future.waitFor('the reset', () => future.frames.some((f) => f.event === 'reset'));
    future.close();

    const bad = await fetch(`${h.base}/api/v1/events`, { headers: { 'x-test-user': 'op:operator', 'last-event-id': 'yesterday' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'Last-Event-ID' }] });
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    const client = new SseClient(`${h.base}/api/v1/events`, { 'x-test-user': 'op:operator' });
    await client.waitFor('two keep-alives', () => client.frames.filter((f) => f.comment === 'keep-alive').length >= 2);
    client.close();
    await client.ended;
    await new Promise((r) => setTimeout(r, 50));
    expect(bus.active).toBe(0);
  });
});

describe('alarm routes', () => {
  it('lists by line and state; acknowledging needs alarm.acknowledge and is audited with the user', async () => {
    const at = '2026-12-07T12:00:00.000Z';
    await alarms.raise({ id: 'AL-route-1', lineId: 'L1', unitId: 'qa', condition: 'station.aborted', message: 'qa Aborted (stop reason EmergencyStop)', priority: 'urgent', state: 'active-unacknowledged', raisedAt: at, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null });
    await alarms.raise({ id: 'AL-route-2', lineId: 'L2', unitId: 'feeder', condition: 'feeder.starved', message: 'feeder starved: the magazine is empty', priority: 'medium', state: 'active-unacknowledged', raisedAt: at, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null });
    await alarms.changeState('AL-route-2', 'cleared-unacknowledged', at);

    expect((await request(h, 'GET', '/api/v1/alarms')).status).toBe(401);
    const open = await request(h, 'GET', '/api/v1/alarms', 'qa1:qa');
    expect(open.status).toBe(200);
    expect((open.body as { alarms: { id: string }[] }).alarms.map((a) => a.id).sort()).toStrictEqual(['AL-route-1', 'AL-route-2']);
    const active = await request(h, 'GET', '/api/v1/alarms?state=active', 'qa1:qa');
    expect((active.body as { alarms: { id: string }[] }).alarms.map((a) => a.id)).toStrictEqual(['AL-route-1']);
    const l2 = await request(h, 'GET', '/api/v1/alarms?lineId=L2&state=all', 'qa1:qa');
    expect((l2.body as { alarms: { id: string; state: string }[] }).alarms).toMatchObject([{ id: 'AL-route-2', state: 'cleared-unacknowledged' }]);
    expect((await request(h, 'GET', '/api/v1/alarms?state=some', 'qa1:qa')).status).toBe(400);

    // QA may read but not acknowledge; admin neither.
    expect((await request(h, 'POST', '/api/v1/alarms/AL-route-1/acknowledge')).status).toBe(401);
    expect((await request(h, 'POST', '/api/v1/alarms/AL-route-1/acknowledge', 'qa1:qa')).status).toBe(403);
    expect((await request(h, 'POST', '/api/v1/alarms/AL-route-1/acknowledge', 'root:admin')).status).toBe(403);
    const events = new SseClient(`${h.base}/api/v1/events`, { 'x-test-user': 'op:operator' });
    await events.waitFor('the stream to open', () => events.frames.length > 0);
    const acked = await request(h, 'POST', '/api/v1/alarms/AL-route-1/acknowledge', 'eng-bao:engineer');
    expect(acked).toMatchObject({ status: 200, body: { id: 'AL-route-1', state: 'active-acknowledged', acknowledgedBy: 'eng-bao' } });
    expect((await request(h, 'POST', '/api/v1/alarms/AL-route-2/acknowledge', 'op-anna:operator')).body).toMatchObject({ state: 'cleared', acknowledgedBy: 'op-anna' });
    expect(await request(h, 'POST', '/api/v1/alarms/AL-route-1/acknowledge', 'op-anna:operator')).toMatchObject({ status: 409 });
    expect(await request(h, 'POST', '/api/v1/alarms/AL-none/acknowledge', 'op-anna:operator')).toMatchObject({ status: 404 });

    // The stream carried both acknowledgements with their users.
    await events.waitFor('the alarm events', () => events.events().filter((e) => e.type === 'alarm').length === 2);
    events.close();
    expect(events.events().map((e) => e.type === 'alarm' && [e.alarmId, e.state, e.by])).toStrictEqual([
      ['AL-route-1', 'active-acknowledged', 'eng-bao'],
      ['AL-route-2', 'cleared', 'op-anna'],
    ]);
    const audit = (await listAudit(fx.db)).filter((a) => a.action === 'alarm.acknowledge');
    expect(audit.map((a) => [a.actor, a.subjectId])).toStrictEqual([
      ['eng-bao', 'AL-route-1'],
      ['op-anna', 'AL-route-2'],
    ]);
  });
});

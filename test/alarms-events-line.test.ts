/**
 * The alarm board and the line events observer on a REAL simulated line: the in-process simulator's
 * PLCs behind the real station links (HandshakeLink), a real SQLite store with its journal and its
 * audit chain, and the LineController running a batch. Faults come from the simulator's control
 * (emergency stop, frozen heartbeat, empty magazine, chip write failures) and from dropping a
 * link's transport; the test sees each alarm raised, acknowledged (audited with the user) and
 * cleared, and the event stream's card events match the ledger the store keeps.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimControl } from '../simulators/control.ts';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { SiteAlarmBoard } from '../src/alarms/alarm-board.ts';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { EventBus } from '../src/events/event-bus.ts';
import { createLineEventsObserver } from '../src/events/line-events-observer.ts';
import type { SiteEvent } from '../src/events/site-event.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import { HandshakeLink } from '../src/plc/handshake-link.ts';
import { MemoryTransport } from '../src/plc/memory-transport.ts';
import { PACKML_STATES } from '../src/plc/packml.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { writeSample } from '../src/sample/generate.ts';
import type { ObservedLine } from '../src/site/runtime.ts';
import { AlarmStore } from '../src/store/alarm-store.ts';
import { listAudit } from '../src/store/audit.ts';
import { LineStore } from '../src/store/line-store.ts';
import { TestPreparer, testJudge } from './helpers/test-preparer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Rig {
  readonly ctx: AppContext;
  readonly sim: SimLine;
  readonly control: SimControl;
  readonly links: Map<string, StationLink>;
  readonly transports: Map<string, MemoryTransport>;
  readonly store: LineStore;
  readonly bus: EventBus;
  readonly events: SiteEvent[];
  observed(progress?: ObservedLine['progress']): ObservedLine;
}

async function rig(name: string, line: ReturnType<typeof testLine>, linkHeartbeatMs: number): Promise<Rig> {
  const dir = await mkdtemp(path.join(tmpdir(), `cardline-${name}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
  cleanups.push(() => ctx.close());
  const sim = SimLine.open({ line, dataDir: ctx.dataDir });
  cleanups.push(() => Promise.resolve(sim.stop()));
  const links = new Map<string, StationLink>();
  const transports = new Map<string, MemoryTransport>();
  for (const [unitId, tags] of sim.stores) {
    const transport = new MemoryTransport(tags);
    transports.set(unitId, transport);
    links.set(unitId, new HandshakeLink(unitId, transport, { heartbeatMs: linkHeartbeatMs }));
  }
  await Promise.all([...links.values()].map((l) => l.connect()));
  cleanups.push(async () => {
    for (const l of links.values()) await l.close();
  });
  const store = new LineStore(ctx.db, line.id);
  const bus = new EventBus();
  const events: SiteEvent[] = [];
  bus.subscribe((e) => events.push(e));
  return {
    ctx,
    sim,
    control: new SimControl(sim),
    links,
    transports,
    store,
    bus,
    events,
    observed: (progress = () => null) => ({ lineId: line.id, links, onCommitted: (fn) => store.journal.addCommitListener(fn), progress }),
  };
}

async function startAll(links: ReadonlyMap<string, StationLink>): Promise<void> {
  for (const link of links.values()) if (link.status?.state === PACKML_STATES.Stopped) await link.command('Reset');
  await until('every unit Idle', () => [...links.values()].every((l) => l.status?.state !== PACKML_STATES.Resetting && l.status?.state !== PACKML_STATES.Stopped));
  for (const link of links.values()) if (link.status?.state === PACKML_STATES.Idle) await link.command('Start');
}

const operator = { name: 'op-anna', role: 'operator' as const };

describe('alarm board on a simulated line', () => {
  it('raises, acknowledges (audited) and clears the alarms of an emergency stop, a frozen heartbeat, a starved feeder and a lost link', async () => {
    // A link heartbeat timeout far above the alarm's: a frozen heartbeat shows as stale, not as a lost link.
    const r = await rig('alarms', testLine({ id: 'alarm-line', heads: 1, initialBlanks: 0, timeScale: 1000, heartbeatMs: 50 }), 60_000);
    const alarms = new AlarmStore(r.ctx.db);
    const board = new SiteAlarmBoard(alarms, r.bus, { staleHeartbeatMs: 400, offlineDelayMs: 200, evaluateEveryMs: 50 });
    const detach = board.attach(r.observed());
    cleanups.push(() => Promise.resolve(detach()));
    const alarmEvents = (): Extract<SiteEvent, { type: 'alarm' }>[] => r.events.filter((e): e is Extract<SiteEvent, { type: 'alarm' }> => e.type === 'alarm');
    const alarmOf = (condition: string, state: string) => until(`${condition} ${state}`, () => alarmEvents().find((e) => e.condition === condition && e.state === state));

    await startAll(r.links);
    // No blanks in the magazine: the feeder starves as soon as it runs.
    const starved = await alarmOf('feeder.starved', 'active-unacknowledged');
    expect(starved).toMatchObject({ lineId: 'alarm-line', unitId: 'feeder', priority: 'medium' });
    r.control.loadBlanks(5);
    await alarmOf('feeder.starved', 'cleared-unacknowledged');
    const ackStarved = await board.acknowledge(starved.alarmId, operator);
    expect(ackStarved).toMatchObject({ state: 'cleared', acknowledgedBy: 'op-anna', condition: 'feeder.starved' });

    // Emergency stop on QA: urgent, acknowledged while active, cleared by Clear.
    r.control.eStop('qa');
    const aborted = await alarmOf('station.aborted', 'active-unacknowledged');
    expect(aborted).toMatchObject({ unitId: 'qa', priority: 'urgent' });
    const acked = await board.acknowledge(aborted.alarmId, operator);
    expect(acked).toMatchObject({ state: 'active-acknowledged', acknowledgedBy: 'op-anna' });
    await expect(board.acknowledge(aborted.alarmId, operator)).rejects.toMatchObject({ status: 409 });
    await r.links.get('qa')!.command('Clear');
    await alarmOf('station.aborted', 'cleared');
    await startAll(r.links);

    // A frozen heartbeat on a reachable PLC: stale, not offline; it beats again before anybody looked.
    r.control.freezeHeartbeat('laser', true);
    const stale = await alarmOf('heartbeat.stale', 'active-unacknowledged');
    expect(stale).toMatchObject({ unitId: 'laser', priority: 'high' });
    r.control.freezeHeartbeat('laser', false);
    await alarmOf('heartbeat.stale', 'cleared-unacknowledged');

    // A lost transport: offline after the on-delay, acknowledged on another server of the site
    // (its events relayed to this bus), then back: the board driving the line sees the acknowledgement.
    r.transports.get('output')!.disconnect('cable pulled');
    const offline = await alarmOf('station.offline', 'active-unacknowledged');
    expect(offline).toMatchObject({ unitId: 'output', priority: 'high' });
    const otherServer = new SiteAlarmBoard(alarms, r.bus);
    expect(await otherServer.acknowledge(offline.alarmId, operator)).toMatchObject({ state: 'active-acknowledged' });
    r.transports.get('output')!.reconnect();
    await alarmOf('station.offline', 'cleared');
    await board.settled();

    // The heartbeat alarm still waits for its acknowledgement; nothing else is open.
    const open = await board.list({ lineId: 'alarm-line', openOnly: true });
    expect(open.map((a) => [a.condition, a.state])).toStrictEqual([['heartbeat.stale', 'cleared-unacknowledged']]);
    expect(await board.list({ lineId: 'alarm-line', activeOnly: true })).toStrictEqual([]);
    expect(await board.list({ lineId: 'another-line' })).toStrictEqual([]);
    const all = await board.list({ lineId: 'alarm-line' });
    expect(new Set(all.map((a) => a.condition))).toStrictEqual(new Set(['feeder.starved', 'station.aborted', 'heartbeat.stale', 'station.offline']));
    // No operator pause, no Stopped-after-e-stop double: exactly these four alarms.
    expect(all).toHaveLength(4);

    // Unknown and ended alarms are refused with the statuses the API answers.
    await expect(board.acknowledge('AL-nope', operator)).rejects.toMatchObject({ status: 404 });
    await expect(board.acknowledge(offline.alarmId, operator)).rejects.toMatchObject({ status: 409 });

    // Each alarm's history is its event trail; acknowledgements carry the user in both.
    for (const alarm of all) {
      const trail = alarmEvents().filter((e) => e.alarmId === alarm.id);
      const history = await alarms.history(alarm.id);
      expect(history.map((h) => [h.state, h.actor])).toStrictEqual(trail.map((e) => [e.state, e.by ?? null]));
    }
    expect((await alarms.history(aborted.alarmId)).map((h) => h.state)).toStrictEqual(['active-unacknowledged', 'active-acknowledged', 'cleared']);

    // Every acknowledgement is in the audit chain with its user.
    const audit = (await listAudit(r.ctx.db, {})).filter((a) => a.action === 'alarm.acknowledge');
    expect(audit.map((a) => [a.actor, a.subjectId, a.details?.['condition'], a.details?.['to']])).toStrictEqual([
      ['op-anna', starved.alarmId, 'feeder.starved', 'cleared'],
      ['op-anna', aborted.alarmId, 'station.aborted', 'active-acknowledged'],
      ['op-anna', offline.alarmId, 'station.offline', 'active-acknowledged'],
    ]);

    // A board of a restarted server carries the open alarm on instead of raising a duplicate.
    detach();
    const events2: SiteEvent[] = [];
    const bus2 = new EventBus();
    bus2.subscribe((e) => events2.push(e));
    const board2 = new SiteAlarmBoard(alarms, bus2, { staleHeartbeatMs: 400, offlineDelayMs: 200, evaluateEveryMs: 50 });
    const detach2 = board2.attach(r.observed());
    cleanups.push(() => Promise.resolve(detach2()));
    await new Promise((res) => setTimeout(res, 300));
    await board2.settled();
    expect(events2.filter((e) => e.type === 'alarm')).toStrictEqual([]);
    expect((await board2.acknowledge(stale.alarmId, operator)).state).toBe('cleared');
    expect(await board2.list({ lineId: 'alarm-line', openOnly: true })).toStrictEqual([]);
  }, 60_000);
});

describe('line events and the repeated-reject alarm on a running batch', () => {
  it('card events match the store, counters tick, no personal data; 3 chip failures in a row on the head raise an alarm a good card clears', async () => {
    const r = await rig('events', testLine({ id: 'events-line', heads: 1, initialBlanks: 40, timeScale: 1000, heartbeatMs: 50, failures: { encoder: { chipWriteFailure: 1 } } }), 2_000);
    const sample = await writeSample({ count: 6, seed: 'events', outDir: path.join(r.ctx.dataDir, '..', 'in'), portraitPool: 2 });
    const imported = await importBatch({ file: sample.batchFile, store: r.ctx.batches, reportDir: r.ctx.reportDir, actor: 'op-anna', today: { year: 2026, month: 12, day: 7 } });
    const controller = new LineController(r.sim.line, r.links, r.store, new TestPreparer(r.ctx.batches), testJudge, { actor: 'op-anna', wip: 4, autoRecover: true, recoverAfterMs: 50, maxAttempts: 5 });

    const observed = r.observed(() => {
      const p = controller.progress();
      return { batchId: imported.batchId, status: 'running', records: p.total, good: p.good, spoiled: p.spoiled, pending: p.total - p.produced - p.failed - p.cancelled, inLine: p.inLine, cardsPerHour: null, etaSeconds: null };
    });
    const detachEvents = createLineEventsObserver(r.bus, { countersEveryMs: 100 }).attach(observed);
    cleanups.push(() => Promise.resolve(detachEvents()));
    const board = new SiteAlarmBoard(new AlarmStore(r.ctx.db), r.bus, { evaluateEveryMs: 100 });
    const detachBoard = board.attach(observed);
    cleanups.push(() => Promise.resolve(detachBoard()));
    // Once the repeated-reject alarm is up, the encoder is fixed: the next good chip clears the condition.
    let repeated: Extract<SiteEvent, { type: 'alarm' }> | undefined;
    r.bus.subscribe((e) => {
      if (e.type === 'alarm' && e.condition === 'reject.repeated' && e.state === 'active-unacknowledged' && !repeated) {
        repeated = e;
        r.control.setFailures({ chipWriteFailure: 0 }, 'encoder');
      }
    });

    const outcome = await controller.run(imported.batchId, { resume: false, status: 'imported' });
    expect(outcome.status).toBe('completed');
    await r.store.journal.settled();
    await board.settled();

    expect(repeated).toMatchObject({ lineId: 'events-line', priority: 'high' });
    const encoderUnit = repeated!.unitId!;
    expect(encoderUnit).toMatch(/^encoder/);
    const trail = r.events.filter((e) => e.type === 'alarm' && e.alarmId === repeated!.alarmId).map((e) => (e as { state: string }).state);
    expect(trail).toStrictEqual(['active-unacknowledged', 'cleared-unacknowledged']);
    const [alarm] = await board.list({ lineId: 'events-line', openOnly: true });
    expect(alarm).toMatchObject({ condition: 'reject.repeated', message: `${encoderUnit}: 3 rejects in a row with CHIP_WRITE_FAILED` });

    // The card events against the store's cards: every card fed, each good one stacked, each spoiled one rejected with its reason.
    const cards = await r.ctx.db('cards').where({ line_id: 'events-line' }).select<{ card_serial: string; status: string; reason: string | null; seq: number; batch_id: string }[]>('card_serial', 'status', 'reason', 'seq', 'batch_id');
    const step = (s: string) => r.events.filter((e): e is Extract<SiteEvent, { type: 'card' }> => e.type === 'card' && e.step === s);
    expect(new Set(step('fed').map((e) => e.cardSerial))).toStrictEqual(new Set(cards.map((c) => c.card_serial)));
    expect(step('stacked').map((e) => e.cardSerial).sort()).toStrictEqual(cards.filter((c) => c.status === 'good').map((c) => c.card_serial).sort());
    expect(step('rejected').map((e) => [e.cardSerial, e.reason]).sort()).toStrictEqual(cards.filter((c) => c.status === 'spoiled').map((c) => [c.card_serial, c.reason]).sort());
    expect(step('stacked')).toHaveLength(imported.accepted);
    expect(step('rejected').length).toBeGreaterThanOrEqual(3);
    for (const e of step('stacked')) {
      const row = cards.find((c) => c.card_serial === e.cardSerial)!;
      expect(e).toMatchObject({ batchId: row.batch_id, seq: Number(row.seq), unitId: 'output' });
    }
    // Each stacked card went through the encoder, the laser and QA first.
    for (const s of ['encoded', 'engraved', 'inspected']) expect(new Set(step(s).map((e) => e.cardSerial))).toStrictEqual(new Set(step('stacked').map((e) => e.cardSerial)));
    expect(r.events.filter((e) => e.type === 'batch').map((e) => (e as { status: string }).status)).toContain('completed');
    const counters = r.events.filter((e): e is Extract<SiteEvent, { type: 'counters' }> => e.type === 'counters' && e.batchId === imported.batchId);
    expect(counters.length).toBeGreaterThan(0);
    expect(counters.at(-1)!.good).toBeLessThanOrEqual(imported.accepted);
    expect(r.events.filter((e) => e.type === 'station.state').map((e) => (e as { unitId: string }).unitId)).toEqual(expect.arrayContaining([...r.links.keys()]));
    // Ids are the bus's, increasing.
    expect(r.events.every((e, i) => i === 0 || e.id === r.events[i - 1]!.id + 1)).toBe(true);

    // Nothing personal of the batch's citizens anywhere in the stream.
    const people = (await readFile(sample.batchFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const needles = people.flatMap((p) => [p['pid']!, p['pid']!.slice(-9), p['fullName']!, p['birthDate']!, p['fatherName']!, p['motherName']!, p['residence']!]);
    const stream = JSON.stringify(r.events);
    expect(needles.filter((n) => stream.includes(n))).toStrictEqual([]);
  }, 90_000);
});

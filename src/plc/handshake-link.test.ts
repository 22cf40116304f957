/**
 * The handshake logic over the in-memory transport, against a small scripted PLC that follows the
 * PLC side of docs/plc-interface.md: every phase, every timeout, reconnection mid-job, and no lost
 * or duplicated result over 1,000 jobs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HandshakeLink, PLC_TIME_TRUSTED_MS, timeOfChange } from './handshake-link.ts';
import { MemoryTransport } from './memory-transport.ts';
import { PACKML_STATES, commandTarget } from './packml.ts';
import { RESULT_CODES } from './result-codes.ts';
import type { StationLinkError} from './station-link.ts';
import { CommandRejectedError, HandshakeTimeoutError, type StationEvent } from './station-link.ts';
import { dataCrc32, TagStore } from './tag-store.ts';

/** The PLC side of the handshake, scripted: present a card, take the job, finish when told. */
class ScriptedPlc {
  lastAck = 0;
  ackJobs = true;
  finishAutomatically = true;
  heartbeat: NodeJS.Timeout;

  constructor(readonly store: TagStore) {
    store.setPlc({ StateCurrent: PACKML_STATES.Execute });
    store.setCommandHandler((command) => {
      const target = commandTarget(store.get('StateCurrent') as never, command);
      if (target === undefined) return { accepted: false, detail: `not allowed in state ${store.get('StateCurrent')}` };
      store.setPlc({ StateCurrent: target });
      return { accepted: true };
    });
    store.onChange((changes, by) => {
      if (by !== 'host') return;
      if (changes.JobReady && this.ackJobs && store.get('JobId') !== this.lastAck) this.take();
      if (changes.DoneAck && store.get('Done')) store.setPlc({ Done: false });
    });
    this.heartbeat = setInterval(() => store.setPlc({ Heartbeat: store.get('Heartbeat') + 1 }), 20);
  }

  present(serial: string): void {
    this.store.setPlc({ CardSerial: serial, CardPresent: true });
  }

  /** The card of each job taken, for the result's ResultCardSerial. */
  readonly cardOf = new Map<number, string>();

  take(): void {
    const jobId = this.store.get('JobId');
    this.lastAck = jobId;
    this.cardOf.set(jobId, this.store.get('CardSerial'));
    this.store.setPlc({ JobAck: jobId, CardPresent: false });
    if (this.finishAutomatically) setImmediate(() => this.finish(RESULT_CODES.Good));
  }

  finish(result: number, data = Buffer.from(`result of ${this.lastAck}`), jobId = this.lastAck): void {
    this.store.setPlc({ ResultData: data, ResultDataSize: data.length, ResultDataCrc32: dataCrc32(data), ResultCardSerial: this.cardOf.get(jobId) ?? '', ResultJobId: jobId, Result: result, Done: true });
  }

  stop(): void {
    clearInterval(this.heartbeat);
  }
}

const fast = { jobAckMs: 300, doneMs: 500, doneClearMs: 300, commandMs: 300, heartbeatMs: 200, hostHeartbeatPeriodMs: 50 };

function setup(timeouts = fast) {
  const store = new TagStore('laser');
  const plc = new ScriptedPlc(store);
  const transport = new MemoryTransport(store);
  const link = new HandshakeLink('laser', transport, timeouts);
  const events: StationEvent[] = [];
  link.subscribe((e) => events.push(e));
  const next = (type: StationEvent['type'], after = 0): Promise<StationEvent> =>
    new Promise((resolve, reject) => {
      const found = events.slice(after).find((e) => e.type === type);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no ${type} event`)), 2000);
      const off = link.subscribe((e) => {
        if (e.type !== type) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  cleanups.push(async () => {
    plc.stop();
    await link.close();
  });
  /** The PLC presents a card; once the link has announced it, the host sends its job (resolves on JobAck). */
  const presentAndSend = async (serial: string, jobId: number, data: Buffer = Buffer.from('x')): Promise<void> => {
    const seen = events.length;
    plc.present(serial);
    await next('plc.card.present', seen);
    await link.sendJob({ jobId, cardSerial: serial, data });
  };
  return { store, plc, transport, link, events, next, presentAndSend };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('HandshakeLink', () => {
  it('runs one card through every phase and leaves the tags clean', async () => {
    const { store, plc, link, events, next } = setup();
    await link.connect();
    expect(link.connected).toBe(true);
    expect(events.map((e) => e.type)).toStrictEqual(['plc.link.up', 'plc.state']);

    plc.present('VNA00000001');
    expect(await next('plc.card.present')).toStrictEqual({ type: 'plc.card.present', stationId: 'laser', cardSerial: 'VNA00000001' });
    const data = Buffer.alloc(400 * 1024, 7);
    await link.sendJob({ jobId: 41, cardSerial: 'VNA00000001', data });
    expect(store.get('JobData').equals(data)).toBe(true);
    expect(store.get('JobDataCrc32')).toBe(dataCrc32(data));

    const done = await next('plc.job.done');
    expect(done).toStrictEqual({
      type: 'plc.job.done',
      stationId: 'laser',
      jobId: 41,
      cardSerial: 'VNA00000001',
      result: 0,
      data: Buffer.from('result of 41'),
    });
    await link.acknowledgeDone(41);
    expect(store.tags).toMatchObject({ Done: false, DoneAck: false, JobReady: false, JobAck: 41 });
    expect(events.map((e) => e.type).slice(2)).toStrictEqual(['plc.card.present', 'plc.job.accepted', 'plc.job.done']);
  });

  it('loses and duplicates nothing over 1,000 jobs', async () => {
    const { plc, link, events } = setup();
    await link.connect();
    const done = new Map<number, string>();
    link.subscribe((e) => {
      if (e.type === 'plc.job.done') {
        expect(done.has(e.jobId)).toBe(false);
        done.set(e.jobId, e.data.toString());
      }
    });
    for (let i = 1; i <= 1000; i++) {
      const serial = `CL${String(i).padStart(8, '0')}`;
      const presented = new Promise<void>((resolve) => {
        const off = link.subscribe((e) => {
          if (e.type === 'plc.card.present' && e.cardSerial === serial) {
            off();
            resolve();
          }
        });
      });
      plc.present(serial);
      await presented;
      const finished = new Promise<void>((resolve) => {
        const off = link.subscribe((e) => {
          if (e.type === 'plc.job.done' && e.jobId === i) {
            off();
            resolve();
          }
        });
      });
      await link.sendJob({ jobId: i, cardSerial: serial, data: Buffer.from(serial) });
      await finished;
      await link.acknowledgeDone(i);
    }
    expect(done.size).toBe(1000);
    expect([...done.entries()].every(([id, d]) => d === `result of ${id}`)).toBe(true);
    expect(events.filter((e) => e.type === 'plc.job.failed' || e.type === 'plc.fault')).toStrictEqual([]);
  }, 60_000);

  it('fails a job the PLC does not acknowledge in time', async () => {
    const { plc, link, store, next } = setup();
    await link.connect();
    plc.ackJobs = false;
    plc.present('VNA00000002');
    await next('plc.card.present');
    await expect(link.sendJob({ jobId: 5, cardSerial: 'VNA00000002', data: Buffer.from('x') })).rejects.toThrow(HandshakeTimeoutError);
    expect(await next('plc.job.failed')).toMatchObject({ jobId: 5, code: 'timeout', cardSerial: 'VNA00000002' });
    await new Promise((r) => setTimeout(r, 20));
    expect(store.get('JobReady')).toBe(false);
  });

  it('fails a job whose result does not come in time', async () => {
    const { plc, link, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000003', 6);
    expect(await next('plc.job.failed')).toMatchObject({ jobId: 6, code: 'timeout' });
  });

  it('reports a result that comes after its job timed out, once, so the card is accounted for', async () => {
    const { plc, link, store, events, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000013', 13);
    expect(await next('plc.job.failed')).toMatchObject({ jobId: 13, code: 'timeout' });
    plc.finish(RESULT_CODES.Good);
    // Not acknowledged unseen: the controller must learn where the card went.
    expect(await next('plc.job.done')).toMatchObject({ jobId: 13, cardSerial: 'VNA00000013', result: RESULT_CODES.Good });
    await link.acknowledgeDone(13);
    await new Promise((r) => setTimeout(r, 50));
    // The card may leave (Done cleared), and the next Done can rise (DoneAck back to 0).
    expect(store.tags).toMatchObject({ Done: false, DoneAck: false });
    // Shown again after a reconnection, it is acknowledged, not reported a second time.
    store.setPlc({ Done: true });
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'plc.job.done')).toHaveLength(1);
  });

  it('refuses a job for a card that is not present, and a second job while the first waits for its JobAck', async () => {
    const { plc, link, next } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    plc.ackJobs = false;
    plc.present('VNA00000004');
    await next('plc.card.present');
    await expect(link.sendJob({ jobId: 7, cardSerial: 'VNA00000099', data: Buffer.alloc(1) })).rejects.toThrow(/not the card present/);
    const first = link.sendJob({ jobId: 7, cardSerial: 'VNA00000004', data: Buffer.alloc(1) });
    first.catch(() => undefined);
    await expect(link.sendJob({ jobId: 8, cardSerial: 'VNA00000004', data: Buffer.alloc(1) })).rejects.toThrow(
      expect.objectContaining({ code: 'busy' }) as StationLinkError,
    );
    await expect(first).rejects.toThrow(HandshakeTimeoutError);
  });

  it('stages the next card: its job is taken while a card is in work, and each result is matched to its job', async () => {
    const { plc, link, events, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000011', 21, Buffer.from('a'));
    const seen = events.length;
    plc.present('VNA00000012');
    expect(await next('plc.card.present', seen)).toMatchObject({ cardSerial: 'VNA00000012' });
    expect(link.cardPresent).toBe('VNA00000012');
    await link.sendJob({ jobId: 22, cardSerial: 'VNA00000012', data: Buffer.from('b') });
    expect(link.cardPresent).toBeUndefined();
    plc.finish(RESULT_CODES.Good, Buffer.from('first'), 21);
    expect(await next('plc.job.done')).toMatchObject({ jobId: 21, cardSerial: 'VNA00000011', data: Buffer.from('first') });
    await link.acknowledgeDone(21);
    const afterFirst = events.length;
    plc.finish(RESULT_CODES.Good, Buffer.from('second'), 22);
    expect(await next('plc.job.done', afterFirst)).toMatchObject({ jobId: 22, cardSerial: 'VNA00000012', data: Buffer.from('second') });
    await link.acknowledgeDone(22);
    expect(events.filter((e) => e.type === 'plc.job.failed')).toStrictEqual([]);
  });

  it('reports a result for a card without a job (NoJobInTime) with the serial the PLC names, while another job is in work', async () => {
    const { plc, link, events, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000013', 23, Buffer.from('a'));
    plc.store.setPlc({ ResultData: Buffer.alloc(0), ResultDataSize: 0, ResultDataCrc32: 0, ResultCardSerial: 'VNA00000014', ResultJobId: 0, Result: RESULT_CODES.NoJobInTime, Done: true });
    expect(await next('plc.job.done')).toMatchObject({ jobId: 0, cardSerial: 'VNA00000014', result: RESULT_CODES.NoJobInTime });
    await link.acknowledgeDone(0);
    const seen = events.length;
    plc.finish(RESULT_CODES.Good, Buffer.from('x'), 23);
    expect(await next('plc.job.done', seen)).toMatchObject({ jobId: 23, cardSerial: 'VNA00000013' });
  });

  it('delivers a result that completed while the link was down, once', async () => {
    const { plc, link, transport, events, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000006', 9);
    transport.disconnect();
    expect(await next('plc.link.down')).toMatchObject({ reason: 'connection dropped' });
    plc.finish(RESULT_CODES.Good);
    transport.reconnect();
    const done = await next('plc.job.done');
    expect(done).toMatchObject({ jobId: 9, result: 0 });
    await link.acknowledgeDone(9);
    // The PLC shows the same result again (e.g. our DoneAck write was lost): acknowledged, not reported twice.
    transport.disconnect();
    plc.store.setPlc({ Done: true });
    transport.reconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'plc.job.done')).toHaveLength(1);
    expect(plc.store.get('Done')).toBe(false);
  });

  it('fails a job the PLC lost in a restart, with a reason', async () => {
    const { plc, link, transport, next, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    await presentAndSend('VNA00000007', 10);
    transport.disconnect();
    plc.store.setPlc({ StateCurrent: PACKML_STATES.Stopped, JobAck: 0, Done: false, ResultJobId: 0 });
    transport.reconnect();
    expect(await next('plc.job.failed')).toMatchObject({ jobId: 10, code: 'lost', reason: expect.stringMatching(/no longer holds the job/) });
  });

  it('fails every job inside when the PLC restarted (its JobAck is not the last one seen); keeps them after a plain reconnection', async () => {
    const { plc, link, transport, events, presentAndSend } = setup();
    await link.connect();
    plc.finishAutomatically = false;
    for (const [jobId, serial] of [[31, 'VNA00000031'], [32, 'VNA00000032']] as const) await presentAndSend(serial, jobId);
    transport.disconnect();
    transport.reconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'plc.job.failed')).toStrictEqual([]);
    transport.disconnect();
    plc.store.setPlc({ StateCurrent: PACKML_STATES.Stopped, JobAck: 0, Done: false, ResultJobId: 0 });
    transport.reconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'plc.job.failed').map((e) => (e.type === 'plc.job.failed' ? [e.jobId, e.code] : []))).toStrictEqual([
      [31, 'lost'],
      [32, 'lost'],
    ]);
  });

  it('reports the link down when the PLC heartbeat freezes, and up when it resumes', async () => {
    const { plc, link, next, events } = setup();
    await link.connect();
    plc.stop();
    expect(await next('plc.link.down')).toMatchObject({ reason: expect.stringMatching(/heartbeat has not changed for 200 ms/) });
    expect(link.connected).toBe(false);
    plc.heartbeat = setInterval(() => plc.store.setPlc({ Heartbeat: plc.store.get('Heartbeat') + 1 }), 20);
    const ups = events.filter((e) => e.type === 'plc.link.up').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.type === 'plc.link.up').length).toBe(ups + 1);
    expect(link.connected).toBe(true);
  });

  it('sends commands and reports refusals with the station state', async () => {
    const { link, next } = setup();
    await link.connect();
    await link.command('Hold');
    expect(await next('plc.state', 2)).toMatchObject({ status: { state: PACKML_STATES.Holding } });
    await expect(link.command('Clear')).rejects.toThrow(CommandRejectedError);
    await expect(link.command('Clear')).rejects.toThrow(/command Clear refused: not allowed in state 10/);
  });

  it('writes the host heartbeat while connected', async () => {
    const { store, link } = setup();
    await link.connect();
    await new Promise((r) => setTimeout(r, 200));
    expect(store.get('HostHeartbeat')).toBeGreaterThan(1);
  });
});

describe('the time of a PLC state change', () => {
  const seen = 1_765_000_000_000;
  it.each([
    ['no PLC time (Modbus)', undefined, seen],
    ['the PLC time, shortly before the link saw it', seen - 180, seen - 180],
    ['the PLC time at the very moment', seen, seen],
    ['the PLC time at the trusted bound', seen - PLC_TIME_TRUSTED_MS, seen - PLC_TIME_TRUSTED_MS],
    ['a PLC clock further behind: when the link saw it', seen - PLC_TIME_TRUSTED_MS - 1, seen],
    ['a PLC clock ahead of ours: when the link saw it', seen + 5, seen],
    ['an invalid PLC time: when the link saw it', Number.NaN, seen],
  ])('%s', (_what, source, expected) => {
    expect(timeOfChange(source, seen)).toBe(expected);
  });
});

/**
 * The Modbus transport against the simulator's real Modbus server over loopback, with a tiny
 * scripted PLC (simulators/testing/scripted-plc.ts) on the server's TagStores.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startModbusServer, type RunningModbusServer } from '../../../simulators/modbus/modbus-server.ts';
import { defaultResult, scriptedPlc, type ScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { tempJobDir, watchTags, type TagWatcher } from '../../../simulators/modbus/test-support.ts';
import { PACKML_STATES } from '../packml.ts';
import { RESULT_CODES } from '../result-codes.ts';
import { ProtocolError, StationLinkError } from '../station-link.ts';
import { dataCrc32, TagStore } from '../tag-store.ts';
import type { PlcTags } from '../tags.ts';
import type { TagTransport } from '../transport.ts';
import { jobFilePath, resultFilePath } from './job-folder.ts';
import { openConnectionCount } from './modbus-connection.ts';
import { createModbusTransport } from './modbus-transport.ts';

const HOST = '127.0.0.1';
const UNITS = 3;
let port: number;
let server: RunningModbusServer;
let root: string;
const plcs: ScriptedPlc[] = [];
/** Unit 4: a bare store, no PLC logic, for host → PLC round trips. */
const bare = new TagStore('bare');
const transports: TagTransport[] = [];
const watchers: TagWatcher[] = [];

const jobDirOf = (unitId: number) => path.join(root, `unit-${unitId}`);

function transport(unitId: number, pollMs = 5): { t: TagTransport; w: TagWatcher } {
  const t = createModbusTransport({ host: HOST, port, unitId, jobDir: jobDirOf(unitId), pollMs, requestTimeoutMs: 1_000 });
  const w = watchTags(t);
  transports.push(t);
  watchers.push(w);
  return { t, w };
}

beforeAll(async () => {
  root = tempJobDir('transport');
  for (let u = 1; u <= UNITS; u++) plcs.push(scriptedPlc(new TagStore(`encoder.${u}`)));
  port = await freePort();
  server = await startModbusServer({
    host: HOST,
    port,
    units: [...plcs.map((p, i) => ({ unitId: i + 1, store: p.store, jobDir: jobDirOf(i + 1) })), { unitId: 4, store: bare, jobDir: jobDirOf(4) }],
  });
});

afterAll(async () => {
  for (const w of watchers) w.stop();
  await Promise.all(transports.map((t) => t.close()));
  await server.close();
  for (const p of plcs) p.detach();
  expect(openConnectionCount()).toBe(0);
  rmSync(root, { recursive: true, force: true });
});

/** One job through the whole handshake, as the handshake link drives it. */
async function runJob(t: TagTransport, w: TagWatcher, jobId: number, data: Buffer): Promise<Buffer> {
  await t.writeJob(jobId, data);
  await t.write({ JobReady: true });
  await w.waitFor((i) => i.JobAck === jobId, `JobAck ${jobId}`);
  await t.write({ JobReady: false });
  const done = await w.waitFor((i) => i.Done === true && i.ResultJobId === jobId, `Done for ${jobId}`);
  expect(done.Result).toBe(RESULT_CODES.Good);
  const result = await t.readResultData(jobId, { size: done.ResultDataSize!, crc32: done.ResultDataCrc32! });
  await t.write({ DoneAck: true });
  await w.waitFor((i) => i.Done === false, `Done cleared for ${jobId}`);
  await t.write({ DoneAck: false });
  return result;
}

describe('Modbus transport', () => {
  it('connects with onConnection(true) and a full set of PLC tags, and shares one connection per server', async () => {
    const units = [transport(1), transport(2), transport(3)];
    await Promise.all(units.map(({ t }) => t.connect()));
    for (const { w } of units) {
      expect(w.connections).toStrictEqual([{ connected: true, reason: expect.stringMatching(/^polling modbus 127\.0\.0\.1:\d+ unit \d every 5 ms$/) }]);
      expect(w.deliveries[0]!.full).toBe(true);
      expect(Object.keys(w.deliveries[0]!.changes).sort()).toStrictEqual(
        ['CardPresent', 'CardSerial', 'Done', 'Heartbeat', 'JobAck', 'LastCmdResult', 'ProdDefectiveCount', 'ProdProcessedCount', 'Result', 'ResultCardSerial', 'ResultDataCrc32', 'ResultDataSize', 'ResultJobId', 'StateCurrent', 'StopReason', 'UnitModeCurrent'],
      );
    }
    expect(server.clientCount).toBe(1);
    expect(openConnectionCount()).toBe(1);
  });

  it('round-trips every PLC tag type: 32-bit values above 65535 and at 2^32−1, bools, a 32-character CardSerial', async () => {
    const w = watchers[0]!;
    const plc: Partial<PlcTags> = {
      StateCurrent: PACKML_STATES.Held,
      UnitModeCurrent: 2,
      ProdProcessedCount: 65_536,
      ProdDefectiveCount: 65_535,
      StopReason: 0x8000_0000,
      Heartbeat: 0xffff_ffff,
      LastCmdResult: 1,
      CardPresent: true,
      CardSerial: `CL-07 "x"\\ {A}~|'<>?;:0123456789`.slice(0, 32),
      JobAck: 4_294_967_294,
      ResultJobId: 123_456_789,
      ResultCardSerial: 'VNA00000042',
      Result: 70_000,
      Done: true,
      ResultDataSize: 614_400,
      ResultDataCrc32: 0xdead_beef,
    };
    expect(plc.CardSerial).toHaveLength(32);
    plcs[0]!.store.setPlc(plc);
    const seen = await w.waitFor((i) => i.Heartbeat === 0xffff_ffff && i.CardSerial === plc.CardSerial, 'the new PLC values');
    expect(seen).toStrictEqual(plc);
    // And back to zero / empty / false, which must read as such and not as "unchanged".
    const zero = Object.fromEntries(
      Object.entries(plc).map(([k, v]) => [k, typeof v === 'number' ? 0 : typeof v === 'boolean' ? false : '']),
    ) as Partial<PlcTags>;
    plcs[0]!.store.setPlc(zero);
    expect(await w.waitFor((i) => i.Heartbeat === 0 && i.CardSerial === '', 'zeros')).toStrictEqual(zero);
    plcs[0]!.store.setPlc({ StateCurrent: PACKML_STATES.Stopped, UnitModeCurrent: 1 });
  });

  it('round-trips every host tag type into the station store', async () => {
    const t = createModbusTransport({ host: HOST, port, unitId: 4, jobDir: jobDirOf(4), pollMs: 5 });
    transports.push(t);
    await t.connect();
    const values = { CntrlCmd: 0xffff_ffff, JobId: 65_536, HostHeartbeat: 65_535, JobDataSize: 0x1_0001, JobDataCrc32: 0x8000_0000, DoneAck: true, JobReady: false };
    await t.write(values);
    expect({ ...bare.tags, JobData: undefined, ResultData: undefined }).toMatchObject(values);
    await t.write({ CntrlCmd: 0, JobId: 0xffff_ffff, HostHeartbeat: 0, JobDataSize: 0, JobDataCrc32: 0xffff_ffff, DoneAck: false });
    expect([bare.get('CntrlCmd'), bare.get('JobId'), bare.get('HostHeartbeat'), bare.get('JobDataSize'), bare.get('JobDataCrc32'), bare.get('DoneAck')]).toStrictEqual([0, 0xffff_ffff, 0, 0, 0xffff_ffff, false]);
  });

  it('refuses to write a PLC tag: client-side before anything is sent', async () => {
    const t = transports[0]!;
    await expect(t.write({ JobAck: 5 } as never)).rejects.toThrow(/JobAck is not a host register tag/);
    await expect(t.write({ Done: false } as never)).rejects.toThrow(/Done is not a host register tag/);
    await expect(t.write({ JobId: -1 })).rejects.toThrow(/JobId: not a uint32: -1/);
    await expect(t.writeJob(0, Buffer.alloc(1))).rejects.toThrow(/job id must be a uint32 other than 0/);
  });

  it('passes a job of 600 KiB and its result through the job folder, then cleans both up', async () => {
    const [t, w] = [transports[0]!, watchers[0]!];
    const job = randomBytes(600 * 1024);
    const result = await runJob(t, w, 9_000_001, job);
    expect(plcs[0]!.store.get('JobData').equals(job)).toBe(true);
    expect(result.equals(defaultResult(9_000_001, job))).toBe(true);
    expect(result.length).toBeGreaterThan(600 * 1024);
    // The host deletes the job file once JobAck echoes it, the result file once DoneAck is written.
    await expect.poll(() => existsSync(jobFilePath(jobDirOf(1), 9_000_001))).toBe(false);
    await expect.poll(() => existsSync(resultFilePath(jobDirOf(1), 9_000_001))).toBe(false);
  });

  it('reports a missing or mismatched result file as a ProtocolError with the path', async () => {
    const t = transports[0]!;
    const missing = resultFilePath(jobDirOf(1), 424_242);
    await expect(t.readResultData(424_242, { size: 5, crc32: 1 })).rejects.toThrow(new RegExp(`cannot read the result of job 424242 from ${missing.replace(/[.]/g, '\\.')}`));
    await expect(t.readResultData(424_242, { size: 5, crc32: 1 })).rejects.toBeInstanceOf(ProtocolError);
    // A result of no bytes needs no file.
    expect(await t.readResultData(424_242, { size: 0, crc32: 0 })).toStrictEqual(Buffer.alloc(0));
    const data = Buffer.from('twelve bytes');
    plcs[0]!.store.setPlc({ ResultJobId: 424_243, ResultData: data });
    await expect(t.readResultData(424_243, { size: 13, crc32: dataCrc32(data) })).rejects.toThrow(/holds 12 bytes, but ResultDataSize says 13/);
    await expect(t.readResultData(424_243, { size: 12, crc32: 7 })).rejects.toThrow(/has CRC-32 0x[0-9a-f]{8}, but ResultDataCrc32 says 0x00000007/);
    expect(await t.readResultData(424_243, { size: 12, crc32: dataCrc32(data) })).toStrictEqual(data);
  });

  it('deletes on DoneAck only the result file it read, not a newer one under the same job id', async () => {
    const t = transports[0]!;
    const store = plcs[0]!.store;
    const first = Buffer.from('rejected card one');
    store.setPlc({ ResultJobId: 0, ResultData: first }); // job id 0: a card rejected before it had a job
    expect(await t.readResultData(0, { size: first.length, crc32: dataCrc32(first) })).toStrictEqual(first);
    const second = Buffer.from('rejected card two');
    store.setPlc({ ResultData: second }); // the station's next result, before the host's DoneAck
    await t.write({ DoneAck: true });
    await t.write({ DoneAck: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await t.readResultData(0, { size: second.length, crc32: dataCrc32(second) })).toStrictEqual(second);
    await t.write({ DoneAck: true });
    await expect.poll(() => existsSync(resultFilePath(jobDirOf(1), 0))).toBe(false);
    await t.write({ DoneAck: false });
  });

  it('lets the PLC report JobDataInvalid when the job file does not match its registers', async () => {
    const [t, w] = [transports[0]!, watchers[0]!];
    await t.writeJob(9_000_002, Buffer.from('a job'));
    await t.write({ JobDataSize: 6 }); // the registers now disagree with the file
    await t.write({ JobReady: true });
    const done = await w.waitFor((i) => i.Done === true && i.ResultJobId === 9_000_002, 'Done');
    expect(done.Result).toBe(RESULT_CODES.JobDataInvalid);
    expect(await t.readResultData(9_000_002, { size: done.ResultDataSize!, crc32: done.ResultDataCrc32! })).toStrictEqual(Buffer.alloc(0));
    await t.write({ JobReady: false, DoneAck: true });
    await w.waitFor((i) => i.Done === false, 'Done cleared');
    await t.write({ DoneAck: false });
  });

  it('runs 200 jobs in a row on each of 3 units sharing one connection, none lost or duplicated', async () => {
    const units = [0, 1, 2].map((i) => ({ t: transports[i]!, w: watchers[i]! }));
    expect(server.clientCount).toBe(1);
    const results = await Promise.all(
      units.map(async ({ t, w }, index) => {
        const got: number[] = [];
        for (let i = 1; i <= 200; i++) {
          const jobId = (index + 1) * 1_000_000 + i;
          const job = Buffer.from(`job ${jobId} ${'x'.repeat(i)}`);
          const result = await runJob(t, w, jobId, job);
          expect(result.equals(defaultResult(jobId, job))).toBe(true);
          got.push(jobId);
        }
        return got;
      }),
    );
    for (const [index, got] of results.entries()) {
      expect(got).toStrictEqual(Array.from({ length: 200 }, (_, i) => (index + 1) * 1_000_000 + i + 1));
      expect(plcs[index]!.store.get('ProdProcessedCount')).toBeGreaterThanOrEqual(200);
    }
    expect(server.clientCount).toBe(1);
    // Every job and result file was cleaned up (the cleanups run after the acknowledgements).
    await expect.poll(() => [1, 2, 3].flatMap((u) => [...readdirSync(path.join(jobDirOf(u), 'jobs')), ...readdirSync(path.join(jobDirOf(u), 'outbox'))].filter((f) => !f.startsWith('424')))).toStrictEqual([]);
  }, 60_000);

  it('runs commands: accepted, refused with the state, and an unknown one', async () => {
    const t = transports[0]!;
    plcs[0]!.store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    expect(await t.command('Reset')).toStrictEqual({ accepted: true });
    expect(plcs[0]!.store.get('StateCurrent')).toBe(PACKML_STATES.Idle);
    expect(await t.command('Start')).toStrictEqual({ accepted: true });
    expect(await t.command('Clear')).toStrictEqual({ accepted: false, detail: `not allowed in PackML state ${PACKML_STATES.Execute} (Execute)` });
    expect(await t.command('Hold')).toStrictEqual({ accepted: true });
    expect(plcs[0]!.store.get('CmdChangeRequest')).toBe(false);
    await expect(t.command('Undefined' as never)).rejects.toThrow(/unknown PackML command Undefined/);
  });

  it('turns a Modbus exception into a ProtocolError naming the request and the exception', async () => {
    // Unit 9 is not on the server: polls and writes get exception 0B; the unit never comes up.
    const t = createModbusTransport({ host: HOST, port, unitId: 9, jobDir: jobDirOf(9), pollMs: 5, stationId: 'encoder.9' });
    transports.push(t);
    const connecting = t.connect();
    await expect.poll(() => openConnectionCount()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await t.write({ JobReady: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(
      /^station encoder\.9: modbus 127\.0\.0\.1:\d+ unit 9: write of register 16 \(JobReady\) refused: Modbus exception 11 \(gateway target device failed to respond\)$/,
    );
    await t.close();
    await expect(connecting).rejects.toMatchObject({ code: 'closed' });
    await expect(t.write({ JobReady: false })).rejects.toBeInstanceOf(StationLinkError);
    expect(server.clientCount).toBe(1);
  });
});

describe('Modbus polling: fast while a handshake is in flight, slow while idle', () => {
  it('polls an idle unit every idlePollMs, a unit with a result waiting every pollMs, and slows down again idleAfterMs after', async () => {
    const store = new TagStore('idle-probe');
    const own = await startModbusServer({ host: HOST, port: await freePort(), units: [{ unitId: 1, store, jobDir: tempJobDir('idle') }] });
    const t = createModbusTransport({ host: HOST, port: own.port, unitId: 1, jobDir: tempJobDir('idle-client'), pollMs: 5, idlePollMs: 200, idleAfterMs: 300, requestTimeoutMs: 1_000 });
    const requestsOver = async (ms: number): Promise<number> => {
      const before = own.requestCount(1);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return own.requestCount(1) - before;
    };
    try {
      await t.connect();
      await new Promise((resolve) => setTimeout(resolve, 400));
      // Idle: one poll each 200 ms, so 5 (±1 at the edges) in a second; at 5 ms it would be ~200.
      const idle = await requestsOver(1_000);
      expect(idle).toBeGreaterThanOrEqual(3);
      expect(idle).toBeLessThanOrEqual(7);
      // A result waiting for its DoneAck: the handshake is in flight, poll at pollMs.
      store.setPlc({ ResultJobId: 9, Done: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await requestsOver(500)).toBeGreaterThanOrEqual(25);
      // Done cleared and nothing else going on: back to idlePollMs once idleAfterMs has passed.
      store.setPlc({ Done: false });
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(await requestsOver(1_000)).toBeLessThanOrEqual(7);
    } finally {
      await t.close();
      await own.close();
    }
  }, 20_000);
});

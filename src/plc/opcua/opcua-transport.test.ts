/**
 * The OPC UA transport against the simulator's server over loopback: a TagStore on the server side
 * driven by a scripted PLC (simulators/testing/scripted-plc.ts), the controller's transport on the
 * other. Security None here; opcua-security.test.ts covers SignAndEncrypt.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcuaServer, type RunningOpcuaServer } from '../../../simulators/opcua/opcua-server.ts';
import { attachPackMLLogic, attachScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { PACKML_STATES } from '../packml.ts';
import { ProtocolError } from '../station-link.ts';
import { dataCrc32, TagStore } from '../tag-store.ts';
import { PLC_TAGS, type PlcTags } from '../tags.ts';
import type { TagTransport } from '../transport.ts';
import { MAX_DATA_BYTES } from './address-space.ts';
import { createOpcuaTransport, openOpcuaEndpointCount } from './opcua-transport.ts';
import { runJob, tempDir, TransportRecorder } from './testing.ts';

const OBJECT_PATH = ['demo-opcua', 'encoder', 'Head1'] as const;
const KIB = 1024;

let work: Awaited<ReturnType<typeof tempDir>>;
let store: TagStore;
let feederStore: TagStore;
let server: RunningOpcuaServer;
let transport: TagTransport;
let recorder: TransportRecorder;
const detach: (() => void)[] = [];

/** Deterministic bytes, different for every job. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return b;
}

beforeAll(async () => {
  work = await tempDir('opcua-transport');
  store = new TagStore('encoder.1');
  // A big job gets a big result back (a QA station's chip read-out with the portrait).
  // A big job gets a big result back (a QA station's chip read-out with the portrait); the
  // largest job the interface allows comes back whole.
  detach.push(
    attachScriptedPlc(store, {
      result: (jobId, job) => (job.length > 1024 * KIB ? job : job.length >= 500 * KIB ? bytes(600 * KIB, jobId + 1) : Buffer.from(job).reverse()),
    }),
  );
  detach.push(attachPackMLLogic(store));
  // Values before anyone connects: the snapshot must carry them.
  store.setPlc({ StateCurrent: PACKML_STATES.Stopped, UnitModeCurrent: 1, Heartbeat: 41, CardSerial: 'CL00000007', CardPresent: true, StopReason: 5, ProdProcessedCount: 12 });
  feederStore = new TagStore('feeder');
  server = await startOpcuaServer({
    host: '127.0.0.1',
    port: 0,
    units: [
      { unitId: 'encoder.1', objectPath: OBJECT_PATH, store },
      { unitId: 'feeder', objectPath: ['demo-opcua', 'feeder'], store: feederStore },
    ],
    pkiDir: path.join(work.dir, 'server-pki'),
    security: { mode: 'None', policy: 'None', allowAnonymous: true, users: [] },
  });
  transport = createOpcuaTransport({
    endpointUrl: server.endpointUrl,
    objectPath: OBJECT_PATH,
    pkiDir: path.join(work.dir, 'client-pki'),
    security: { mode: 'None', policy: 'None' },
    resultDataTimeoutMs: 500,
  });
  recorder = new TransportRecorder(transport);
  await transport.connect();
}, 30_000);

afterAll(async () => {
  for (const d of detach) d();
  recorder?.detach();
  await transport?.close();
  await server?.close();
  await work?.remove();
});

describe('OPC UA transport', () => {
  it('delivers a full snapshot of every PLC tag first, from the initial notifications', () => {
    const first = recorder.deliveries[0]!;
    expect(first.full).toBe(true);
    const expected = Object.fromEntries(PLC_TAGS.filter((t) => t !== 'ResultData').map((t) => [t, store.get(t)]));
    expect(first.changes).toStrictEqual(expected);
    expect(recorder.deliveries.filter((d) => d.full)).toHaveLength(1);
    expect(recorder.connections).toStrictEqual([{ connected: true, reason: expect.stringContaining('connected to opc.tcp://127.0.0.1:') }]);
  });

  it('carries PLC-written tags of every type (UInt32, Boolean, String) as they change, batched as the PLC wrote them', async () => {
    const from = recorder.deliveries.length;
    const before = Date.now();
    store.setPlc({ CardSerial: 'CL-ĐÔ-0001', CardPresent: false, Heartbeat: 0xffff_fffe });
    const written = Date.now();
    const d = await recorder.delivery((x) => x.changes.Heartbeat === 0xffff_fffe, { from });
    expect(d.changes).toStrictEqual({ Heartbeat: 0xffff_fffe, CardSerial: 'CL-ĐÔ-0001', CardPresent: false });
    expect(d.full).toBe(false);
    // The server's source timestamp of the change: when the PLC wrote it, not when it reached us.
    expect(d.plcAt).toBeGreaterThanOrEqual(before);
    expect(d.plcAt).toBeLessThanOrEqual(written);
  });

  it('writes host tags of every type (UInt32, Boolean, ByteString) into the store, several in one request', async () => {
    await transport.write({ HostHeartbeat: 0xffff_ffff, DoneAck: true, CntrlCmd: 3 });
    expect([store.get('HostHeartbeat'), store.get('DoneAck'), store.get('CntrlCmd')]).toStrictEqual([0xffff_ffff, true, 3]);
    await transport.write({ DoneAck: false });
    expect(store.get('DoneAck')).toBe(false);
    const job = bytes(1000, 3);
    await transport.writeJob(99, job);
    expect({ id: store.get('JobId'), size: store.get('JobDataSize'), crc: store.get('JobDataCrc32'), same: store.get('JobData').equals(job) }).toStrictEqual({
      id: 99,
      size: 1000,
      crc: dataCrc32(job),
      same: true,
    });
  });

  it('refuses to write PLC-written tags, and checks value types before sending', async () => {
    await expect(transport.write({ JobAck: 5 } as never)).rejects.toThrow(/JobAck is not a host tag/);
    await expect(transport.write({ JobId: -1 })).rejects.toThrow(/JobId takes a uint32/);
    expect(store.get('JobAck')).not.toBe(5);
  });

  it('round-trips a 600 KiB job and a 600 KiB result', async () => {
    const job = bytes(600 * KIB, 1);
    const result = await runJob(transport, recorder, 1001, job);
    expect(store.get('JobData').equals(job)).toBe(true);
    expect(result.length).toBe(600 * KIB);
    expect(result.equals(bytes(600 * KIB, 1002))).toBe(true);
  });

  it('carries the largest job and result the interface allows (8 MiB), and refuses a larger job before sending it', async () => {
    const job = bytes(MAX_DATA_BYTES, 5);
    const result = await runJob(transport, recorder, 1500, job);
    expect(result.equals(job)).toBe(true);
    await expect(transport.writeJob(1501, Buffer.alloc(MAX_DATA_BYTES + 1))).rejects.toThrow(/job 1501 data is 8388609 bytes, over the 8388608 the link carries/);
  }, 30_000);

  it('runs 200 jobs in a row without losing or duplicating a notification', async () => {
    const from = recorder.deliveries.length;
    const ids = Array.from({ length: 200 }, (_, i) => 2000 + i);
    for (const id of ids) {
      const result = await runJob(transport, recorder, id, bytes(64 + (id % 50), id));
      expect(result.equals(bytes(64 + (id % 50), id).reverse())).toBe(true);
    }
    const seen = recorder.deliveries.slice(from);
    const values = <K extends keyof PlcTags>(tag: K): PlcTags[K][] => seen.flatMap((d) => (d.changes[tag] === undefined ? [] : [d.changes[tag]]));
    expect(values('JobAck')).toStrictEqual(ids);
    expect(values('ResultJobId')).toStrictEqual(ids);
    expect(values('Done')).toStrictEqual(ids.flatMap(() => [true, false]));
    expect(values('ProdProcessedCount')).toHaveLength(200);
  }, 60_000);

  it('reads a ResultData that arrives after Done, and fails clearly when it never matches', async () => {
    const late = bytes(300, 9);
    const reading = transport.readResultData(7, { size: late.length, crc32: dataCrc32(late) });
    setTimeout(() => store.setPlc({ ResultData: late }), 50);
    expect((await reading).equals(late)).toBe(true);
    const err: unknown = await transport.readResultData(8, { size: 5, crc32: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as Error).message).toMatch(/result data of job 8: Done announced 5 bytes with CRC-32 0x00000001, but the last ResultData delivered has 300 bytes .* \(waited 500 ms\)/);
  });

  it('calls the PackML methods: a command allowed in the state is accepted, another refused with BadInvalidState', async () => {
    store.setPlc({ StateCurrent: PACKML_STATES.Stopped });
    await recorder.until(() => recorder.plc.StateCurrent === PACKML_STATES.Stopped, 2000, 'Stopped');
    await expect(transport.command('Start')).resolves.toStrictEqual({ accepted: false, detail: 'the station refused Start in state Stopped (BadInvalidState)' });
    expect(store.get('LastCmdResult')).toBe(1);
    await expect(transport.command('Reset')).resolves.toStrictEqual({ accepted: true });
    await recorder.until(() => recorder.plc.StateCurrent === PACKML_STATES.Idle, 2000, 'Idle after Reset');
    // Start carries OPC 30050's Parameter argument (an empty PackMLDescriptorDataType array).
    await expect(transport.command('Start')).resolves.toStrictEqual({ accepted: true });
    await recorder.until(() => recorder.plc.StateCurrent === PACKML_STATES.Execute, 2000, 'Execute after Start');
    await expect(transport.command('Clear')).resolves.toStrictEqual({ accepted: false, detail: 'the station refused Clear in state Execute (BadInvalidState)' });
    await expect(transport.command('Complete')).resolves.toStrictEqual({ accepted: true });
    await recorder.until(() => recorder.plc.StateCurrent === PACKML_STATES.Complete, 2000, 'Complete');
    // Reset from Complete goes through ExecuteState's Reset.
    await expect(transport.command('Reset')).resolves.toStrictEqual({ accepted: true });
    await recorder.until(() => recorder.plc.StateCurrent === PACKML_STATES.Idle, 2000, 'Idle after Reset from Complete');
  });
});

describe('OPC UA transport: one session and one subscription per PLC endpoint', () => {
  it('serves the units of one server over one session and one subscription, each unit getting only its own tags', async () => {
    const feeder = createOpcuaTransport({ endpointUrl: server.endpointUrl, objectPath: ['demo-opcua', 'feeder'], pkiDir: path.join(work.dir, 'client-pki'), security: { mode: 'None', policy: 'None' }, resultDataTimeoutMs: 500 });
    const feederRecorder = new TransportRecorder(feeder);
    try {
      await feeder.connect();
      // The file's transport (encoder.1) and this one: two units, one session, one subscription.
      expect(server.sessionCount).toBe(1);
      expect(server.subscriptionCount).toBe(1);
      expect(openOpcuaEndpointCount()).toBe(1);
      // Each unit's snapshot and changes are its own: a change on the feeder reaches only the feeder's transport.
      expect(feederRecorder.deliveries[0]?.full).toBe(true);
      const before = recorder.deliveries.length;
      feederStore.setPlc({ CardSerial: 'FEED0001', CardPresent: true });
      await feederRecorder.delivery((d) => d.changes.CardSerial === 'FEED0001', { from: 0 });
      expect(recorder.deliveries.slice(before).some((d) => d.changes.CardSerial === 'FEED0001')).toBe(false);
      // And a job on the encoder still runs beside it.
      expect((await runJob(transport, recorder, 9_001, Buffer.from('shared'))).toString()).toBe('derahs');
    } finally {
      feederRecorder.detach();
      await feeder.close();
    }
    // The last unit of the endpoint keeps the session; closing one unit closes nothing else.
    expect(server.sessionCount).toBe(1);
  });
});

describe('OPC UA transport against a wrong object path', () => {
  it('refuses to connect, naming the missing browse paths', async () => {
    const wrong = createOpcuaTransport({ endpointUrl: server.endpointUrl, objectPath: ['demo-opcua', 'encoder', 'Head9'], pkiDir: path.join(work.dir, 'client-pki'), security: { mode: 'None', policy: 'None' } });
    try {
      await expect(wrong.connect()).rejects.toThrow(/lacks 26 of the unit's variables: Objects\/demo-opcua\/encoder\/Head9\/Cardline\/Status\/StateCurrent \(BadNoMatch/);
    } finally {
      await wrong.close();
    }
  });
});

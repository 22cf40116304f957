/**
 * One full station handshake — card present → job → JobAck → Done → DoneAck — with station cycle
 * time 0, timed at the PLC (from CardPresent set to DoneAck seen), through the StationLink
 * (HandshakeLink over each transport) and through the leanest direct script for the same transport
 * (raw node-opcua / modbus-serial calls, the same subscription, sampling and polling settings, the
 * same job data and result file work), in the same run, alternating rounds so drift hits both.
 *
 * Settings that set the floor: OPC UA publishing interval 10 ms (sampling 0, queue 16, trigger
 * StatusValueTimestamp); Modbus poll every 20 ms, again at once after a write.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import modbusSerial from 'modbus-serial';
import {
  AttributeIds,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  DeadbandType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type ClientSession,
  type DataValue,
} from 'node-opcua';
import { startModbusServer, freePort } from '../simulators/modbus/modbus-server.ts';
import { startOpcuaServer } from '../simulators/opcua/opcua-server.ts';
import { HandshakeLink } from '../src/plc/handshake-link.ts';
import { createModbusTransport } from '../src/plc/modbus/modbus-transport.ts';
import { createOpcuaTransport } from '../src/plc/opcua/opcua-transport.ts';
import { CARDLINE_NAMESPACE_URI } from '../src/plc/opcua/address-space.ts';
import { dataCrc32, TagStore } from '../src/plc/tag-store.ts';
import { bench, info } from './report.ts';

const ROUNDS = 3;
const PER_ROUND = Number(process.env.BENCH_HANDSHAKES ?? 100);
const WARMUP = 10;
const PUBLISHING_MS = 10;
const POLL_MS = 20;
const JOB = Buffer.alloc(4096, 0x4a);
const work = path.resolve(import.meta.dirname, '../.bench/handshake');
await rm(work, { recursive: true, force: true });
await mkdir(work, { recursive: true });

/**
 * The station: presents a card, takes the job at once, is done at once, clears Done on DoneAck and
 * presents the next card. Measures each handshake from CardPresent to DoneAck.
 */
class BenchStation {
  private started = 0;
  private serial = 0;
  private samples: number[] = [];
  private want = 0;
  private done: (() => void) | undefined;

  constructor(readonly store: TagStore) {
    store.setPlc({ StateCurrent: 6 });
    setInterval(() => store.setPlc({ Heartbeat: store.get('Heartbeat') + 1 }), 200).unref();
    store.onChange((changes, by) => {
      if (by !== 'host') return;
      if (changes.JobReady === true && store.get('JobId') !== store.get('JobAck')) {
        const jobId = store.get('JobId');
        const result = Buffer.from(`result ${jobId}`);
        store.setPlc({ JobAck: jobId, CardPresent: false });
        store.setPlc({ ResultData: result, ResultDataSize: result.length, ResultDataCrc32: dataCrc32(result), ResultJobId: jobId, Result: 0, Done: true });
      }
      if (changes.DoneAck === true && store.get('Done')) {
        this.samples.push(performance.now() - this.started);
        store.setPlc({ Done: false });
        if (this.samples.length >= this.want) this.done?.();
        else setImmediate(() => this.present());
      }
    });
  }

  /** Runs `count` handshakes with whatever host is connected; returns their durations in ms. */
  run(count: number): Promise<number[]> {
    this.samples = [];
    this.want = count;
    return new Promise((resolve) => {
      this.done = () => resolve(this.samples);
      this.present();
    });
  }

  private present(): void {
    this.serial += 1;
    this.started = performance.now();
    this.store.setPlc({ CardSerial: `B${String(this.serial).padStart(8, '0')}`, CardPresent: true });
  }
}

/** The host side through the StationLink: answer the card, acknowledge the result. */
async function viaLink(link: HandshakeLink): Promise<() => Promise<void>> {
  let jobId = Math.floor(Math.random() * 1e6) + 1;
  // Closing the link between rounds ends an acknowledgement still waiting for Done = 0: not an error here.
  const report = (err: unknown): void => {
    if ((err as { code?: string }).code !== 'closed') console.error(err);
  };
  link.subscribe((e) => {
    if (e.type === 'plc.card.present') link.sendJob({ jobId: jobId++, cardSerial: e.cardSerial, data: JOB }).catch(report);
    if (e.type === 'plc.job.done') link.acknowledgeDone(e.jobId).catch(report);
  });
  await link.connect();
  return () => link.close();
}

/** The same steps in raw node-opcua: one subscription, Write requests, nothing else. */
async function rawOpcua(endpointUrl: string, objectPath: string[]): Promise<() => Promise<void>> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    connectionStrategy: { maxRetry: 1, initialDelay: 100 },
  });
  await client.connect(endpointUrl);
  const session: ClientSession = await client.createSession();
  const ns = (await session.readNamespaceArray()).indexOf(CARDLINE_NAMESPACE_URI);
  const node = (group: string, tag: string): string => `ns=${ns};s=${[...objectPath, 'Cardline', group, tag].join('.')}`;
  const h = (tag: string): string => node('Handshake', tag);
  const subscription = await session.createSubscription2({
    requestedPublishingInterval: PUBLISHING_MS,
    requestedMaxKeepAliveCount: 100,
    requestedLifetimeCount: 3000,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 100,
  });
  const tags = ['CardSerial', 'CardPresent', 'JobAck', 'ResultData', 'ResultDataSize', 'ResultDataCrc32', 'ResultJobId', 'Done'];
  const group = await subscription.monitorItems(
    tags.map((t) => ({ nodeId: h(t), attributeId: AttributeIds.Value })),
    { samplingInterval: 0, queueSize: 16, discardOldest: true, filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp, deadbandType: DeadbandType.None, deadbandValue: 0 }) },
    TimestampsToReturn.Source,
  );
  const values = new Map<string, unknown>();
  let jobId = Math.floor(Math.random() * 1e6) + 1;
  let current = 0;
  let doneAckHigh = false;
  const write = (entries: [string, DataType, unknown][]): Promise<unknown> =>
    session.write(entries.map(([nodeId, dataType, value]) => ({ nodeId, attributeId: AttributeIds.Value, value: { value: { dataType, value } } })));
  // Start from low host flags, as the StationLink does on connecting.
  await write([[h('JobReady'), DataType.Boolean, false], [h('DoneAck'), DataType.Boolean, false]]);
  group.on('changed', (item, dataValue: DataValue, index: number) => {
    values.set(tags[index]!, dataValue.value.value);
    const tag = tags[index];
    if (tag === 'CardPresent' && dataValue.value.value === true && current === 0) {
      current = jobId++;
      void write([[h('JobData'), DataType.ByteString, JOB], [h('JobDataSize'), DataType.UInt32, JOB.length], [h('JobDataCrc32'), DataType.UInt32, dataCrc32(JOB)], [h('JobId'), DataType.UInt32, current]])
        .then(() => write([[h('JobReady'), DataType.Boolean, true]]));
    } else if (tag === 'JobAck' && dataValue.value.value === current) {
      void write([[h('JobReady'), DataType.Boolean, false]]);
    } else if (tag === 'Done' && dataValue.value.value === true && values.get('ResultJobId') === current) {
      const data = values.get('ResultData') as Buffer;
      if (dataCrc32(data) !== values.get('ResultDataCrc32')) throw new Error('result CRC mismatch');
      current = 0;
      doneAckHigh = true;
      void write([[h('DoneAck'), DataType.Boolean, true]]);
    } else if (tag === 'Done' && dataValue.value.value === false && doneAckHigh) {
      doneAckHigh = false;
      void write([[h('DoneAck'), DataType.Boolean, false]]);
    }
  });
  return async () => {
    await subscription.terminate();
    await session.close();
    await client.disconnect();
  };
}

/** The same steps in raw modbus-serial: poll 56 registers, write job file and registers, read the result file. */
async function rawModbus(port: number, jobDir: string): Promise<() => Promise<void>> {
  const client = new modbusSerial.default();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(1000);
  let jobId = Math.floor(Math.random() * 1e6) + 1;
  let current = 0;
  let jobReadyHigh = false;
  let doneAckHigh = false;
  let stopped = false;
  // Start from low host flags, as the StationLink does on connecting.
  await client.writeRegister(16, 0);
  await client.writeRegister(18, 0);
  const u32 = (r: number[], at: number): number => r[at]! * 65536 + r[at + 1]!;
  const split = (v: number): number[] => [Math.floor(v / 65536), v % 65536];
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const r = (await client.readHoldingRegisters(0, 56)).data;
      let wrote = false;
      // The previous job is settled before the next card is answered, as the StationLink does.
      if (r[17] === 0 && doneAckHigh) {
        await client.writeRegister(18, 0);
        doneAckHigh = false;
        wrote = true;
      } else if (jobReadyHigh && u32(r, 22) === current) {
        await client.writeRegister(16, 0);
        jobReadyHigh = false;
        wrote = true;
      } else if (r[17] === 1 && current !== 0 && u32(r, 24) === current) {
        const data = await readFile(path.join(jobDir, 'outbox', `${current}.result`));
        if (data.length !== u32(r, 34) || dataCrc32(data) !== u32(r, 36)) throw new Error('result file mismatch');
        await client.writeRegister(18, 1);
        current = 0;
        doneAckHigh = true;
        wrote = true;
      } else if (r[15] === 1 && current === 0 && !doneAckHigh) {
        current = jobId++;
        const file = path.join(jobDir, 'jobs', `${current}.job`);
        await writeFile(`${file}.tmp`, JOB);
        await rename(`${file}.tmp`, file);
        await client.writeRegisters(20, split(current));
        await client.writeRegisters(30, [...split(JOB.length), ...split(dataCrc32(JOB))]);
        await client.writeRegister(16, 1);
        jobReadyHigh = true;
        wrote = true;
      }
      if (!wrote) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };
  const running = loop().catch((error: unknown) => console.error("raw Modbus client:", error));
  return async () => {
    stopped = true;
    await running;
    client.close(() => undefined);
  };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(station: BenchStation, variants: Record<'ours' | 'baseline', () => Promise<() => Promise<void>>>): Promise<Record<'ours' | 'baseline', number[]>> {
  const all = { ours: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ['ours', 'baseline'] as const) {
      const stop = await variants[name]();
      await station.run(WARMUP);
      all[name].push(...(await station.run(PER_ROUND)));
      await stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return all;
}

// --- OPC UA -----------------------------------------------------------------------------------
{
  const store = new TagStore('bench');
  const station = new BenchStation(store);
  const objectPath = ['bench', 'station'];
  const server = await startOpcuaServer({
    host: '127.0.0.1',
    port: 0,
    units: [{ unitId: 'bench', objectPath, store }],
    pkiDir: path.join(work, 'pki-server'),
    security: { mode: 'None', policy: 'None', allowAnonymous: true, users: [] },
  });
  const results = await measure(station, {
    ours: () =>
      viaLink(
        new HandshakeLink(
          'bench',
          createOpcuaTransport({ endpointUrl: server.endpointUrl, objectPath, pkiDir: path.join(work, 'pki-client'), security: { mode: 'None', policy: 'None' }, publishingIntervalMs: PUBLISHING_MS }),
        ),
      ),
    baseline: () => rawOpcua(server.endpointUrl, objectPath),
  });
  await server.close();
  const ours = percentile(results.ours, 0.5);
  const base = percentile(results.baseline, 0.5);
  info(`OPC UA, publishing interval ${PUBLISHING_MS} ms: ${results.ours.length} handshakes each way`);
  bench('opcua_handshake_ms_p50', ours, 'ms');
  bench('opcua_handshake_ms_p99', percentile(results.ours, 0.99), 'ms');
  bench('opcua_handshake_baseline_ms_p50', base, 'ms');
  bench('opcua_handshake_baseline_ms_p99', percentile(results.baseline, 0.99), 'ms');
  bench('opcua_handshake_ratio', ours / base, 'ratio');
}

// --- Modbus TCP -------------------------------------------------------------------------------
{
  const store = new TagStore('bench');
  const station = new BenchStation(store);
  const jobDir = path.join(work, 'jobs');
  const port = await freePort();
  const server = await startModbusServer({ host: '127.0.0.1', port, units: [{ unitId: 1, store, jobDir }] });
  const results = await measure(station, {
    ours: () => viaLink(new HandshakeLink('bench', createModbusTransport({ host: '127.0.0.1', port, unitId: 1, jobDir, pollMs: POLL_MS }))),
    baseline: () => rawModbus(port, jobDir),
  });
  await server.close();
  const ours = percentile(results.ours, 0.5);
  const base = percentile(results.baseline, 0.5);
  info(`Modbus TCP, poll ${POLL_MS} ms: ${results.ours.length} handshakes each way`);
  bench('modbus_handshake_ms_p50', ours, 'ms');
  bench('modbus_handshake_ms_p99', percentile(results.ours, 0.99), 'ms');
  bench('modbus_handshake_baseline_ms_p50', base, 'ms');
  bench('modbus_handshake_baseline_ms_p99', percentile(results.baseline, 0.99), 'ms');
  bench('modbus_handshake_ratio', ours / base, 'ratio');
}
process.exit(0);

/**
 * The controller's own CPU cost a card, with the simulator in another process (bench/sim-child.ts):
 * the demo line over OPC UA (config/lines/demo-opcua.yaml), every cycle time and the transfer at 0,
 * faults off, data preparation done beforehand.
 *
 * - `controller_cpu_us_per_card`: the controller process's CPU time (every thread: links, machines,
 *   QA judging, durable commits) ÷ cards, over a batch the LineController runs.
 * - `controller_cpu_vs_raw_client_ratio`: that ÷ the CPU time a card of the leanest raw node-opcua
 *   client doing the same handshakes for the same cards in the same run — one session, one
 *   subscription, four monitored items a unit (CardSerial, CardPresent, JobAck, Done), each job
 *   written in one WriteRequest and JobReady in another, DoneAck up and down; no state machines,
 *   no persistence, no checks. The rate is printed beside it; `controller_cards_per_s` stays in controller.bench.ts.
 *
 * BENCH_CPU_RECORDS sets the batch size (default 300); BENCH_PROFILE=FILE writes a V8 CPU profile of
 * the controller's batch (open it in Chrome's DevTools).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AttributeIds,
  coerceNodeId,
  DataType,
  type MonitoredItemNotification,
  MessageSecurityMode,
  type NodeId,
  type NotificationMessage,
  OPCUAClient,
  ReferenceTypeIds,
  resolveNodeId,
  SecurityPolicy,
  TimestampsToReturn,
  Variant,
} from 'node-opcua';
import { openContext } from '../src/cli/context.ts';
import { loadLineConfig, stationUnits, unitAddress, type LineConfig } from '../src/config/line-config.ts';
import { LdsBuilder } from '../src/domain/lds/build.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import type { JobPreparer, PreparedRecord } from '../src/line/ports.ts';
import { LdsQaJudge, RecordPreparer } from '../src/line/prepare.ts';
import { ensureDemoPki } from '../src/pki/index.ts';
import { encodeJob } from '../src/plc/job-data.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import { CARDLINE_NAMESPACE_URI, tagRelativePath } from '../src/plc/opcua/address-space.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { dataCrc32 } from '../src/plc/tag-store.ts';
import type { TagName } from '../src/plc/tags.ts';
import { CardRenderer } from '../src/render/renderer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { bench, info } from './report.ts';
import { startSimProcess, type SimProcess } from './sim-process.ts';

const RECORDS = Number(process.env.BENCH_CPU_RECORDS ?? 300);
const LINE_FILE = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');

class PreparedJobs implements JobPreparer {
  readonly jobs = new Map<string, PreparedRecord>();
  prepare(batchId: string, seq: number): Promise<PreparedRecord> {
    const job = this.jobs.get(`${batchId}:${seq}`);
    return job ? Promise.resolve(job) : Promise.reject(new Error(`record ${seq} of batch ${batchId} was not prepared before the run`));
  }
}

function fastLine(line: LineConfig, blanks: number): LineConfig {
  return {
    ...line,
    id: 'cpu-demo',
    simulation: { ...line.simulation!, timeScale: 1, transferMs: 0, initialBlanks: blanks, controlPort: undefined },
    stations: line.stations.map((s) => ({
      ...s,
      cycle: { ...s.cycle, sdMs: 0, distribution: 'fixed' as const },
      failures: Object.fromEntries(Object.keys(s.failures).map((k) => [k, 0])) as typeof s.failures,
    })),
  };
}

/** The leanest host: the same handshakes as the controller, straight on node-opcua; resolves when `count` cards left the output. */
async function runRawClient(line: LineConfig, jobs: JobPreparer, batchId: string, count: number): Promise<void> {
  const units = stationUnits(line);
  const client = OPCUAClient.create({ endpointMustExist: false, securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None, connectionStrategy: { maxRetry: 0 } });
  const endpointUrl = (unitAddress(line, units[0]!, '.') as { endpointUrl: string }).endpointUrl;
  await client.connect(endpointUrl);
  const session = await client.createSession();
  try {
    const ns = (await session.readNamespaceArray()).indexOf(CARDLINE_NAMESPACE_URI);
    const WATCHED = ['CardSerial', 'CardPresent', 'JobAck', 'Done'] as const satisfies readonly TagName[];
    const WRITTEN = ['JobData', 'JobDataSize', 'JobDataCrc32', 'JobId', 'JobReady', 'DoneAck'] as const satisfies readonly TagName[];
    const tags = [...WATCHED, ...WRITTEN];
    const paths = units.flatMap((u) => {
      const objectPath = (unitAddress(line, u, '.') as { objectPath: readonly string[] }).objectPath;
      return tags.map((tag) => ({
        startingNode: resolveNodeId('ObjectsFolder'),
        relativePath: {
          elements: [...objectPath, ...tagRelativePath(tag)].map((name) => ({ referenceTypeId: coerceNodeId(ReferenceTypeIds.HierarchicalReferences), isInverse: false, includeSubtypes: true, targetName: { namespaceIndex: ns, name } })),
        },
      }));
    });
    const resolved = await session.translateBrowsePath(paths);
    const node = (unit: number, tag: TagName): NodeId => resolved[unit * tags.length + tags.indexOf(tag as never)]!.targets![0]!.targetId;
    const inspect = encodeJob({ v: 1, kind: 'inspect' });
    const stack = encodeJob({ v: 1, kind: 'output', destination: 'stacker' });
    const seqOf = new Map<string, number>();
    let nextSeq = 1;
    let jobId = 0x6000_0000;
    let out = 0;
    let failure: Error | undefined;
    const fail = (error: unknown): void => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    };
    const state = units.map(() => ({ present: false, serial: '', done: false, job: 0 }));
    const write = (values: { nodeId: NodeId; dataType: DataType; value: unknown }[]): Promise<unknown> =>
      session.write(values.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.Value, value: { value: new Variant({ dataType: v.dataType, value: v.value }) } })));
    const answer = async (u: number): Promise<void> => {
      const kind = units[u]!.station.kind;
      const serial = state[u]!.serial;
      let data: Buffer;
      if (kind === 'feeder') {
        if (nextSeq > count) return;
        seqOf.set(serial, nextSeq);
        data = encodeJob({ v: 1, kind: 'feed', recordRef: `${batchId}:${nextSeq++}` });
      } else if (kind === 'encoder') data = (await jobs.prepare(batchId, seqOf.get(serial)!)).chipJob;
      else if (kind === 'laser') data = (await jobs.prepare(batchId, seqOf.get(serial)!)).laserJob;
      else if (kind === 'qa') data = inspect;
      else data = stack;
      const id = ++jobId;
      state[u]!.job = id;
      await write([
        { nodeId: node(u, 'JobData'), dataType: DataType.ByteString, value: data },
        { nodeId: node(u, 'JobDataSize'), dataType: DataType.UInt32, value: data.length },
        { nodeId: node(u, 'JobDataCrc32'), dataType: DataType.UInt32, value: dataCrc32(data) },
        { nodeId: node(u, 'JobId'), dataType: DataType.UInt32, value: id },
      ]);
      await write([{ nodeId: node(u, 'JobReady'), dataType: DataType.Boolean, value: true }]);
    };
    const subscription = await session.createSubscription2({ requestedPublishingInterval: 10, requestedMaxKeepAliveCount: 100, requestedLifetimeCount: 1000, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 100 });
    const handles = new Map<number, { u: number; tag: (typeof WATCHED)[number] }>();
    const early: MonitoredItemNotification[] = [];
    const onItem = (item: MonitoredItemNotification): void => {
      const h = handles.get(item.clientHandle);
      if (!h) return void early.push(item);
      const s = state[h.u]!;
      const value = item.value.value.value as unknown;
      if (h.tag === 'CardSerial') s.serial = String(value);
      else if (h.tag === 'CardPresent') {
        const present = value === true;
        if (present && !s.present) answer(h.u).catch(fail);
        s.present = present;
      } else if (h.tag === 'JobAck') {
        if (value === s.job && s.job !== 0) write([{ nodeId: node(h.u, 'JobReady'), dataType: DataType.Boolean, value: false }]).catch(fail);
      } else if (h.tag === 'Done') {
        const done = value === true;
        if (done && !s.done) {
          if (units[h.u]!.station.kind === 'output') out += 1;
          write([{ nodeId: node(h.u, 'DoneAck'), dataType: DataType.Boolean, value: true }]).catch(fail);
        } else if (!done && s.done) write([{ nodeId: node(h.u, 'DoneAck'), dataType: DataType.Boolean, value: false }]).catch(fail);
        s.done = done;
      }
    };
    subscription.on('raw_notification', (message: NotificationMessage) => {
      for (const data of message.notificationData ?? []) {
        const items = (data as unknown as { monitoredItems?: MonitoredItemNotification[] | null }).monitoredItems;
        for (const item of items ?? []) onItem(item);
      }
    });
    const watched = units.flatMap((_, u) => WATCHED.map((tag) => ({ u, tag })));
    const group = await subscription.monitorItems(
      watched.map((w) => ({ nodeId: node(w.u, w.tag), attributeId: AttributeIds.Value })),
      { samplingInterval: 0, queueSize: 16, discardOldest: true },
      TimestampsToReturn.Neither,
    );
    group.monitoredItems.forEach((item, i) => handles.set(item.monitoringParameters.clientHandle, watched[i]!));
    for (const item of early.splice(0)) onItem(item);
    const deadline = performance.now() + 300_000;
    while (out < count && !failure) {
      if (performance.now() > deadline) throw new Error(`raw client: ${out} of ${count} cards out after 300 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (failure) throw failure;
  } finally {
    await session.close(true).catch(() => undefined);
    await client.disconnect();
  }
}

/** Starts the V8 profiler; the function returned stops it and writes FILE. */
async function startProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
  };
}

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-cpu-'));
const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
let sim: SimProcess | undefined;
let links: Map<string, StationLink> | undefined;
try {
  const line = fastLine(await loadLineConfig(LINE_FILE), 2 * RECORDS + 100);
  const sample = await writeSample({ count: RECORDS, seed: 'bench-cpu', outDir: path.join(dir, 'in'), portraitPool: 20 });
  const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'bench', today: { year: 2026, month: 11, day: 27 } });
  if (imported.accepted !== RECORDS) throw new Error(`the import accepted ${imported.accepted} of ${RECORDS} records`);
  const pki = await ensureDemoPki(ctx.dataDir, { warn: () => undefined });
  const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(pki.signer), new CardRenderer());
  const jobs = new PreparedJobs();
  for (let seq = 1; seq <= RECORDS; seq++) jobs.jobs.set(`${imported.batchId}:${seq}`, await preparer.prepare(imported.batchId, seq));
  info(`${RECORDS} records imported and prepared`);

  sim = await startSimProcess(line, path.join(dir, 'sim'), dir, { fast: true });
  const store = new LineStore(ctx.db, line.id);
  await store.loadStock(line.simulation!.initialBlanks, 'initial', 'bench');
  links = createLineLinks(sim.linkLine, { dataDir: ctx.dataDir });
  await Promise.all([...links.values()].map((l) => l.connect()));
  const outTimes: number[] = [];
  links.get('output')!.subscribe((e) => {
    if (e.type === 'plc.job.done') outTimes.push(performance.now());
  });
  const controller = new LineController(line, links, store, jobs, new LdsQaJudge({ csca: [pki.csca] }), { actor: 'bench' });
  const profile = process.env.BENCH_PROFILE ? await startProfile() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = await controller.run(imported.batchId, { resume: false, status: 'imported' });
  const controllerWallMs = performance.now() - t0;
  const controllerCpu = process.cpuUsage(cpu0);
  if (profile) await profile(process.env.BENCH_PROFILE!);
  if (outcome.progress.good !== RECORDS) throw new Error(`the controller made ${outcome.progress.good} good cards of ${RECORDS}`);
  await Promise.allSettled([...links.values()].map((l) => l.close()));
  links = undefined;
  const from = Math.floor(RECORDS / 10);
  const cardsPerS = ((RECORDS - from) / (outTimes[RECORDS - 1]! - outTimes[from - 1]!)) * 1000;

  // The same cards again, by the raw client, on the same simulated line.
  await sim.command('stop');
  await sim.command(`reload ${RECORDS + 50}`);
  await sim.command('start');
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  await runRawClient(sim.linkLine, jobs, imported.batchId, RECORDS);
  const rawWallMs = performance.now() - t1;
  const rawCpu = process.cpuUsage(cpu1);

  const perCard = (c: NodeJS.CpuUsage): number => (c.user + c.system) / RECORDS;
  info(`controller: ${RECORDS} cards in ${(controllerWallMs / 1000).toFixed(1)} s, CPU ${perCard(controllerCpu).toFixed(0)} µs a card (${(controllerCpu.system / RECORDS).toFixed(0)} µs kernel); raw client: ${(rawWallMs / 1000).toFixed(1)} s, CPU ${perCard(rawCpu).toFixed(0)} µs a card (${(rawCpu.system / RECORDS).toFixed(0)} µs kernel)`);
  bench('controller_cpu_us_per_card', perCard(controllerCpu), 'µs');
  bench('controller_cpu_vs_raw_client_ratio', perCard(controllerCpu) / perCard(rawCpu), 'ratio');
  info(`controller: cards ${from}–${RECORDS} at ${cardsPerS.toFixed(1)} cards/s (the in-process rate is controller.bench.ts's controller_cards_per_s)`);
} finally {
  if (links) await Promise.allSettled([...links.values()].map((l) => l.close()));
  await sim?.stop();
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

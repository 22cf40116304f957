/**
 * The line controller's own cost: the full card, station and line machines with persistence on
 * SQLite (a fresh data dir), over in-process links (HandshakeLink over MemoryTransport on the
 * simulator units' TagStores: the physical model answers, no sockets), with every station's cycle
 * time and the card transfer time at 0 and no failures. Data preparation is done beforehand: every
 * record's jobs are made once (TestPreparer: the real MRZ, a small chip and laser job) and the
 * preparer hands them out; the QA judge is the light test judge (DG1, OCR'd MRZ, print grade).
 *
 * A warm-up batch runs first; the timed batch's rate is taken between its card STEADY_FROM and its
 * last card out of the output station. For reference only (a `#` line, no BENCH figure: it measures nothing a user feels), a bare loop driving the same card machine
 * through the same events (feeding, fed, at encoder/laser/qa, qa.passed, at output, stacked), no
 * persistence and no links, in the same process.
 *
 * Last, a bare host drives the same simulated line over the same links: each card answered with its
 * job, each Done acknowledged at once, no machines and no persistence. Since the physical model
 * answers on the controller's thread, no controller can go faster than this host:
 * `controller_sim_bare_host_cards_per_s` is the ceiling the line's simulation sets, and
 * `controller_vs_bare_host_ratio` the share of it the controller keeps.
 *
 * BENCH_CONTROLLER_RECORDS sets the timed batch's size (default 3,000); BENCH_TRACE=1 logs every
 * station event; BENCH_PROFILE=FILE writes a V8 CPU profile of the timed batch (open it in Chrome's
 * DevTools). The SQL statements and transactions a card costs are printed alongside: with
 * cycle times at 0 the line moves in lock-step with the group commits, so they set the rate.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createActor } from 'xstate';
import { cardMachine } from '../machines/card.machine.ts';
import { SimControl } from '../simulators/control.ts';
import { SimLine } from '../simulators/sim-line.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import type { JobPreparer, PreparedRecord } from '../src/line/ports.ts';
import { stationUnits, type LineConfig } from '../src/config/line-config.ts';
import { HandshakeLink } from '../src/plc/handshake-link.ts';
import { encodeJob } from '../src/plc/job-data.ts';
import { MemoryTransport } from '../src/plc/memory-transport.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { writeSample } from '../src/sample/generate.ts';
import { SQLITE_FILE } from '../src/store/db.ts';
import { LineStore } from '../src/store/line-store.ts';
import { TestPreparer, testJudge } from '../test/helpers/test-preparer.ts';
import { bench, info } from './report.ts';

const RECORDS = Number(process.env.BENCH_CONTROLLER_RECORDS ?? 3000);
const WARMUP_RECORDS = 300;
/** Cards before this one (ramp-up of the timed batch) are left out of the rate. */
const STEADY_FROM = Math.floor(RECORDS / 10);
const BARE_ROUNDS = 5;

/** Hands out jobs prepared before the run: the controller's timing carries no preparation. */
class PreparedJobs implements JobPreparer {
  private readonly jobs = new Map<string, PreparedRecord>();

  static async of(preparer: JobPreparer, batchId: string, count: number): Promise<PreparedJobs> {
    const jobs = new PreparedJobs();
    for (let seq = 1; seq <= count; seq++) jobs.jobs.set(`${batchId}:${seq}`, await preparer.prepare(batchId, seq));
    return jobs;
  }

  add(other: PreparedJobs): this {
    for (const [k, v] of other.jobs) this.jobs.set(k, v);
    return this;
  }

  prepare(batchId: string, seq: number): Promise<PreparedRecord> {
    const job = this.jobs.get(`${batchId}:${seq}`);
    return job ? Promise.resolve(job) : Promise.reject(new Error(`record ${seq} of batch ${batchId} was not prepared before the run`));
  }
}

/** Starts the V8 profiler (BENCH_PROFILE=FILE); the function returned stops it and writes FILE. */
async function startProfile(): Promise<(file: string) => Promise<string>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    session.disconnect();
    await writeFile(file, JSON.stringify(profile));
    return file;
  };
}

/** Cards a second between card STEADY_FROM and the last, from the times each came out of the output station. */
function steadyRate(out: readonly number[]): number {
  return ((RECORDS - STEADY_FROM) / (out[RECORDS - 1]! - out[STEADY_FROM - 1]!)) * 1000;
}

async function waitForStates(control: SimControl, state: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (control.status().units.some((u) => u.state !== state)) {
    if (performance.now() > deadline) throw new Error(`the simulated units did not all reach ${state}: ${control.status().units.map((u) => `${u.unitId}=${u.state}`).join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Drives the simulated line through `count` cards as a host with nothing to decide: the feeder's
 * blanks get the records' feed jobs in order, every other card its record's job (or the inspect
 * and stack orders), every Done is acknowledged at once. Returns when each card's output Done came.
 */
async function runBareHost(line: LineConfig, links: ReadonlyMap<string, StationLink>, control: SimControl, jobs: JobPreparer, batchId: string, count: number): Promise<number[]> {
  control.command('all', 'Reset');
  await waitForStates(control, 'Idle');
  control.command('all', 'Start');
  await waitForStates(control, 'Execute');
  const kinds = new Map(stationUnits(line).map((u) => [u.unitId, u.station.kind]));
  const seqOf = new Map<string, number>();
  const out: number[] = [];
  let nextSeq = 1;
  let jobId = 0x7000_0000;
  let failure: Error | undefined;
  const inspect = encodeJob({ v: 1, kind: 'inspect' });
  const stack = encodeJob({ v: 1, kind: 'output', destination: 'stacker' });
  const answer = async (unitId: string, link: StationLink, serial: string): Promise<void> => {
    const kind = kinds.get(unitId)!;
    let data: Buffer;
    if (kind === 'feeder') {
      if (nextSeq > count) return;
      seqOf.set(serial, nextSeq);
      data = encodeJob({ v: 1, kind: 'feed', recordRef: `${batchId}:${nextSeq++}` });
    } else if (kind === 'encoder') data = (await jobs.prepare(batchId, seqOf.get(serial)!)).chipJob;
    else if (kind === 'laser') data = (await jobs.prepare(batchId, seqOf.get(serial)!)).laserJob;
    else if (kind === 'qa') data = inspect;
    else data = stack;
    await link.sendJob({ jobId: jobId++, cardSerial: serial, data });
  };
  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  };
  const offs = [...links].map(([unitId, link]) =>
    link.subscribe((e) => {
      if (e.type === 'plc.card.present') answer(unitId, link, e.cardSerial).catch(fail);
      else if (e.type === 'plc.job.done') {
        if (e.result !== 0) fail(new Error(`bare host: ${unitId} rejected ${e.cardSerial} with result ${e.result}`));
        if (kinds.get(unitId) === 'output') out.push(performance.now());
        link.acknowledgeDone(e.jobId).catch(fail);
      } else if (e.type === 'plc.job.failed') fail(new Error(`bare host: ${unitId} job for ${e.cardSerial} failed: ${e.reason}`));
    }),
  );
  try {
    for (const [unitId, link] of links) if (link.cardPresent !== undefined) answer(unitId, link, link.cardPresent).catch(fail);
    const deadline = performance.now() + 120_000;
    while (out.length < count && !failure) {
      if (performance.now() > deadline) throw new Error(`bare host: ${out.length} of ${count} cards out after 120 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (failure) throw failure;
    return out;
  } finally {
    for (const off of offs) off();
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-ctl-'));
const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
let sim: SimLine | undefined;
const links = new Map<string, StationLink>();
try {
  const importOne = async (count: number, name: string): Promise<string> => {
    const sample = await writeSample({ count, seed: `bench-ctl-${name}`, outDir: path.join(dir, name), portraitPool: 5 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'bench', today: { year: 2026, month: 11, day: 27 } });
    if (imported.accepted !== count) throw new Error(`the import accepted ${imported.accepted} of ${count} records`);
    return imported.batchId;
  };
  const t0 = performance.now();
  const warmupBatch = await importOne(WARMUP_RECORDS, 'warmup');
  const timedBatch = await importOne(RECORDS, 'timed');
  const testPreparer = new TestPreparer(ctx.batches);
  const preparer = (await PreparedJobs.of(testPreparer, warmupBatch, WARMUP_RECORDS)).add(await PreparedJobs.of(testPreparer, timedBatch, RECORDS));
  info(`${WARMUP_RECORDS} + ${RECORDS} records imported and their jobs prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Cycle times must be > 0 in a line file; the simulator's slow(…, 0) takes them to 0. Time scale 1:
  // the PLC's no-job timeout is simulated time, and a fast clock would fire it while a job is on its way.
  const line = testLine({ id: 'bench-ctl', heads: 6, initialBlanks: WARMUP_RECORDS + RECORDS + 100, timeScale: 1, transferMs: 0, heartbeatMs: 500, distribution: 'fixed' });
  sim = SimLine.open({ line, dataDir: ctx.dataDir });
  const control = new SimControl(sim);
  control.slow('all', 0);
  for (const unitId of sim.stores.keys()) links.set(unitId, new HandshakeLink(unitId, new MemoryTransport(sim.store(unitId))));
  await Promise.all([...links.values()].map((l) => l.connect()));
  const store = new LineStore(ctx.db, line.id);

  /** Runs one batch; returns the times (ms) each card's Done came from the output station. */
  const runBatch = async (batchId: string): Promise<{ out: number[]; elapsedMs: number; good: number }> => {
    const out: number[] = [];
    const off = links.get('output')!.subscribe((e) => {
      if (e.type === 'plc.job.done') out.push(performance.now());
    });
    const trace = process.env.BENCH_TRACE === '1';
    const controller = new LineController(line, links, store, preparer, testJudge, { actor: 'bench', ...(trace ? { trace, log: (m: string) => console.error(m) } : {}) });
    const started = performance.now();
    const outcome = await controller.run(batchId, { resume: false, status: 'imported' });
    const elapsedMs = performance.now() - started;
    off();
    if (outcome.status !== 'completed' || outcome.progress.produced !== outcome.progress.total) {
      throw new Error(`batch ${batchId} ended ${outcome.status} with ${outcome.progress.produced} of ${outcome.progress.total} records produced`);
    }
    return { out, elapsedMs, good: outcome.progress.good };
  };

  await runBatch(warmupBatch);
  // A controller starting on a line already in Execute never hears a state change, and its line
  // machine waits in 'starting' for ever: stop the units, as at the end of a shift, before the next run.
  control.command('all', 'Stop');
  await waitForStates(control, 'Stopped');
  // Where the time goes: SQL statements and transactions (group commits) of the timed batch.
  let queries = 0;
  const transactions = new Map<string, { start: number; end: number }>();
  ctx.db.on('query', (q: { __knexTxId?: string }) => {
    queries += 1;
    if (q.__knexTxId && !transactions.has(q.__knexTxId)) transactions.set(q.__knexTxId, { start: performance.now(), end: performance.now() });
  });
  ctx.db.on('query-response', (_r: unknown, q: { __knexTxId?: string }) => {
    const t = q.__knexTxId ? transactions.get(q.__knexTxId) : undefined;
    if (t) t.end = performance.now();
  });
  const profile = process.env.BENCH_PROFILE ? await startProfile() : undefined;
  // The WAL must stay bounded however long the line runs (checkpoints keep up with the commits).
  const walFile = path.join(ctx.dataDir, `${SQLITE_FILE}-wal`);
  let walPeak = 0;
  const walSampler = setInterval(() => {
    walPeak = Math.max(walPeak, existsSync(walFile) ? statSync(walFile).size : 0);
  }, 100);
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const timed = await runBatch(timedBatch);
  const cpu = process.cpuUsage(cpuBefore);
  const elu = performance.eventLoopUtilization(eluBefore);
  info(`main thread: busy ${(elu.active / RECORDS * 1000).toFixed(0)} µs a card, idle ${(elu.idle / RECORDS * 1000).toFixed(0)} µs a card (waiting for commits)`);
  clearInterval(walSampler);
  // CPU time varies less than the rate on a shared machine: it compares code changes more reliably.
  info(`CPU time of the timed batch (every thread of the process): ${((cpu.user + cpu.system) / RECORDS).toFixed(0)} µs a card (${(cpu.system / RECORDS).toFixed(0)} µs in the kernel)`);
  info(`WAL file during the timed batch: at most ${(walPeak / 2 ** 20).toFixed(1)} MiB (sampled every 100 ms)`);
  if (profile) info(`CPU profile of the timed batch: ${await profile(process.env.BENCH_PROFILE!)}`);
  const inTransactionMs = [...transactions.values()].reduce((sum, t) => sum + t.end - t.start, 0);
  info(`timed batch: ${(queries / RECORDS).toFixed(1)} SQL statements and ${(transactions.size / RECORDS).toFixed(2)} transactions a card; a transaction's statements take ${(inTransactionMs / transactions.size).toFixed(2)} ms (first to last answer), ${((inTransactionMs / timed.elapsedMs) * 100).toFixed(0)} % of the run's wall time`);
  const spans = [...transactions.values()].map((t) => t.end - t.start).sort((a, b) => a - b);
  const at = (q: number): string => (spans[Math.min(spans.length - 1, Math.floor(spans.length * q))] ?? 0).toFixed(2);
  info(`transaction times (ms): p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}, max ${at(1)}`);
  if (timed.out.length !== RECORDS) throw new Error(`the output station reported ${timed.out.length} cards, expected ${RECORDS}`);
  const cardsPerS = steadyRate(timed.out);
  info(`controller: ${RECORDS} records in ${(timed.elapsedMs / 1000).toFixed(2)} s including load and completion (${((timed.good / timed.elapsedMs) * 1000).toFixed(0)} cards/s); cards ${STEADY_FROM}–${RECORDS}: ${cardsPerS.toFixed(0)} cards/s`);

  // --- the bare card machine, same events, no persistence, no links ----------------------------
  const bareRound = (batchId: string, count: number): number => {
    const actors = [];
    const started = performance.now();
    for (let seq = 1; seq <= count; seq++) {
      const actor = createActor(cardMachine, { input: { batchId, seq, maxAttempts: 3 } }).start();
      actor.send({ type: 'card.feeding', cardSerial: `B${seq}` });
      actor.send({ type: 'card.fed' });
      actor.send({ type: 'card.at', station: 'encoder' });
      actor.send({ type: 'card.at', station: 'laser' });
      actor.send({ type: 'card.at', station: 'qa' });
      actor.send({ type: 'qa.passed' });
      actor.send({ type: 'card.at', station: 'output' });
      actor.send({ type: 'card.stacked', position: seq });
      if (actor.getSnapshot().value !== 'produced') throw new Error(`bare loop: record ${seq} ended ${JSON.stringify(actor.getSnapshot().value)}`);
      actors.push(actor);
    }
    return ((count / (performance.now() - started)) * 1000);
  };
  bareRound('warmup', WARMUP_RECORDS);
  const bareRates = Array.from({ length: BARE_ROUNDS }, (_, i) => bareRound(`bare-${i}`, RECORDS)).sort((a, b) => a - b);
  const bare = bareRates[Math.floor(BARE_ROUNDS / 2)]!;
  info(`bare card machine: ${RECORDS} records × ${BARE_ROUNDS} rounds, median ${bare.toFixed(0)} cards/s`);

  // --- the same simulated line driven by a bare host: each card answered with its job, each Done
  // acknowledged at once; no machines, no persistence. The controller can go no faster than this,
  // since the physical model answers on the same thread.
  control.command('all', 'Stop');
  await waitForStates(control, 'Stopped');
  control.emptyStacker();
  control.loadBlanks(RECORDS);
  const bareElu = performance.eventLoopUtilization();
  const bareHost = await runBareHost(line, links, control, preparer, timedBatch, RECORDS);
  const bareHostElu = performance.eventLoopUtilization(bareElu);
  const bareHostRate = steadyRate(bareHost);
  info(`bare host on the same simulated line (handshakes only: no machines, no persistence): cards ${STEADY_FROM}–${RECORDS}: ${bareHostRate.toFixed(0)} cards/s; main thread busy ${(bareHostElu.active / RECORDS * 1000).toFixed(0)} µs, idle ${(bareHostElu.idle / RECORDS * 1000).toFixed(0)} µs a card`);

  bench('controller_cards_per_s', cardsPerS, 'cards/s');
  bench('controller_sim_bare_host_cards_per_s', bareHostRate, 'cards/s');
  bench('controller_vs_bare_host_ratio', cardsPerS / bareHostRate, 'ratio');
} finally {
  await Promise.allSettled([...links.values()].map((l) => l.close()));
  sim?.stop();
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}

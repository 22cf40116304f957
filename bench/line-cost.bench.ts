/**
 * What driving real lines costs the controller host, with each line's simulator in a process of its
 * own (bench/sim-child.ts), so the controller process's CPU time is the controller's alone:
 *
 * - `lines_per_core`: N demo lines (config/lines/demo-opcua.yaml, OPC UA) at their real cycle times
 *   (timeScale 1, fixed cycles, faults off), each with its own batch, driven at once for at least
 *   BENCH_LINES_SECONDS (default 60) by one controller process; 1 ÷ the process's CPU share (every
 *   thread: links, machines, persistence with durable commits) per line. Data preparation is done
 *   before the run and reported beside it as `prep_cpu_ms_per_card` (rendering and signing one
 *   record, CPU ms), since a site can prepare on other cores or hosts.
 * - `cycle_headroom_p99`: in the same run, the time from a Done reaching the controller to its
 *   DoneAck going out (the durable commit in between), 99th percentile, ÷ the shortest station
 *   cycle of the line (400 ms on the demo lines).
 *
 * BENCH_LINES sets N (default 2), BENCH_LINES_SECONDS the duration (shorten for a smoke run),
 * BENCH_QA_THREADS the QA judge's chip verification threads (default 1, as a run has them; 0 verifies
 * on the controller's thread, as before 2026-12-08, for a before/after ratio in one session).
 * Info lines split the handshake's time: each station kind's Done → DoneAck, the journal's appends
 * (the durable commit a Done waits for), the QA verdicts, the event loop's delay.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openContext } from '../src/cli/context.ts';
import { loadLineConfig, type LineConfig } from '../src/config/line-config.ts';
import { LdsBuilder } from '../src/domain/lds/build.ts';
import { importBatch } from '../src/import/importer.ts';
import { LineController } from '../src/line/controller.ts';
import type { JobPreparer, PreparedRecord } from '../src/line/ports.ts';
import { LdsQaJudge, RecordPreparer } from '../src/line/prepare.ts';
import { ensureDemoPki } from '../src/pki/index.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import type { StationLink } from '../src/plc/station-link.ts';
import { CardRenderer } from '../src/render/renderer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { bench, info } from './report.ts';
import { startSimProcess, type SimProcess } from './sim-process.ts';

const LINES = Number(process.env.BENCH_LINES ?? 2);
const SECONDS = Number(process.env.BENCH_LINES_SECONDS ?? 60);
const QA_THREADS = Number(process.env.BENCH_QA_THREADS ?? 1);
const LINE_FILE = path.resolve(import.meta.dirname, '../config/lines/demo-opcua.yaml');

/** The demo line at real time, fixed cycles, faults off, under its own id. */
function realTimeLine(line: LineConfig, id: string, cards: number): LineConfig {
  return {
    ...line,
    id,
    simulation: { ...line.simulation!, timeScale: 1, initialBlanks: cards + 50, controlPort: undefined },
    stations: line.stations.map((s) => ({
      ...s,
      cycle: { ...s.cycle, sdMs: 0, distribution: 'fixed' as const },
      failures: Object.fromEntries(Object.keys(s.failures).map((k) => [k, 0])) as typeof s.failures,
    })),
  };
}

class PreparedJobs implements JobPreparer {
  readonly jobs = new Map<string, PreparedRecord>();
  prepare(batchId: string, seq: number): Promise<PreparedRecord> {
    const job = this.jobs.get(`${batchId}:${seq}`);
    return job ? Promise.resolve(job) : Promise.reject(new Error(`record ${seq} of batch ${batchId} was not prepared before the run`));
  }
}

const at = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-cost-'));
const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
const sims: SimProcess[] = [];
const allLinks: StationLink[] = [];
try {
  const demo = await loadLineConfig(LINE_FILE);
  const laserMs = demo.stations.find((s) => s.kind === 'laser')!.cycle.meanMs;
  // The run must last SECONDS at the line's pace (its bottleneck), plus the first card's way through.
  const cards = Math.ceil((SECONDS * 1000) / Math.max(...demo.stations.map((s) => s.cycle.meanMs / (s.heads ?? 1)))) + 10;
  const shortestCycleMs = Math.min(...demo.stations.map((s) => s.cycle.meanMs));
  const pki = await ensureDemoPki(ctx.dataDir, { warn: () => undefined });
  const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(pki.signer), new CardRenderer());
  const judge = new LdsQaJudge({ csca: [pki.csca], verifyThreads: QA_THREADS });
  const jobs = new PreparedJobs();

  const lines: { line: LineConfig; batchId: string }[] = [];
  let prepCpuUs = 0;
  let prepared = 0;
  for (let k = 1; k <= LINES; k++) {
    const line = realTimeLine(demo, `cost-${k}`, cards);
    const sample = await writeSample({ count: cards, seed: `bench-cost-${k}`, outDir: path.join(dir, `in-${k}`), portraitPool: 20 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'bench', today: { year: 2026, month: 11, day: 27 } });
    if (imported.accepted !== cards) throw new Error(`the import accepted ${imported.accepted} of ${cards} records`);
    for (let seq = 1; seq <= cards; seq++) {
      const before = process.cpuUsage();
      jobs.jobs.set(`${imported.batchId}:${seq}`, await preparer.prepare(imported.batchId, seq));
      const used = process.cpuUsage(before);
      prepCpuUs += used.user + used.system;
      prepared += 1;
    }
    lines.push({ line, batchId: imported.batchId });
  }
  info(`${LINES} lines × ${cards} records imported and prepared (laser ${laserMs} ms, shortest cycle ${shortestCycleMs} ms); chips verified ${QA_THREADS === 0 ? "on the controller's thread" : `on ${QA_THREADS} thread(s)`}`);

  let started = performance.now();
  const doneAt = new Map<string, number>();
  const doneToAck: number[] = [];
  const byKind = new Map<string, number[]>();
  const slowest: { ms: number; unit: string; atS: number }[] = [];
  const commits: number[] = [];
  const verdicts: number[] = [];
  const judgeOf = judge.judge.bind(judge);
  judge.judge = async (...args) => {
    const t0 = performance.now();
    try {
      return await judgeOf(...args);
    } finally {
      verdicts.push(performance.now() - t0);
    }
  };
  const controllers: { controller: LineController; batchId: string }[] = [];
  for (const { line, batchId } of lines) {
    const sim = await startSimProcess(line, path.join(dir, `sim-${line.id}`), dir);
    sims.push(sim);
    const links = createLineLinks(sim.linkLine, { dataDir: ctx.dataDir });
    for (const [unitId, link] of links) {
      allLinks.push(link);
      link.subscribe((e) => {
        if (e.type === 'plc.job.done') doneAt.set(`${line.id}/${unitId}#${e.jobId}`, performance.now());
      });
      const acknowledge = link.acknowledgeDone.bind(link);
      (link as { acknowledgeDone: StationLink['acknowledgeDone'] }).acknowledgeDone = (jobId) => {
        const done = doneAt.get(`${line.id}/${unitId}#${jobId}`);
        if (done !== undefined) {
          const ms = performance.now() - done;
          doneToAck.push(ms);
          const kind = line.stations.find((s) => s.id === unitId.split('.')[0])?.kind ?? unitId;
          (byKind.get(kind) ?? byKind.set(kind, []).get(kind)!).push(ms);
          slowest.push({ ms, unit: `${line.id}/${unitId}`, atS: (performance.now() - started) / 1000 });
        }
        return acknowledge(jobId);
      };
    }
    await Promise.all([...links.values()].map((l) => l.connect()));
    const store = new LineStore(ctx.db, line.id);
    await store.loadStock(line.simulation!.initialBlanks, 'initial', 'bench');
    const append = store.journal.append.bind(store.journal);
    store.journal.append = async (...ops) => {
      const t0 = performance.now();
      try {
        return await append(...ops);
      } finally {
        commits.push(performance.now() - t0);
      }
    };
    controllers.push({ controller: new LineController(line, links, store, jobs, judge, { actor: 'bench', autoRecover: true }), batchId });
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const startedUs = process.hrtime.bigint() / 1000n;
  const outcomes = await Promise.all(controllers.map(({ controller, batchId }) => controller.run(batchId, { resume: false, status: 'imported' })));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  // The run's window on the monotonic clock a --cpu-prof profile's timestamps use (µs).
  info(`run window for --cpu-prof (µs on its clock): ${startedUs}–${process.hrtime.bigint() / 1000n}`);
  const good = outcomes.reduce((sum, o) => sum + o.progress.good, 0);
  if (good !== LINES * cards) throw new Error(`${good} good cards of ${LINES * cards}`);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const sharePerLine = cpuMs / wallMs / LINES;
  const sorted = doneToAck.sort((a, b) => a - b);
  info(`${LINES} lines, ${good} cards in ${(wallMs / 1000).toFixed(1)} s: controller CPU ${cpuMs.toFixed(0)} ms (${(cpu.system / 1000).toFixed(0)} ms kernel), ${((sharePerLine) * 100).toFixed(2)} % of a core a line, ${(cpuMs / good).toFixed(1)} ms a card`);
  info(`Done → DoneAck over ${sorted.length} handshakes (ms): p50 ${at(sorted, 0.5).toFixed(2)}, p90 ${at(sorted, 0.9).toFixed(2)}, p99 ${at(sorted, 0.99).toFixed(2)}, max ${at(sorted, 1).toFixed(2)}`);
  const spread = (values: number[]): string => {
    const v = [...values].sort((a, b) => a - b);
    return `p50 ${at(v, 0.5).toFixed(1)}, p99 ${at(v, 0.99).toFixed(1)}, max ${at(v, 1).toFixed(1)} (${v.length})`;
  };
  for (const [kind, values] of byKind) info(`  ${kind}: Done → DoneAck ms ${spread(values)}`);
  info(`  journal appends (durable group commit) ms ${spread(commits)}; QA verdicts ms ${spread(verdicts)}`);
  info(`  event loop delay ms p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)}, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)}, max ${(loopDelay.max / 1e6).toFixed(1)}`);
  info(`  slowest: ${slowest.sort((a, b) => b.ms - a.ms).slice(0, 8).map((x) => `${x.unit} ${x.ms.toFixed(0)} ms at ${x.atS.toFixed(1)} s`).join(', ')}`);
  bench('lines_per_core', 1 / sharePerLine, 'lines');
  bench('prep_cpu_ms_per_card', prepCpuUs / 1000 / prepared, 'ms');
  bench('cycle_headroom_p99', at(sorted, 0.99) / shortestCycleMs, 'ratio');
} finally {
  await Promise.allSettled(allLinks.map((l) => l.close()));
  await Promise.allSettled(sims.map((s) => s.stop()));
  await ctx.close();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

/**
 * The composition root of a production run: from a line file and a batch to a LineController with
 * everything it needs — the station links (OPC UA / Modbus TCP from the line file), the data
 * preparation (renderer, LDS builder with the Document Signer), the QA judge (the CSCA as trust
 * anchor), the store — and, for a simulated line, the simulator started in this process (through
 * the `startSimulator` the application's composition root gives, src/app/run-line.ts) unless told
 * to connect to one already running (`cardline plc-sim`). It knows neither the CLI nor simulators/.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { loadLineConfig, type LineConfig } from '../config/line-config.ts';
import { parseCivilDate } from '../domain/dates.ts';
import { LdsBuilder } from '../domain/lds/build.ts';
import type { Signer } from '../domain/lds/signer.ts';
import { defaultPkiDir, ensureDemoPki, openFileSigner, PKI_FILES, readCertificates, resolvePassphrase } from '../pki/index.ts';
import { createLineLinks } from '../plc/link-factory.ts';
import type { StationLink } from '../plc/station-link.ts';
import { ProofSheet } from '../render/proof.ts';
import { CardRenderer } from '../render/renderer.ts';
import { LEASE_TTL_MS, LineBusyError, LineLease, describeHolder } from '../store/line-lease.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { LineStore } from '../store/line-store.ts';
import { CrashPoint, LineController, type Progress, type RunOutcome } from './controller.ts';
import { batchTakes, isBatchStatus } from './batch-status.ts';
import type { InProcessSimulator, StartSimulator } from './ports.ts';
import { LdsQaJudge, RecordPreparer } from './prepare.ts';

/** What a run needs of the application: its data directory, database, batches and the acting user. */
export interface LineContext {
  readonly dataDir: string;
  readonly reportDir: string;
  readonly db: Knex;
  readonly batches: BatchStore;
  readonly actor: string;
}

export class RunError extends Error {
  override name = 'RunError';
}

export interface LineRunOptions {
  readonly lineFile: string;
  /** The line, already loaded (tests with free ports); `lineFile` then only names it in messages. */
  readonly line?: LineConfig;
  /** A simulated line recovers a held or aborted station by itself after this long; default 2 s. */
  readonly recoverAfterMs?: number;
  readonly batchId: string;
  /** A simulated line's simulator: started here (default) or already running (`cardline plc-sim`). */
  readonly sim?: 'in-process' | 'external';
  /** Starts the in-process simulator of a simulated line (the composition root gives it; needed for `sim: 'in-process'`). */
  readonly startSimulator?: StartSimulator;
  readonly resume?: boolean;
  /** Crash-test kill point (CARDLINE_CRASH_AT). */
  readonly crashAt?: string;
  readonly wip?: number;
  readonly maxAttempts?: number;
  /** Demo: make sure the simulated magazine holds at least this many blanks (loaded and recorded) and the stacker has room. */
  readonly ensureBlanks?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Operational messages (no personal data). */
  readonly log?: (message: string) => void;
  readonly warn?: (message: string) => void;
  /** Called once the run is going, with a way to stop it (operator abort). */
  readonly onStarted?: (control: { abort(records: 'requeue' | 'cancel'): void; pause(): boolean; resume(): boolean }) => void;
}

export interface LineRunResult extends RunOutcome {
  readonly line: LineConfig;
  readonly elapsedMs: number;
  readonly pkiDir: string;
}


/** The signer with the crash test's "during-signing" kill point in front of every signature. */
function crashingSigner(signer: Signer, crash: CrashPoint): Signer {
  return {
    certificate: signer.certificate,
    algorithm: signer.algorithm,
    sign: (data) => {
      crash.hit('during-signing');
      return signer.sign(data);
    },
  };
}

async function openPki(ctx: LineContext, line: LineConfig, warn: (m: string) => void): Promise<{ dir: string; signer: Signer; csca: Buffer }> {
  if (line.simulation) {
    // A simulated line: a TEST PKI is created on first use, with a warning (no manual step).
    const pki = await ensureDemoPki(ctx.dataDir, { warn });
    return { dir: pki.dir, signer: pki.signer, csca: pki.csca };
  }
  const dir = defaultPkiDir(ctx.dataDir);
  const passphrase = await resolvePassphrase(ctx.dataDir);
  const signer = await openFileSigner(dir, passphrase?.passphrase, passphrase?.source);
  const [csca] = await readCertificates(path.join(dir, PKI_FILES.cscaCertificate));
  if (!csca) throw new RunError(`${dir}: no CSCA certificate`);
  return { dir, signer, csca };
}

/** Runs (or resumes) a batch on a line to its end. */
export async function runBatchOnLine(ctx: LineContext, options: LineRunOptions): Promise<LineRunResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const warn = options.warn ?? log;
  const line = options.line ?? (await loadLineConfig(options.lineFile));
  const batch = await ctx.batches.getBatch(options.batchId);
  if (!batch) throw new RunError(`batch ${options.batchId} does not exist (cardline batch list shows the batches)`);
  const status = batch.status;
  // The batch machine says which batches a run may start (src/line/batch-status.ts).
  if (!isBatchStatus(status) || !batchTakes(status, 'batch.start')) throw new RunError(`batch ${batch.id} is ${batch.status}: only an imported, ready, paused or interrupted batch can run`);
  if ((status === 'running' || status === 'paused') && !options.resume) {
    throw new RunError(`batch ${batch.id} is ${status}: a previous run did not finish; continue it with --resume`);
  }
  const store = new LineStore(ctx.db, line.id);
  // One controller per line; a controller killed by a crash holds it no longer.
  let controller: LineController | undefined;
  let lost: RunError | undefined;
  const lease = await LineLease.acquire(ctx.db, line.id, {
    batchId: batch.id,
    onLost: (holder) => {
      // The line is another controller's now: stop touching it (an abort would send the cards that
      // controller is working on to the reject bin); the batch stays running for --resume.
      lost = new RunError(
        `line ${line.id} was taken over by ${holder ? describeHolder(holder) : 'another controller'}: this run stopped driving it, leaving batch ${batch.id} running (\`cardline run ${batch.id} --resume\` continues it once the line is free)`,
      );
      controller?.relinquish(lost);
    },
    onError: (error) => warn(`the lease on line ${line.id} was not renewed: ${error.message}`),
  }).catch((error: unknown) => {
    throw error instanceof LineBusyError ? new RunError(error.message) : error;
  });
  let simulator: InProcessSimulator | undefined;
  let links: Map<string, StationLink> | undefined;
  try {
    const crash = new CrashPoint(options.crashAt);
    const pki = await openPki(ctx, line, warn);
    const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(crashingSigner(pki.signer, crash)), new CardRenderer());
    const judge = new LdsQaJudge({ csca: [pki.csca] });
    if (line.simulation && (options.sim ?? 'in-process') === 'in-process') {
      if (!options.startSimulator) throw new RunError(`line ${line.id} is simulated in process, but this run was given no simulator (run it through src/app/run-line.ts, or with --sim external)`);
      simulator = await options.startSimulator({ line, dataDir: ctx.dataDir, log: (m) => log(`simulator: ${m}`) });
    }
    if (line.simulation) await accountSimulatedStock(store, line, simulator, options.ensureBlanks, ctx.actor, log);
    links = createLineLinks(line, { dataDir: ctx.dataDir });
    controller = new LineController(line, links, store, preparer, judge, {
      actor: ctx.actor,
      autoRecover: line.simulation !== undefined,
      ...(options.recoverAfterMs !== undefined ? { recoverAfterMs: options.recoverAfterMs } : {}),
      ...(options.wip !== undefined ? { wip: options.wip } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.crashAt ? { crashAt: options.crashAt } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      log,
      trace: process.env.CARDLINE_TRACE === '1',
      ...(simulator ? { inventory: () => Promise.resolve(simulator!.inventory()) } : {}),
      connect: (unitId, link) =>
        link.connect().catch((error: unknown) => {
          const hint = line.simulation && options.sim === 'external' ? ` (is \`cardline plc-sim --line ${options.lineFile}\` running?)` : '';
          throw new RunError(`station ${unitId} did not connect: ${(error as Error).message}${hint}`);
        }),
    });
    if (lost) throw lost;
    const running = controller;
    options.onStarted?.({ abort: (r) => running.abort(r), pause: () => running.pause(), resume: () => running.resume() });
    const outcome = await running.run(batch.id, { resume: options.resume ?? false, status });
    return { ...outcome, line, elapsedMs: Date.now() - started, pkiDir: pki.dir };
  } finally {
    if (links) await Promise.allSettled([...links.values()].map((l) => l.close()));
    await simulator?.stop();
    await lease.release().catch((error: unknown) => warn(`the lease on line ${line.id} was not released (it lapses in ${LEASE_TTL_MS / 1000} s): ${(error as Error).message}`));
  }
}

/**
 * A simulated line's blank stock: its initial magazine is recorded as a load the first time the
 * line is used, so demos need no manual step; with `ensureBlanks` (the demo), blanks are topped up
 * and a full stacker unloaded, as the operator would before a batch.
 */
async function accountSimulatedStock(store: LineStore, line: LineConfig, simulator: InProcessSimulator | undefined, ensureBlanks: number | undefined, actor: string, log: (m: string) => void): Promise<void> {
  const stock = await store.stock();
  if (stock.loaded === 0 && (line.simulation?.initialBlanks ?? 0) > 0) {
    await store.loadStock(line.simulation!.initialBlanks, 'initial', actor);
  }
  if (!simulator || ensureBlanks === undefined) return;
  const status = simulator.control.status();
  if (status.magazine.blanks < ensureBlanks) {
    const count = ensureBlanks - status.magazine.blanks;
    const lot = `demo-${new Date().toISOString().slice(0, 10)}`;
    simulator.control.loadBlanks(count, lot);
    await store.loadStock(count, lot, actor);
    log(`stock: ${count} blanks of lot ${lot} loaded into the feeder magazine`);
  }
  for (const s of status.stackers) {
    if (s.capacity !== null && s.capacity - s.count < ensureBlanks) {
      const unloaded = simulator.control.emptyStacker(s.station);
      log(`stacker ${s.station}: ${unloaded.reduce((n, u) => n + u.cards.length, 0)} cards of earlier batches unloaded`);
    }
  }
}

export interface BatchReport {
  readonly file: string;
  readonly proof?: string;
}

/**
 * The batch report: a JSON file with the accounting, the spoils by reason and station, the failed
 * records with their reasons (record numbers and reason codes, never personal data); with `proof`,
 * an A4 proof PDF of the produced cards (8 a page, labelled by record number and card serial).
 */
export async function writeBatchReport(ctx: LineContext, result: LineRunResult, options: { proof?: boolean } = {}): Promise<BatchReport> {
  const store = new LineStore(ctx.db, result.line.id);
  const accounting = await store.accounting(result.batchId);
  const spoils = await store.spoilLog(result.batchId);
  const batch = await ctx.batches.getBatch(result.batchId);
  const byReason: Record<string, number> = {};
  const byStation: Record<string, number> = {};
  for (const s of spoils) {
    byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    byStation[s.unit ?? 'unknown'] = (byStation[s.unit ?? 'unknown'] ?? 0) + 1;
  }
  const dir = path.join(ctx.reportDir, result.batchId);
  await mkdir(dir, { recursive: true });
  const report = {
    batchId: result.batchId,
    status: batch?.status ?? result.status,
    line: result.line.id,
    run: { outcome: result.status, elapsedMs: result.elapsedMs, cardsPerHour: result.elapsedMs > 0 ? Math.round((accounting.cards.good / result.elapsedMs) * 3_600_000) : 0 },
    ...accounting,
    spoiledByReason: byReason,
    spoiledByUnit: byStation,
    failedRecords: result.failedRecords,
    stock: await store.stock(),
    pki: result.pkiDir,
    writtenAt: new Date().toISOString(),
  };
  const file = path.join(dir, 'report.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  if (!options.proof) return { file };
  const proof = path.join(dir, 'proof.pdf');
  if (!(await writeProof(ctx, store, result.batchId, proof))) return { file };
  return { file, proof };
}

async function writeProof(ctx: LineContext, store: LineStore, batchId: string, file: string): Promise<boolean> {
  const produced = new Map((await store.records(batchId)).filter((r) => r.status === 'produced').map((r) => [r.seq, r.cardSerial]));
  if (produced.size === 0) return false;
  const renderer = new CardRenderer();
  const sheet = new ProofSheet(`batch ${batchId} — proof of the produced cards`, createWriteStream(file));
  for await (const r of ctx.batches.batchRecords(batchId)) {
    if (!produced.has(r.seq)) continue;
    const issue = parseCivilDate(String(r.personal.issueDate));
    const layout = renderer.layout({ record: r.personal, portrait: r.portrait }, issue ? { today: issue } : {});
    sheet.add({ label: `record ${r.seq} · card ${produced.get(r.seq) ?? ''}`, layout });
  }
  await sheet.end();
  return true;
}

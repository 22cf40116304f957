/**
 * The composition root of a production run: from a line file and a batch to a LineController with
 * everything it needs — the station links (OPC UA / Modbus TCP from the line file), the data
 * preparation (renderer, LDS builder with the Document Signer), the QA judge (the CSCA as trust
 * anchor), the store — and, for a simulated line, the simulator started in this process (through
 * the `startSimulator` the application's composition root gives, src/app/run-line.ts) unless told
 * to connect to one already running (`cardline plc-sim`). It knows neither the CLI nor simulators/.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { loadLineConfig, type LineConfig } from '../config/line-config.ts';
import { parseCivilDate } from '../domain/dates.ts';
import { LdsBuilder } from '../domain/lds/build.ts';
import type { Signer } from '../domain/lds/signer.ts';
import { defaultPkiDir, ensureDemoPki, openFileSigner, PKI_FILES, readCertificates, resolvePassphrase } from '../pki/index.ts';
import { createLineLinks } from '../plc/link-factory.ts';
import { checkJobFolders, JobFolderAccessError, unitJobFolders } from '../plc/modbus/job-folder-access.ts';
import type { StationLink } from '../plc/station-link.ts';
import { ProofSheet } from '../render/proof.ts';
import { CardRenderer } from '../render/renderer.ts';
import { LEASE_TTL_MS, LineBusyError, LineLease, describeHolder } from '../store/line-lease.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { LineStore } from '../store/line-store.ts';
import { CrashPoint, LineController, type Progress, type RunOutcome } from './controller.ts';
import { batchTakes, isBatchStatus } from './batch-status.ts';
import type { InProcessSimulator, StartSimulator } from './ports.ts';
import { cardRecord, LdsQaJudge, RecordPreparer } from './prepare.ts';

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
    // The line file's retention period goes with the batch (the approval that fixes its date has no line file).
    await ctx.batches.setLineRetention(batch.id, line.id, line.retentionDays, ctx.actor);
    const crash = new CrashPoint(options.crashAt);
    const pki = await openPki(ctx, line, warn);
    const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(crashingSigner(pki.signer, crash)), new CardRenderer(), { template: line.template, cardStock: line.cardStock });
    const judge = new LdsQaJudge({ csca: [pki.csca] });
    if (line.simulation && (options.sim ?? 'in-process') === 'in-process') {
      if (!options.startSimulator) throw new RunError(`line ${line.id} is simulated in process, but this run was given no simulator (run it through src/app/run-line.ts, or with --sim external)`);
      simulator = await options.startSimulator({ line, dataDir: ctx.dataDir, log: (m) => log(`simulator: ${m}`) });
    }
    if (line.simulation) await accountSimulatedStock(store, line, simulator, options.ensureBlanks, ctx.actor, log, warn);
    try {
      checkJobFolders(line, ctx.dataDir);
    } catch (error) {
      throw error instanceof JobFolderAccessError ? new RunError(error.message) : error;
    }
    // So that purge finds job files a crash leaves in them (src/retention/job-files.ts).
    await store.rememberJobFolders(unitJobFolders(line, ctx.dataDir));
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
async function accountSimulatedStock(
  store: LineStore,
  line: LineConfig,
  simulator: InProcessSimulator | undefined,
  ensureBlanks: number | undefined,
  actor: string,
  log: (m: string) => void,
  warn: (m: string) => void,
): Promise<void> {
  const stock = await store.stock();
  if (stock.loaded === 0 && (line.simulation?.initialBlanks ?? 0) > 0) {
    await store.loadStock(line.simulation!.initialBlanks, 'initial', actor);
  }
  if (!simulator) return;
  const status = simulator.control.status();
  // The store's count against the magazine's: a difference is audited and the operator warned.
  const mismatch = await store.reconcileStock(status.magazine.blanks, actor, 'run start');
  if (mismatch) {
    warn(
      `stock: the store holds ${mismatch.store} blanks available on line ${line.id}, the simulated magazine ${mismatch.line} (${mismatch.difference > 0 ? '+' : ''}${mismatch.difference}); ` +
        'the difference is in the audit log (stock.mismatch): count the magazine and record what is missing with cardline stock load',
    );
  }
  if (ensureBlanks === undefined) return;
  if (status.magazine.blanks < ensureBlanks) {
    const count = ensureBlanks - status.magazine.blanks;
    // Its own lot each time: a lot is loaded once.
    const lot = `demo-${new Date().toISOString()}`;
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

/**
 * The A4 proof sheet of a batch's produced cards (8 a page, labelled by record number and card
 * serial), in the line's template, written 0600: it shows every citizen's card (docs/security.md).
 * The caller audits the export.
 */
export async function writeProofSheet(ctx: LineContext, batchId: string, produced: ReadonlyMap<number, string>, file: string, template: string): Promise<void> {
  const renderer = new CardRenderer();
  const stream = createWriteStream(file, { mode: 0o600 });
  const done = finished(stream);
  const sheet = new ProofSheet(`batch ${batchId} — proof of the produced cards`, stream);
  for await (const r of ctx.batches.batchRecords(batchId)) {
    if (!produced.has(r.seq)) continue;
    const issue = parseCivilDate(String(r.personal.issueDate));
    const layout = renderer.layout({ record: cardRecord(renderer.template(template), r.personal), portrait: r.portrait }, { template, ...(issue ? { today: issue } : {}) });
    sheet.add({ label: `record ${r.seq} · card ${produced.get(r.seq) ?? ''}`, layout });
  }
  await sheet.end();
  await done;
}

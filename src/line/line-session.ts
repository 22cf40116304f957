/**
 * A line session: everything of one line that outlives a batch — its lease, its PKI and the data
 * preparation built on it (renderer, LDS builder with the Document Signer, QA judge), its station
 * links and, for a simulated line, the simulator started in this process. A batch run borrows them
 * for one LineController. `cardline run` opens a session, runs one batch and closes it;
 * `cardline serve` keeps one open for as long as it drives the line (src/site/line-agent.ts).
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { loadLineConfig, type LineConfig } from '../config/line-config.ts';
import { LdsBuilder } from '../domain/lds/build.ts';
import type { Signer } from '../domain/lds/signer.ts';
import { defaultPkiDir, ensureDemoPki, openFileSigner, PKI_FILES, readCertificates, resolvePassphrase } from '../pki/index.ts';
import { createLineLinks } from '../plc/link-factory.ts';
import { checkJobFolders, JobFolderAccessError, unitJobFolders } from '../plc/modbus/job-folder-access.ts';
import type { StationLink } from '../plc/station-link.ts';
import { CardRenderer } from '../render/renderer.ts';
import type { BatchStore } from '../store/batch-store.ts';
import { LEASE_TTL_MS, LineBusyError, LineLease, describeHolder } from '../store/line-lease.ts';
import { LineStore, type CommitListener } from '../store/line-store.ts';
import { batchTakes, isBatchStatus } from './batch-status.ts';
import { CrashPoint, LineController, type Progress, type RunOutcome } from './controller.ts';
import type { InProcessSimulator, StartSimulator } from './ports.ts';
import { LdsQaJudge, RecordPreparer } from './prepare.ts';
import { InspectionNotes } from '../qa/figures-notes.ts';
import type { BatchStatus } from '../../machines/batch.machine.ts';

/** What a line needs of the application: its data directory, database, batches and the acting user. */
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

export interface LineSessionOptions {
  readonly lineFile: string;
  /** The line, already loaded (tests with free ports); `lineFile` then only names it in messages. */
  readonly line?: LineConfig;
  /** A simulated line recovers a held or aborted station by itself after this long; default 2 s. */
  readonly recoverAfterMs?: number;
  /** A simulated line's simulator: started here (default) or already running (`cardline plc-sim`). */
  readonly sim?: 'in-process' | 'external';
  /** Starts the in-process simulator of a simulated line (the composition root gives it; needed for `sim: 'in-process'`). */
  readonly startSimulator?: StartSimulator;
  /** Crash-test kill point (CARDLINE_CRASH_AT). */
  readonly crashAt?: string;
  /** The batch the lease names from the start (`cardline run`); a server's session names each batch as it runs it. */
  readonly batchId?: string;
  /**
   * Connect the station links now and keep them connected between batches (a server shows the
   * stations while idle). Otherwise the first run connects them once its controller listens.
   */
  readonly connectNow?: boolean;
  /** Another controller took the line's lease: this session drives it no more (a run under way stops). */
  readonly onLost?: (error: RunError) => void;
  /** Operational messages (no personal data). */
  readonly log?: (message: string) => void;
  readonly warn?: (message: string) => void;
}

/** What the operator (a terminal, the API) can do to a running batch. */
export interface RunControl {
  abort(records: 'requeue' | 'cancel'): void;
  pause(): boolean;
  resume(): boolean;
}

export interface BatchRunOptions {
  readonly batchId: string;
  /** Who runs it, for the journal and the audit (default: the context's actor). */
  readonly actor?: string;
  readonly resume?: boolean;
  readonly wip?: number;
  readonly maxAttempts?: number;
  /** Demo: make sure the simulated magazine holds at least this many blanks (loaded and recorded) and the stacker has room. */
  readonly ensureBlanks?: number;
  readonly onProgress?: (progress: Progress) => void;
  /** Called once the run is going, with a way to stop it (operator abort). */
  readonly onStarted?: (control: RunControl) => void;
  /** Called with the run's controller as soon as it exists (a server's planned stop drains and pauses it). */
  readonly onController?: (controller: LineController) => void;
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

/**
 * The batch and its status if a run may take it: it exists, the batch machine lets it start, and
 * a batch a previous run left running or paused is only continued with `resume`.
 */
export async function runnableBatch(ctx: LineContext, batchId: string, resume: boolean): Promise<{ id: string; status: BatchStatus }> {
  const batch = await ctx.batches.getBatch(batchId);
  if (!batch) throw new RunError(`batch ${batchId} does not exist (cardline batch list shows the batches)`);
  const status = batch.status;
  if (!isBatchStatus(status) || !batchTakes(status, 'batch.start')) throw new RunError(`batch ${batch.id} is ${batch.status}: only an imported, ready, paused or interrupted batch can run`);
  if ((status === 'running' || status === 'paused') && !resume) {
    throw new RunError(`batch ${batch.id} is ${status}: a previous run did not finish; continue it with --resume`);
  }
  return { id: batch.id, status };
}

export class LineSession {
  private controller: LineController | undefined;
  private running: string | undefined;
  private lost: RunError | undefined;
  private closed = false;
  private readonly connecting = new Map<string, Promise<void>>();
  private readonly committed = new Set<CommitListener>();

  private constructor(
    private readonly ctx: LineContext,
    readonly line: LineConfig,
    readonly store: LineStore,
    private readonly lease: LineLease,
    private readonly options: LineSessionOptions,
    readonly pkiDir: string,
    private readonly crash: CrashPoint,
    private readonly preparer: RecordPreparer,
    private readonly judge: LdsQaJudge,
    readonly links: ReadonlyMap<string, StationLink>,
    readonly simulator: InProcessSimulator | undefined,
  ) {
    // The journal's commits, to every listener (the event stream, the alarms) for as long as the session lives.
    this.stopListening = store.journal.addCommitListener((ops, commit) => {
      for (const listener of this.committed) listener(ops, commit);
    });
  }

  private readonly stopListening: () => void;

  /** Takes the line's lease (LineBusyError → RunError naming the holder) and builds the line's parts. */
  static async open(ctx: LineContext, options: LineSessionOptions): Promise<LineSession> {
    const log = options.log ?? (() => undefined);
    const warn = options.warn ?? log;
    const line = options.line ?? (await loadLineConfig(options.lineFile));
    let session: LineSession | undefined;
    const lease = await LineLease.acquire(ctx.db, line.id, {
      ...(options.batchId ? { batchId: options.batchId } : {}),
      onLost: (holder) => {
        const error = new RunError(`line ${line.id} was taken over by ${holder ? describeHolder(holder) : 'another controller'}`);
        if (session) session.loseLine(error);
        else options.onLost?.(error);
      },
      onError: (error) => warn(`the lease on line ${line.id} was not renewed: ${error.message}`),
    }).catch((error: unknown) => {
      throw error instanceof LineBusyError ? new RunError(error.message) : error;
    });
    let simulator: InProcessSimulator | undefined;
    try {
      const crash = new CrashPoint(options.crashAt);
      const pki = await openPki(ctx, line, warn);
      const preparer = new RecordPreparer(ctx.batches, await LdsBuilder.create(crashingSigner(pki.signer, crash)), new CardRenderer(), { template: line.template, cardStock: line.cardStock });
      // What the QA station measured goes into the verdict's card event (the QA screen shows it).
      const inspections = new InspectionNotes();
      const judge = new LdsQaJudge({ csca: [pki.csca], onFigures: inspections.put });
      if (line.simulation && (options.sim ?? 'in-process') === 'in-process') {
        if (!options.startSimulator) throw new RunError(`line ${line.id} is simulated in process, but this run was given no simulator (run it through src/app/run-line.ts, or with --sim external)`);
        simulator = await options.startSimulator({ line, dataDir: ctx.dataDir, log: (m) => log(`simulator: ${m}`) });
      }
      try {
        checkJobFolders(line, ctx.dataDir);
      } catch (error) {
        throw error instanceof JobFolderAccessError ? new RunError(error.message) : error;
      }
      const store = new LineStore(ctx.db, line.id);
      store.journal.annotate = inspections.annotate;
      // So that purge finds job files a crash leaves in them (src/retention/job-files.ts).
      await store.rememberJobFolders(unitJobFolders(line, ctx.dataDir));
      const links = createLineLinks(line, { dataDir: ctx.dataDir });
      session = new LineSession(ctx, line, store, lease, options, pki.dir, crash, preparer, judge, links, simulator);
      if (options.connectNow) {
        for (const [unitId, link] of links) {
          // In the background: a station that is down is retried by its link until it answers.
          session.connect(unitId, link).catch((error: unknown) => warn(`station ${unitId} did not connect: ${(error as Error).message}`));
        }
      }
      return session;
    } catch (error) {
      await simulator?.stop().catch(() => undefined);
      await lease.release().catch(() => undefined);
      throw error;
    }
  }

  /** Why the session drives its line no more (its lease was taken over), if it does not. */
  get lostTo(): RunError | undefined {
    return this.lost;
  }

  /** The batch being run now, if any. */
  get batchId(): string | undefined {
    return this.running;
  }

  /** The running batch's controller, if a batch runs. */
  get activeController(): LineController | undefined {
    return this.controller;
  }

  /** Registers a listener for every committed journal transaction of the line; returns its removal. */
  onCommitted(listener: CommitListener): () => void {
    this.committed.add(listener);
    return () => this.committed.delete(listener);
  }

  /** Runs (or resumes) a batch to its end on this session's line; one batch at a time. */
  async runBatch(options: BatchRunOptions): Promise<LineRunResult> {
    const started = Date.now();
    const log = this.options.log ?? (() => undefined);
    const warn = this.options.warn ?? log;
    if (this.closed) throw new RunError(`line ${this.line.id}: the line session is closed`);
    if (this.lost) throw this.lost;
    if (this.running) throw new RunError(`line ${this.line.id} is running batch ${this.running}: one batch at a time`);
    const batch = await runnableBatch(this.ctx, options.batchId, options.resume ?? false);
    this.running = batch.id;
    try {
      if (!(await this.lease.setBatch(batch.id))) throw this.lost ?? new RunError(`line ${this.line.id}: the lease is no longer this server's`);
      // The line file's retention period goes with the batch (the approval that fixes its date has no line file).
      await this.ctx.batches.setLineRetention(batch.id, this.line.id, this.line.retentionDays, options.actor ?? this.ctx.actor);
      if (this.line.simulation) await accountSimulatedStock(this.store, this.line, this.simulator, options.ensureBlanks, options.actor ?? this.ctx.actor, log, warn);
      const simulator = this.simulator;
      const controller = new LineController(this.line, this.links, this.store, this.preparer, this.judge, {
        actor: options.actor ?? this.ctx.actor,
        autoRecover: this.line.simulation !== undefined,
        ...(this.options.recoverAfterMs !== undefined ? { recoverAfterMs: this.options.recoverAfterMs } : {}),
        ...(options.wip !== undefined ? { wip: options.wip } : {}),
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(this.options.crashAt ? { crashAt: this.options.crashAt } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        log,
        trace: process.env.CARDLINE_TRACE === '1',
        ...(simulator ? { inventory: () => Promise.resolve(simulator.inventory()) } : {}),
        connect: (unitId, link) => this.connect(unitId, link),
      });
      this.controller = controller;
      options.onController?.(controller);
      // The lease may have been lost while the line was being prepared (read afresh: not narrowed).
      const lost = this.lostTo;
      if (lost) throw lost;
      options.onStarted?.({ abort: (r) => controller.abort(r), pause: () => controller.pause(), resume: () => controller.resume() });
      const outcome = await controller.run(batch.id, { resume: options.resume ?? false, status: batch.status });
      return { ...outcome, line: this.line, elapsedMs: Date.now() - started, pkiDir: this.pkiDir };
    } finally {
      this.controller = undefined;
      this.running = undefined;
      if (!this.lost && !this.closed) await this.lease.setBatch(null).catch(() => undefined);
    }
  }

  /** Closes the links, stops the simulator and releases the lease (a run under way must have ended). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    const warn = this.options.warn ?? this.options.log ?? (() => undefined);
    await Promise.allSettled([...this.links.values()].map((l) => l.close()));
    await this.simulator?.stop();
    await this.lease.release().catch((error: unknown) => warn(`the lease on line ${this.line.id} was not released (it lapses in ${LEASE_TTL_MS / 1000} s): ${(error as Error).message}`));
  }

  /** Connects a link once; a later run (or the eager connection) gets the same promise. */
  private connect(unitId: string, link: StationLink): Promise<void> {
    let connecting = this.connecting.get(unitId);
    if (!connecting) {
      connecting = link.connect().catch((error: unknown) => {
        const hint = this.line.simulation && this.options.sim === 'external' ? ` (is \`cardline plc-sim --line ${this.options.lineFile}\` running?)` : '';
        throw new RunError(`station ${unitId} did not connect: ${(error as Error).message}${hint}`);
      });
      this.connecting.set(unitId, connecting);
    }
    return connecting;
  }

  private loseLine(error: RunError): void {
    if (this.lost) return;
    this.lost = error;
    // The line is another controller's now: stop touching it (an abort would send the cards that
    // controller is working on to the reject bin); the batch stays running for a resume.
    if (this.controller && this.running) {
      this.controller.relinquish(new RunError(`${error.message}: this run stopped driving it, leaving batch ${this.running} running (\`cardline run ${this.running} --resume\` continues it once the line is free)`));
    }
    this.options.onLost?.(error);
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

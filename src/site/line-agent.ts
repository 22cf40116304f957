/**
 * A line agent owns one line of a site for as long as the server runs: its session (the lease, the
 * station links kept connected and watched, the in-process simulator of a simulated line, the data
 * preparation; src/line/line-session.ts) and the batch running on it. A line another server drives
 * (its lease is held elsewhere) is `remote`: the agent tries to take the lease over every few
 * seconds, so a standby takes the line when the active server dies. Observers (the event stream's
 * producer, the alarms) are attached to the line while this agent drives it.
 */
import type { LineSession, LineSessionOptions, LineContext, LineRunResult } from '../line/compose.ts';
import { RunError, runnableBatch } from '../line/compose.ts';
import type { LineController, Progress, RunningReject } from '../line/controller.ts';
import type { SimulatorControl } from '../line/ports.ts';
import { stationUnits } from '../config/line-config.ts';
import { withoutCredentials } from './line-config-view.ts';
import { stateName } from '../plc/packml.ts';
import { runRates } from '../cli/run-progress.ts';
import type { StationEvent, StationLink } from '../plc/station-link.ts';
import { LineLease, describeHolder } from '../store/line-lease.ts';
import { LineStore } from '../store/line-store.ts';
import type { SiteLine } from './site-config.ts';
import type { BatchProgressView, LineObserver, LinePhase, StationStatusView, UnitLinkView, UnitStatus } from './runtime.ts';

/** How a planned stop ended a run: the batch is left paused with no card in the line. */
export class PlannedStop extends Error {
  override name = 'PlannedStop';
}

export type OpenSession = (ctx: LineContext, options: LineSessionOptions) => Promise<LineSession>;

export interface RunEnd {
  readonly batchId: string;
  /** completed/aborted: the run's end; stopped: a planned stop paused it; failed: see error. */
  readonly outcome: 'completed' | 'aborted' | 'stopped' | 'failed';
  readonly result?: LineRunResult;
  readonly error?: Error;
}

export interface LineAgentOptions {
  readonly ctx: LineContext;
  readonly line: SiteLine;
  readonly openSession: OpenSession;
  readonly observers?: readonly LineObserver[];
  /**
   * False when the site file names the servers of the line (active, standby) and this one is not
   * among them: it never takes the line, and answers for it from the database. Default true.
   */
  readonly mayDrive?: boolean;
  readonly recoverAfterMs?: number;
  /** How often a line another server drives is tried again (default 2 s: a takeover within the lease's 15 s and this). */
  readonly retryMs?: number;
  /** How long a planned stop waits for the cards in the line to leave it (default 60 s). */
  readonly drainMs?: number;
  readonly log?: (message: string) => void;
  readonly warn?: (message: string) => void;
  readonly onRunEnded?: (end: RunEnd) => void;
  readonly onProgress?: (lineId: string, progress: Progress) => void;
  /** The phase changed (idle, running, paused, remote…). */
  readonly onPhase?: (phase: LinePhase) => void;
  /**
   * This server took the line over from another that held it (a standby after the active server
   * died) and resumed the batch that server left running; the cards it left in the line are suspect.
   */
  readonly onTakeover?: (batchId: string) => void;
}

interface ActiveRun {
  readonly batchId: string;
  controller: LineController | undefined;
  readonly done: Promise<void>;
  stopping: boolean;
}

interface UnitSeen {
  reconnects: number;
  wasUp: boolean;
  /** The last link down, failed job or protocol fault (the engineer view). */
  lastError: { message: string; at: string } | null;
}

export class LineAgent {
  private session: LineSession | undefined;
  private run: ActiveRun | undefined;
  private current: LinePhase = 'remote';
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private opening: Promise<void> | undefined;
  /** Another server held the line when this one tried to take it: a later success is a takeover. */
  private stoodBy = false;
  private readonly detach: (() => void)[] = [];
  private readonly seen = new Map<string, UnitSeen>();
  private readonly store: LineStore;

  constructor(private readonly options: LineAgentOptions) {
    this.store = new LineStore(options.ctx.db, options.line.id);
  }

  get id(): string {
    return this.options.line.id;
  }

  get phase(): LinePhase {
    return this.current;
  }

  /** The batch this agent runs now, if any. */
  get batchId(): string | undefined {
    return this.run?.batchId;
  }

  /** The running batch's controller, if a batch runs here. */
  get controller(): LineController | undefined {
    return this.run?.controller;
  }

  get simulated(): boolean {
    return this.options.line.config.simulation !== undefined;
  }

  /** Takes the line (or, when another server drives it, keeps trying in the background). */
  async start(): Promise<void> {
    if (this.options.mayDrive === false) {
      this.options.log?.(`line ${this.id}: the site file names ${this.options.line.servers.join(', ')} to drive it, not this server: it answers for the line from the database`);
      this.setPhase('remote');
      return;
    }
    await this.tryOpen();
    if (!this.session && !this.stopped) this.scheduleRetry();
  }

  /**
   * Starts (or resumes) a batch; resolves once its controller runs (the run goes on in the
   * background, its end reported through onRunEnded). Throws RunError when the line or batch refuses.
   */
  async startBatch(batchId: string, options: { resume: boolean; actor: string; ensureBlanks?: number }): Promise<void> {
    const session = this.session;
    if (!session) throw new RunError(`line ${this.id} is driven by another server, or not yet taken: it cannot start a batch here`);
    if (this.run) throw new RunError(`line ${this.id} is running batch ${this.run.batchId}: one batch at a time`);
    // A batch that cannot run is refused here, before it counts as a run.
    await runnableBatch(this.options.ctx, batchId, options.resume);
    if (this.run) throw new RunError(`line ${this.id} is running batch ${(this.run as ActiveRun).batchId}: one batch at a time`);
    let started!: () => void;
    let refused!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      refused = reject;
    });
    const run: ActiveRun = {
      batchId,
      controller: undefined,
      stopping: false,
      done: session
        .runBatch({
          batchId,
          resume: options.resume,
          actor: options.actor,
          ...(options.ensureBlanks !== undefined ? { ensureBlanks: options.ensureBlanks } : {}),
          onController: (c) => {
            run.controller = c;
          },
          onStarted: () => started(),
          ...(this.options.onProgress ? { onProgress: (p: Progress) => this.options.onProgress!(this.id, p) } : {}),
        })
        .then(
          (result) => this.ended({ batchId, outcome: result.status, result }),
          (error: unknown) => {
            const e = error instanceof Error ? error : new Error(String(error));
            refused(e);
            this.ended({ batchId, outcome: run.stopping ? 'stopped' : 'failed', error: e });
          },
        ),
    };
    this.run = run;
    this.setPhase('running');
    await ready;
  }

  pause(): boolean {
    const done = this.run?.controller?.pause() ?? false;
    if (done) this.setPhase('paused');
    return done;
  }

  resume(): boolean {
    const done = this.run?.controller?.resume() ?? false;
    if (done) this.setPhase('running');
    return done;
  }

  abort(records: 'requeue' | 'cancel'): boolean {
    const controller = this.run?.controller;
    if (!controller || this.run?.stopping) return false;
    controller.abort(records);
    return true;
  }

  /** An inspector's reject of a card of the running batch, handed to its controller; undefined when no controller runs here. */
  async rejectCard(cardSerial: string, input: { readonly reason: string; readonly by: string; readonly note?: string }): Promise<RunningReject | undefined> {
    const controller = this.run?.controller;
    if (!controller || this.run?.stopping) return undefined;
    return controller.inspectorReject(cardSerial, input);
  }

  /** The running batch's progress now, null when no batch runs here. */
  progress(): BatchProgressView | null {
    const run = this.run;
    const p = run?.controller?.progress();
    if (!run || !p) return null;
    return progressView(run.batchId, this.current === 'paused' ? 'paused' : this.current === 'stopping' ? 'stopping' : 'running', p);
  }

  /** For a line another server drives: its batch from the database (the holder names it). */
  async remoteBatch(): Promise<{ holder: string | null; batch: BatchProgressView | null }> {
    const holder = await LineLease.holder(this.options.ctx.db, this.id);
    if (!holder) return { holder: null, batch: null };
    if (!holder.batchId) return { holder: describeHolder(holder), batch: null };
    const a = await this.store.accounting(holder.batchId);
    const batch = await this.options.ctx.batches.getBatch(holder.batchId);
    return {
      holder: describeHolder(holder),
      batch: {
        batchId: holder.batchId,
        status: batch?.status ?? 'unknown',
        records: a.records.total,
        good: a.cards.good,
        spoiled: a.cards.spoiled,
        pending: a.records.pending,
        inLine: a.cards.inLine,
        cardsPerHour: null,
        etaSeconds: null,
      },
    };
  }

  /** Every station unit's state as its link reports it (unknown and disconnected when this server does not drive the line). */
  stations(): StationStatusView[] {
    const links = this.session?.links;
    const now = Date.now();
    return this.stationViews((unitId) => {
      const link = links?.get(unitId);
      const status = link?.status;
      const seen = this.seen.get(unitId);
      const card = link?.cardPresent;
      return {
        id: unitId,
        state: status ? stateName(status.state) : 'unknown',
        mode: status ? unitModeName(status.unitMode) : 'unknown',
        connected: link?.connected ?? false,
        card: card ? { serial: card, attempt: 0 } : undefined,
        heartbeatAgeMs: heartbeatAge(link, now),
        processed: status?.processed ?? 0,
        defective: status?.defective ?? 0,
        reconnects: seen?.reconnects ?? 0,
      };
    });
  }

  /**
   * For a line another server drives: each unit's last state and link change as that server's
   * controller journaled them. The heartbeat is that server's to see: its age is unknown (null) here,
   * the journal's last record says nothing of it. `driven`: a server holds the line's lease now;
   * when none does, no unit counts as connected.
   */
  async recordedStations(driven: boolean): Promise<StationStatusView[]> {
    const last = new Map<string, { state?: number; connected?: boolean }>();
    for (const e of await this.store.lastStationEvents()) {
      const unit = last.get(e.unit) ?? {};
      if (typeof e.detail.state === 'number') unit.state = e.detail.state;
      if (e.event !== 'state') unit.connected = e.event === 'link.up';
      last.set(e.unit, unit);
    }
    return this.stationViews((unitId) => {
      const unit = last.get(unitId);
      return {
        id: unitId,
        state: unit?.state !== undefined ? stateName(unit.state) : 'unknown',
        mode: 'unknown',
        connected: driven && unit !== undefined && (unit.connected ?? unit.state !== undefined),
        card: undefined,
        heartbeatAgeMs: null,
        processed: 0,
        defective: 0,
        reconnects: 0,
      };
    });
  }

  private stationViews(unitView: (unitId: string) => UnitStatus): StationStatusView[] {
    const byStation = new Map<string, { kind: string; units: UnitStatus[] }>();
    for (const unit of stationUnits(this.options.line.config)) {
      const entry = byStation.get(unit.station.id) ?? { kind: unit.station.kind, units: [] };
      entry.units.push(unitView(unit.unitId));
      byStation.set(unit.station.id, entry);
    }
    return [...byStation].map(([id, s]) => ({ id, kind: s.kind, units: s.units }));
  }

  /** Each unit's link health (the engineer view): disconnected and unknown when this server does not drive the line. */
  linkHealth(): UnitLinkView[] {
    const links = this.session?.links;
    const now = Date.now();
    return stationUnits(this.options.line.config).map((unit) => {
      const link = links?.get(unit.unitId);
      const seen = this.seen.get(unit.unitId);
      const status = link?.status;
      return {
        unitId: unit.unitId,
        stationId: unit.station.id,
        transport: unit.station.transport,
        connected: link?.connected ?? false,
        reachable: link ? (link.reachable ?? null) : false,
        state: status ? stateName(status.state) : 'unknown',
        heartbeatAgeMs: heartbeatAge(link, now),
        reconnects: seen?.reconnects ?? 0,
        lastError: seen?.lastError ?? null,
        handshakes: link?.handshakeLatency ?? { jobAckMs: [], doneClearMs: [] },
      };
    });
  }

  /** A simulated line's in-process simulator, while this server drives the line. */
  get simulatorControl(): SimulatorControl | undefined {
    return this.session?.simulator?.control;
  }

  /** Blanks available (the store's count) and how full the stacker is (a simulated line's, 0–1). */
  async stock(): Promise<{ blanksAvailable: number; stackerFill: number | null; stackerCapacity: number | null }> {
    const stock = await this.store.stock();
    const stackers = this.session?.simulator?.control.status().stackers.filter((s) => s.capacity !== null) ?? [];
    const fullest = stackers.reduce<(typeof stackers)[number] | undefined>((a, s) => (a === undefined || s.count / s.capacity! > a.count / a.capacity! ? s : a), undefined);
    return { blanksAvailable: stock.available, stackerFill: fullest ? fullest.count / fullest.capacity! : null, stackerCapacity: fullest?.capacity ?? null };
  }

  /**
   * Records a lot of blanks loaded into the feeder; on a line simulated here the blanks go into the
   * simulated magazine as well (the operator's physical load), once: a lot already recorded changes nothing.
   */
  async loadStock(count: number, lot: string, actor: string): Promise<'loaded' | 'already-loaded'> {
    const outcome = await this.store.loadStock(count, lot, actor);
    const simulator = this.session?.simulator;
    if (outcome === 'loaded' && simulator) {
      simulator.control.loadBlanks(count, lot);
      this.options.log?.(`line ${this.id}: ${count} blanks of lot ${lot} put into the simulated feeder's magazine`);
    }
    return outcome;
  }

  /**
   * Planned stop: a running batch is drained (no more blanks fed; the cards in the line go on to the
   * stacker or the reject bin), paused with no card inside and left paused; then the links are
   * closed, the simulator stopped and the lease released. A resumed run finds no card to suspect.
   * Cards still in the line after `drainMs` (a station that does not finish) stay, and are suspect
   * on resume as after a crash.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.opening;
    const run = this.run;
    if (run) {
      run.stopping = true;
      this.setPhase('stopping');
      const controller = run.controller;
      if (controller) {
        controller.stopFeeding();
        const deadline = Date.now() + (this.options.drainMs ?? 60_000);
        while (controller.progress().inLine > 0 && Date.now() < deadline && this.run === run) await sleep(100);
        if (this.run === run) {
          const left = controller.progress().inLine;
          if (left > 0) this.options.warn?.(`line ${this.id}: ${left} card(s) still in the line after ${(this.options.drainMs ?? 60_000) / 1000} s; they will be checked as suspect when batch ${run.batchId} resumes`);
          if (controller.pause() || controller.progress().line === JSON.stringify('paused')) await this.waitForBatchStatus(run.batchId, 'paused', 5_000);
          controller.relinquish(new PlannedStop(`line ${this.id}: the server stopped; batch ${run.batchId} is paused (start it with resume to continue)`));
        }
      }
      await run.done;
    }
    await this.closeSession();
    this.setPhase('stopping');
  }

  private async waitForBatchStatus(batchId: string, status: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    await this.session?.store.journal.settled();
    while (Date.now() < deadline) {
      if ((await this.options.ctx.batches.getBatch(batchId))?.status === status) return;
      await sleep(50);
    }
  }

  private ended(end: RunEnd): void {
    this.run = undefined;
    const lost = this.session?.lostTo;
    if (lost) {
      void this.closeSession().then(() => {
        if (!this.stopped) this.scheduleRetry();
      });
    } else if (!this.stopped) {
      this.setPhase('idle');
    }
    this.options.onRunEnded?.(end);
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      void this.tryOpen().then(() => {
        if (!this.session && !this.stopped) this.scheduleRetry();
      });
    }, this.options.retryMs ?? 2_000);
    this.retry.unref();
  }

  private tryOpen(): Promise<void> {
    this.opening = (async () => {
      if (this.stopped || this.session) return;
      try {
        // Links connect at once (the stations show while idle) unless cards of an interrupted run
        // are in the line: their kept results must reach the run's controller, which connects them.
        const cardsInLine = (await this.store.cardsInLine()).length;
        const session = await this.options.openSession(this.options.ctx, {
          lineFile: this.options.line.file,
          line: this.options.line.config,
          connectNow: cardsInLine === 0,
          ...(this.options.recoverAfterMs !== undefined ? { recoverAfterMs: this.options.recoverAfterMs } : {}),
          ...(this.options.log ? { log: this.options.log } : {}),
          ...(this.options.warn ? { warn: this.options.warn } : {}),
          onLost: (error) => {
            this.options.warn?.(`${error.message}: this server drives line ${this.id} no more`);
            if (!this.run) void this.closeSession().then(() => !this.stopped && this.scheduleRetry());
          },
        });
        if (this.stopped) {
          await session.close();
          return;
        }
        this.session = session;
        this.watchLinks(session);
        for (const observer of this.options.observers ?? []) {
          this.detach.push(observer.attach({ lineId: this.id, links: session.links, onCommitted: (l) => session.onCommitted(l), progress: () => this.progress() }));
        }
        this.setPhase('idle');
        if (this.stoodBy) await this.resumeAfterTakeover();
      } catch (error) {
        if (!(error instanceof RunError)) throw error;
        if (!this.stoodBy) this.options.log?.(`line ${this.id}: ${error.message}; this server stands by`);
        this.stoodBy = true;
        this.setPhase('remote');
      }
    })();
    return this.opening;
  }

  /**
   * A standby that took the line over continues the batch the dead server left running (its cards
   * in the line are checked as suspect, as after a crash); a paused batch waits for its operator, and
   * a batch with no card in the line at the takeover waits for a start with resume.
   */
  private async resumeAfterTakeover(): Promise<void> {
    this.stoodBy = false;
    // The batch the dead server was running is the one whose cards it left in the line.
    const candidates = new Set((await this.store.cardsInLine()).map((c) => c.batchId));
    for (const batchId of candidates) {
      const batch = await this.options.ctx.batches.getBatch(batchId);
      if (batch?.status !== 'running') continue;
      this.options.log?.(`line ${this.id}: taken over; resuming batch ${batchId} that the previous server left running`);
      try {
        await this.startBatch(batchId, { resume: true, actor: this.options.ctx.actor });
        this.options.onTakeover?.(batchId);
      } catch (error) {
        this.options.warn?.(`line ${this.id}: batch ${batchId} was not resumed after the takeover: ${(error as Error).message}`);
      }
      return;
    }
  }

  private watchLinks(session: LineSession): void {
    for (const [unitId, link] of session.links) {
      const seen: UnitSeen = { reconnects: 0, wasUp: false, lastError: null };
      this.seen.set(unitId, seen);
      this.detach.push(
        link.subscribe((event: StationEvent) => {
          if (event.type === 'plc.link.up') {
            if (seen.wasUp) seen.reconnects += 1;
            seen.wasUp = true;
          }
          const error = event.type === 'plc.link.down' ? event.reason : event.type === 'plc.job.failed' ? event.reason : event.type === 'plc.fault' ? event.error.message : undefined;
          if (error !== undefined) seen.lastError = { message: withoutCredentials(error), at: new Date().toISOString() };
        }),
      );
    }
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    for (const off of this.detach.splice(0)) off();
    if (session) await session.close();
    if (!this.stopped) this.setPhase('remote');
  }

  private setPhase(phase: LinePhase): void {
    if (phase === this.current) return;
    this.current = phase;
    this.options.onPhase?.(phase);
  }
}

/** The API's view of a run's progress (rates by src/cli/run-progress.ts's one definition). */
export function progressView(batchId: string, status: string, p: Progress): BatchProgressView {
  const rates = runRates(p);
  const ended = p.produced + p.failed + p.cancelled;
  const pending = Math.max(0, p.total - ended - p.inLine);
  return {
    batchId,
    status,
    records: p.total,
    good: p.good,
    spoiled: p.spoiled,
    pending,
    inLine: p.inLine,
    cardsPerHour: rates.producingMs > 0 ? Math.round(rates.cardsPerHour) : null,
    etaSeconds: Number.isFinite(rates.etaMs) ? Math.round(rates.etaMs / 1000) : null,
  };
}

/** Since the unit's PLC heartbeat last changed (its link's own measure), null without a link or before it connected. */
function heartbeatAge(link: StationLink | undefined, now: number): number | null {
  return link?.lastHeartbeatAt === undefined ? null : Math.max(0, now - link.lastHeartbeatAt);
}

function unitModeName(mode: number): string {
  return mode === 1 ? 'Produce' : mode === 2 ? 'Maintenance' : mode === 3 ? 'Manual' : `Mode(${mode})`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The site `cardline serve` hosts: one LineAgent a line of the site file, each line with its
 * persisted batch queue. Lines start idle; a batch runs when an operator starts it. Every state
 * change is audited with the user's name and published on the site's event bus (`batch`, `queue`);
 * the observers given (the event stream's producer, the alarms) are attached to each line this
 * server drives. stop() is the planned stop: every line drained and paused at a safe point, leases
 * released.
 */
import type { AuthUser } from '../auth/session.ts';
import type { SiteEventBus } from '../events/site-event.ts';
import { RunError, type LineContext } from '../line/compose.ts';
import { batchTakes, isBatchStatus } from '../line/batch-status.ts';
import { appendAudit } from '../store/audit.ts';
import { LineLease, describeHolder } from '../store/line-lease.ts';
import { LineQueueStore, QueueError } from '../store/line-queue-store.ts';
import { LineAgent, type OpenSession, type RunEnd } from './line-agent.ts';
import { mayDrive, type SiteConfig } from './site-config.ts';
import { SiteRequestError, type AlarmBoard, type BatchProgressView, type LineObserver, type LineStatusView, type SiteRuntime, type SiteSettingsView } from './runtime.ts';
import type { LineConfigView, SimulatorFaultRequest, SimulatorFaultResult, SimulatorView, UnitLinkView } from './engineer-views.ts';
import { lineConfigView } from './line-config-view.ts';
import type { SimulatorControl } from '../line/ports.ts';
import { applySimulatorFault, simulatorView } from './simulator-faults.ts';
import type { Progress } from '../line/controller.ts';

export interface SiteOptions {
  readonly config: SiteConfig;
  readonly ctx: LineContext;
  /** Opens a line's session (src/app/run-line.ts's openLineSession: the in-process simulator of a simulated line). */
  readonly openSession: OpenSession;
  readonly events: SiteEventBus;
  readonly alarms: AlarmBoard;
  readonly observers?: readonly LineObserver[];
  /** This server's name in the site (--name, else the host name): it drives only the lines it is named for. */
  readonly serverName?: string;
  readonly recoverAfterMs?: number;
  /** How long a planned stop waits for a line to empty (default 60 s). */
  readonly drainMs?: number;
  /** How often a line another server drives is tried again (default 2 s). */
  readonly retryMs?: number;
  readonly log?: (message: string) => void;
  readonly warn?: (message: string) => void;
  /** A run ended (the CLI's summary, the demo's --exit-when-done). */
  readonly onRunEnded?: (lineId: string, end: RunEnd) => void;
  readonly onProgress?: (lineId: string, progress: Progress) => void;
}

export class Site implements SiteRuntime {
  readonly siteId: string;
  readonly settings: SiteSettingsView;
  readonly events: SiteEventBus;
  readonly alarms: AlarmBoard;
  private readonly agents = new Map<string, LineAgent>();
  private readonly queues: LineQueueStore;

  constructor(private readonly options: SiteOptions) {
    this.siteId = options.config.id;
    const { name, timeZone, shifts, ui, qa } = options.config;
    this.settings = { name, timeZone, shifts, idleLogoutMinutes: ui.idleLogoutMinutes, qaSampleRate: qa.sampleRate };
    this.events = options.events;
    this.alarms = options.alarms;
    this.queues = new LineQueueStore(options.ctx.db);
    for (const line of options.config.lines) {
      this.agents.set(
        line.id,
        new LineAgent({
          ctx: options.ctx,
          line,
          openSession: options.openSession,
          mayDrive: options.serverName === undefined || mayDrive(line, options.serverName),
          ...(options.observers ? { observers: options.observers } : {}),
          ...(options.recoverAfterMs !== undefined ? { recoverAfterMs: options.recoverAfterMs } : {}),
          ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
          ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
          ...(options.log ? { log: options.log } : {}),
          ...(options.warn ? { warn: options.warn } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          onRunEnded: (end) => this.runEnded(line.id, end),
          onTakeover: (batchId) => this.tookOver(line.id, batchId),
        }),
      );
    }
  }

  /** Takes every line (a line another server drives is stood by for). */
  async open(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.start()));
  }

  /** The agent of a line (the CLI watches its run). */
  agent(lineId: string): LineAgent {
    const agent = this.agents.get(lineId);
    if (!agent) throw new SiteRequestError(`line ${lineId} is not a line of site ${this.siteId}`, 404, 'lineId');
    return agent;
  }

  async lines(): Promise<readonly LineStatusView[]> {
    return Promise.all([...this.agents.keys()].map((id) => this.line(id)));
  }

  async line(lineId: string): Promise<LineStatusView> {
    const agent = this.agent(lineId);
    const config = this.options.config.lines.find((l) => l.id === lineId)!;
    // A line this server does not drive is read from the database: the lease names its server and
    // batch, the journal its stations' last states; its events arrive through the relay.
    const remote = agent.phase === 'remote' ? await agent.remoteBatch() : undefined;
    const holder = remote ? remote.holder : describeHere();
    return {
      id: lineId,
      name: config.name,
      simulated: agent.simulated,
      phase: agent.phase,
      drivenBy: holder,
      stations: remote ? await agent.recordedStations(remote.holder !== null) : agent.stations(),
      batch: remote ? remote.batch : agent.progress(),
      queue: await this.queues.queue(lineId),
      stock: await agent.stock(),
    };
  }

  async enqueue(lineId: string, batchId: string, by: AuthUser): Promise<readonly string[]> {
    this.agent(lineId);
    const batch = await this.options.ctx.batches.getBatch(batchId);
    if (!batch) throw new SiteRequestError(`batch ${batchId} does not exist`, 404, 'batchId');
    if (!isBatchStatus(batch.status) || !batchTakes(batch.status, 'batch.start')) {
      throw new SiteRequestError(`batch ${batchId} is ${batch.status}: only an imported, ready, paused or interrupted batch can wait for a line`, 409, 'batchId');
    }
    if ([...this.agents.values()].some((a) => a.batchId === batchId)) throw new SiteRequestError(`batch ${batchId} is running on a line now`, 409, 'batchId');
    const queue = await this.queueChange(() => this.queues.enqueue(lineId, batchId, by.name));
    await this.audit(by, 'line.enqueue', lineId, { batchId });
    this.events.publish({ type: 'queue', lineId, batchIds: queue });
    return queue;
  }

  async dequeue(lineId: string, batchId: string, by: AuthUser): Promise<readonly string[]> {
    this.agent(lineId);
    const queue = await this.queueChange(() => this.queues.dequeue(lineId, batchId));
    await this.audit(by, 'line.dequeue', lineId, { batchId });
    this.events.publish({ type: 'queue', lineId, batchIds: queue });
    return queue;
  }

  async reorder(lineId: string, batchIds: readonly string[], by: AuthUser): Promise<readonly string[]> {
    this.agent(lineId);
    const queue = await this.queueChange(() => this.queues.reorder(lineId, batchIds));
    await this.audit(by, 'line.reorder', lineId, { batchIds: queue });
    this.events.publish({ type: 'queue', lineId, batchIds: queue });
    return queue;
  }

  async start(lineId: string, options: { readonly batchId?: string; readonly resume?: boolean }, by: AuthUser, extra: { readonly ensureBlanks?: number } = {}): Promise<BatchProgressView> {
    const agent = this.agent(lineId);
    if (agent.phase === 'remote') {
      const line = this.options.config.lines.find((l) => l.id === lineId)!;
      if (this.options.serverName !== undefined && !mayDrive(line, this.options.serverName)) {
        throw new SiteRequestError(`line ${lineId} is driven only by ${line.servers.join(', ')} (the site file's active and standby), not by this server (${this.options.serverName}): start it there`, 409, 'lineId');
      }
      throw new SiteRequestError(`line ${lineId} is driven by another server (or being taken over): start it there`, 409, 'lineId');
    }
    if (agent.phase !== 'idle') throw new SiteRequestError(`line ${lineId} is ${agent.phase}${agent.batchId ? ` with batch ${agent.batchId}` : ''}: one batch at a time`, 409, 'lineId');
    const queue = await this.queues.queue(lineId);
    const batchId = options.batchId ?? queue[0];
    if (!batchId) throw new SiteRequestError(`line ${lineId} has no batch waiting: enqueue one, or name it`, 409, 'batchId');
    const batch = await this.options.ctx.batches.getBatch(batchId);
    if (!batch) throw new SiteRequestError(`batch ${batchId} does not exist`, 404, 'batchId');
    const elsewhere = await this.queues.lineOf(batchId);
    if (elsewhere && elsewhere !== lineId) throw new SiteRequestError(`batch ${batchId} waits on line ${elsewhere}, not ${lineId}`, 409, 'batchId');
    const holder = await LineLease.holderOfBatch(this.options.ctx.db, batchId);
    if (holder && holder.lineId !== lineId) throw new SiteRequestError(`batch ${batchId} is being run by ${describeHolder(holder)}`, 409, 'batchId');
    try {
      await agent.startBatch(batchId, { resume: options.resume ?? false, actor: by.name, ...(extra.ensureBlanks !== undefined ? { ensureBlanks: extra.ensureBlanks } : {}) });
    } catch (error) {
      if (error instanceof RunError) throw new SiteRequestError(error.message.replace(/--resume/g, 'resume'), 409, options.resume ? 'resume' : 'batchId');
      throw error;
    }
    if (elsewhere === lineId) {
      const left = await this.queues.dequeue(lineId, batchId).catch(() => undefined);
      if (left) this.events.publish({ type: 'queue', lineId, batchIds: left });
    }
    await this.audit(by, options.resume ? 'line.resume-batch' : 'line.start', lineId, { batchId });
    this.events.publish({ type: 'batch', lineId, batchId, status: 'running', by: by.name });
    return agent.progress() ?? { batchId, status: 'running', records: 0, good: 0, spoiled: 0, pending: 0, inLine: 0, cardsPerHour: null, etaSeconds: null };
  }

  async pause(lineId: string, by: AuthUser): Promise<void> {
    const agent = this.agent(lineId);
    const batchId = agent.batchId;
    if (!batchId || !agent.pause()) throw new SiteRequestError(`line ${lineId} is ${agent.phase}: only a running line can pause`, 409, 'lineId');
    await this.audit(by, 'line.pause', lineId, { batchId });
    this.events.publish({ type: 'batch', lineId, batchId, status: 'paused', by: by.name });
  }

  async resume(lineId: string, by: AuthUser): Promise<void> {
    const agent = this.agent(lineId);
    const batchId = agent.batchId;
    if (!batchId || !agent.resume()) throw new SiteRequestError(`line ${lineId} is ${agent.phase}: only a paused line can resume`, 409, 'lineId');
    await this.audit(by, 'line.resume', lineId, { batchId });
    this.events.publish({ type: 'batch', lineId, batchId, status: 'running', by: by.name });
  }

  async abort(lineId: string, records: 'requeue' | 'cancel', by: AuthUser): Promise<void> {
    const agent = this.agent(lineId);
    const batchId = agent.batchId;
    if (!batchId || !agent.abort(records)) throw new SiteRequestError(`line ${lineId} is ${agent.phase}: only a running or paused line can abort`, 409, 'lineId');
    await this.audit(by, 'line.abort', lineId, { batchId, records });
    this.events.publish({ type: 'batch', lineId, batchId, status: 'aborting', by: by.name });
  }

  async loadStock(lineId: string, count: number, lot: string, by: AuthUser): Promise<'loaded' | 'already-loaded'> {
    const agent = this.agent(lineId);
    if (agent.phase === 'remote' && agent.simulated) {
      const holder = (await agent.remoteBatch()).holder;
      if (holder) throw new SiteRequestError(`line ${lineId} is simulated by ${holder}: load its blanks through that server, whose simulated feeder they go into`, 409, 'lineId');
    }
    // A lot loaded before with another count is a StockError (the API's 409).
    return agent.loadStock(count, lot, by.name);
  }

  async rejectRunningCard(batchId: string, cardSerial: string, input: { readonly reason: string; readonly note?: string }, by: AuthUser): Promise<{ batchId: string; seq: number; record: string } | undefined> {
    const agent = [...this.agents.values()].find((a) => a.batchId === batchId);
    return agent?.rejectCard(cardSerial, { ...input, by: by.name });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
  }

  async lineConfig(lineId: string): Promise<LineConfigView> {
    this.agent(lineId);
    return Promise.resolve(lineConfigView(this.options.config.lines.find((l) => l.id === lineId)!.config));
  }

  async linkHealth(lineId: string): Promise<readonly UnitLinkView[]> {
    return Promise.resolve(this.agent(lineId).linkHealth());
  }

  async simulator(lineId: string): Promise<SimulatorView> {
    return Promise.resolve(simulatorView(this.simulatorOf(lineId)));
  }

  async simulatorFault(lineId: string, request: SimulatorFaultRequest, by: AuthUser): Promise<SimulatorFaultResult> {
    const control = this.simulatorOf(lineId);
    const result = applySimulatorFault(control, this.options.config.lines.find((l) => l.id === lineId)!.config, request);
    await this.audit(by, 'simulator.fault', lineId, { ...result, ...(request.factor !== undefined ? { factor: request.factor } : {}), ...(request.probability !== undefined ? { probability: request.probability } : {}) });
    return result;
  }

  private simulatorOf(lineId: string): SimulatorControl {
    const agent = this.agent(lineId);
    if (!agent.simulated) throw new SiteRequestError(`line ${lineId} is a real line: it has no simulator to inject faults into`, 409, 'lineId');
    const control = agent.simulatorControl;
    if (!control) throw new SiteRequestError(`line ${lineId} is not driven by this server (${agent.phase}): its simulator runs where it is driven`, 409, 'lineId');
    return control;
  }

  private tookOver(lineId: string, batchId: string): void {
    const by = this.options.ctx.actor;
    appendAudit(this.options.ctx.db, { actor: by, action: 'line.takeover', subjectType: 'line', subjectId: lineId, details: { batchId } }).catch((error: unknown) =>
      this.options.warn?.(`line ${lineId}: the takeover was not audited: ${(error as Error).message}`),
    );
    this.events.publish({ type: 'batch', lineId, batchId, status: 'running', by });
  }

  private runEnded(lineId: string, end: RunEnd): void {
    const status = end.outcome === 'stopped' ? 'paused' : end.outcome === 'failed' ? 'interrupted' : end.outcome;
    this.events.publish({ type: 'batch', lineId, batchId: end.batchId, status });
    if (end.outcome === 'failed') this.options.warn?.(`line ${lineId}: the run of batch ${end.batchId} stopped: ${end.error?.message ?? 'unknown error'}`);
    this.options.onRunEnded?.(lineId, end);
  }

  private async queueChange(change: () => Promise<string[]>): Promise<string[]> {
    try {
      return await change();
    } catch (error) {
      if (!(error instanceof QueueError)) throw error;
      throw new SiteRequestError(error.message, error.reason === 'not-queued' ? 404 : error.reason === 'not-a-permutation' ? 422 : 409, error.reason === 'not-a-permutation' ? 'batchIds' : 'batchId');
    }
  }

  private audit(by: AuthUser, action: string, lineId: string, details: Record<string, unknown>): Promise<void> {
    return appendAudit(this.options.ctx.db, { actor: by.name, action, subjectType: 'line', subjectId: lineId, details });
  }
}

function describeHere(): string {
  return `this server (process ${process.pid})`;
}

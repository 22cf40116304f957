/**
 * The StationLink over any TagTransport: the card-driven job handshake, its timeouts, the
 * heartbeats and the reconciliation after a reconnection, written once for OPC UA and Modbus
 * (docs/plc-interface.md, "The handshake"). Every job sent ends in exactly one `plc.job.done` or
 * `plc.job.failed`; a result is reported once even when the PLC shows it again after a reconnection.
 *
 * A station may present its next card while earlier ones are still inside (staged at its infeed,
 * in work, at its outfeed), so several jobs can be in flight: at most one waiting for its JobAck
 * (the present slot), at most one result waiting for its DoneAck (the result slot).
 */
import type { PackMLCommandName, PackMLState } from './packml.ts';
import {
  CommandRejectedError,
  DEFAULT_TIMEOUTS,
  HandshakeTimeoutError,
  LinkDownError,
  StationLinkError,
  type HandshakeLatency,
  type JobFailureCode,
  type LinkTimeouts,
  type StationEvent,
  type StationJob,
  type StationLink,
  type StationStatus,
} from './station-link.ts';
import type { PlcTags } from './tags.ts';
import type { TagTransport } from './transport.ts';
import { systemClock, type Clock, type TimerHandle } from '../time/clock.ts';

type Phase = 'sent' | 'accepted' | 'done' | 'acking';

interface InFlight {
  readonly jobId: number;
  readonly cardSerial: string;
  phase: Phase;
  timer: TimerHandle;
  /** When JobReady went out and when DoneAck did (the link's clock): the handshake latencies. */
  sentAt?: number;
  ackedAt?: number;
  accepted?: { resolve: () => void; reject: (error: Error) => void };
  cleared?: { resolve: () => void; reject: (error: Error) => void };
}

/** How many finished job ids are remembered to recognise a result the PLC shows again. */
const REMEMBERED_JOBS = 64;
/** How many handshake latencies of each kind are kept for the engineer view. */
const REMEMBERED_LATENCIES = 10;

export class HandshakeLink implements StationLink {
  private readonly listeners = new Set<(event: StationEvent) => void>();
  private readonly plc: Partial<PlcTags> = {};
  private readonly timeouts: LinkTimeouts;
  private transportUp = false;
  private heartbeatFresh = true;
  private lastHeartbeatChange = 0;
  private reportedUp = false;
  /** Jobs in the station, oldest first. */
  private jobs: InFlight[] = [];
  /** The last JobAck seen from the PLC: after a reconnection, a different one means it forgot its jobs. */
  private lastJobAck = 0;
  private finished: number[] = [];
  /** Jobs that ended in plc.job.failed: a result the PLC reports for one later is still reported. */
  private failed: number[] = [];
  private presentedSerial: string | undefined;
  private hostHeartbeat = 0;
  /** JobReady as we last wrote it: a 1 left behind (its clearing write was lost) is cleared before the next job. */
  private jobReadyHigh = false;
  /** DoneAck as we last wrote it: it must fall once Done has, or the PLC can raise no further Done. */
  private doneAckHigh = false;
  private timers: TimerHandle[] = [];
  private unsubscribe: (() => void)[] = [];
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private lastStatus: StationStatus | undefined;
  private readonly latency = { jobAckMs: [] as number[], doneClearMs: [] as number[] };

  constructor(
    readonly stationId: string,
    private readonly transport: TagTransport,
    timeouts: Partial<LinkTimeouts> = {},
    /** Heartbeats, handshake timeouts and staleness; a simulated clock runs the link in virtual time. */
    private readonly clock: Clock = systemClock,
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  get status(): StationStatus | undefined {
    return this.lastStatus;
  }

  get cardPresent(): string | undefined {
    const serial = this.plc.CardSerial;
    if (!this.plc.CardPresent || !serial) return undefined;
    return this.jobOfCard(serial) ? undefined : serial;
  }

  get connected(): boolean {
    return this.transportUp && this.heartbeatFresh;
  }

  get reachable(): boolean {
    return this.transportUp;
  }

  get lastHeartbeatAt(): number | undefined {
    return this.lastHeartbeatChange === 0 ? undefined : this.lastHeartbeatChange;
  }

  get handshakeLatency(): HandshakeLatency {
    return { jobAckMs: [...this.latency.jobAckMs], doneClearMs: [...this.latency.doneClearMs] };
  }

  subscribe(listener: (event: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async connect(): Promise<void> {
    if (this.closed) throw new StationLinkError('closed', this.stationId, 'the link is closed');
    this.unsubscribe.push(
      this.transport.onConnection((up, reason) => this.onConnection(up, reason)),
      // Tag batches are handled one after the other: a result read must not overtake the Done=0 behind it.
      this.transport.onTags((changes, full, at) => {
        const when = timeOfChange(at, this.clock.now());
        this.queue = this.queue.then(() => this.onTags(changes, full, when)).catch((error: unknown) => this.fault(error));
      }),
    );
    await this.transport.connect();
    this.timers.push(
      this.clock.setInterval(() => this.beatHost(), this.timeouts.hostHeartbeatPeriodMs),
      this.clock.setInterval(() => this.watchHeartbeat(), Math.max(50, this.timeouts.heartbeatMs / 4)),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) this.clock.clearInterval(t);
    this.timers = [];
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const job of [...this.jobs]) this.endJob(job, new StationLinkError('closed', this.stationId, 'the link was closed'));
    await this.transport.close();
  }

  async sendJob(job: StationJob): Promise<void> {
    if (this.closed) throw new StationLinkError('closed', this.stationId, 'the link is closed');
    if (!this.connected) throw new LinkDownError(this.stationId, 'cannot send a job');
    if (job.jobId <= 0 || !Number.isInteger(job.jobId) || job.jobId > 0xffffffff) {
      throw new StationLinkError('protocol', this.stationId, `job id ${job.jobId} is not a 32-bit number above 0`);
    }
    const waiting = this.jobs.find((j) => j.phase === 'sent');
    if (waiting) {
      throw new StationLinkError('busy', this.stationId, `job ${waiting.jobId} for card ${waiting.cardSerial} is still waiting for the station to take it`);
    }
    if (!this.plc.CardPresent || this.plc.CardSerial !== job.cardSerial) {
      throw new StationLinkError('protocol', this.stationId, `card ${job.cardSerial} is not the card present at the station (${this.plc.CardPresent ? this.plc.CardSerial : 'none'})`);
    }
    const other = this.jobOfCard(job.cardSerial);
    if (other) throw new StationLinkError('protocol', this.stationId, `card ${job.cardSerial} already has job ${other.jobId} in the station`);
    const inFlight: InFlight = { jobId: job.jobId, cardSerial: job.cardSerial, phase: 'sent', timer: undefined, sentAt: this.clock.now() };
    this.jobs.push(inFlight);
    const accepted = new Promise<void>((resolve, reject) => {
      inFlight.accepted = { resolve, reject };
    });
    // Handled from the start: a timeout may reject it while the job is still being written.
    accepted.catch(() => undefined);
    inFlight.timer = this.clock.setTimeout(() => {
      if (inFlight.phase === 'sent') this.failJob(inFlight, 'timeout', new HandshakeTimeoutError(this.stationId, 'job-ack', this.timeouts.jobAckMs));
    }, this.timeouts.jobAckMs);
    // The writes are not awaited here: whatever the transport does, the caller learns the job's fate
    // within jobAckMs (taken, or failed by the timer above).
    void (async () => {
      // A station takes a job on JobReady's rising edge (the Modbus job folder is read then).
      if (this.jobReadyHigh) await this.writeJobReady(false);
      await this.transport.writeJob(job.jobId, job.data);
      await this.writeJobReady(true);
    })().catch((error: unknown) => {
      if (this.jobs.includes(inFlight)) this.failJob(inFlight, 'lost', this.asLinkError(error, 'writing the job'));
    });
    return accepted;
  }

  async acknowledgeDone(jobId: number): Promise<void> {
    const job = this.jobs.find((j) => j.jobId === jobId && j.phase === 'done');
    if (!job) {
      if (this.finished.includes(jobId)) return; // already acknowledged: repeating is harmless
      throw new StationLinkError('protocol', this.stationId, `job ${jobId} has no result waiting for acknowledgement`);
    }
    job.phase = 'acking';
    job.ackedAt = this.clock.now();
    const cleared = new Promise<void>((resolve, reject) => {
      job.cleared = { resolve, reject };
    });
    cleared.catch(() => undefined);
    this.armTimer(job, this.timeouts.doneClearMs, () => {
      this.endJob(job, new HandshakeTimeoutError(this.stationId, 'done-clear', this.timeouts.doneClearMs));
    });
    await this.writeDoneAck(true);
    // The PLC may have cleared Done between our write and this line; onTags settles it either way.
    if (this.plc.Done === false) await this.onDoneCleared();
    return cleared;
  }

  async command(command: PackMLCommandName): Promise<void> {
    if (!this.connected) throw new LinkDownError(this.stationId, `cannot send command ${command}`);
    let timer: TimerHandle;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new HandshakeTimeoutError(this.stationId, 'command', this.timeouts.commandMs)), this.timeouts.commandMs);
    });
    try {
      const outcome = await Promise.race([this.transport.command(command), timeout]);
      if (!outcome.accepted) throw new CommandRejectedError(this.stationId, command, this.lastStatus?.state, outcome.detail);
    } catch (error) {
      if (error instanceof StationLinkError) throw error;
      throw this.asLinkError(error, `command ${command}`);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------

  private emit(event: StationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the link must keep delivering to the others.
      }
    }
  }

  private fault(error: unknown): void {
    const linkError = error instanceof StationLinkError ? error : this.asLinkError(error, 'handling PLC tags');
    this.emit({ type: 'plc.fault', stationId: this.stationId, error: linkError });
  }

  private asLinkError(error: unknown, doing: string): StationLinkError {
    if (error instanceof StationLinkError) return error;
    if (!this.transportUp) return new LinkDownError(this.stationId, `while ${doing}`, { cause: error });
    return new StationLinkError('protocol', this.stationId, `${doing} failed: ${(error as Error).message}`, { cause: error });
  }

  private onConnection(up: boolean, reason: string): void {
    this.transportUp = up;
    if (up) {
      // The heartbeat gets a fresh period after every (re)connection.
      this.heartbeatFresh = true;
      this.lastHeartbeatChange = this.clock.now();
    }
    this.reportLink(reason);
  }

  private reportLink(reason: string): void {
    const up = this.connected;
    if (up === this.reportedUp) return;
    this.reportedUp = up;
    this.emit(up ? { type: 'plc.link.up', stationId: this.stationId } : { type: 'plc.link.down', stationId: this.stationId, reason });
  }

  private beatHost(): void {
    if (!this.transportUp) return;
    this.hostHeartbeat = (this.hostHeartbeat + 1) >>> 0;
    // A lost heartbeat write is harmless: the next one follows, and link loss is reported by the transport.
    this.transport.write({ HostHeartbeat: this.hostHeartbeat }).catch(() => undefined);
  }

  private watchHeartbeat(): void {
    if (!this.transportUp || !this.heartbeatFresh) return;
    if (this.clock.now() - this.lastHeartbeatChange > this.timeouts.heartbeatMs) {
      this.heartbeatFresh = false;
      this.reportLink(`the PLC heartbeat has not changed for ${this.timeouts.heartbeatMs} ms`);
    }
  }

  private async onTags(changes: Partial<PlcTags>, full: boolean, at: number): Promise<void> {
    Object.assign(this.plc, changes);
    if (changes.Heartbeat !== undefined) {
      this.lastHeartbeatChange = this.clock.now();
      if (!this.heartbeatFresh) {
        this.heartbeatFresh = true;
        this.reportLink('heartbeat resumed');
      }
    }
    this.updateStatus(changes, full, at);
    if (full) await this.reconcile();
    else await this.advance(changes);
  }

  private updateStatus(changes: Partial<PlcTags>, full: boolean, at: number): void {
    const p = this.plc;
    if (p.StateCurrent === undefined) return;
    const status: StationStatus = {
      state: p.StateCurrent as PackMLState,
      unitMode: p.UnitModeCurrent ?? 1,
      processed: p.ProdProcessedCount ?? 0,
      defective: p.ProdDefectiveCount ?? 0,
      stopReason: p.StopReason ?? 0,
    };
    const previous = this.lastStatus;
    this.lastStatus = status;
    const stateChanged = full || changes.StateCurrent !== undefined || changes.StopReason !== undefined || changes.UnitModeCurrent !== undefined;
    if (stateChanged && (!previous || previous.state !== status.state || previous.stopReason !== status.stopReason || previous.unitMode !== status.unitMode)) {
      this.emit({ type: 'plc.state', stationId: this.stationId, status, previous: previous?.state, at });
    }
  }

  /** The handshake's next step from what changed. */
  private async advance(changes: Partial<PlcTags>): Promise<void> {
    const p = this.plc;
    const sent = this.jobs.find((j) => j.phase === 'sent');
    if (sent && p.JobAck === sent.jobId) this.accept(sent);
    if (changes.Done !== undefined || changes.ResultJobId !== undefined) {
      if (p.Done) await this.onDone();
      else if (this.jobs.some((j) => j.phase === 'acking')) await this.onDoneCleared();
      else if (this.doneAckHigh) await this.writeDoneAck(false);
    }
    // Last: the next card often arrives in the same batch as the previous job's Done = 0, and the
    // controller answers a presented card at once, so the unit must be free by then.
    if (changes.CardPresent !== undefined || changes.CardSerial !== undefined) this.checkCardPresent();
  }

  private checkCardPresent(): void {
    const p = this.plc;
    if (!p.CardPresent) {
      this.presentedSerial = undefined;
      return;
    }
    const serial = p.CardSerial ?? '';
    if (serial === '' || serial === this.presentedSerial) return;
    this.presentedSerial = serial;
    // A card whose job is already in the station is not presented again.
    if (this.jobOfCard(serial)) return;
    this.emit({ type: 'plc.card.present', stationId: this.stationId, cardSerial: serial });
  }

  private accept(job: InFlight): void {
    job.phase = 'accepted';
    this.lastJobAck = job.jobId;
    if (job.sentAt !== undefined) remember(this.latency.jobAckMs, this.clock.now() - job.sentAt);
    this.armTimer(job, this.timeouts.doneMs, () => {
      if (this.jobs.includes(job) && job.phase === 'accepted') this.failJob(job, 'timeout', new HandshakeTimeoutError(this.stationId, 'done', this.timeouts.doneMs));
    });
    this.writeJobReady(false).catch((error: unknown) => this.fault(error));
    job.accepted?.resolve();
    this.emit({ type: 'plc.job.accepted', stationId: this.stationId, jobId: job.jobId, cardSerial: job.cardSerial });
  }

  private async onDone(): Promise<void> {
    const p = this.plc;
    const resultJobId = p.ResultJobId ?? 0;
    const job = resultJobId === 0 ? undefined : this.jobs.find((j) => j.jobId === resultJobId);
    if (job && (job.phase === 'accepted' || job.phase === 'sent')) {
      if (job.phase === 'sent') this.accept(job);
      const data = await this.transport.readResultData(job.jobId, { size: p.ResultDataSize ?? 0, crc32: p.ResultDataCrc32 ?? 0 });
      if (!this.jobs.includes(job)) return;
      job.phase = 'done';
      this.clearTimer(job);
      this.emit({ type: 'plc.job.done', stationId: this.stationId, jobId: job.jobId, cardSerial: job.cardSerial, result: p.Result ?? 0, data });
      return;
    }
    if (job) return; // already reported, waiting for the host's acknowledgement
    const failedAt = this.failed.indexOf(resultJobId);
    if (failedAt >= 0) {
      // A job we gave up on (no JobAck in time, or not held after a reconnection) that the PLC took
      // after all: its card's fate must still reach the controller, so it is reported once, like a
      // result of a job this link did not send (below), never acknowledged unseen.
      this.failed.splice(failedAt, 1);
    } else if (this.finished.includes(resultJobId)) {
      // A result already reported and acknowledged (the PLC shows it again after a reconnection):
      // acknowledge it again, so the card can leave the station.
      await this.writeDoneAck(true);
      return;
    }
    if (this.jobs.some((j) => j.phase === 'done' || j.phase === 'acking')) {
      this.fault(new StationLinkError('protocol', this.stationId, `the PLC reports a result for job ${resultJobId} while the result of another job waits for its acknowledgement`));
      return;
    }
    // A result this link did not send the job for: a card the station rejected without a job
    // (NoJobInTime, job id 0), a card purged after an abort, or a job an earlier controller process
    // sent before it stopped. It is reported like any result, with the card the PLC names, so the
    // controller can account for the card; then the same acknowledgement lets the card leave.
    const serial = p.ResultCardSerial ?? '';
    const inFlight: InFlight = { jobId: resultJobId, cardSerial: serial, phase: 'done', timer: undefined };
    this.jobs.push(inFlight);
    const data = await this.transport.readResultData(resultJobId, { size: p.ResultDataSize ?? 0, crc32: p.ResultDataCrc32 ?? 0 });
    this.emit({ type: 'plc.job.done', stationId: this.stationId, jobId: resultJobId, cardSerial: serial, result: p.Result ?? 0, data });
  }

  private async onDoneCleared(): Promise<void> {
    const job = this.jobs.find((j) => j.phase === 'acking');
    if (!job) return;
    await this.writeDoneAck(false);
    this.endJob(job);
  }

  /**
   * After a (re)connection: settle the jobs in flight from what the PLC now shows. A result is
   * taken (or acknowledged again); jobs the PLC still holds go on; if its JobAck is not the last
   * one we saw, it restarted and forgot them — they fail as `lost`, so the controller checks the
   * cards. A job it never took fails as `lost` too.
   */
  private async reconcile(): Promise<void> {
    const p = this.plc;
    this.presentedSerial = undefined;
    if (p.Done) {
      const acking = this.jobs.find((j) => j.phase === 'acking');
      if (acking && p.ResultJobId === acking.jobId) await this.writeDoneAck(true);
      else await this.onDone();
    } else if (this.jobs.some((j) => j.phase === 'acking')) {
      await this.onDoneCleared();
    }
    const sent = this.jobs.find((j) => j.phase === 'sent');
    if (sent && p.JobAck === sent.jobId) this.accept(sent);
    else if (sent) this.failJob(sent, 'lost', new LinkDownError(this.stationId, 'the PLC did not take the job before the reconnection'));
    if (p.JobAck !== this.lastJobAck) {
      for (const job of this.jobs.filter((j) => j.phase === 'accepted')) {
        this.failJob(job, 'lost', new LinkDownError(this.stationId, 'the PLC no longer holds the job after the reconnection'));
      }
    }
    if (this.jobs.length === 0 && !p.Done) {
      // No job and no result: the host's flags must be low, whatever an earlier controller process
      // left behind, or the station could neither take the next job nor raise the next Done.
      await this.transport.write({ JobReady: false, DoneAck: false });
      this.jobReadyHigh = false;
      this.doneAckHigh = false;
    }
    this.checkCardPresent();
  }

  private async writeDoneAck(value: boolean): Promise<void> {
    if (value) this.doneAckHigh = true;
    await this.transport.write({ DoneAck: value });
    if (!value) this.doneAckHigh = false;
  }

  private async writeJobReady(value: boolean): Promise<void> {
    if (value) this.jobReadyHigh = true;
    await this.transport.write({ JobReady: value });
    if (!value) this.jobReadyHigh = false;
  }

  private jobOfCard(serial: string): InFlight | undefined {
    return this.jobs.find((j) => j.cardSerial === serial);
  }

  private failJob(job: InFlight, code: JobFailureCode, error: StationLinkError): void {
    if (!this.jobs.includes(job)) return;
    this.failed.push(job.jobId);
    if (this.failed.length > REMEMBERED_JOBS) this.failed.shift();
    this.emit({ type: 'plc.job.failed', stationId: this.stationId, jobId: job.jobId, cardSerial: job.cardSerial, code, reason: error.message });
    if (job.phase === 'sent') this.writeJobReady(false).catch(() => undefined);
    this.endJob(job, error);
  }

  private endJob(job: InFlight, error?: Error): void {
    const at = this.jobs.indexOf(job);
    if (at < 0) return;
    this.jobs.splice(at, 1);
    this.clearTimer(job);
    if (job.jobId !== 0) {
      this.finished.push(job.jobId);
      if (this.finished.length > REMEMBERED_JOBS) this.finished.shift();
    }
    if (error) {
      job.accepted?.reject(error);
      job.cleared?.reject(error);
    } else {
      if (job.ackedAt !== undefined) remember(this.latency.doneClearMs, this.clock.now() - job.ackedAt);
      job.cleared?.resolve();
    }
    // Settled promises ignore later calls; the ones nobody awaits must not become unhandled rejections.
    job.accepted = undefined;
    job.cleared = undefined;
  }

  private armTimer(job: InFlight, ms: number, onTimeout: () => void): void {
    this.clearTimer(job);
    job.timer = this.clock.setTimeout(onTimeout, ms);
  }

  private clearTimer(job: InFlight): void {
    if (job.timer) this.clock.clearTimeout(job.timer);
    job.timer = undefined;
  }
}

function remember(list: number[], ms: number): void {
  list.push(ms);
  if (list.length > REMEMBERED_LATENCIES) list.shift();
}

/**
 * How far before the link saw a change the PLC's own time of it is believed (ms): the publishing
 * interval and a busy event loop delay a notification by far less; a PLC clock further behind, or
 * any ahead of ours, is a clock to distrust, and the time the link saw the change is used instead.
 */
export const PLC_TIME_TRUSTED_MS = 2000;

/**
 * When a change happened: the PLC's time of it (`source`) where the protocol carries one and it lies
 * within PLC_TIME_TRUSTED_MS before `seen`, otherwise `seen`. Time-in-state figures (the KPIs'
 * time model) then do not grow or shrink with the host's notification latency.
 */
export function timeOfChange(source: number | undefined, seen: number): number {
  if (source === undefined || !Number.isFinite(source)) return seen;
  return source <= seen && seen - source <= PLC_TIME_TRUSTED_MS ? source : seen;
}

/**
 * The PLC program of one station unit (a station, or one encoder head), over its TagStore: PackML
 * states and commands, the heartbeat, and the card handshake of the station link contract
 * (DESIGN.md "The station link"; src/plc/tags.ts). The line model behind the Workcell decides what
 * physically happens; this class decides what the host sees, and when.
 *
 * The handshake, per card:
 *   CardSerial, then CardPresent=1 (one write) → the host writes JobId, JobData, JobDataSize,
 *   JobDataCrc32 and then JobReady=1 → the PLC takes the job when JobReady=1 and JobId is new (not 0,
 *   not the last job it acknowledged, not the JobId that was already there when the card was
 *   presented — that one belonged to a card that left) → JobAck=JobId and CardPresent=0 (one write)
 *   → the cycle → ResultData, ResultDataSize, ResultDataCrc32, CardSerial, ResultJobId, Result, the
 *   counters and Done=1 in one write, Done last → on DoneAck's rising edge, Done=0 → the card moves on.
 * Done rises only while DoneAck is 0: the host clears DoneAck once it has seen Done=0.
 * A report with ResultJobId 0 is about a card, not a job (CardSerial names it): NoJobInTime, or a
 * card purged after an abort whose job had already been reported.
 */
import type { StationKind } from '../../src/config/line-config.ts';
import { decodeJob, encodeResult, type Job } from '../../src/plc/job-data.ts';
import {
  COMMAND_TRANSITIONS,
  PACKML_STATES,
  STATE_COMPLETE,
  STOP_REASONS,
  commandTarget,
  stateName,
  type PackMLCommandName,
  type PackMLState,
  type PackMLStateName,
  type StopReasonName,
} from '../../src/plc/packml.ts';
import { RESULT_CODES, resultCodeName } from '../../src/plc/result-codes.ts';
import { dataCrc32, type TagStore } from '../../src/plc/tag-store.ts';
import type { StationTags } from '../../src/plc/tags.ts';
import type { CommandOutcome } from '../../src/plc/transport.ts';
import type { Card } from '../model/card.ts';
import type { Cancel, SimClock } from '../model/clock.ts';
import { JOB_KIND_OF } from '../model/physics.ts';
import type { WorkSession, Workcell } from './workcell.ts';

export interface UnitPlcTiming {
  /** Real milliseconds between Heartbeat increments. */
  readonly heartbeatMs: number;
  /** Simulated milliseconds an acting state (Starting, Holding, …) takes. */
  readonly actingMs: number;
  /** Simulated milliseconds a card may wait at a non-feeder unit for its job before it is rejected (NoJobInTime). */
  readonly noJobTimeoutMs: number;
  /**
   * Real milliseconds the PLC waits, after JobReady, for JobData to match JobDataSize and
   * JobDataCrc32 (a job file still being copied) before it takes the job as JobDataInvalid.
   */
  readonly jobDataGraceMs: number;
}

export const DEFAULT_UNIT_TIMING: UnitPlcTiming = Object.freeze({
  heartbeatMs: 500,
  actingMs: 200,
  noJobTimeoutMs: 30_000,
  jobDataGraceMs: 250,
});

/** Where the unit's card is in its handshake. */
export type CardPhase =
  /** No card. */
  | 'none'
  /** A card is on its way from the previous station. */
  | 'incoming'
  /** CardPresent=1: waiting for the job. */
  | 'present'
  /** Job taken, the cycle runs. */
  | 'working'
  /** Done with a good result: the card waits to move on. */
  | 'waiting'
  /** The unit was aborted with the card inside: it is purged after Clear. */
  | 'stuck';

interface Report {
  readonly resultJobId: number;
  readonly result: number;
  readonly data: Buffer;
  readonly cardSerial: string;
}

export interface UnitStatus {
  readonly unitId: string;
  readonly kind: StationKind;
  readonly state: PackMLStateName | `Invalid(${number})`;
  readonly stopReason: StopReasonName | `Unknown(${number})`;
  readonly phase: CardPhase;
  readonly card: string | null;
  readonly processed: number;
  readonly defective: number;
  readonly lastJobAck: number;
  readonly doneRaised: boolean;
  readonly pendingReports: number;
  readonly heartbeatFrozen: boolean;
  readonly slowFactor: number;
}

const STOP_REASON_NAMES = Object.fromEntries(Object.entries(STOP_REASONS).map(([k, v]) => [v, k])) as Record<number, StopReasonName>;
const EMPTY = Buffer.alloc(0);

export class UnitPlc {
  private state: PackMLState = PACKML_STATES.Stopped;
  private stopReason: number = STOP_REASONS.None;
  /** Set when the unit suspended itself (starved or blocked), so it returns to Execute by itself. */
  private autoSuspended = false;
  private phase: CardPhase = 'none';
  private card: Card | undefined;
  /** Feeder: the blank presented (still in the magazine until its job is taken). */
  private presentedSerial: string | undefined;
  private staleJobId = 0;
  private lastAckedJobId = 0;
  /** The acknowledged job whose Done is not yet reported. */
  private activeJobId: number | undefined;
  private readonly reports: Report[] = [];
  private doneRaised = false;
  private doneAcked = false;
  private finishedAtSim = 0;
  private cycleTimer: Cancel | undefined;
  private noJobTimer: Cancel | undefined;
  private actingTimer: Cancel | undefined;
  private grace: { jobId: number; cancel: Cancel } | undefined;
  private graceExpiredFor = 0;
  private evaluateQueued = false;
  private heartbeatFrozen = false;
  private stopped = false;
  private readonly unsubscribe: () => void;
  private readonly stopHeartbeat: Cancel;
  /** Cycle times are multiplied by this (fault injection: a slow station). */
  slowFactor = 1;

  constructor(
    readonly store: TagStore,
    private readonly cell: Workcell,
    private readonly clock: SimClock,
    private readonly timing: UnitPlcTiming = DEFAULT_UNIT_TIMING,
  ) {
    // Power-up: Stopped, nothing present, nothing done.
    store.setPlc({
      StateCurrent: this.state,
      UnitModeCurrent: 1,
      StopReason: this.stopReason,
      CardPresent: false,
      Done: false,
      JobAck: 0,
      ResultJobId: 0,
      Result: 0,
    });
    store.setCommandHandler((command) => this.command(command));
    this.unsubscribe = store.onChange((changes, by) => {
      if (by === 'host') this.onHostChange(changes);
    });
    this.stopHeartbeat = clock.everyReal(timing.heartbeatMs, () => {
      if (!this.heartbeatFrozen) store.setPlc({ Heartbeat: (store.get('Heartbeat') + 1) >>> 0 });
    });
  }

  get unitId(): string {
    return this.cell.unitId;
  }

  get kind(): StationKind {
    return this.cell.kind;
  }

  get packmlState(): PackMLState {
    return this.state;
  }

  get cardPhase(): CardPhase {
    return this.phase;
  }

  /** Simulated time the waiting card finished (cards move on oldest first). */
  get finishedAt(): number {
    return this.finishedAtSim;
  }

  // ---- the line's side -------------------------------------------------------------------

  /** Free for a card from the previous station: Execute, empty, no report pending, not blocked. */
  canAccept(): boolean {
    return this.state === PACKML_STATES.Execute && this.phase === 'none' && this.handshakeIdle() && this.cell.blockage() === undefined && !this.stopped;
  }

  /** The finished card, if it may leave now. */
  readyCard(): Card | undefined {
    if (this.phase !== 'waiting' || !this.handshakeIdle() || this.isAbortBranch()) return undefined;
    return this.card;
  }

  /** The ready card leaves the unit. */
  release(): Card {
    const card = this.readyCard();
    if (!card) throw new Error(`unit ${this.unitId} has no card ready to leave`);
    this.card = undefined;
    this.phase = 'none';
    this.cell.changed();
    return card;
  }

  /** A card is on its way here (the line reserved this unit). */
  reserve(): void {
    if (this.phase !== 'none') throw new Error(`unit ${this.unitId} is not free (phase ${this.phase})`);
    this.phase = 'incoming';
  }

  /** The reserved card arrived. */
  arrive(card: Card): void {
    if (this.stopped) return;
    this.card = card;
    if (this.isAbortBranch()) {
      this.phase = 'stuck';
      return;
    }
    this.present(card.serial);
  }

  /** Lets the unit act on the line's state: the feeder presents a blank; starved/blocked suspends and resumes. */
  tick(): void {
    if (this.stopped) return;
    const execute = this.state === PACKML_STATES.Execute;
    if (this.kind === 'feeder' && execute && this.phase === 'none' && this.handshakeIdle()) {
      const serial = this.cell.nextBlank();
      if (serial !== undefined) {
        this.presentedSerial = serial;
        this.present(serial);
        return;
      }
    }
    if (execute && this.phase === 'none' && this.handshakeIdle()) {
      const cause = this.cell.blockage();
      if (cause) {
        this.autoSuspended = true;
        this.transition('Suspending', cause);
      }
    } else if (this.state === PACKML_STATES.Suspended && this.autoSuspended && this.cell.blockage() === undefined) {
      this.transition('Unsuspending');
    }
  }

  // ---- fault injection ---------------------------------------------------------------------

  /** The emergency stop: Aborting → Aborted with StopReason EmergencyStop. */
  eStop(): void {
    if (commandTarget(this.state, 'Abort') !== undefined) this.transition('Aborting', 'EmergencyStop');
    else this.setStopReason(STOP_REASONS.EmergencyStop);
  }

  freezeHeartbeat(frozen: boolean): void {
    this.heartbeatFrozen = frozen;
  }

  status(): UnitStatus {
    const t = this.store.tags;
    return {
      unitId: this.unitId,
      kind: this.kind,
      state: stateName(this.state),
      stopReason: STOP_REASON_NAMES[this.stopReason] ?? `Unknown(${this.stopReason})`,
      phase: this.phase,
      card: this.card?.serial ?? this.presentedSerial ?? null,
      processed: t.ProdProcessedCount,
      defective: t.ProdDefectiveCount,
      lastJobAck: this.lastAckedJobId,
      doneRaised: this.doneRaised,
      pendingReports: this.reports.length,
      heartbeatFrozen: this.heartbeatFrozen,
      slowFactor: this.slowFactor,
    };
  }

  /** Power off: no more timers, writes or reactions. */
  stop(): void {
    this.stopped = true;
    this.stopHeartbeat();
    this.cycleTimer?.();
    this.noJobTimer?.();
    this.actingTimer?.();
    this.grace?.cancel();
    this.unsubscribe();
    this.store.setCommandHandler(() => ({ accepted: false, detail: 'the simulator is stopped' }));
  }

  // ---- PackML ------------------------------------------------------------------------------

  command(command: PackMLCommandName): CommandOutcome {
    if (this.stopped) return { accepted: false, detail: 'the simulator is stopped' };
    const target = commandTarget(this.state, command);
    if (target === undefined) {
      return {
        accepted: false,
        detail: `${command} is not allowed in state ${stateName(this.state)}; PackML allows it in ${COMMAND_TRANSITIONS[command].from.join(', ')}`,
      };
    }
    if (command === 'Suspend' || command === 'Unsuspend') this.autoSuspended = false;
    const byOperator = command === 'Stop' || command === 'Hold' || command === 'Suspend' || command === 'Abort';
    this.transition(stateName(target) as PackMLStateName, byOperator ? 'Operator' : undefined);
    return { accepted: true };
  }

  private transition(to: PackMLStateName, reason?: StopReasonName): void {
    if (this.stopped) return;
    this.actingTimer?.();
    this.actingTimer = undefined;
    this.state = PACKML_STATES[to];
    if (to === 'Execute') {
      this.stopReason = STOP_REASONS.None;
      this.autoSuspended = false;
    } else if (reason !== undefined) {
      this.stopReason = STOP_REASONS[reason];
    }
    this.store.setPlc({ StateCurrent: this.state, StopReason: this.stopReason });
    if (to === 'Aborting') this.abortWork();
    if (to === 'Stopped') this.purgeStuckCard();
    const next = STATE_COMPLETE[to];
    if (next !== undefined) this.actingTimer = this.clock.after(this.timing.actingMs, () => this.transition(next));
    this.queueEvaluate();
    this.cell.changed();
  }

  private setStopReason(reason: number): void {
    this.stopReason = reason;
    this.store.setPlc({ StopReason: reason });
  }

  private isAbortBranch(): boolean {
    return this.state === PACKML_STATES.Aborting || this.state === PACKML_STATES.Aborted;
  }

  // ---- the card handshake ------------------------------------------------------------------

  private handshakeIdle(): boolean {
    return !this.doneRaised && this.reports.length === 0;
  }

  private present(serial: string): void {
    this.phase = 'present';
    // A JobId already there belongs to a card that left (or was never taken): never this card's job.
    this.staleJobId = this.store.get('JobId');
    this.store.setPlc({ CardSerial: serial, CardPresent: true });
    if (this.kind !== 'feeder') this.armNoJobTimer();
    this.queueEvaluate();
  }

  private armNoJobTimer(): void {
    this.noJobTimer?.();
    this.noJobTimer = this.clock.after(this.timing.noJobTimeoutMs, () => {
      this.noJobTimer = undefined;
      this.noJobInTime();
    });
  }

  private noJobInTime(): void {
    if (this.phase !== 'present' || !this.card) return;
    // Time spent held or stopped does not count against the host: the wait starts again.
    if (this.state !== PACKML_STATES.Execute) return this.armNoJobTimer();
    this.grace?.cancel();
    this.grace = undefined;
    const card = this.card;
    this.card = undefined;
    this.phase = 'none';
    this.store.setPlc({ CardPresent: false });
    this.cell.reject(card, resultCodeName(RESULT_CODES.NoJobInTime));
    this.queueReport({ resultJobId: 0, result: RESULT_CODES.NoJobInTime, data: EMPTY, cardSerial: card.serial });
    this.cell.changed();
  }

  private onHostChange(changes: Partial<StationTags>): void {
    if (this.stopped) return;
    if (changes.DoneAck === true && this.doneRaised) this.doneAcked = true;
    this.queueEvaluate();
  }

  /** Host writes are acted on after the write that carried them, never inside it. */
  private queueEvaluate(): void {
    if (this.evaluateQueued) return;
    this.evaluateQueued = true;
    queueMicrotask(() => {
      this.evaluateQueued = false;
      this.evaluate();
    });
  }

  private evaluate(): void {
    if (this.stopped) return;
    if (this.doneRaised && this.doneAcked) this.clearDone();
    this.raiseNextReport();
    if (this.phase === 'present') this.tryTakeJob();
  }

  private tryTakeJob(): void {
    if (this.state !== PACKML_STATES.Execute) return;
    const t = this.store.tags;
    const jobId = t.JobId;
    if (!t.JobReady || jobId === 0 || jobId === this.lastAckedJobId || jobId === this.staleJobId) return;
    const data = t.JobData;
    const intact = data.length === t.JobDataSize && dataCrc32(data) === t.JobDataCrc32;
    if (!intact && this.graceExpiredFor !== jobId) {
      if (this.grace?.jobId !== jobId) {
        this.grace?.cancel();
        const cancel = this.clock.afterReal(this.timing.jobDataGraceMs, () => {
          this.grace = undefined;
          this.graceExpiredFor = jobId;
          this.queueEvaluate();
        });
        this.grace = { jobId, cancel };
      }
      return;
    }
    this.grace?.cancel();
    this.grace = undefined;
    this.noJobTimer?.();
    this.noJobTimer = undefined;

    let problem: number | undefined;
    let job: Job | undefined;
    if (!intact) {
      problem = RESULT_CODES.JobDataInvalid;
    } else {
      const decoded = decodeJob(data);
      if (!decoded.ok) problem = RESULT_CODES.JobDataInvalid;
      else if (decoded.value.kind !== 'skip' && decoded.value.kind !== JOB_KIND_OF[this.kind]) problem = RESULT_CODES.JobRejected;
      else job = decoded.value;
    }

    if (this.kind === 'feeder') {
      this.card = this.cell.feed(this.presentedSerial!);
      this.presentedSerial = undefined;
    }
    this.lastAckedJobId = jobId;
    this.activeJobId = jobId;
    this.phase = 'working';
    this.store.setPlc({ JobAck: jobId, CardPresent: false });

    if (job === undefined) {
      const result = problem ?? RESULT_CODES.JobDataInvalid;
      this.cycleTimer = this.clock.after(0, () => this.finishWork(undefined, result));
    } else {
      const session = this.cell.begin(this.card!, job);
      this.cycleTimer = this.clock.after(session.cycleMs * this.slowFactor, () => this.finishWork(session, RESULT_CODES.Good));
    }
  }

  private finishWork(session: WorkSession | undefined, problem: number): void {
    this.cycleTimer = undefined;
    if (this.stopped || this.phase !== 'working' || !this.card) return;
    const card = this.card;
    const jobId = this.activeJobId ?? 0;
    this.activeJobId = undefined;
    const outcome = session ? session.finish() : { result: problem, data: null, left: false };
    if (outcome.result !== RESULT_CODES.Good) {
      this.cell.reject(card, resultCodeName(outcome.result));
      this.card = undefined;
      this.phase = 'none';
    } else if (outcome.left) {
      this.card = undefined;
      this.phase = 'none';
    } else {
      this.phase = 'waiting';
      this.finishedAtSim = this.clock.now();
    }
    this.queueReport({ resultJobId: jobId, result: outcome.result, data: outcome.data ? encodeResult(outcome.data) : EMPTY, cardSerial: card.serial });
    if (outcome.result === RESULT_CODES.CardJam) {
      if (commandTarget(this.state, 'Hold') !== undefined) this.transition('Holding', 'CardJam');
      else this.setStopReason(STOP_REASONS.CardJam);
    }
    this.cell.changed();
  }

  private queueReport(report: Report): void {
    this.reports.push(report);
    this.raiseNextReport();
  }

  private raiseNextReport(): void {
    if (this.stopped || this.doneRaised || this.store.get('DoneAck')) return;
    const report = this.reports.shift();
    if (!report) return;
    this.doneRaised = true;
    this.doneAcked = false;
    const t = this.store.tags;
    this.store.setPlc({
      ResultData: report.data,
      ResultDataSize: report.data.length,
      ResultDataCrc32: dataCrc32(report.data),
      CardSerial: report.cardSerial,
      ResultJobId: report.resultJobId,
      Result: report.result,
      ProdProcessedCount: (t.ProdProcessedCount + 1) >>> 0,
      ProdDefectiveCount: (t.ProdDefectiveCount + (report.result === RESULT_CODES.Good ? 0 : 1)) >>> 0,
      Done: true,
    });
  }

  private clearDone(): void {
    this.doneRaised = false;
    this.doneAcked = false;
    this.store.setPlc({ Done: false });
    this.cell.changed();
  }

  // ---- abort -------------------------------------------------------------------------------

  private abortWork(): void {
    this.cycleTimer?.();
    this.cycleTimer = undefined;
    this.noJobTimer?.();
    this.noJobTimer = undefined;
    this.grace?.cancel();
    this.grace = undefined;
    switch (this.phase) {
      case 'present':
        this.store.setPlc({ CardPresent: false });
        if (this.kind === 'feeder') {
          // The presented blank never left the magazine.
          this.presentedSerial = undefined;
          this.phase = 'none';
        } else {
          this.phase = 'stuck';
        }
        break;
      case 'working':
      case 'waiting':
        this.phase = 'stuck';
        break;
      default:
        break;
    }
  }

  /** After Clear: the card inside goes to the reject bin, and the host hears of it. */
  private purgeStuckCard(): void {
    if (this.phase !== 'stuck' || !this.card) return;
    const card = this.card;
    this.card = undefined;
    this.phase = 'none';
    this.cell.purge(card, resultCodeName(RESULT_CODES.Aborted));
    const jobId = this.activeJobId ?? 0;
    this.activeJobId = undefined;
    this.queueReport({ resultJobId: jobId, result: RESULT_CODES.Aborted, data: EMPTY, cardSerial: card.serial });
  }
}

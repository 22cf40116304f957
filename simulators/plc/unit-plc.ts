/**
 * The PLC program of one station unit (a station, or one encoder head), over its TagStore: PackML
 * states and commands, the heartbeat, and the card handshake of the station link contract
 * (DESIGN.md "The station link"; src/plc/tags.ts; docs/plc-interface.md). The line model behind the
 * Workcell decides what physically happens; this class decides what the host sees, and when.
 *
 * A unit has three card positions: the infeed (a card presented for its job, or staged with it), the
 * work position and the outfeed (a finished card waiting for its DoneAck and the next station).
 *
 * The handshake, per card:
 *   at the infeed: CardSerial, then CardPresent=1 (one write) → the host writes JobId, JobData,
 *   JobDataSize, JobDataCrc32 and then JobReady=1 → the PLC takes the job when JobReady=1 and JobId
 *   is new (not 0, not the last job it acknowledged, not the JobId that was already there when the
 *   card was presented — that one belonged to a card that left) → JobAck=JobId and CardPresent=0
 *   (one write) → the card is staged → it enters the work position when that is free → the cycle →
 *   ResultData, ResultDataSize, ResultDataCrc32, ResultCardSerial, ResultJobId, Result, the counters
 *   and Done=1 in one write, Done last → the card to the outfeed → on DoneAck's rising edge, Done=0
 *   → the card may leave.
 * Done rises only while DoneAck is 0: the host clears DoneAck once it has seen Done=0.
 * A report with ResultJobId 0 is about a card, not a job (ResultCardSerial names it): NoJobInTime, or
 * a card purged after an abort whose job had already been reported (or never given).
 */
import { stationKind, type StationKind } from '../../src/stations/kinds.ts';
import { decodeJob, encodeResult, type Job } from '../../src/plc/job-data.ts';
import {
  COMMAND_TRANSITIONS,
  JOB_TAKING_STATES,
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
import type { Cancel, Clock } from '../model/clock.ts';
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

/**
 * What the unit's work position is doing (with the infeed and outfeed beside it, a unit holds up to
 * three cards: one presented or staged at the infeed, one in work, one finished at the outfeed).
 */
export type CardPhase =
  /** No card in the unit. */
  | 'none'
  /** Only a card on its way from the previous station. */
  | 'incoming'
  /** Only a card at the infeed with CardPresent=1, waiting for its job. */
  | 'present'
  /** Only a card at the infeed with its job taken, about to enter the work position. */
  | 'staged'
  /** A cycle runs. */
  | 'working'
  /** A finished card waits to move on (its Done, or the next station, is pending). */
  | 'waiting'
  /** The unit was aborted with cards inside: they are purged after Clear. */
  | 'stuck';

/** The infeed position: a card presented for its job, or staged with it while another is in work. */
interface Infeed {
  readonly serial: string;
  /** The card; a feeder's blank stays in the magazine (undefined) until its job is taken. */
  card: Card | undefined;
  state: 'incoming' | 'present' | 'staged';
  /** The job taken for the card (0 until then). */
  jobId: number;
  job: Job | undefined;
  /** A job the unit could not use: the card goes through the work position to the reject gate with this result. */
  problem: number | undefined;
}

/** The work position. */
interface InWork {
  readonly card: Card;
  readonly jobId: number;
  state: 'working' | 'finished';
  /** Simulated time the cycle ended. */
  finishedAt: number;
  /** The card's Done has been acknowledged by the host (and cleared). */
  cleared: boolean;
}

interface Report {
  readonly resultJobId: number;
  readonly result: number;
  readonly data: Buffer;
  readonly cardSerial: string;
  /** Called when the host has acknowledged this report and Done has fallen. */
  readonly onCleared?: () => void;
}

export interface UnitStatus {
  readonly unitId: string;
  readonly kind: StationKind;
  readonly state: PackMLStateName | `Invalid(${number})`;
  readonly stopReason: StopReasonName | `Unknown(${number})`;
  readonly phase: CardPhase;
  /** The card in work, else the one at the outfeed, else the one at the infeed. */
  readonly card: string | null;
  readonly positions: { readonly infeed: string | null; readonly work: string | null; readonly outfeed: string | null };
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
  private infeed: Infeed | undefined;
  private work: InWork | undefined;
  /** The finished card that left the work position and waits for its Done to clear and the next station. */
  private outfeed: InWork | undefined;
  /** Cards inside when the unit was aborted, with the job to name when they are purged (0: none, or reported). */
  private stuck: { card: Card; jobId: number }[] = [];
  private staleJobId = 0;
  private lastAckedJobId = 0;
  private readonly reports: Report[] = [];
  /** The report Done is raised for. */
  private raised: Report | undefined;
  private doneAcked = false;
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
    private readonly clock: Clock,
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

  /** A feeding unit (the station-kind table's `feed` role): it takes blanks from the magazine. */
  private get feeds(): boolean {
    return stationKind(this.cell.kind).role === 'feed';
  }

  get packmlState(): PackMLState {
    return this.state;
  }

  get cardPhase(): CardPhase {
    if (this.stuck.length > 0) return 'stuck';
    if (this.work?.state === 'working') return 'working';
    if (this.work || this.outfeed) return 'waiting';
    return this.infeed?.state ?? 'none';
  }

  /** Simulated time the card at the outfeed finished (cards move on oldest first). */
  get finishedAt(): number {
    return this.outfeed?.finishedAt ?? 0;
  }

  // ---- the line's side -------------------------------------------------------------------

  /** Free for a card from the previous station: Execute, infeed free, not blocked. */
  canAccept(): boolean {
    return this.state === PACKML_STATES.Execute && this.infeed === undefined && this.stuck.length === 0 && this.cell.blockage() === undefined && !this.stopped;
  }

  /** Cards in the unit or on their way to it: the line sends a card to the least loaded unit of a station. */
  load(): number {
    return (this.infeed ? 1 : 0) + (this.work ? 1 : 0) + (this.outfeed ? 1 : 0);
  }

  /** The finished card, if it may leave now: its Done was acknowledged. */
  readyCard(): Card | undefined {
    if (!this.outfeed?.cleared || this.isAbortBranch()) return undefined;
    return this.outfeed.card;
  }

  /** The ready card leaves the unit. */
  release(): Card {
    const card = this.readyCard();
    if (!card) throw new Error(`unit ${this.unitId} has no card ready to leave`);
    this.outfeed = undefined;
    this.advance();
    this.cell.changed();
    return card;
  }

  /** A card is on its way here (the line reserved the infeed). */
  reserve(serial: string): void {
    if (this.infeed) throw new Error(`unit ${this.unitId}: the infeed is not free (card ${this.infeed.serial}, ${this.infeed.state})`);
    this.infeed = { serial, card: undefined, state: 'incoming', jobId: 0, job: undefined, problem: undefined };
  }

  /** The reserved card arrived at the infeed. */
  arrive(card: Card): void {
    if (this.stopped) return;
    if (this.infeed?.serial !== card.serial) throw new Error(`unit ${this.unitId}: card ${card.serial} arrived, but the infeed was reserved for ${this.infeed?.serial ?? 'no card'}`);
    if (this.isAbortBranch()) {
      this.infeed = undefined;
      this.stuck.push({ card, jobId: 0 });
      return;
    }
    this.infeed.card = card;
    this.present(this.infeed);
  }

  /** Lets the unit act on the line's state: the feeder presents a blank; starved/blocked suspends and resumes. */
  tick(): void {
    if (this.stopped) return;
    const execute = this.state === PACKML_STATES.Execute;
    if (this.feeds && execute && this.infeed === undefined) {
      const serial = this.cell.nextBlank();
      if (serial !== undefined) {
        this.infeed = { serial, card: undefined, state: 'present', jobId: 0, job: undefined, problem: undefined };
        this.present(this.infeed);
        return;
      }
    }
    // Starved or blocked once nothing is in work: a card may wait at the infeed (a blocked output
    // holds its next card there until the stacker is emptied).
    if (execute && !this.work && !this.outfeed && (!this.feeds || !this.infeed) && this.handshakeIdle()) {
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
    const positions = { infeed: this.infeed?.serial ?? null, work: this.work?.card.serial ?? null, outfeed: this.outfeed?.card.serial ?? null };
    return {
      unitId: this.unitId,
      kind: this.kind,
      state: stateName(this.state),
      stopReason: STOP_REASON_NAMES[this.stopReason] ?? `Unknown(${this.stopReason})`,
      phase: this.cardPhase,
      card: positions.work ?? positions.outfeed ?? positions.infeed ?? this.stuck[0]?.card.serial ?? null,
      positions,
      processed: t.ProdProcessedCount,
      defective: t.ProdDefectiveCount,
      lastJobAck: this.lastAckedJobId,
      doneRaised: this.raised !== undefined,
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
    if (to === 'Stopped') this.purgeStuckCards();
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
    return this.raised === undefined && this.reports.length === 0;
  }

  private present(infeed: Infeed): void {
    infeed.state = 'present';
    // A JobId already there belongs to a card that left (or was never taken): never this card's job.
    this.staleJobId = this.store.get('JobId');
    this.store.setPlc({ CardSerial: infeed.serial, CardPresent: true });
    if (!this.feeds) this.armNoJobTimer();
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
    const infeed = this.infeed;
    if (infeed?.state !== 'present' || !infeed.card) return;
    // Time spent held or stopped does not count against the host: the wait starts again.
    if (this.state !== PACKML_STATES.Execute) return this.armNoJobTimer();
    this.grace?.cancel();
    this.grace = undefined;
    const card = infeed.card;
    this.infeed = undefined;
    this.store.setPlc({ CardPresent: false });
    this.cell.reject(card, resultCodeName(RESULT_CODES.NoJobInTime));
    this.queueReport({ resultJobId: 0, result: RESULT_CODES.NoJobInTime, data: EMPTY, cardSerial: card.serial });
    this.cell.changed();
  }

  private onHostChange(changes: Partial<StationTags>): void {
    if (this.stopped) return;
    if (changes.DoneAck === true && this.raised) this.doneAcked = true;
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
    if (this.raised && this.doneAcked) this.clearDone();
    this.raiseNextReport();
    if (this.infeed?.state === 'present') this.tryTakeJob(this.infeed);
    this.advance();
  }

  private tryTakeJob(infeed: Infeed): void {
    if (this.feeds ? this.state !== PACKML_STATES.Execute : !JOB_TAKING_STATES.includes(this.state)) return;
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

    if (!intact) {
      infeed.problem = RESULT_CODES.JobDataInvalid;
    } else {
      const decoded = decodeJob(data);
      if (!decoded.ok) infeed.problem = RESULT_CODES.JobDataInvalid;
      else if (decoded.value.kind !== 'skip' && decoded.value.kind !== stationKind(this.kind).jobKind) infeed.problem = RESULT_CODES.JobRejected;
      else infeed.job = decoded.value;
    }
    // The feeder picks the blank out of the magazine with its job.
    if (this.feeds) infeed.card = this.cell.feed(infeed.serial);
    infeed.jobId = jobId;
    infeed.state = 'staged';
    this.lastAckedJobId = jobId;
    this.store.setPlc({ JobAck: jobId, CardPresent: false });
  }

  /**
   * Moves cards inside the unit: a finished card to the free outfeed, then the staged card into the
   * free work position, where its cycle starts at once — the job was taken while the previous card
   * was still in work, so neither the transfer nor the handshake adds to the cycle.
   */
  private advance(): void {
    if (this.stopped || this.isAbortBranch()) return;
    if (this.work?.state === 'finished' && !this.outfeed) {
      this.outfeed = this.work;
      this.work = undefined;
      this.cell.changed();
    }
    const infeed = this.infeed;
    if (this.work || infeed?.state !== 'staged' || this.state !== PACKML_STATES.Execute) return;
    // A full stacker takes no card: the next one waits at the infeed.
    if (this.cell.blockage() === 'Blocked') return;
    this.infeed = undefined;
    const work: InWork = { card: infeed.card!, jobId: infeed.jobId, state: 'working', finishedAt: 0, cleared: false };
    this.work = work;
    if (infeed.job === undefined) {
      const result = infeed.problem ?? RESULT_CODES.JobDataInvalid;
      this.cycleTimer = this.clock.after(0, () => this.finishWork(work, undefined, result));
    } else {
      const session = this.cell.begin(work.card, infeed.job);
      this.cycleTimer = this.clock.after(session.cycleMs * this.slowFactor, () => this.finishWork(work, session, RESULT_CODES.Good));
    }
    // The infeed is free for the next card.
    this.cell.changed();
  }

  private finishWork(work: InWork, session: WorkSession | undefined, problem: number): void {
    this.cycleTimer = undefined;
    if (this.stopped || this.work !== work || work.state !== 'working') return;
    const card = work.card;
    const outcome = session ? session.finish() : { result: problem, data: null, left: false };
    if (outcome.result !== RESULT_CODES.Good) {
      this.cell.reject(card, resultCodeName(outcome.result));
      this.work = undefined;
    } else if (outcome.left) {
      this.work = undefined;
    } else {
      work.state = 'finished';
      work.finishedAt = this.clock.now();
    }
    const stays = this.work === work;
    this.queueReport({
      resultJobId: work.jobId,
      result: outcome.result,
      data: outcome.data ? encodeResult(outcome.data) : EMPTY,
      cardSerial: card.serial,
      ...(stays ? { onCleared: () => this.cleared(work) } : {}),
    });
    if (outcome.result === RESULT_CODES.CardJam) {
      if (commandTarget(this.state, 'Hold') !== undefined) this.transition('Holding', 'CardJam');
      else this.setStopReason(STOP_REASONS.CardJam);
    }
    this.advance();
    this.cell.changed();
  }

  /** The host acknowledged a finished card's Done: it may leave once it is at the outfeed. */
  private cleared(work: InWork): void {
    work.cleared = true;
    this.cell.changed();
  }

  private queueReport(report: Report): void {
    this.reports.push(report);
    this.raiseNextReport();
  }

  private raiseNextReport(): void {
    if (this.stopped || this.raised || this.store.get('DoneAck')) return;
    const report = this.reports.shift();
    if (!report) return;
    this.raised = report;
    this.doneAcked = false;
    const t = this.store.tags;
    this.store.setPlc({
      ResultData: report.data,
      ResultDataSize: report.data.length,
      ResultDataCrc32: dataCrc32(report.data),
      ResultCardSerial: report.cardSerial,
      ResultJobId: report.resultJobId,
      Result: report.result,
      ProdProcessedCount: (t.ProdProcessedCount + 1) >>> 0,
      ProdDefectiveCount: (t.ProdDefectiveCount + (report.result === RESULT_CODES.Good ? 0 : 1)) >>> 0,
      Done: true,
    });
  }

  private clearDone(): void {
    const report = this.raised;
    this.raised = undefined;
    this.doneAcked = false;
    this.store.setPlc({ Done: false });
    report?.onCleared?.();
    this.cell.changed();
  }

  // ---- abort -------------------------------------------------------------------------------

  /**
   * Every card inside stops where it is. A card whose job was taken but not reported is purged
   * later with that job's id; a card already reported, or never given a job, with 0.
   */
  private abortWork(): void {
    this.cycleTimer?.();
    this.cycleTimer = undefined;
    this.noJobTimer?.();
    this.noJobTimer = undefined;
    this.grace?.cancel();
    this.grace = undefined;
    if (this.outfeed) this.stuck.push({ card: this.outfeed.card, jobId: 0 });
    if (this.work) this.stuck.push({ card: this.work.card, jobId: this.work.state === 'working' ? this.work.jobId : 0 });
    this.outfeed = undefined;
    this.work = undefined;
    const infeed = this.infeed;
    if (infeed && infeed.state !== 'incoming') {
      if (infeed.state === 'present') this.store.setPlc({ CardPresent: false });
      // A feeder's presented blank never left the magazine.
      if (infeed.card) this.stuck.push({ card: infeed.card, jobId: infeed.state === 'staged' ? infeed.jobId : 0 });
      this.infeed = undefined;
    }
  }

  /** After Clear: the cards inside go to the reject bin, and the host hears of each. */
  private purgeStuckCards(): void {
    for (const { card, jobId } of this.stuck.splice(0)) {
      this.cell.purge(card, resultCodeName(RESULT_CODES.Aborted));
      this.queueReport({ resultJobId: jobId, result: RESULT_CODES.Aborted, data: EMPTY, cardSerial: card.serial });
    }
  }
}

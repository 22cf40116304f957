/**
 * The line controller: the composition of the card, station, line and batch machines with the
 * station links, data preparation, the QA judge and the store. The physical card drives it: a unit
 * announces a card, the controller answers with that card's job; a result is persisted (group
 * commit) before the PLC is acknowledged. Cards whose fate is uncertain (a lost job, a restart) are
 * never stacked: they are passed to the reject bin and their records re-made.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { BatchEvent, BatchStatus } from '../../machines/batch.machine.ts';
import type { CardEvent, CardStation } from '../../machines/card.machine.ts';
import { lineMachine, LINE_MACHINE_VERSION } from '../../machines/line.machine.ts';
import { stationMachine } from '../../machines/station.machine.ts';
import { stationUnits, type LineConfig, type StationKind } from '../config/line-config.ts';
import { decodeResult } from '../plc/job-data.ts';
import { JOB_TAKING_STATES, PACKML_STATES, STOP_REASONS, type PackMLCommandName } from '../plc/packml.ts';
import type { StationEvent, StationLink } from '../plc/station-link.ts';
import type { JournalOp, LineStore } from '../store/line-store.ts';
import type { JobPreparer, LineInventory, PreparedRecord, QaJudge } from './ports.ts';
import { reasonOfResult, type ReasonCode } from './reasons.ts';
import { BATCH_MACHINE_VERSION, stepBatch } from './batch-status.ts';
import { CrashPoint } from './crash-point.ts';
import { JobIds } from './job-ids.ts';
import { PreparedRecords } from './prepared-records.ts';
import { DEFAULT_MAX_ATTEMPTS, defaultWip, FeedQueue, underWipLimit } from './scheduler.ts';
import { packingOf, PackingRun, type PackingUpdate, type ProducedRecord } from './packing.ts';

export { CRASH_POINTS, CrashPoint } from './crash-point.ts';
import { feedJob, kindsWithRole, packJob, SKIP_JOB, SORT_JOBS, stationKind } from '../stations/kinds.ts';
import { LineCard } from './line-card.ts';
import { isEnded, RecordMachines, type RecordEffects } from './record-machines.ts';

export interface ControllerOptions {
  /** Cards allowed in the line at once (default: two a unit and two more, see defaultWip). */
  readonly wip?: number;
  readonly maxAttempts?: number;
  /** Recover Held (jam) and Aborted (e-stop) stations without an operator: a simulated line. */
  readonly autoRecover?: boolean;
  readonly recoverAfterMs?: number;
  /** Records whose jobs are prepared ahead of the feeder. */
  readonly prestage?: number;
  /** Crash-test kill point (CARDLINE_CRASH_AT). */
  readonly crashAt?: string;
  readonly actor: string;
  readonly onProgress?: (progress: Progress) => void;
  readonly log?: (message: string) => void;
  /** Connects each link, after the controller listens to it; without it, the links come connected. */
  readonly connect?: (unitId: string, link: StationLink) => Promise<void>;
  /** A run with no card movement for this long is described in the log (default 20 s). */
  readonly stallMs?: number;
  /** Log every station event (CARDLINE_TRACE=1): card serials and states, no personal data. */
  readonly trace?: boolean;
  /** Where the line says its cards are (a simulated line); on resume, the cards held in the line are reconciled with it. */
  readonly inventory?: () => Promise<LineInventory | undefined>;
}

export interface Progress {
  readonly total: number;
  readonly produced: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly inLine: number;
  readonly good: number;
  readonly spoiled: number;
  readonly rejects: Readonly<Record<string, number>>;
  readonly startedAt: number;
  readonly line: string;
  /** When the line started producing in this run (stations connected), for rates; 0 before that. */
  readonly producingSince: number;
  /** Time the line has been paused in this run, up to `at`. */
  readonly pausedMs: number;
  /** Records that had ended (produced, failed, cancelled) before this run: the rest are this run's. */
  readonly endedBefore: number;
  /** When this progress was taken. */
  readonly at: number;
  /** Delivery packs closed so far (a line with a packer). */
  readonly packsClosed?: number;
}

export interface RunOutcome {
  readonly batchId: string;
  readonly status: 'completed' | 'aborted';
  readonly progress: Progress;
  readonly failedRecords: readonly { seq: number; reasons: readonly unknown[] }[];
}


export class LineController {
  /** The side effects of a record's change, provided to its machine's wrapper (record-machines.ts). */
  private readonly recordEffects: RecordEffects = {
    journal: (op, ops) => {
      if (ops) ops.push(op);
      else this.store.journal.append(op).catch((error: unknown) => this.fail(error));
    },
    remake: (seq) => this.queue.remake(seq),
    ended: (seq) => this.prepared.forget(seq),
    // A record that ended without a packed card: its office has one card fewer to wait for.
    gaveUp: (seq, cardSerial, ops) => {
      if (this.packing && (cardSerial === null || this.packing.packOf(cardSerial) === undefined)) this.applyPacking(this.packing.recordEnded(seq), ops);
    },
  };
  /** The batch's records, each with its card machine (set up by load()). */
  private records = new RecordMachines('', this.recordEffects);
  private readonly prepared: PreparedRecords;
  /** The physical cards this process knows in the line, each with its own machine (line-card.ts). */
  private readonly cards = new Map<string, LineCard>();
  /** The line's packing station, if it has one (the station-kind table's `pack` role). */
  private readonly packer: ReturnType<typeof packingOf>;
  /** The batch's delivery packs on a line with a packer. */
  private packing: PackingRun | undefined;
  private readonly units: Map<string, StationKind>;
  /** The feeder's unit id (looked up once: feed() runs on every feeder and output result). */
  private readonly feederUnit: string | undefined;
  private readonly stations = new Map<string, Actor<typeof stationMachine>>();
  private readonly line: Actor<typeof lineMachine>;
  /** The batch's status: the batch machine's state, stepped by setBatch. */
  private batchStatus: BatchStatus = 'imported';
  private queue = new FeedQueue([]);
  private feederCard: string | undefined;
  private feeding = false;
  private jobIds: JobIds;
  private rejects: Record<string, number> = {};
  private good = 0;
  private spoiled = 0;
  private startedAt = Date.now();
  private producingSince = 0;
  private pausedMs = 0;
  private pausedSince: number | undefined;
  private endedBefore = 0;
  private finish: ((status: 'completed' | 'aborted') => void) | undefined;
  private failure: ((error: Error) => void) | undefined;
  private readonly crash: CrashPoint;
  private readonly unsubscribe: (() => void)[] = [];
  private batchId = '';
  /** Why this controller drives the line no more (its lease was taken over); see relinquish(). */
  private relinquished: Error | undefined;
  /** A planned stop: no blank is fed any more (see stopFeeding()). */
  private feedingStopped = false;

  constructor(
    private readonly config: LineConfig,
    private readonly links: ReadonlyMap<string, StationLink>,
    private readonly store: LineStore,
    private readonly preparer: JobPreparer,
    private readonly judge: QaJudge,
    private readonly options: ControllerOptions,
  ) {
    this.units = new Map(stationUnits(config).map((u) => [u.unitId, u.station.kind]));
    this.feederUnit = [...this.units].find(([, kind]) => stationKind(kind).role === 'feed')?.[0];
    this.crash = new CrashPoint(options.crashAt);
    this.packer = packingOf(config);
    this.prepared = new PreparedRecords(preparer);
    this.jobIds = this.newJobIds();
    this.line = createActor(lineMachine, { input: { lineId: config.id } });
    this.line.subscribe(() => this.saveLineSnapshot());
  }

  /** Runs (or resumes) a batch to its end; resolves with the outcome. */
  async run(batchId: string, options: { resume: boolean; status: BatchStatus }): Promise<RunOutcome> {
    // A fresh block for each batch: a block is recorded as one batch's.
    if (batchId !== this.batchId) this.jobIds = this.newJobIds();
    this.batchId = batchId;
    this.startedAt = Date.now();
    this.batchStatus = options.status;
    await this.load(batchId, options.resume);
    if (options.resume) await this.reconcileWithLine();
    if (this.relinquished) throw this.relinquished;
    this.line.start();
    for (const [unitId, link] of this.links) this.attach(unitId, link);
    const done = new Promise<'completed' | 'aborted'>((resolve, reject) => {
      this.finish = resolve;
      this.failure = reject;
    });
    done.catch(() => undefined); // awaited below; handled here too in case connecting fails first
    // Connected only now that we listen: a result the PLC kept for a job of the previous process
    // is reported on the first read after connecting, and must reach us (and its failures, `done`).
    if (this.options.connect) await Promise.all([...this.links].map(([unitId, link]) => this.options.connect!(unitId, link)));
    this.line.send({ type: 'line.start', batchId });
    await this.setBatch({ type: 'batch.start' });
    this.producingSince = Date.now();
    for (const station of this.stations.values()) station.send({ type: 'line.produce' });
    // The PLCs may all be producing already (a simulator or line that outlived the last run): no
    // state change would tell us.
    this.checkReady();
    for (const [unitId, link] of this.links) {
      // Cards announced before we listened (the controller restarted with cards at the stations).
      if (link.cardPresent !== undefined) this.onCardPresent(unitId, link, link.cardPresent);
    }
    this.checkEnd();
    const watchdog = setInterval(() => this.watch(), this.options.stallMs ?? 20_000);
    watchdog.unref();
    const status = await done.finally(() => clearInterval(watchdog));
    const leftOver = [...this.deferred.keys()].flatMap((serial) => this.takeDeferred(serial));
    if (leftOver.length > 0) await this.store.journal.append(...leftOver);
    await this.store.journal.settled();
    for (const off of this.unsubscribe) off();
    for (const station of this.stations.values()) station.stop();
    return { batchId, status, progress: this.progress(), failedRecords: this.failedRecords() };
  }

  /**
   * The operator's pause: no more blanks are fed and every station is held (PackML Hold; a cycle
   * under way ends, no new one starts); the batch is paused. False when the line is not running.
   */
  pause(): boolean {
    if (this.relinquished || !this.line.getSnapshot().matches('running')) return false;
    this.line.send({ type: 'line.pause' });
    for (const s of this.stations.values()) s.send({ type: 'line.pause' });
    this.setBatch({ type: 'batch.pause' }).catch((error: unknown) => this.fail(error));
    this.pausedSince = Date.now();
    this.report();
    return true;
  }

  /** The operator's resume after a pause: every station unheld, feeding again. False when not paused. */
  resume(): boolean {
    if (this.relinquished || !this.line.getSnapshot().matches('paused')) return false;
    this.line.send({ type: 'line.resume' });
    for (const s of this.stations.values()) s.send({ type: 'line.produce' });
    this.setBatch({ type: 'batch.resume' }).catch((error: unknown) => this.fail(error));
    if (this.pausedSince !== undefined) this.pausedMs += Date.now() - this.pausedSince;
    this.pausedSince = undefined;
    this.report();
    // A feeder that ran out of blanks (or a stacker that filled) while the line was paused: the
    // line learns it now, as it would have while running.
    for (const [unitId, link] of this.links) {
      if (link.status) this.noteSuspension(unitId, link.status.state, link.status.stopReason);
    }
    this.checkReady();
    this.checkEnd();
    return true;
  }

  /**
   * Stops driving the line at once and leaves it as it is: no job, acknowledgement or command goes
   * to a PLC any more, and `run` rejects with `reason`. For a controller whose lease was taken over:
   * the line belongs to another controller now, and an abort would send the cards that controller is
   * working on to the reject bin. Results already read are still committed (they are what the PLCs
   * reported); the controller that took over finds their cards in the line, treats them as suspect,
   * and is reported again every result this one did not acknowledge.
   */
  relinquish(reason: Error): void {
    if (this.relinquished) return;
    this.relinquished = reason;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const station of this.stations.values()) station.stop();
    this.fail(reason);
  }

  /**
   * A planned stop (a server shutting down, an upgrade): no more blanks are fed, the stations go on,
   * so the cards in the line reach the stacker or the reject bin and progress().inLine falls to 0;
   * pause() then holds a line with no card inside, and a resumed run finds no card to suspect.
   */
  stopFeeding(): void {
    this.feedingStopped = true;
  }

  /** Abort: no more feeding; the cards in the line go to the reject bin; their records are re-queued or cancelled. */
  abort(records: 'requeue' | 'cancel'): void {
    if (this.relinquished) return;
    this.line.send({ type: 'line.abort', records });
    if (records === 'cancel') {
      for (const seq of this.queue.drain()) this.cardEvent(seq, { type: 'batch.cancel' });
    }
    this.checkEnd();
  }

  progress(): Progress {
    const now = Date.now();
    const { produced, failed, cancelled } = this.records;
    return {
      total: this.records.size,
      produced,
      failed,
      cancelled,
      inLine: this.inLine(),
      good: this.good,
      spoiled: this.spoiled,
      rejects: { ...this.rejects },
      startedAt: this.startedAt,
      line: JSON.stringify(this.line.getSnapshot().value),
      producingSince: this.producingSince,
      pausedMs: this.pausedMs + (this.pausedSince !== undefined ? now - this.pausedSince : 0),
      endedBefore: this.endedBefore,
      at: now,
      ...(this.packing ? { packsClosed: this.packing.packs().filter((p) => p.closed).length } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and resuming

  private async load(batchId: string, resume: boolean): Promise<void> {
    const rows = await this.store.records(batchId);
    this.records = new RecordMachines(batchId, this.recordEffects);
    const { queued, remakes } = this.records.load(rows, this.options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.queue = new FeedQueue(queued);
    if (this.packer) {
      // The packs so far and each record's office: a run resumed packs on where the last one stopped.
      const good = new Set((await this.store.batchCards(batchId)).filter((c) => c.status === 'good').map((c) => c.cardSerial));
      this.packing = PackingRun.open(batchId, this.packer.config, await this.store.packs.packs(batchId), await this.store.packs.recordOffices(batchId), rows, good);
    }
    for (const seq of remakes) this.queue.remake(seq);
    if (this.packing) await this.restorePackedRecords(this.packing);
    this.endedBefore = this.records.produced + this.records.failed + this.records.cancelled;
    if (!resume) return;
    // Cards that were in the line when the previous controller stopped: their outcome is uncertain.
    for (const card of await this.store.cardsInLine()) {
      const track = new LineCard({
        serial: card.cardSerial,
        batchId: card.batchId,
        seq: card.seq,
        attempt: card.attempt,
        suspect: { code: 'SUSPECT_AFTER_RESTART', detail: `was at ${card.unit ?? 'the feeder'} when the controller stopped` },
        ...(card.unit ? { lastUnit: card.unit } : {}),
      });
      this.cards.set(card.cardSerial, track);
      if (card.batchId === batchId && this.records.state(card.seq) === 'queued') {
        this.queue.drop(card.seq);
        // Not journaled: the stored row stays as it was until the card's fate is known.
        this.records.send(card.seq, { type: 'card.feeding', cardSerial: card.cardSerial }, []);
        this.records.send(card.seq, { type: 'card.fed' }, []);
      }
    }
    await this.store.journal.append(...[...this.cards.values()].map((t): JournalOp => ({ op: 'card.suspect', cardSerial: t.serial })));
  }

  /**
   * Records whose card the packer packed before the last run stopped, its pack still open: the card
   * lies in the pack (its result was committed, the card is good) and the record waits for the pack
   * to close. The record's machine was stored at its last stable state, before that card was fed:
   * it is brought to the packer again with that card (not re-made: that would be a second good card
   * for one record), and produced at once when the pack closed meanwhile.
   */
  private async restorePackedRecords(packing: PackingRun): Promise<void> {
    const { waiting, produced } = packing.packedUnproduced();
    const [inspecting] = kindsWithRole('inspect');
    const [sorting] = kindsWithRole('sort');
    const [packingKind] = kindsWithRole('pack');
    for (const p of [...waiting, ...produced]) {
      if (this.records.state(p.seq) !== 'queued') continue;
      this.queue.drop(p.seq);
      const path = [
        { type: 'card.feeding', cardSerial: p.cardSerial },
        { type: 'card.fed' },
        { type: 'card.at', station: inspecting! },
        { type: 'qa.passed' },
        { type: 'card.at', station: sorting! },
        { type: 'card.at', station: packingKind! },
      ] as const;
      // Not journaled: the stored row already says in-line; the record's row changes when it is produced.
      for (const event of path) this.records.send(p.seq, event, []);
    }
    const ops: JournalOp[] = [];
    this.produce(produced, ops);
    if (ops.length > 0) await this.store.journal.append(...ops);
  }

  /**
   * After a stop, the cards the store holds in the line against what the line says it holds (when
   * it can say: the in-process simulator, restarted with the controller, has nothing inside and
   * knows where every card went). A card the line put in the reject bin is spoiled with that reason
   * and its record re-made; a card it stacked is taken as the output's result; a card inside, or
   * one the line cannot place, stays suspect and is checked when a station reports it.
   */
  private async reconcileWithLine(): Promise<void> {
    const inventory = await this.options.inventory?.();
    if (!inventory) return;
    const sortUnit = [...this.units].find(([, kind]) => stationKind(kind).role === 'sort')?.[0] ?? 'line';
    const ops: JournalOp[] = [];
    // A blank fed just before the stop, whose feed the store never committed: the line purged it;
    // it is accounted for as a card the controller did not know.
    for (const serial of inventory.purged()) {
      if (this.cards.has(serial) || (await this.store.card(serial))) continue;
      const unit = this.feederUnit ?? 'line';
      const track = new LineCard({ serial, batchId: this.batchId, seq: 0, attempt: 0, suspect: { code: 'UNKNOWN_CARD', detail: 'fed as the controller stopped' } });
      ops.push({ op: 'card.fed', cardSerial: serial, batchId: this.batchId, seq: 0, attempt: 0, unit });
      this.endCard(track, 'spoiled', unit, 'UNKNOWN_CARD', 'fed as the controller stopped; the line purged it', ops);
    }
    for (const track of [...this.cards.values()]) {
      const where = inventory.whereIs(track.serial);
      if (where.at === 'reject') {
        ops.push({ op: 'event', event: 'card.reconciled', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, unit: track.lastUnit ?? null, reason: 'LINE_PURGED', detail: { bin: 'reject', lineReason: where.reason } });
        this.endCard(track, 'spoiled', track.lastUnit ?? 'line', 'LINE_PURGED', `the line put it in the reject bin (${where.reason})`, ops);
      } else if (where.at === 'stacker') {
        ops.push({ op: 'event', event: 'card.reconciled', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, unit: sortUnit, reason: null, detail: { bin: 'stacker', position: where.position } });
        await this.adoptStackedCard(track, ops);
        this.endCard(track, 'good', sortUnit, undefined, undefined, ops, where.position);
      }
    }
    if (ops.length > 0) await this.store.journal.append(...ops);
  }

  // ---------------------------------------------------------------------------------------------
  // Station links

  private attach(unitId: string, link: StationLink): void {
    const station = createActor(
      stationMachine.provide({
        actors: {
          sendCommand: fromPromise<void, { unitId: string; command: PackMLCommandName }>(({ input }) => link.command(input.command)),
        },
      }),
      { input: { unitId, autoRecover: this.options.autoRecover ?? false, recoverAfterMs: this.options.recoverAfterMs ?? 2000 } },
    ).start();
    this.stations.set(unitId, station);
    if (link.connected) station.send({ type: 'plc.link.up' });
    if (link.status) station.send({ type: 'plc.state', state: link.status.state, stopReason: link.status.stopReason });
    // The KPIs' time model starts from each unit's state at the run's start (src/kpi/time-model.ts).
    if (link.status) this.stationEvent(unitId, 'state', { state: link.status.state, stopReason: link.status.stopReason });
    this.unsubscribe.push(link.subscribe((event) => this.onLinkEvent(unitId, link, event)));
  }

  private onLinkEvent(unitId: string, link: StationLink, event: StationEvent): void {
    const station = this.stations.get(unitId)!;
    if (this.options.trace) this.options.log?.(`trace ${unitId}: ${event.type}${event.type === 'plc.state' ? ` ${event.status.state}/${event.status.stopReason}` : ''} — line ${JSON.stringify(this.line.getSnapshot().value)}`);
    switch (event.type) {
      case 'plc.link.up':
        station.send({ type: 'plc.link.up' });
        this.stationEvent(unitId, 'link.up', link.status ? { state: link.status.state, stopReason: link.status.stopReason } : {});
        // The PLC's state may not have changed while the link was down: no plc.state would follow.
        if (link.status) station.send({ type: 'plc.state', state: link.status.state, stopReason: link.status.stopReason });
        break;
      case 'plc.link.down':
        station.send({ type: 'plc.link.down', reason: event.reason });
        this.stationEvent(unitId, 'link.down', { reason: event.reason });
        break;
      case 'plc.state':
        station.send({ type: 'plc.state', state: event.status.state, stopReason: event.status.stopReason });
        this.stationEvent(unitId, 'state', { state: event.status.state, stopReason: event.status.stopReason });
        this.checkSuspension(unitId, event.status.state, event.status.stopReason);
        // A card that waited at a stopped or aborted station's infeed gets its job once the station
        // takes jobs again (onCardPresent checks the state; the feeder feeds through checkReady).
        if (link.cardPresent !== undefined && !this.isFeeder(unitId)) this.onCardPresent(unitId, link, link.cardPresent);
        break;
      case 'plc.card.present':
        this.onCardPresent(unitId, link, event.cardSerial);
        break;
      case 'plc.job.accepted':
        this.onAccepted(unitId, event.cardSerial);
        break;
      case 'plc.job.done':
        this.onDone(unitId, link, event.jobId, event.cardSerial, event.result, event.data).catch((error: unknown) => this.fail(error));
        break;
      case 'plc.job.failed':
        this.onJobFailed(unitId, event.cardSerial, event.code === 'timeout' ? 'JOB_TIMEOUT' : 'JOB_LOST', event.reason);
        break;
      case 'plc.fault':
        this.options.log?.(`${unitId}: ${event.error.message}`);
        break;
    }
  }

  private checkSuspension(unitId: string, state: number, stopReason: number): void {
    this.noteSuspension(unitId, state, stopReason);
    this.checkReady();
  }

  /** A feeder starved or a stacker blocked (or back in Execute): the line machine's suspension (the kind's `suspends`). */
  private noteSuspension(unitId: string, state: number, stopReason: number): void {
    const suspends = stationKind(this.units.get(unitId)!).suspends;
    if (!suspends) return;
    const reason = suspends === 'line.starved' ? STOP_REASONS.Starved : STOP_REASONS.Blocked;
    if (state === PACKML_STATES.Suspended && stopReason === reason) this.line.send({ type: suspends });
    else if (state === PACKML_STATES.Execute) this.line.send({ type: 'line.unsuspended' });
  }

  private isFeeder(unitId: string): boolean {
    return stationKind(this.units.get(unitId)!).role === 'feed';
  }

  /** Every station producing (Execute, or Suspended starved/blocked): the line runs; a waiting blank is fed. */
  private checkReady(): void {
    const ready = [...this.stations.values()].every((s) => {
      const p = s.getSnapshot().context.packml;
      return p === PACKML_STATES.Execute || p === PACKML_STATES.Suspended;
    });
    if (ready) this.line.send({ type: 'line.ready' });
    // A blank may have been waiting at the feeder for the line to produce.
    this.feed();
  }

  private onCardPresent(unitId: string, link: StationLink, serial: string): void {
    const kind = this.units.get(unitId)!;
    if (this.isFeeder(unitId)) {
      this.feederCard = serial;
      this.feed(link);
      return;
    }
    // A job sent to a station that takes none (stopped, aborted, starting) would time out and cost
    // the card: it waits at the infeed, and the station's next job-taking state answers it.
    if (link.status === undefined || !JOB_TAKING_STATES.includes(link.status.state)) return;
    if (this.answering.has(serial)) return;
    this.answering.add(serial);
    this.answer(unitId, kind, link, serial)
      .catch((error: unknown) => this.fail(error))
      .finally(() => this.answering.delete(serial));
  }

  /** Cards whose job is being prepared or sent (a card is answered once at a time). */
  private readonly answering = new Set<string>();

  private async answer(unitId: string, kind: StationKind, link: StationLink, serial: string): Promise<void> {
    const track = await this.trackOf(serial);
    // An aborted batch: every card still in the line goes on to the reject bin.
    if (track?.trusted && this.line.getSnapshot().matches('aborting')) {
      track.send({ type: 'card.reject', code: 'LINE_ABORTED', detail: 'the batch was aborted with the card in the line' });
    }
    const trusted = track?.trusted === true;
    const def = stationKind(kind);
    let data: Buffer;
    switch (def.role) {
      case 'sort':
        // The card is here: its record moves to this station before the record is asked whether it awaits it.
        if (trusted && this.recordQaPassed(track)) this.cardEvent(track.seq, { type: 'card.at', station: kind });
        // On a line with a packer, a good card goes on to it: it leaves the line there, in a pack.
        data = trusted && this.recordAwaitsStacking(track) ? (this.packer ? SORT_JOBS.pass : SORT_JOBS.stacker) : SORT_JOBS.reject;
        break;
      case 'pack':
        data = trusted && this.recordQaPassed(track) ? this.planPacking(track, kind) : SKIP_JOB;
        break;
      case 'work':
      case 'inspect':
        data = trusted ? def.job!(await this.prepare(track.seq)) : SKIP_JOB;
        break;
      case 'feed':
        throw new Error(`${unitId}: a feeding station's card is fed by feed(), not answered`);
    }
    await this.sendJob(link, serial, data, unitId);
  }

  private async sendJob(link: StationLink, serial: string, data: Buffer, unitId: string): Promise<void> {
    const jobId = await this.nextJobId();
    if (this.relinquished) return;
    try {
      await link.sendJob({ jobId, cardSerial: serial, data });
    } catch (error) {
      // The failure also comes as plc.job.failed when the job had reached the link; a refusal
      // before that (busy, not the present card) leaves the card to be presented again.
      this.options.log?.(`${unitId}: job for ${serial} not sent: ${(error as Error).message}`);
    }
  }

  /** Feeds the present blank when the line may: producing, under the WIP limit, a record waiting. */
  private feed(link?: StationLink): void {
    const serial = this.feederCard;
    if (serial === undefined || this.feeding || this.relinquished || this.feedingStopped) return;
    if (!this.line.getSnapshot().matches({ running: 'producing' })) return;
    if (!underWipLimit(this.inLine(), this.options.wip ?? defaultWip(this.units.size))) return;
    const feeder = link ?? this.links.get(this.feederUnit!)!;
    // Held (a jam) or stopped, the feeder takes no job; its plc.state Execute feeds again.
    if (feeder.status?.state !== PACKML_STATES.Execute) return;
    const seq = this.queue.take();
    if (seq === undefined) return;
    this.feeding = true;
    this.feederCard = undefined;
    this.prestage();
    const sending = (async () => {
      try {
        await this.prepare(seq);
        const jobId = await this.nextJobId();
        if (this.relinquished) throw this.relinquished;
        await feeder.sendJob({ jobId, cardSerial: serial, data: feedJob(`${this.batchId}:${seq}`) });
        const attempt = this.records.attempts(seq) + 1;
        this.cards.set(serial, new LineCard({ serial, batchId: this.batchId, seq, attempt }));
        // The record's row changes in the commit of the feeder's result: one commit a feed, not two.
        // Until the blank is fed the record is not in the line; a crash before then leaves it queued.
        const ops: JournalOp[] = [];
        this.cardEvent(seq, { type: 'card.feeding', cardSerial: serial }, ops);
        this.deferred.set(serial, ops);
      } catch (error) {
        // The blank was not fed: the record keeps its place at the front, and a blank still
        // presented is fed again when the line may (it is not presented anew).
        this.queue.remake(seq);
        if (feeder.cardPresent === serial) this.feederCard ??= serial;
        this.options.log?.(`feeder: feed job for ${serial} not sent: ${(error as Error).message}`);
      } finally {
        this.feeding = false;
        this.feedInFlight = undefined;
      }
    })();
    this.feedInFlight = { serial, sending };
  }

  /**
   * The feed job being sent: the link may report its failure (or even its Done) before sendJob's
   * promise has resumed us, so events about this card wait for it.
   */
  private feedInFlight: { serial: string; sending: Promise<void> } | undefined;

  /** Journal ops of a card that are committed with its next result (its record's row at feeding). */
  private readonly deferred = new Map<string, JournalOp[]>();

  private takeDeferred(serial: string): JournalOp[] {
    const ops = this.deferred.get(serial) ?? [];
    this.deferred.delete(serial);
    return ops;
  }

  private afterFeedOf(serial: string): Promise<void> | undefined {
    return this.feedInFlight?.serial === serial ? this.feedInFlight.sending : undefined;
  }

  private onAccepted(unitId: string, serial: string): void {
    const kind = this.units.get(unitId)!;
    const track = this.cards.get(serial);
    if (!track?.trusted || this.isFeeder(unitId) || !this.isCurrentCard(track)) return;
    this.cardEvent(track.seq, { type: 'card.at', station: kind });
  }

  private async onDone(unitId: string, link: StationLink, jobId: number, serial: string, result: number, data: Buffer): Promise<void> {
    this.crash.hit('after-done-before-persist');
    await this.afterFeedOf(serial);
    const kind = this.units.get(unitId)!;
    const def = stationKind(kind);
    const feeds = def.role === 'feed';
    const sorts = def.role === 'sort';
    const packs = def.role === 'pack';
    const ops: JournalOp[] = this.takeDeferred(serial);
    let track = await this.trackOf(serial);
    if (feeds && !this.cards.has(serial) && !track) {
      // A blank fed for a job of an earlier controller process: accounted for, never trusted.
      track = new LineCard({ serial, batchId: this.batchId, seq: 0, attempt: 0, suspect: { code: 'UNKNOWN_CARD', detail: 'fed while the controller was down' } });
      this.cards.set(serial, track);
    }
    ops.push({ op: 'event', event: `${kind}.done`, batchId: track?.batchId ?? null, seq: track?.seq ?? null, attempt: track?.attempt ?? null, cardSerial: serial || null, unit: unitId, reason: result === 0 ? null : reasonOfResult(result), detail: { jobId, result } });
    if (feeds && track) {
      ops.push({ op: 'card.fed', cardSerial: serial, batchId: track.batchId, seq: track.seq, attempt: track.attempt, unit: unitId });
      if (track.suspect) ops.push({ op: 'card.suspect', cardSerial: serial });
      if (result === 0 && !track.suspect) this.cardEvent(track.seq, { type: 'card.fed' }, ops);
    } else if (track && !track.ended) {
      ops.push({ op: 'card.unit', cardSerial: serial, unit: unitId });
      track.send({ type: 'card.seen', unit: unitId });
      // The card was at this station even if its acceptance went unseen.
      if (track.trusted && this.isCurrentCard(track)) this.cardEvent(track.seq, { type: 'card.at', station: kind }, ops);
    }

    if (track && !track.ended) {
      if (result !== 0) {
        // The station's reject gate took the card.
        this.endCard(track, 'spoiled', unitId, reasonOfResult(result), `result ${result}`, ops);
      } else if (def.judge && track.trusted) {
        await this.judgeResult(track, kind, data, ops);
      } else if (sorts) {
        const decoded = decodeResult(data);
        if (decoded.ok && decoded.value.kind === 'output' && decoded.value.bin === 'pass' && this.packer && track.trusted) {
          // On to the packer: the card stays in the line.
        } else if (decoded.ok && decoded.value.kind === 'output' && decoded.value.bin === 'stacker') {
          // A card stacked on the previous process's order (it crashed before persisting the
          // output's Done): that order was only ever given after QA passed the card, and the pass
          // is on record; the record takes the card as produced.
          if (track.suspect) await this.adoptStackedCard(track, ops);
          this.endCard(track, 'good', unitId, undefined, undefined, ops, decoded.value.position);
        } else {
          const reject = track.reject ?? { code: 'JOB_LOST' as ReasonCode, detail: 'output sent the card to the reject bin' };
          this.endCard(track, 'spoiled', unitId, reject.code, reject.detail, ops);
        }
      } else if (packs) {
        await this.onPacked(track, unitId, data, ops);
      }
    } else if (!track && (sorts || packs)) {
      ops.push({ op: 'event', event: 'unknown.card', cardSerial: serial || null, unit: unitId, reason: 'UNKNOWN_CARD' });
    }

    await this.store.journal.append(...ops);
    if (this.relinquished) return;
    this.crash.hit('after-persist-before-ack');
    await link.acknowledgeDone(jobId).catch((error: unknown) => this.options.log?.(`${unitId}: acknowledgement of job ${jobId}: ${(error as Error).message}`));
    this.report();
    this.checkEnd();
    if (feeds || sorts || packs || result !== 0) this.feed();
  }

  /**
   * The pack plan for a good card at the packer. Its changes go into the journal before the job is
   * sent, so they commit no later than the packer's Done for the card (the journal commits in order)
   * and a pack opened, evicted or closed for this card is on record before any result that follows.
   * Not awaited: the packer waits for its job only so long (NoJobInTime), like every station.
   */
  private planPacking(track: LineCard, kind: StationKind): Buffer {
    this.cardEvent(track.seq, { type: 'card.at', station: kind });
    const planned = this.packing!.plan(track.serial, track.seq);
    this.applyPacking(planned);
    // The plan is in the journal but not yet committed, and the packer has no job yet.
    this.crash.hit('after-pack-plan-before-job');
    return packJob(planned.instruction);
  }

  /** The packer's good Done: the card lies in the pack the plan gave it (or it is taken out and re-made). */
  private async onPacked(track: LineCard, unitId: string, data: Buffer, ops: JournalOp[]): Promise<void> {
    const decoded = decodeResult(data);
    if (!decoded.ok || decoded.value.kind !== 'pack') {
      const reject = track.reject ?? { code: 'JOB_LOST' as ReasonCode, detail: 'the packer sent the card to the reject bin' };
      this.endCard(track, 'spoiled', unitId, reject.code, reject.detail, ops);
      return;
    }
    // A card packed on the previous process's order (it crashed before persisting the Done): that
    // order was only given after QA passed the card, and the plan holding it was committed first.
    if (track.suspect && this.packing?.packOf(track.serial) === decoded.value.packId) {
      await this.adoptStackedCard(track, ops);
      if (track.trusted && this.recordQaPassed(track)) this.cardEvent(track.seq, { type: 'card.at', station: this.units.get(unitId)! }, ops);
    }
    const check = this.packing && track.trusted ? this.packing.done(track.serial, decoded.value) : undefined;
    if (!check?.ok) {
      // It physically lies in a pack it must not be in: out of the plan, spoiled; a person takes it out.
      const detail = check ? check.detail : `the packer packed a card it was not to pack (${track.reject?.code ?? 'suspect'})`;
      this.options.log?.(`${unitId}: card ${track.serial} is in pack ${decoded.value.packId} but must not be: take it out (${detail})`);
      this.endCard(track, 'spoiled', unitId, track.reject?.code ?? 'PACK_MISMATCH', detail, ops);
      return;
    }
    track.send({ type: 'card.ended' });
    this.cards.delete(track.serial);
    this.good += 1;
    ops.push({ op: 'card.ended', cardSerial: track.serial, status: 'good', unit: unitId, batchId: track.batchId, position: decoded.value.count });
    this.produce(check.produced, ops);
  }

  /** Journals a packing update and produces the records whose packs it closed. */
  private applyPacking(update: PackingUpdate, ops?: JournalOp[]): void {
    const out = ops ?? [];
    if (update.changes.length > 0) out.push({ op: 'packs', batchId: this.batchId, changes: update.changes });
    this.produce(update.produced, out);
    if (!ops && out.length > 0) this.store.journal.append(...out).catch((error: unknown) => this.fail(error));
  }

  /** Records whose card lies, packed, in a closed pack: produced. */
  private produce(produced: readonly ProducedRecord[], ops: JournalOp[]): void {
    for (const p of produced) {
      if (this.records.currentSerial(p.seq) === p.cardSerial) this.cardEvent(p.seq, { type: 'card.stacked', position: p.position }, ops);
    }
  }

  /** The kind's judge on a good Done of a trusted card; an inspecting kind's verdict is the card's QA verdict. */
  private async judgeResult(track: LineCard, kind: StationKind, data: Buffer, ops: JournalOp[]): Promise<void> {
    const def = stationKind(kind);
    if (!this.records.isCurrentAttempt(track)) {
      track.send({ type: 'card.reject', code: 'SERIAL_DISCONTINUITY', detail: `${kind} saw another card than the record’s current one` });
      ops.push({ op: 'event', event: 'qa.verdict', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: 'SERIAL_DISCONTINUITY' });
      return;
    }
    const verdict = await def.judge!({ prepared: await this.prepare(track.seq), data, qa: this.judge });
    const inspects = def.role === 'inspect';
    // The event names of the inspection are the QA verdict's (the store looks for qa.passed).
    const [passed, failed] = inspects ? ['qa.passed', 'qa.failed'] : [`${kind}.passed`, `${kind}.failed`];
    if (verdict.ok) {
      if (inspects) this.cardEvent(track.seq, { type: 'qa.passed' }, ops);
      ops.push({ op: 'event', event: passed, batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial });
    } else {
      track.send({ type: 'card.reject', code: verdict.code, detail: verdict.detail });
      ops.push({ op: 'event', event: failed, batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: verdict.code, detail: { detail: verdict.detail } });
    }
  }

  private onJobFailed(unitId: string, serial: string, code: ReasonCode, reason: string): void {
    const pending = this.afterFeedOf(serial);
    if (pending) {
      void pending.then(() => this.onJobFailed(unitId, serial, code, reason));
      return;
    }
    const track = this.cards.get(serial);
    if (!track || track.ended) return;
    track.send({ type: 'card.suspect', code, detail: `${unitId}: ${reason}` });
    this.store.journal
      .append(
        ...this.takeDeferred(serial),
        { op: 'card.suspect', cardSerial: serial },
        { op: 'event', event: 'job.failed', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: serial, unit: unitId, reason: code, detail: { reason } },
      )
      .catch((error: unknown) => this.fail(error));
  }

  // ---------------------------------------------------------------------------------------------
  // Cards and records

  private endCard(track: LineCard, status: 'good' | 'spoiled', unitId: string, code: ReasonCode | undefined, detail: string | undefined, ops: JournalOp[], position?: number): void {
    track.send({ type: 'card.ended' });
    this.cards.delete(track.serial);
    ops.push({ op: 'card.ended', cardSerial: track.serial, status, unit: unitId, batchId: track.batchId, ...(code ? { reason: code } : {}), ...(position !== undefined ? { position } : {}) });
    if (status === 'good') {
      this.good += 1;
      this.cardEvent(track.seq, { type: 'card.stacked', position: position ?? 0 }, ops);
      return;
    }
    this.spoiled += 1;
    this.rejects[code ?? 'UNKNOWN'] = (this.rejects[code ?? 'UNKNOWN'] ?? 0) + 1;
    if (track.seq === 0) return;
    const packed = this.packing?.packOf(track.serial) !== undefined;
    // Only the record's current card decides about the record (an old attempt's card may still be leaving).
    if (this.records.isCurrent(track)) {
      this.cardEvent(
        track.seq,
        { type: 'card.rejected', station: stationOf(unitId, this.units), code: code ?? 'STATION_ERROR', ...(detail ? { detail } : {}), ...(code === 'LINE_ABORTED' ? { lineAborted: true } : {}) },
        ops,
      );
    }
    // A card planned into a pack that did not get there: out of the plan; its record brings another card unless it ended.
    if (packed) this.applyPacking(this.packing!.remove(track.serial, code ?? 'STATION_ERROR', !isEnded(this.records.state(track.seq))), ops);
  }

  /** Sends an event to a record's machine; its row, when it changed, goes to `ops` (or the journal). */
  private cardEvent(seq: number, event: CardEvent, ops?: JournalOp[]): void {
    this.records.send(seq, event, ops);
  }

  private async trackOf(serial: string): Promise<LineCard | undefined> {
    const known = this.cards.get(serial);
    if (known) return known;
    if (!serial) return undefined;
    const row = await this.store.card(serial);
    if (!row || row.status !== 'in-line') return undefined;
    const track = new LineCard({ serial, batchId: row.batchId, seq: row.seq, attempt: row.attempt, suspect: { code: 'SUSPECT_AFTER_RESTART', detail: 'in the line when the controller stopped' } });
    this.cards.set(serial, track);
    return track;
  }

  private async adoptStackedCard(track: LineCard, ops: JournalOp[]): Promise<void> {
    const passed = await this.store.cardPassedQa(track.serial);
    ops.push({ op: 'event', event: 'card.adopted', batchId: track.batchId, seq: track.seq, attempt: track.attempt, cardSerial: track.serial, reason: passed ? null : 'SUSPECT_AFTER_RESTART', detail: { qaPassedBefore: passed } });
    track.send({ type: 'card.adopted', qaPassedBefore: passed, current: this.isCurrentCard(track) });
    if (!track.trusted) return;
    const [inspecting] = kindsWithRole('inspect');
    const [sorting] = kindsWithRole('sort');
    for (const event of [{ type: 'card.at', station: inspecting! }, { type: 'qa.passed' }, { type: 'card.at', station: sorting! }] as const) this.cardEvent(track.seq, event, ops);
  }

  /** The card is its record's current attempt (an old attempt's card may still be leaving the line). */
  private isCurrentCard(track: LineCard): boolean {
    return this.records.isCurrent(track);
  }

  /** The card is its record's current card and the record's QA verdict on it is good. */
  private recordQaPassed(track: LineCard): boolean {
    return this.records.qaPassed(track);
  }

  /** The record's machine would take this card as its produced card (its own `stackable` guard). */
  private recordAwaitsStacking(track: LineCard): boolean {
    return this.records.awaitsStacking(track);
  }

  private inLine(): number {
    let n = 0;
    for (const t of this.cards.values()) if (!t.ended) n += 1;
    return n;
  }

  private checkEnd(): void {
    if (this.relinquished) return;
    const allEnded = this.records.allEnded();
    const aborting = this.line.getSnapshot().matches('aborting');
    // The line ends only through the line.empty sent below: with records still to make and no
    // abort there is nothing to send, and nothing to complete (checked after every result).
    if (!allEnded && !aborting) return;
    if (allEnded && !aborting) this.line.send({ type: 'line.allEnded' });
    if (this.inLine() === 0 && (allEnded || aborting)) this.line.send({ type: 'line.empty' });
    const after = this.line.getSnapshot();
    if (after.matches('completed')) {
      this.complete('completed').catch((error: unknown) => this.fail(error));
    } else if (after.matches('aborted')) {
      this.complete('aborted').catch((error: unknown) => this.fail(error));
    }
  }

  private completing = false;

  private async complete(status: 'completed' | 'aborted'): Promise<void> {
    if (this.completing) return;
    this.completing = true;
    if (status === 'aborted') {
      const choice = this.line.getSnapshot().context.onAbort;
      if (choice === 'cancel') for (const seq of this.queue.drain()) this.cardEvent(seq, { type: 'batch.cancel' });
    }
    await this.setBatch({ type: status === 'completed' ? 'batch.completed' : 'batch.abort' });
    // Reconciled when every record has ended and every blank is accounted for; a batch aborted with
    // its records back in the queue stays aborted, to be run again (`cardline run ID --resume`).
    const pending = this.records.queuedCount();
    const unaccounted = await this.store.unaccountedCards(this.batchId);
    await this.setBatch({ type: 'batch.reconcile', unaccounted, pending });
    this.finish?.(status);
  }

  private fail(error: unknown): void {
    this.failure?.(error instanceof Error ? error : new Error(String(error)));
  }

  // ---------------------------------------------------------------------------------------------
  // Data preparation, job ids, snapshots, batch status

  private prepare(seq: number): Promise<PreparedRecord> {
    return this.prepared.get(this.batchId, seq);
  }

  /** Prepares the jobs of the records the feeder will take next, so no handshake waits for them. */
  private prestage(): void {
    this.prepared.prestage(this.batchId, this.queue.peek(this.options.prestage ?? 8));
  }

  /** Job ids in blocks recorded as the running batch's, so purge finds job files a crash left behind. */
  private newJobIds(): JobIds {
    return new JobIds((n) => this.store.allocateJobIds(n, this.batchId || undefined));
  }

  private nextJobId(): Promise<number> {
    return this.jobIds.next();
  }


  private stationEvent(unitId: string, event: string, detail: Record<string, unknown>): void {
    this.store.journal.append({ op: 'station', unit: unitId, event, detail, at: new Date().toISOString() }).catch((error: unknown) => this.fail(error));
  }

  private saveLineSnapshot(): void {
    if (!this.batchId) return;
    this.store
      .putSnapshot(`line:${this.config.id}`, LINE_MACHINE_VERSION, this.line.getPersistedSnapshot(), () => this.crash.hit('during-snapshot'))
      .catch((error: unknown) => this.options.log?.(`snapshot: ${(error as Error).message}`));
  }

  /**
   * The batch machine's step (src/line/batch-status.ts) and, when it moves, the batch's stored
   * status (audited) and machine snapshot. A step the machine does not take is not written.
   */
  private async setBatch(event: BatchEvent): Promise<void> {
    const step = stepBatch(this.batchId, this.batchStatus, event);
    if (!step.ok) {
      this.options.log?.(`${step.reason}; the batch status is left as it is`);
      return;
    }
    this.batchStatus = step.status;
    // A run's start is written even on a batch left running (the audit shows who resumed it).
    if (!step.changed && event.type !== 'batch.start') return;
    await this.store.journal.append({ op: 'batch.status', batchId: this.batchId, status: step.status, actor: this.options.actor });
    await this.store.putSnapshot(`batch:${this.batchId}`, BATCH_MACHINE_VERSION, step.snapshot);
  }

  private lastWatch = '';

  /** When nothing moved since the last look, says what the line is waiting for (no personal data). */
  private watch(): void {
    const p = this.progress();
    const key = `${p.produced}/${p.failed}/${p.cancelled}/${p.good}/${p.spoiled}/${p.inLine}`;
    if (key !== this.lastWatch) {
      this.lastWatch = key;
      return;
    }
    const waiting = this.records.notEnded();
    const states = [...this.stations].map(([unit, st]) => `${unit}=${String(st.getSnapshot().value)}/${st.getSnapshot().context.packml ?? '?'}`);
    const cards = [...this.cards.values()].filter((t) => !t.ended).map((t) => `${t.serial}@${t.lastUnit ?? 'feeder'}${t.suspect ? ' suspect' : ''}${t.reject ? ` ${t.reject.code}` : ''}${this.recordQaPassed(t) ? ' qa-ok' : ''}`);
    this.options.log?.(
      `no card moved lately: line ${p.line}; ${this.queue.size} records queued, feeder card ${this.feederCard ?? 'none'}${this.feeding ? ' (feeding)' : ''}; ` +
        `${waiting.length} records not ended (${waiting.slice(0, 8).map((r) => `${r.seq}:${r.state}`).join(', ')}); ` +
        `cards in line: ${cards.join(', ') || 'none'}; stations: ${states.join(' ')}` +
        (cards.length > 0 ? '. A card no longer in the line keeps the run waiting: stop the run, write it off (cardline card write-off SERIAL), run --resume' : ''),
    );
  }

  private report(): void {
    this.options.onProgress?.(this.progress());
  }

  private failedRecords(): { seq: number; reasons: readonly unknown[] }[] {
    return this.records.failedRecords();
  }
}

function stationOf(unitId: string, units: ReadonlyMap<string, StationKind>): CardStation | 'line' {
  return units.get(unitId) ?? 'line';
}

/**
 * What the controller's parts share while they drive one line: the line file's units, the record
 * machines of the running batch, the physical cards in the line, the feed queue, the packs, the
 * line and station machines, the counters, and the ways to journal and to fail the run. State and
 * small shared helpers only; each part's behaviour is in its own file (docs/line-control.md,
 * "The controller's parts").
 */
import { createActor, type Actor } from 'xstate';
import type { BatchStatus } from '../../../machines/batch.machine.ts';
import type { CardEvent } from '../../../machines/card.machine.ts';
import { lineMachine } from '../../../machines/line.machine.ts';
import { physicalCardMachineWith, type PhysicalCardInput } from '../../../machines/physical-card.machine.ts';
import type { stationMachine } from '../../../machines/station.machine.ts';
import { stationUnits, type LineConfig, type StationKind } from '../../config/line-config.ts';
import type { StationLink } from '../../plc/station-link.ts';
import { systemClock, type Clock } from '../../time/clock.ts';
import type { JournalOp, LineStore } from '../../store/line-store.ts';
import { stationKind, type StationRole } from '../../stations/kinds.ts';
import { CrashPoint } from '../crash-point.ts';
import { JobIds } from '../job-ids.ts';
import { LineCard } from './line-card.ts';
import { RunCounters, type Progress } from './line-progress.ts';
import { packingOf, type PackingRun, type PackingUpdate, type ProducedRecord } from '../packing.ts';
import type { JobPreparer, LineInventory, PreparedRecord, QaJudge } from '../ports.ts';
import { PreparedRecords } from '../prepared-records.ts';
import { RecordMachines, type RecordEffects } from './record-machines.ts';
import { FeedQueue } from '../scheduler.ts';

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
  /** Time and timers (the run's clock, the stall watch, the station machines' delays); default the wall clock. A simulated clock runs the controller in virtual time. */
  readonly clock?: Clock;
}

export class LineRun {
  /** Each unit's station kind, from the line file. */
  readonly units: ReadonlyMap<string, StationKind>;
  /** The feeder's unit id (looked up once: the feeder is asked on every feeder and output result). */
  readonly feederUnit: string | undefined;
  /** The line's packing station, if it has one (the station-kind table's `pack` role). */
  readonly packer: ReturnType<typeof packingOf>;
  readonly prepared: PreparedRecords;
  readonly crash: CrashPoint;
  /** The physical cards this process knows in the line, each with its own machine (line-card.ts). */
  readonly cards = new Map<string, LineCard>();
  readonly stations = new Map<string, Actor<typeof stationMachine>>();
  readonly line: Actor<typeof lineMachine>;
  readonly counters: RunCounters;
  /** The run's time source (options.clock, else the wall clock). */
  readonly clock: Clock;
  /** The side effects of a record's change, provided to its machine (record-machines.ts). */
  readonly recordEffects: RecordEffects = {
    journal: (op, ops) => {
      if (ops) ops.push(op);
      else this.journal(op);
    },
    remake: (seq) => this.queue.remake(seq),
    ended: (seq) => this.prepared.forget(seq),
    // A record that ended without a packed card: its office has one card fewer to wait for.
    gaveUp: (seq, cardSerial, ops) => {
      if (this.packing && (cardSerial === null || this.packing.packOf(cardSerial) === undefined)) this.applyPacking(this.packing.recordEnded(seq), ops);
    },
  };
  /** A physical card's machine: a card that left the line (its `leftLine` action) is out of view. */
  private readonly cardMachine = physicalCardMachineWith({ leftLine: (context) => this.cards.delete(context.serial) });
  /** The batch's records, each with its card machine (set up when the batch is loaded). */
  records = new RecordMachines('', this.recordEffects);
  queue = new FeedQueue([]);
  /** The batch's delivery packs on a line with a packer. */
  packing: PackingRun | undefined;
  batchId = '';
  private jobIds: JobIds;
  /** The batch's status: the batch machine's state, stepped by the batch lifecycle. */
  batchStatus: BatchStatus = 'imported';
  /** Why this controller drives the line no more (its lease was taken over). */
  relinquished: Error | undefined;
  /** A planned stop: no blank is fed any more. */
  feedingStopped = false;
  /** How the run's promise ends (set while a run is under way). */
  ending: { resolve: (status: 'completed' | 'aborted') => void; reject: (error: Error) => void } | undefined;

  constructor(
    readonly config: LineConfig,
    readonly links: ReadonlyMap<string, StationLink>,
    readonly store: LineStore,
    preparer: JobPreparer,
    readonly judge: QaJudge,
    readonly options: ControllerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.counters = new RunCounters(this.clock.now());
    this.units = new Map(stationUnits(config).map((u) => [u.unitId, u.station.kind]));
    this.feederUnit = [...this.units].find(([, kind]) => stationKind(kind).role === 'feed')?.[0];
    this.crash = new CrashPoint(options.crashAt);
    this.packer = packingOf(config);
    this.prepared = new PreparedRecords(preparer);
    this.line = createActor(lineMachine, { input: { lineId: config.id }, clock: this.clock });
    this.jobIds = this.newJobIds();
  }

  /** The batch this run drives; a new batch gets a fresh block of job ids (a block is recorded as one batch's, so purge finds job files a crash left behind). */
  startBatch(batchId: string): void {
    if (batchId !== this.batchId) {
      this.batchId = batchId;
      this.jobIds = this.newJobIds();
    }
  }

  /** A job id for any station's job, unique across controller processes. */
  nextJobId(): Promise<number> {
    return this.jobIds.next();
  }

  /** A physical card taken into view (fed, or found in the line); `keep`: false for one seen only to be accounted for. */
  admitCard(input: PhysicalCardInput, keep = true): LineCard {
    const card = new LineCard(input, this.cardMachine);
    if (keep) this.cards.set(input.serial, card);
    return card;
  }

  kindOf(unitId: string): StationKind {
    return this.units.get(unitId)!;
  }

  roleOf(unitId: string): StationRole {
    return stationKind(this.kindOf(unitId)).role;
  }

  /** The first unit whose kind has this role (the sorting unit, the feeder …). */
  unitWithRole(role: StationRole): string | undefined {
    return [...this.units].find(([, kind]) => stationKind(kind).role === role)?.[0];
  }

  fail(error: unknown): void {
    this.ending?.reject(error instanceof Error ? error : new Error(String(error)));
  }

  log(message: string): void {
    this.options.log?.(message);
  }

  /** Journals ops on their own (not with a result at hand); a failed commit fails the run. */
  journal(...ops: JournalOp[]): void {
    this.store.journal.append(...ops).catch((error: unknown) => this.fail(error));
  }

  /** Sends an event to a record's machine; its row, when it changed, goes to `ops` (or the journal). */
  cardEvent(seq: number, event: CardEvent, ops?: JournalOp[]): void {
    this.records.send(seq, event, ops);
  }

  prepare(seq: number): Promise<PreparedRecord> {
    return this.prepared.get(this.batchId, seq);
  }

  /** Prepares the jobs of the records the feeder will take next, so no handshake waits for them. */
  prestage(): void {
    this.prepared.prestage(this.batchId, this.queue.peek(this.options.prestage ?? 8));
  }

  inLine(): number {
    let n = 0;
    for (const t of this.cards.values()) if (!t.ended) n += 1;
    return n;
  }

  /** Journals a packing update and produces the records whose packs it closed. */
  applyPacking(update: PackingUpdate, ops?: JournalOp[]): void {
    const out = ops ?? [];
    if (update.changes.length > 0) out.push({ op: 'packs', batchId: this.batchId, changes: update.changes });
    this.produce(update.produced, out);
    if (!ops && out.length > 0) this.journal(...out);
  }

  /** Records whose card lies, packed, in a closed pack: produced. */
  produce(produced: readonly ProducedRecord[], ops: JournalOp[]): void {
    for (const p of produced) {
      if (this.records.currentSerial(p.seq) === p.cardSerial) this.cardEvent(p.seq, { type: 'card.stacked', position: p.position }, ops);
    }
  }

  progress(): Progress {
    const now = this.clock.now();
    const { produced, failed, cancelled } = this.records;
    const c = this.counters;
    return {
      total: this.records.size,
      produced,
      failed,
      cancelled,
      inLine: this.inLine(),
      good: c.good,
      spoiled: c.spoiled,
      rejects: { ...c.rejects },
      startedAt: c.startedAt,
      line: JSON.stringify(this.line.getSnapshot().value),
      producingSince: c.producingSince,
      pausedMs: c.pausedUpTo(now),
      endedBefore: c.endedBefore,
      at: now,
      ...(this.packing ? { packsClosed: this.packing.packs().filter((p) => p.closed).length } : {}),
    };
  }

  report(): void {
    this.options.onProgress?.(this.progress());
  }

  private newJobIds(): JobIds {
    return new JobIds((n) => this.store.allocateJobIds(n, this.batchId || undefined));
  }
}

/**
 * The virtual-time engine (fast mode): one line run on a discrete-event clock, no sockets, no
 * sleeping. It keeps every decision of the real line and takes each from the module that makes it
 * in the real-time simulator and the controller:
 * - a card's cycle time and fate at a station: its own random stream (seed, blank sequence, station
 *   kind), drawCycleMs (model/cycle-time.ts), then drawFate (model/physics.ts) — the same draws, in
 *   the same order, as the real-time line model, so a card meets the same fate in both;
 * - a defect's consequence: DEFECT_EFFECTS (reported by the station, or found by QA);
 * - routing between heads: leastLoaded (model/line-model.ts), finished cards oldest first;
 * - a unit's positions (infeed, work, outfeed) and PLC timing (unit-plc.ts DEFAULT_UNIT_TIMING: a
 *   jam is Holding, held for simulation.jamClearMs, then Unholding);
 * - feeding: the controller's FeedQueue (re-makes first), WIP limit and attempt limit
 *   (src/line/scheduler.ts).
 * What it skips: the handshake bytes (jobs and results are not encoded; the controller answers at
 * once), persistence, the chip's bytes and BAC (a card's defect stands for what QA's read-back and
 * the controller's judge would find). The figures are collected as it runs (figures.ts sums them).
 */
import { simulationOf, stationUnits, type LineConfig, type StationConfig, type StationUnit } from '../../src/config/line-config.ts';
import { DEFAULT_MAX_ATTEMPTS, defaultWip, FeedQueue, underWipLimit } from '../../src/line/scheduler.ts';
import { Rng, seedWords, type Seed } from '../../src/sample/rng.ts';
import { routeOf, stationKind, stationKinds, type StationKind, type StationRole } from '../../src/stations/kinds.ts';
import { drawCycleMs, drawRepairMs, drawTimeToFailureMs, type DowntimeModel } from '../model/cycle-time.ts';
import { leastLoaded } from '../model/line-model.ts';
import { DEFECT_EFFECTS, drawFate, type Fate, type StationFailures } from '../model/physics.ts';
import { DEFAULT_UNIT_TIMING } from '../plc/unit-plc.ts';
import type { KpiEvent } from '../../src/kpi/events.ts';
import { PACKML_STATES, STOP_REASONS } from '../../src/plc/packml.ts';
import type { Cancel } from '../model/clock.ts';
import { VirtualClock } from './clock.ts';

export type UnitState = 'working' | 'idle' | 'blocked' | 'held' | 'down' | 'paused';
export const UNIT_STATES: readonly UnitState[] = ['working', 'idle', 'blocked', 'held', 'down', 'paused'];

/**
 * Planned stops repeating every `periodMs` (a day by default): breaks and the hours no shift works.
 * During a stop every unit pauses (an operator's Hold: planned down time, outside the KPIs' planned
 * busy time); a cycle under way resumes where it was, and the controller feeds nothing.
 */
export interface Schedule {
  readonly periodMs: number;
  /** Within the period, sorted, not overlapping: [fromMs, toMs). */
  readonly stops: readonly { readonly fromMs: number; readonly toMs: number }[];
}

/** The batch id the engine's journal gives its run (no store behind it). */
export const SIMULATED_BATCH = 'simulated';

export interface EngineOptions {
  readonly line: LineConfig;
  /** Overrides the line's simulation.seed. */
  readonly seed?: Seed;
  /** A batch of this many records: the run ends when each is produced or has failed. */
  readonly cards?: number;
  /** Or: records without end, for this many simulated hours. */
  readonly hours?: number;
  /** Figures count from this simulated time on (the line's start-up left out). Default 0. */
  readonly warmupMs?: number;
  /** Called after every event (property tests: conservation, buffers, the clock). */
  readonly onEvent?: (probe: EngineProbe) => void;
  /** Takes the run's journal as it goes, in the shape the KPIs read (src/kpi/events.ts): the unit states a PLC reports, each unit's Done, each card fed and ended. */
  readonly journal?: (event: KpiEvent) => void;
  /** Planned stops (breaks, shifts not worked). */
  readonly schedule?: Schedule;
}

export interface EngineProbe {
  readonly now: number;
  readonly fed: number;
  readonly good: number;
  readonly spoiled: number;
  readonly inLine: number;
  /** Cards in the line counted where they are (feeder to last station, on the way included). */
  readonly located: number;
  /** Cards waiting in each station's buffer (and its capacity), in route order. */
  readonly buffers: readonly { readonly station: string; readonly cards: number; readonly capacity: number }[];
}

/** What one run measured (raw sums; figures.ts turns them into rates and shares). */
export interface RunResult {
  readonly seed: string;
  /** Simulated ms the figures cover (after the warm-up). */
  readonly elapsedMs: number;
  readonly warmupMs: number;
  readonly fed: number;
  readonly good: number;
  readonly spoiled: number;
  readonly spoiledBy: Readonly<Record<string, number>>;
  readonly inLineAtEnd: number;
  /** Records produced, failed (attempts used up) and sent back for a re-make, after the warm-up. */
  readonly records: { readonly produced: number; readonly failed: number; readonly remakes: number };
  readonly stations: readonly StationRun[];
  /** Time-weighted cards in the line: ms spent at each count. */
  readonly wipMs: Readonly<Record<number, number>>;
  /** Lead times of the good cards (feeding to leaving the line), ms, in the order they left. */
  readonly leadTimesMs: readonly number[];
  /** Mean cards in the line in consecutive spans of `bucketMs` from the end of the warm-up (the last one may be shorter). */
  readonly wipSeries: { readonly bucketMs: number; readonly mean: readonly number[] };
  readonly events: number;
  /** FNV-1a over every card's end (time, card, outcome): equal digests, the same run. */
  readonly digest: string;
}

export interface StationRun {
  readonly id: string;
  readonly kind: StationKind;
  readonly units: number;
  /** Cards per second the station can do at most: units ÷ mean cycle × availability (MTBF ÷ (MTBF + MTTR)). */
  readonly nominalRatePerS: number;
  /** ms each unit spent in each state, summed over the units. */
  readonly stateMs: Readonly<Record<UnitState, number>>;
  /** Cards that arrived at the station (buffer or a unit's infeed) after the warm-up. */
  readonly arrivals: number;
  /** Sum of their waits from arrival to the start of work, ms, and of their times at the station (to the end of work). */
  readonly waitMsSum: number;
  readonly sojournMsSum: number;
  readonly finished: number;
  /** Time-weighted cards waiting (arrived, not yet in work): sum of count × ms. */
  readonly queueCardMs: number;
}

interface VCard {
  readonly serial: number;
  readonly record: number;
  readonly fedAt: number;
  /** A defect QA will find (found-by-qa). */
  bad: boolean;
  /** The controller's verdict on what QA read failed: the output sends it to the reject bin. */
  qaFailed: boolean;
  arrivedAt: number;
  startedAt: number;
  fate: Fate | undefined;
}

interface VUnit {
  readonly id: string;
  readonly ordinal: number;
  readonly stage: Stage;
  infeed: VCard | undefined;
  /** The infeed card is there (not still on its way). */
  infeedHere: boolean;
  work: VCard | undefined;
  /** The card in work finished its cycle (it waits for the outfeed). */
  workDone: boolean;
  outfeed: VCard | undefined;
  finishedAt: number;
  cycleEnd: number;
  cycleTimer: Cancel | undefined;
  remainingMs: number;
  held: number;
  down: number;
  paused: number;
  state: UnitState;
  /** The PackML state and stop reason last journaled (state × 100 + reason), -1 before the first. */
  reported: number;
  stateSince: number;
  readonly stateMs: Record<UnitState, number>;
  canAccept(): boolean;
  load(): number;
}

interface Stage {
  readonly index: number;
  readonly kind: StationKind;
  readonly role: StationRole;
  readonly station: StationConfig;
  readonly streamKey: number;
  readonly units: VUnit[];
  readonly buffer: VCard[];
  readonly bufferCap: number;
  bufferReserved: number;
  readonly failures: StationFailures;
  stackerCount: number;
  readonly stackerCap: number;
  unloading: boolean;
  waiting: number;
  waitingSince: number;
  queueCardMs: number;
  arrivals: number;
  waitMsSum: number;
  sojournMsSum: number;
  finished: number;
}

const FNV_OFFSET = 0x811c9dc5;
/** At most this many WIP-over-time buckets (they widen as the run goes on). */
const WIP_BUCKETS = 240;

/** A jam, a breakdown or a planned stop holds the unit. */
function stopped(u: VUnit): boolean {
  return u.held > 0 || u.down > 0 || u.paused > 0;
}

/** Runs one line to its end (cards) or its time limit (hours). */
export function runLine(options: EngineOptions): RunResult {
  return new Engine(options).run();
}

class Engine {
  private readonly clock = new VirtualClock();
  private readonly line: LineConfig;
  private readonly sim: ReturnType<typeof simulationOf>;
  private readonly seedText: string;
  private readonly words: [number, number, number, number];
  private readonly stages: Stage[];
  private readonly feeder: VUnit;
  private readonly hasPacker: boolean;
  private readonly queue: FeedQueue;
  private readonly attempts: number[] = [];
  private readonly maxAttempts = DEFAULT_MAX_ATTEMPTS;
  private readonly wip: number;
  private readonly limitMs: number;
  private readonly warmupMs: number;
  private readonly batch: number | undefined;
  private nextRecord = 1;
  private nextSerial = 1;
  private fed = 0;
  private good = 0;
  private spoiled = 0;
  private readonly spoiledBy: Record<string, number> = {};
  private produced = 0;
  private failed = 0;
  private inLine = 0;
  private inTransit = 0;
  private counted = { fed: 0, good: 0, spoiled: 0, failed: 0, remakes: 0 };
  private readonly spoiledCounted: Record<string, number> = {};
  private readonly wipMs: Record<number, number> = {};
  private wipSince = 0;
  private readonly leadTimes: number[] = [];
  /** WIP over time: card·ms a bucket, buckets doubled in width when there would be more than WIP_BUCKETS. */
  private wipBucketMs = 60_000;
  private readonly wipBuckets: number[] = [];
  private readonly journal: ((event: KpiEvent) => void) | undefined;
  private digest = FNV_OFFSET;
  private settling = false;

  constructor(private readonly options: EngineOptions) {
    this.line = options.line;
    this.sim = simulationOf(this.line);
    const seed = options.seed ?? this.sim.seed;
    this.seedText = String(seed);
    this.words = seedWords(seed);
    if ((options.cards === undefined) === (options.hours === undefined)) throw new RangeError('give either cards (a batch of records) or hours (simulated time)');
    if (options.cards !== undefined && !(Number.isInteger(options.cards) && options.cards > 0)) throw new RangeError(`cards must be a whole number above 0, got ${options.cards}`);
    if (options.hours !== undefined && !(options.hours > 0 && Number.isFinite(options.hours))) throw new RangeError(`hours must be a number above 0, got ${options.hours}`);
    this.batch = options.cards;
    this.limitMs = options.hours !== undefined ? options.hours * 3_600_000 : Number.POSITIVE_INFINITY;
    this.warmupMs = options.warmupMs ?? 0;
    if (!(this.warmupMs >= 0) || this.warmupMs >= this.limitMs) throw new RangeError(`the warm-up (${this.warmupMs} ms) must be shorter than the run`);

    const units = stationUnits(this.line);
    const route = routeOf(this.line.stations.map((s) => s.kind));
    const all = stationKinds();
    let ordinal = 0;
    this.stages = route.map((kind, index) => {
      const station = this.line.stations.find((s) => s.kind === kind)!;
      const stage: Stage = {
        index,
        kind,
        role: stationKind(kind).role,
        station,
        streamKey: all.indexOf(kind),
        units: [],
        buffer: [],
        bufferCap: station.buffer === 'unlimited' ? Number.POSITIVE_INFINITY : station.buffer,
        bufferReserved: 0,
        failures: { ...station.failures },
        stackerCount: 0,
        stackerCap: stationKind(kind).stacker ? (station.stackerCapacity ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY,
        unloading: false,
        waiting: 0,
        waitingSince: 0,
        queueCardMs: 0,
        arrivals: 0,
        waitMsSum: 0,
        sojournMsSum: 0,
        finished: 0,
      };
      for (const u of units.filter((x: StationUnit) => x.station.kind === kind)) stage.units.push(this.makeUnit(u.unitId, ordinal++, stage));
      return stage;
    });
    this.feeder = this.stages[0]!.units[0]!;
    if (this.stages[0]!.role !== 'feed') throw new Error(`${this.line.source}: the line's first station must feed blanks`);
    this.hasPacker = this.stages.some((s) => s.role === 'pack');
    this.wip = this.sim.wip === 'unlimited' ? Number.POSITIVE_INFINITY : (this.sim.wip ?? defaultWip(units.length));
    const first = this.batch ?? 1024;
    this.queue = new FeedQueue(Array.from({ length: first }, (_, i) => i + 1));
    this.nextRecord = first + 1;
    for (const stage of this.stages) for (const u of stage.units) if (stage.station.downtime) this.armBreakdown(u, stage.station.downtime);
    this.journal = options.journal;
    if (options.schedule) this.armSchedule(options.schedule);
  }

  private makeUnit(id: string, ordinal: number, stage: Stage): VUnit {
    const unit: VUnit = {
      id,
      ordinal,
      stage,
      infeed: undefined,
      infeedHere: false,
      work: undefined,
      workDone: false,
      outfeed: undefined,
      finishedAt: 0,
      cycleEnd: 0,
      cycleTimer: undefined,
      remainingMs: 0,
      held: 0,
      down: 0,
      paused: 0,
      state: 'idle',
      reported: -1,
      stateSince: 0,
      stateMs: { working: 0, idle: 0, blocked: 0, held: 0, down: 0, paused: 0 },
      canAccept: () =>
        !stopped(unit) && unit.infeed === undefined && (stage.station.staging || unit.work === undefined) && stage.stackerCount < stage.stackerCap,
      load: () => (unit.infeed ? 1 : 0) + (unit.work ? 1 : 0) + (unit.outfeed ? 1 : 0),
    };
    return unit;
  }

  run(): RunResult {
    if (this.warmupMs > 0) this.clock.after(this.warmupMs, () => this.resetFigures());
    this.journal?.({ type: 'run', at: 0, line: this.line.id, batchId: SIMULATED_BATCH, status: 'running' });
    this.settle();
    const done = (): boolean => this.batch !== undefined && this.produced + this.failed >= this.batch;
    const probe = this.options.onEvent;
    if (probe) {
      this.clock.run(this.limitMs, () => {
        probe(this.probe());
        return done();
      });
    } else {
      this.clock.run(this.limitMs, done);
    }
    const end = this.clock.now();
    this.clock.stop();
    for (const stage of this.stages) {
      for (const u of stage.units) this.setState(u, u.state, end);
      this.integrateQueue(stage, end);
    }
    this.integrateWip(end);
    this.journal?.({ type: 'run', at: end, line: this.line.id, batchId: SIMULATED_BATCH, status: 'completed' });
    const spanMs = end - this.warmupMs;
    const wipMean = this.wipBuckets.slice(0, Math.max(1, Math.ceil(spanMs / this.wipBucketMs))).map((cardMs, i) => {
      const width = Math.min(this.wipBucketMs, spanMs - i * this.wipBucketMs);
      return width > 0 ? cardMs / width : 0;
    });
    return {
      seed: this.seedText,
      elapsedMs: end - this.warmupMs,
      warmupMs: this.warmupMs,
      fed: this.counted.fed,
      good: this.counted.good,
      spoiled: this.counted.spoiled,
      spoiledBy: { ...this.spoiledCounted },
      inLineAtEnd: this.inLine,
      records: { produced: this.counted.good, failed: this.counted.failed, remakes: this.counted.remakes },
      stations: this.stages.map((s) => this.stationRun(s)),
      wipMs: { ...this.wipMs },
      leadTimesMs: this.leadTimes,
      wipSeries: { bucketMs: this.wipBucketMs, mean: wipMean },
      events: this.clock.events,
      digest: (this.digest >>> 0).toString(16).padStart(8, '0'),
    };
  }

  private stationRun(s: Stage): StationRun {
    const stateMs: Record<UnitState, number> = { working: 0, idle: 0, blocked: 0, held: 0, down: 0, paused: 0 };
    for (const u of s.units) for (const k of UNIT_STATES) stateMs[k] += u.stateMs[k];
    const d = s.station.downtime;
    const availability = d ? d.mtbfMs / (d.mtbfMs + d.mttrMs) : 1;
    return {
      id: s.station.id,
      kind: s.kind,
      units: s.units.length,
      nominalRatePerS: (s.units.length / s.station.cycle.meanMs) * 1000 * availability,
      stateMs,
      arrivals: s.arrivals,
      waitMsSum: s.waitMsSum,
      sojournMsSum: s.sojournMsSum,
      finished: s.finished,
      queueCardMs: s.queueCardMs,
    };
  }

  private probe(): EngineProbe {
    let located = this.inTransit;
    for (const s of this.stages) {
      located += s.buffer.length;
      for (const u of s.units) located += (u.infeed && u.infeedHere ? 1 : 0) + (u.work ? 1 : 0) + (u.outfeed ? 1 : 0);
    }
    return {
      now: this.clock.now(),
      fed: this.fed,
      good: this.good,
      spoiled: this.spoiled,
      inLine: this.inLine,
      located,
      buffers: this.stages.map((s) => ({ station: s.station.id, cards: s.buffer.length, capacity: s.bufferCap })),
    };
  }

  // ---- figures -------------------------------------------------------------------------------

  private resetFigures(): void {
    const now = this.clock.now();
    this.counted = { fed: 0, good: 0, spoiled: 0, failed: 0, remakes: 0 };
    for (const k of Object.keys(this.spoiledCounted)) delete this.spoiledCounted[k];
    for (const k of Object.keys(this.wipMs)) delete this.wipMs[Number(k)];
    this.wipSince = now;
    this.wipBuckets.length = 0;
    this.leadTimes.length = 0;
    for (const s of this.stages) {
      s.queueCardMs = 0;
      s.waitingSince = now;
      s.arrivals = 0;
      s.waitMsSum = 0;
      s.sojournMsSum = 0;
      s.finished = 0;
      for (const u of s.units) {
        for (const k of UNIT_STATES) u.stateMs[k] = 0;
        u.stateSince = now;
      }
    }
  }

  private counting(): boolean {
    return this.clock.now() >= this.warmupMs;
  }

  private integrateWip(now: number): void {
    this.wipMs[this.inLine] = (this.wipMs[this.inLine] ?? 0) + (now - this.wipSince);
    if (this.inLine > 0 && now > this.wipSince && now > this.warmupMs) this.bucketWip(Math.max(this.wipSince, this.warmupMs) - this.warmupMs, now - this.warmupMs, this.inLine);
    this.wipSince = now;
  }

  /** Adds `cards` × [a, b) (ms after the warm-up) to the WIP buckets. */
  private bucketWip(a: number, b: number, cards: number): void {
    while (b > WIP_BUCKETS * this.wipBucketMs) {
      // Twice as wide: pairs of buckets merge.
      for (let i = 0; i < this.wipBuckets.length; i += 2) this.wipBuckets[i / 2] = this.wipBuckets[i]! + (this.wipBuckets[i + 1] ?? 0);
      this.wipBuckets.length = Math.ceil(this.wipBuckets.length / 2);
      this.wipBucketMs *= 2;
    }
    const w = this.wipBucketMs;
    for (let t = a; t < b; ) {
      const i = Math.floor(t / w);
      const end = Math.min(b, (i + 1) * w);
      while (this.wipBuckets.length <= i) this.wipBuckets.push(0);
      this.wipBuckets[i]! += cards * (end - t);
      t = end;
    }
  }

  private integrateQueue(s: Stage, now: number): void {
    s.queueCardMs += s.waiting * (now - s.waitingSince);
    s.waitingSince = now;
  }

  private setState(u: VUnit, state: UnitState, now: number): void {
    u.stateMs[u.state] += now - u.stateSince;
    u.stateSince = now;
    u.state = state;
  }

  private stateOf(u: VUnit): UnitState {
    if (u.down > 0) return 'down';
    if (u.paused > 0) return 'paused';
    if (u.held > 0) return 'held';
    if (u.work && !u.workDone) return 'working';
    if (u.work && u.workDone) return 'blocked';
    if (u.infeed && u.infeedHere && u.stage.stackerCount >= u.stage.stackerCap) return 'blocked';
    return 'idle';
  }

  private mark(card: VCard, outcome: number): void {
    let h = this.digest;
    for (const v of [Math.round(this.clock.now() * 1000), card.serial, outcome]) {
      h = Math.imul(h ^ (v & 0xffff), 16777619);
      h = Math.imul(h ^ (v >>> 16), 16777619);
    }
    this.digest = h;
  }

  // ---- cards in and out ----------------------------------------------------------------------

  private nextQueued(): number | undefined {
    if (this.batch === undefined && this.queue.size === 0) this.queue.append(this.nextRecord++);
    return this.queue.take();
  }

  /** The controller feeds the blank at the feeder: producing, under the WIP limit, a record waiting. */
  private tryFeed(): boolean {
    const f = this.feeder;
    if (f.infeed || stopped(f)) return false;
    if (!underWipLimit(this.inLine, this.wip)) return false;
    const record = this.nextQueued();
    if (record === undefined) return false;
    const now = this.clock.now();
    const card: VCard = { serial: this.nextSerial++, record, fedAt: now, bad: false, qaFailed: false, arrivedAt: now, startedAt: now, fate: undefined };
    this.attempts[record] = (this.attempts[record] ?? 0) + 1;
    this.integrateWip(now);
    this.inLine += 1;
    this.fed += 1;
    if (this.counting()) this.counted.fed += 1;
    f.infeed = card;
    f.infeedHere = true;
    this.arrived(f.stage, card);
    this.journal?.({ type: 'fed', at: now, line: this.line.id, batchId: SIMULATED_BATCH, seq: record, card: String(card.serial) });
    return true;
  }

  private arrived(s: Stage, card: VCard): void {
    const now = this.clock.now();
    card.arrivedAt = now;
    this.integrateQueue(s, now);
    s.waiting += 1;
    if (this.counting()) s.arrivals += 1;
  }

  /** A card left the line (stacked, packed or in the reject bin). */
  private ended(): void {
    this.integrateWip(this.clock.now());
    this.inLine -= 1;
  }

  private goodCard(card: VCard, u: VUnit): void {
    this.ended();
    this.journalEnd(card, u, null);
    this.good += 1;
    this.produced += 1;
    this.mark(card, 0);
    if (this.counting()) {
      this.counted.good += 1;
      if (card.fedAt >= this.warmupMs) this.leadTimes.push(this.clock.now() - card.fedAt);
    }
  }

  private spoil(card: VCard, reason: string, u: VUnit): void {
    this.ended();
    this.journalEnd(card, u, reason);
    this.spoiled += 1;
    this.spoiledBy[reason] = (this.spoiledBy[reason] ?? 0) + 1;
    this.mark(card, reason.length);
    if (this.counting()) {
      this.counted.spoiled += 1;
      this.spoiledCounted[reason] = (this.spoiledCounted[reason] ?? 0) + 1;
    }
    // The controller: a re-make at the front of the queue, until the record's attempts are used up.
    if ((this.attempts[card.record] ?? 0) < this.maxAttempts) {
      this.queue.remake(card.record);
      if (this.counting()) this.counted.remakes += 1;
    } else {
      this.failed += 1;
      if (this.counting()) this.counted.failed += 1;
    }
  }

  private journalEnd(card: VCard, u: VUnit, reason: string | null): void {
    this.journal?.({
      type: 'ended',
      at: this.clock.now(),
      line: this.line.id,
      unit: u.id,
      batchId: SIMULATED_BATCH,
      seq: card.record,
      attempt: this.attempts[card.record] ?? 1,
      card: String(card.serial),
      good: reason === null,
      reason,
    });
  }

  /** The unit's Done for its card (result 0: good; else the card goes to the reject bin from here). */
  private journalDone(u: VUnit, card: VCard, result: number): void {
    this.journal?.({ type: 'done', at: this.clock.now(), line: this.line.id, unit: u.id, kind: u.stage.kind, batchId: SIMULATED_BATCH, seq: card.record, card: String(card.serial), result });
  }

  /**
   * The PackML state a unit's PLC would report (simulators/plc/unit-plc.ts): Execute while
   * producing, also with no card to work on (a head waiting for the next card is not stopped);
   * Suspended Blocked when a full stacker stops its output; Held by a jam; Aborted by a breakdown;
   * Held by the operator for a planned stop.
   */
  private reportState(u: VUnit, now: number): void {
    const [state, reason] =
      u.down > 0
        ? [PACKML_STATES.Aborted, STOP_REASONS.Fault]
        : u.paused > 0
          ? [PACKML_STATES.Held, STOP_REASONS.Operator]
          : u.held > 0
            ? [PACKML_STATES.Held, STOP_REASONS.CardJam]
            : u.state === 'blocked' && !u.work
              ? [PACKML_STATES.Suspended, STOP_REASONS.Blocked]
              : [PACKML_STATES.Execute, STOP_REASONS.None];
    const code = state * 100 + reason;
    if (code === u.reported) return;
    u.reported = code;
    this.journal!({ type: 'state', at: now, line: this.line.id, unit: u.id, state, stopReason: reason });
  }

  // ---- units ---------------------------------------------------------------------------------

  private start(u: VUnit): void {
    const card = u.infeed!;
    const s = u.stage;
    u.infeed = undefined;
    u.infeedHere = false;
    u.work = card;
    u.workDone = false;
    const now = this.clock.now();
    this.integrateQueue(s, now);
    s.waiting -= 1;
    card.startedAt = now;
    if (this.counting() && card.arrivedAt >= this.warmupMs) s.waitMsSum += now - card.arrivedAt;
    // The card's own stream at this kind: the same draws as the real-time line model's.
    const rng = Rng.stream(this.words, card.serial, s.streamKey);
    const cycleMs = drawCycleMs(s.station.cycle, rng);
    card.fate = drawFate(s.kind, false, rng, s.failures);
    u.cycleEnd = now + cycleMs;
    u.cycleTimer = this.clock.after(cycleMs, () => this.finish(u));
  }

  private finish(u: VUnit): void {
    u.cycleTimer = undefined;
    const card = u.work!;
    const s = u.stage;
    const fate = card.fate!;
    const now = this.clock.now();
    if (this.counting() && card.arrivedAt >= this.warmupMs) {
      s.sojournMsSum += now - card.arrivedAt;
      s.finished += 1;
    }
    const defect = fate.kind.defect;
    if (fate.jam) {
      u.work = undefined;
      this.journalDone(u, card, 1);
      this.spoil(card, 'CardJam', u);
      this.jam(u);
    } else if (defect !== undefined && DEFECT_EFFECTS[defect] === 'reported') {
      u.work = undefined;
      this.journalDone(u, card, 1);
      this.spoil(card, defect, u);
    } else {
      if (defect !== undefined) card.bad = true;
      if (s.role === 'inspect' && card.bad) card.qaFailed = true;
      this.journalDone(u, card, s.role === 'sort' && card.qaFailed ? 1 : 0);
      if (s.role === 'sort') {
        u.work = undefined;
        if (card.qaFailed) this.spoil(card, 'host-reject', u);
        else if (this.hasPacker) this.toOutfeed(u, card);
        else if (s.stackerCount >= s.stackerCap) this.spoil(card, 'stacker-full', u);
        else this.stack(u, card);
      } else if (s.role === 'pack') {
        u.work = undefined;
        this.goodCard(card, u);
      } else {
        this.toOutfeed(u, card);
      }
    }
    this.settle();
  }

  /** A finished card to the outfeed when it is free; else it waits in the work position (the unit is blocked). */
  private toOutfeed(u: VUnit, card: VCard): void {
    u.work = card;
    u.workDone = true;
    u.finishedAt = this.clock.now();
    this.advance(u);
  }

  private stack(u: VUnit, card: VCard): void {
    const s = u.stage;
    s.stackerCount += 1;
    this.goodCard(card, u);
    if (s.stackerCount >= s.stackerCap && !s.unloading) {
      s.unloading = true;
      this.clock.after(this.sim.stackerUnloadMs, () => {
        s.unloading = false;
        s.stackerCount = 0;
        this.settle();
      });
    }
  }

  /** A jam: the unit goes Holding → Held, the jam is cleared, Unholding → Execute. */
  private jam(u: VUnit): void {
    const acting = DEFAULT_UNIT_TIMING.actingMs;
    this.stop(u, 'held', acting + this.sim.jamClearMs + acting);
  }

  private armBreakdown(u: VUnit, d: DowntimeModel): void {
    // The unit's own stream, apart from every card's (keys above any blank sequence used as key2).
    const rng = Rng.stream(this.words, u.ordinal, 0x7fff0000);
    const next = (): void => {
      this.clock.after(drawTimeToFailureMs(d, rng), () => {
        const repair = drawRepairMs(d, rng);
        this.stop(u, 'down', repair);
        next();
        this.settle();
      });
    };
    next();
  }

  /** The planned stops, one after the other: each arms the next. */
  private armSchedule(schedule: Schedule): void {
    const stops = schedule.stops;
    if (stops.length === 0) return;
    let prev = 0;
    for (const st of stops) {
      if (!(st.fromMs >= prev && st.toMs > st.fromMs && st.toMs <= schedule.periodMs)) throw new RangeError('planned stops must lie in the period, in order, without overlapping');
      prev = st.toMs;
    }
    const arm = (period: number, i: number): void => {
      const st = stops[i]!;
      const at = period * schedule.periodMs + st.fromMs;
      this.clock.after(at - this.clock.now(), () => {
        for (const stage of this.stages) for (const u of stage.units) this.stop(u, 'paused', st.toMs - st.fromMs);
        if (i + 1 < stops.length) arm(period, i + 1);
        else arm(period + 1, 0);
        this.settle();
      });
    };
    arm(0, 0);
  }

  /** A stoppage (jam, breakdown, planned stop): a running cycle pauses and resumes where it was after it. */
  private stop(u: VUnit, why: 'held' | 'down' | 'paused', ms: number): void {
    if (why === 'held') u.held += 1;
    else if (why === 'down') u.down += 1;
    else u.paused += 1;
    if (u.cycleTimer) {
      u.cycleTimer();
      u.cycleTimer = undefined;
      u.remainingMs = u.cycleEnd - this.clock.now();
    }
    this.clock.after(ms, () => {
      if (why === 'held') u.held -= 1;
      else if (why === 'down') u.down -= 1;
      else u.paused -= 1;
      if (!stopped(u) && u.work && !u.workDone && !u.cycleTimer) {
        u.cycleEnd = this.clock.now() + u.remainingMs;
        u.cycleTimer = this.clock.after(u.remainingMs, () => this.finish(u));
      }
      this.settle();
    });
  }

  // ---- the flow ------------------------------------------------------------------------------

  /** Moves every card that can move until nothing more can, then books the units' states. */
  private settle(): void {
    if (this.settling) return;
    this.settling = true;
    let moved = true;
    while (moved) {
      moved = false;
      for (let i = this.stages.length - 1; i >= 0; i--) {
        const s = this.stages[i]!;
        // Cards in the buffer go first, to the least loaded unit free for them.
        while (s.buffer.length > 0) {
          const to = leastLoaded(s.units);
          if (!to) break;
          const card = s.buffer.shift()!;
          to.infeed = card;
          to.infeedHere = true;
          moved = true;
        }
        for (const u of s.units) if (this.advance(u)) moved = true;
        if (i < this.stages.length - 1 && this.route(s, this.stages[i + 1]!)) moved = true;
      }
      if (this.tryFeed()) moved = true;
    }
    const now = this.clock.now();
    for (const s of this.stages) {
      for (const u of s.units) {
        const state = this.stateOf(u);
        if (state !== u.state) this.setState(u, state, now);
        if (this.journal) this.reportState(u, now);
      }
    }
    this.settling = false;
  }

  /** Inside a unit (UnitPlc.advance): a finished card to the free outfeed, then the staged card into the free work position. */
  private advance(u: VUnit): boolean {
    let moved = false;
    if (u.work && u.workDone && !u.outfeed) {
      u.outfeed = u.work;
      u.work = undefined;
      u.workDone = false;
      moved = true;
    }
    if (u.work || !u.infeed || !u.infeedHere || stopped(u)) return moved;
    if (u.stage.stackerCount >= u.stage.stackerCap) return moved;
    this.start(u);
    return true;
  }

  /** Finished cards of `from`, oldest first, to the least loaded free unit of `to`, or its buffer. */
  private route(from: Stage, to: Stage): boolean {
    let moved = false;
    for (;;) {
      let oldest: VUnit | undefined;
      for (const u of from.units) if (u.outfeed && (!oldest || u.finishedAt < oldest.finishedAt)) oldest = u;
      if (!oldest) return moved;
      const unit = to.buffer.length === 0 && to.bufferReserved === 0 ? leastLoaded(to.units) : undefined;
      if (!unit && to.buffer.length + to.bufferReserved >= to.bufferCap) return moved;
      const card = oldest.outfeed!;
      oldest.outfeed = undefined;
      this.advance(oldest);
      this.transfer(card, to, unit);
      moved = true;
    }
  }

  private transfer(card: VCard, to: Stage, unit: VUnit | undefined): void {
    const ms = this.sim.transferMs;
    if (unit) {
      unit.infeed = card;
      unit.infeedHere = false;
    } else {
      to.bufferReserved += 1;
    }
    this.inTransit += 1;
    const land = (): void => {
      this.inTransit -= 1;
      this.arrived(to, card);
      if (unit) unit.infeedHere = true;
      else {
        to.bufferReserved -= 1;
        to.buffer.push(card);
      }
    };
    if (ms === 0) {
      land();
      return;
    }
    this.clock.after(ms, () => {
      land();
      this.settle();
    });
  }
}

/**
 * The line fidelity (`cardline simulate --fidelity line`): the real controller, its machines and
 * its station links (HandshakeLink over MemoryTransport, every handshake byte) drive the
 * simulator's PLC programs and line model (SimLine) with a real SQLite store, all on one
 * VirtualClock. The slower reference for the fast engine (engine.ts): both report the same RunResult.
 *
 * The run loop: the clock runs one event, then the loop waits until the line is quiet — no store
 * query under way and a few turns of the event loop with no tag written by a PLC or the controller
 * and no query started or ended — before the next event. So whatever the controller does in answer
 * (a job, a commit before DoneAck, a command) takes no simulated time, as the fast engine assumes,
 * and the run is the same every time for a seed.
 *
 * The batch is synthetic (src/sample: no real person), imported into a store in a temporary folder
 * that is removed afterwards. Jobs are light (line-jobs.ts): the run is about the line, not the chip.
 */
import type { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openContext, type AppContext } from '../../src/cli/context.ts';
import { simulationOf, stationUnits, type LineConfig, type StationKind } from '../../src/config/line-config.ts';
import { importBatch } from '../../src/import/importer.ts';
import { LineController } from '../../src/line/controller.ts';
import { DEFAULT_MAX_ATTEMPTS } from '../../src/line/scheduler.ts';
import { HandshakeLink } from '../../src/plc/handshake-link.ts';
import { MemoryTransport } from '../../src/plc/memory-transport.ts';
import type { StationLink } from '../../src/plc/station-link.ts';
import { kpiAccumulator, type KpiResult } from '../../src/kpi/compute.ts';
import type { KpiEvent } from '../../src/kpi/events.ts';
import { linePlan } from '../../src/kpi/line-plan.ts';
import type { Seed } from '../../src/sample/rng.ts';
import { writeSample } from '../../src/sample/write-sample.ts';
import { LineStore } from '../../src/store/line-store.ts';
import type { UnitPlc } from '../plc/unit-plc.ts';
import { SimLine } from '../sim-line.ts';
import { VirtualClock } from './clock.ts';
import { SIMULATED_BATCH, type RunResult, type StationRun, type UnitState } from './engine.ts';
import { replicationSeed, simulatedKpis, summarize, type Figures, type SimulateOptions } from './figures.ts';
import { VirtualHostClock } from './host-clock.ts';
import { LightPreparer, lightJudge } from './line-jobs.ts';

export interface LineFidelityOptions {
  readonly line: LineConfig;
  /** Overrides the line's simulation.seed. */
  readonly seed?: Seed;
  /** A batch of this many records: the run ends when each is produced or has failed. */
  readonly cards: number;
  /** Progress, now and then (cards ended so far). */
  readonly onProgress?: (ended: number) => void;
  /** Takes the run's journal as it goes, as the fast engine's (EngineOptions.journal): the units' states and Done as their PLCs set them, the cards fed and ended as the controller committed them; times in simulated ms. */
  readonly journal?: (event: KpiEvent) => void;
}

/** Turns of the event loop with nothing happening after which the line is taken to be quiet. */
const QUIET_TURNS = 4;
/** At most this many WIP-over-time buckets (they widen as the run goes on), as the fast engine. */
const WIP_BUCKETS = 240;
const FNV_OFFSET = 0x811c9dc5;
/** No card fed or ended for this long (simulated): the run is stuck (the heartbeats would go on forever). */
const STALL_MS = 30 * 60_000;
/** The import's "today": after the synthetic records' last issue date (src/sample DEFAULT_ISSUE_TO), so none is in the future. */
const AFTER_SAMPLE = { year: 2026, month: 7, day: 1 };

/** Runs one batch of `cards` records through the real controller on the virtual clock. */
export async function runLineFidelity(options: LineFidelityOptions): Promise<RunResult> {
  const { cards } = options;
  if (!(Number.isInteger(cards) && cards > 0)) throw new RangeError(`cards must be a whole number above 0, got ${cards}`);
  // The real-time simulator's model has no breakdowns, buffers or unstaged units yet: refused rather than ignored.
  const engineOnly = options.line.stations.flatMap((st, i) => [
    ...(st.downtime ? [`stations[${i}] (${st.id}).downtime`] : []),
    ...(st.buffer !== 0 ? [`stations[${i}] (${st.id}).buffer`] : []),
    ...(st.staging ? [] : [`stations[${i}] (${st.id}).staging: false`]),
  ]);
  if (engineOnly.length > 0) {
    throw new RangeError(`${options.line.source}: ${engineOnly.join(', ')}: only the fast engine models these; remove them for the line fidelity, or run the fast one`);
  }
  const sim0 = simulationOf(options.line);
  const seed = options.seed ?? sim0.seed;
  // The fast engine's magazine never runs out: enough blanks for every attempt of every record.
  const blanks = cards * DEFAULT_MAX_ATTEMPTS + 16;
  const line: LineConfig = { ...options.line, simulation: { ...sim0, seed, initialBlanks: Math.max(sim0.initialBlanks, blanks), controlPort: undefined } };

  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-fidelity-'));
  const clock = new VirtualClock();
  const host = new VirtualHostClock(clock);
  let sim: SimLine | undefined;
  const links = new Map<string, StationLink>();
  let ctx: AppContext | undefined;
  try {
    ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
    const sample = await writeSample({ count: cards, seed: `fidelity/${String(seed)}`, outDir: path.join(dir, 'in'), portraitPool: 1 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 'simulate', today: AFTER_SAMPLE });
    if (imported.accepted !== cards) throw new Error(`the synthetic batch: ${imported.accepted} of ${cards} records accepted`);
    const store = new LineStore(ctx.db, line.id);
    await store.loadStock(line.simulation!.initialBlanks, 'initial', 'simulate');

    sim = SimLine.open({ line, dataDir: ctx.dataDir, clock });
    const watch = new Watch(line, clock, sim, options.journal);
    // A store call holds a connection from the pool until it is done (a transaction, until its COMMIT is): busy until released.
    const pool = (ctx.db.client as { pool?: EventEmitter }).pool;
    if (!pool) throw new Error('the store has no connection pool to watch');
    pool.on('acquireRequest', watch.storeCallStarted);
    pool.on('acquireFail', watch.storeCallEnded);
    pool.on('release', watch.storeCallEnded);
    ctx.db.on('query', watch.touched);
    store.journal.addCommitListener((ops) => {
      for (const op of ops) {
        if (op.op === 'card.fed') watch.fed(op.cardSerial, op.seq, op.attempt);
        else if (op.op === 'card.ended') watch.ended(op.cardSerial, op.status === 'good', op.reason ?? null, op.unit, ...watch.recordOf(op.cardSerial));
      }
    });

    for (const unit of stationUnits(line)) {
      links.set(unit.unitId, new HandshakeLink(unit.unitId, new MemoryTransport(sim.store(unit.unitId)), unit.station.timeouts, host));
    }
    await Promise.all([...links.values()].map((l) => l.connect()));

    const wip = line.simulation!.wip;
    const controller = new LineController(line, links, store, new LightPreparer(ctx.batches), lightJudge, {
      actor: 'simulate',
      autoRecover: true,
      // A jam is cleared after simulation.jamClearMs, as the fast engine has it.
      recoverAfterMs: line.simulation!.jamClearMs,
      ...(wip === undefined ? {} : { wip: wip === 'unlimited' ? Number.MAX_SAFE_INTEGER : wip }),
      clock: host,
    });
    const state: { outcome: 'running' | 'ended' | Error } = { outcome: 'running' };
    const run = controller.run(imported.batchId, { resume: false, status: 'imported' }).then(
      (o) => {
        state.outcome = o.status === 'completed' ? 'ended' : new Error(`the run ended ${o.status}`);
      },
      (error: unknown) => {
        state.outcome = error instanceof Error ? error : new Error(String(error));
      },
    );
    let reported = 0;
    // The fast engine's operator: a full stacker is emptied after simulation.stackerUnloadMs.
    const unloading = new Set<string>();
    const unloadFull = (): void => {
      for (const [station, stacker] of sim!.model.stackers) {
        if (stacker.count < stacker.capacity || unloading.has(station)) continue;
        unloading.add(station);
        clock.after(line.simulation!.stackerUnloadMs, () => {
          unloading.delete(station);
          sim!.model.emptyStacker(station);
        });
      }
    };
    let moved = { cards: -1, at: 0 };
    options.journal?.({ type: 'run', at: 0, line: line.id, batchId: SIMULATED_BATCH, status: 'running' });
    watch.journalStates();
    await watch.quiet();
    watch.sample();
    while (state.outcome === 'running') {
      if (!clock.step()) throw new Error(`line ${line.id}: nothing left to happen at simulated ${clock.now()} ms with the batch not ended`);
      await watch.quiet();
      watch.sample();
      unloadFull();
      const cardsMoved = watch.fedCount + watch.endedCount;
      if (cardsMoved !== moved.cards) moved = { cards: cardsMoved, at: clock.now() };
      else if (clock.now() - moved.at > STALL_MS) {
        throw new Error(`line ${line.id}: no card fed or ended for ${STALL_MS / 60_000} simulated minutes (at ${Math.round(clock.now() / 1000)} s, ${watch.endedCount} cards ended, ${controller.progress().inLine} in the line); the line fidelity stops here`);
      }
      if (options.onProgress && watch.endedCount - reported >= 100) {
        reported = watch.endedCount;
        options.onProgress(reported);
      }
    }
    await run;
    if (state.outcome instanceof Error) throw state.outcome;
    options.journal?.({ type: 'run', at: clock.now(), line: line.id, batchId: SIMULATED_BATCH, status: 'completed' });
    const accounting = await store.accounting(imported.batchId);
    return watch.result(String(seed), { produced: accounting.records.produced, failed: accounting.records.failed });
  } finally {
    for (const l of links.values()) await l.close().catch(() => undefined);
    sim?.stop();
    clock.stop();
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface StationTally {
  readonly id: string;
  readonly kind: StationKind;
  readonly units: string[];
  readonly nominalRatePerS: number;
  readonly stateMs: Record<UnitState, number>;
  arrivals: number;
  waitMsSum: number;
  sojournMsSum: number;
  finished: number;
  queueCardMs: number;
}

interface UnitWatch {
  readonly plc: UnitPlc;
  readonly station: StationTally;
  state: UnitState;
  /** The serial in the work position at the last look, and whether its cycle ran. */
  work: string | null;
  working: boolean;
  /** Cards presented at the unit (arrived) and not yet in work: serial → arrival time. */
  readonly waiting: Map<string, number>;
  /** Cards in work: serial → arrival time. */
  readonly inWork: Map<string, number>;
}

/**
 * What the run measures, as the fast engine's figures: each unit's state over simulated time (its
 * PLC looked at after every event, once the line is quiet), the stations' arrivals, waits and
 * queues (a card presented at a unit's infeed, then in its work position, then done), and the
 * cards fed and ended as the controller committed them.
 */
class Watch {
  private inflight = 0;
  private activity = 0;
  private last = 0;
  private readonly units: UnitWatch[] = [];
  private readonly stations: StationTally[] = [];
  private readonly fedAt = new Map<string, number>();
  /** Each card in the line's record and attempt. */
  private readonly fedRecord = new Map<string, [number, number]>();
  private readonly seqs = new Set<number>();
  fedCount = 0;
  endedCount = 0;
  private good = 0;
  private spoiled = 0;
  private readonly spoiledBy: Record<string, number> = {};
  private inLine = 0;
  private wipSince = 0;
  private readonly wipMs: Record<number, number> = {};
  private readonly wipChanges: { at: number; inLine: number }[] = [{ at: 0, inLine: 0 }];
  private readonly leadTimes: number[] = [];
  private digest = FNV_OFFSET;
  private readonly lineId: string;

  constructor(
    line: LineConfig,
    private readonly clock: VirtualClock,
    private readonly sim: SimLine,
    private readonly journal: ((event: KpiEvent) => void) | undefined,
  ) {
    this.lineId = line.id;
    const byStation = new Map<string, StationTally>();
    for (const unit of stationUnits(line)) {
      let tally = byStation.get(unit.station.id);
      if (!tally) {
        const d = unit.station.downtime;
        const units = stationUnits(line).filter((u) => u.station.id === unit.station.id).length;
        tally = {
          id: unit.station.id,
          kind: unit.station.kind,
          units: [],
          nominalRatePerS: (units / unit.station.cycle.meanMs) * 1000 * (d ? d.mtbfMs / (d.mtbfMs + d.mttrMs) : 1),
          stateMs: { working: 0, idle: 0, blocked: 0, held: 0, down: 0, paused: 0 },
          arrivals: 0,
          waitMsSum: 0,
          sojournMsSum: 0,
          finished: 0,
          queueCardMs: 0,
        };
        byStation.set(unit.station.id, tally);
        this.stations.push(tally);
      }
      tally.units.push(unit.unitId);
      const watch: UnitWatch = { plc: sim.plc(unit.unitId), station: tally, state: 'idle', work: null, working: false, waiting: new Map(), inWork: new Map() };
      this.units.push(watch);
      sim.store(unit.unitId).onChange((changes, by) => {
        this.activity += 1;
        if (by !== 'plc') return;
        const tags = sim.store(unit.unitId);
        if (this.journal) {
          const at = this.clock.now();
          if (changes.StateCurrent !== undefined || changes.StopReason !== undefined) this.journalState(unit.unitId);
          if (changes.Done === true) {
            const card = tags.get('ResultCardSerial');
            this.journal({ type: 'done', at, line: line.id, unit: unit.unitId, kind: unit.station.kind, batchId: SIMULATED_BATCH, seq: null, card: card || null, result: tags.get('Result') });
          }
        }
        if (changes.CardPresent === true || (changes.CardSerial !== undefined && tags.get('CardPresent'))) {
          const serial = tags.get('CardSerial');
          if (serial && !watch.waiting.has(serial) && !watch.inWork.has(serial)) {
            watch.waiting.set(serial, this.clock.now());
            tally.arrivals += 1;
          }
        }
      });
    }
  }

  /** Every unit's state as the run starts (the KPIs' time model starts from it). */
  journalStates(): void {
    for (const unitId of this.sim.stores.keys()) this.journalState(unitId);
  }

  private journalState(unitId: string): void {
    const tags = this.sim.store(unitId);
    this.journal?.({ type: 'state', at: this.clock.now(), line: this.lineId, unit: unitId, state: tags.get('StateCurrent'), stopReason: tags.get('StopReason') });
  }

  readonly storeCallStarted = (): void => {
    this.inflight += 1;
    this.activity += 1;
  };

  readonly storeCallEnded = (): void => {
    this.inflight = Math.max(0, this.inflight - 1);
    this.activity += 1;
  };

  readonly touched = (): void => {
    this.activity += 1;
  };

  /** Resolves once no store call holds a connection and QUIET_TURNS turns of the event loop passed with nothing happening. */
  async quiet(): Promise<void> {
    let calm = 0;
    while (calm < QUIET_TURNS) {
      const seen = this.activity;
      await new Promise((resolve) => setImmediate(resolve));
      calm = this.inflight === 0 && this.activity === seen ? calm + 1 : 0;
    }
  }

  /** Looks at every unit at the current simulated time: its state since the last look, cards starting and ending work. */
  sample(): void {
    const now = this.clock.now();
    const span = now - this.last;
    for (const u of this.units) {
      u.station.stateMs[u.state] += span;
      u.station.queueCardMs += u.waiting.size * span;
    }
    this.last = now;
    for (const u of this.units) {
      const status = u.plc.status();
      const work = status.positions.work;
      const working = status.phase === 'working';
      if (work !== u.work) {
        if (u.work !== null) this.workEnded(u, u.work, now);
        if (work !== null) {
          const arrived = u.waiting.get(work) ?? now;
          u.waiting.delete(work);
          u.station.waitMsSum += now - arrived;
          u.inWork.set(work, arrived);
        }
      }
      if (u.working && !working && work !== null && work === u.work) this.workEnded(u, work, now);
      u.work = work;
      u.working = working;
      u.state = unitState(status.state, status.stopReason, working, work !== null);
    }
  }

  private workEnded(u: UnitWatch, serial: string, now: number): void {
    const arrived = u.inWork.get(serial);
    if (arrived === undefined) return;
    u.inWork.delete(serial);
    u.station.sojournMsSum += now - arrived;
    u.station.finished += 1;
  }

  recordOf(serial: string): [number, number] {
    return this.fedRecord.get(serial) ?? [0, 0];
  }

  fed(serial: string, seq: number, attempt: number): void {
    this.fedRecord.set(serial, [seq, attempt]);
    const now = this.clock.now();
    this.fedCount += 1;
    this.seqs.add(seq);
    this.fedAt.set(serial, now);
    this.journal?.({ type: 'fed', at: now, line: this.lineId, batchId: SIMULATED_BATCH, seq, card: serial });
    this.changeWip(now, +1);
  }

  ended(serial: string, good: boolean, reason: string | null, unit: string, seq: number, attempt: number): void {
    const now = this.clock.now();
    this.journal?.({ type: 'ended', at: now, line: this.lineId, unit, batchId: SIMULATED_BATCH, seq, attempt, card: serial, good, reason });
    this.endedCount += 1;
    if (good) {
      this.good += 1;
      const fedAt = this.fedAt.get(serial);
      if (fedAt !== undefined) this.leadTimes.push(now - fedAt);
    } else {
      this.spoiled += 1;
      const why = reason ?? 'UNKNOWN';
      this.spoiledBy[why] = (this.spoiledBy[why] ?? 0) + 1;
    }
    this.fedAt.delete(serial);
    this.fedRecord.delete(serial);
    let h = this.digest;
    for (const c of `${now}|${serial}|${good ? 0 : 1};`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    this.digest = h;
    this.changeWip(now, -1);
  }

  private changeWip(now: number, by: number): void {
    this.wipMs[this.inLine] = (this.wipMs[this.inLine] ?? 0) + (now - this.wipSince);
    this.wipSince = now;
    this.inLine += by;
    this.wipChanges.push({ at: now, inLine: this.inLine });
  }

  result(seed: string, records: { produced: number; failed: number }): RunResult {
    const end = this.clock.now();
    this.sample();
    this.wipMs[this.inLine] = (this.wipMs[this.inLine] ?? 0) + (end - this.wipSince);
    this.wipSince = end;
    const stations: StationRun[] = this.stations.map((s) => ({
      id: s.id,
      kind: s.kind,
      units: s.units.length,
      nominalRatePerS: s.nominalRatePerS,
      stateMs: { ...s.stateMs },
      arrivals: s.arrivals,
      waitMsSum: s.waitMsSum,
      sojournMsSum: s.sojournMsSum,
      finished: s.finished,
      queueCardMs: s.queueCardMs,
    }));
    return {
      seed,
      elapsedMs: end,
      warmupMs: 0,
      fed: this.fedCount,
      good: this.good,
      spoiled: this.spoiled,
      spoiledBy: { ...this.spoiledBy },
      inLineAtEnd: this.inLine,
      records: { ...records, remakes: this.fedCount - this.seqs.size },
      stations,
      wipMs: { ...this.wipMs },
      leadTimesMs: this.leadTimes,
      wipSeries: wipSeries(this.wipChanges, end),
      events: this.clock.events,
      digest: (this.digest >>> 0).toString(16).padStart(8, '0'),
    };
  }
}

/**
 * A unit's state as the fast engine counts it, from what its PLC says: broken down (Aborted …),
 * paused by the operator or held by a jam (Holding, Held, Unholding), working (a cycle runs),
 * blocked (a finished card in the work position, or Suspended by a full stacker), else idle.
 */
function unitState(state: string, stopReason: string, working: boolean, workOccupied: boolean): UnitState {
  if (state === 'Aborting' || state === 'Aborted' || state === 'Clearing' || state === 'Stopped' || state === 'Stopping') return 'down';
  if (state === 'Holding' || state === 'Held' || state === 'Unholding') return stopReason === 'Operator' ? 'paused' : 'held';
  if (working) return 'working';
  if (workOccupied || state === 'Suspended' || state === 'Suspending') return 'blocked';
  return 'idle';
}

/** Mean cards in the line in buckets of 60 s, doubled in width until there are at most WIP_BUCKETS. */
function wipSeries(changes: readonly { at: number; inLine: number }[], end: number): RunResult['wipSeries'] {
  let bucketMs = 60_000;
  while (end / bucketMs > WIP_BUCKETS) bucketMs *= 2;
  const n = Math.max(1, Math.ceil(end / bucketMs));
  const cardMs = new Array<number>(n).fill(0);
  for (let i = 0; i < changes.length; i++) {
    const from = changes[i]!.at;
    const to = i + 1 < changes.length ? changes[i + 1]!.at : end;
    const level = changes[i]!.inLine;
    for (let t = from; t < to; ) {
      const b = Math.min(n - 1, Math.floor(t / bucketMs));
      const stop = Math.min(to, (b + 1) * bucketMs);
      cardMs[b]! += level * (stop - t);
      t = stop;
      if (b === n - 1 && stop === to) break;
    }
  }
  return { bucketMs, mean: cardMs.map((ms, i) => ms / Math.max(1, Math.min(bucketMs, end - i * bucketMs))) };
}


/**
 * `simulate` (figures.ts) in the line fidelity: the replications run through the real controller,
 * the same figures and KPIs come out. A batch only (`cards`): no endless queue, warm-up or schedule.
 */
export async function simulateLineFidelity(options: SimulateOptions & { readonly onProgress?: (ended: number) => void }): Promise<Figures> {
  if (options.cards === undefined || options.hours !== undefined) throw new RangeError('the line fidelity runs a batch of records: give cards (--cards N), not hours');
  if (options.warmupMs !== undefined || options.schedule !== undefined) throw new RangeError('the line fidelity runs a batch from start to end: no warm-up and no schedule');
  const replications = options.replications ?? 1;
  if (!Number.isInteger(replications) || replications < 1) throw new RangeError(`replications must be a whole number ≥ 1, got ${replications}`);
  const base = String(options.seed ?? options.line.simulation?.seed ?? 1);
  const plan = linePlan({ ...options.line, simulation: { ...simulationOf(options.line), timeScale: 1 } });
  const runs: RunResult[] = [];
  const journals: KpiResult[] = [];
  for (let r = 0; r < replications; r++) {
    const kpis = options.kpis === false ? undefined : kpiAccumulator({ from: 0, plans: [plan] });
    const run = await runLineFidelity({
      line: options.line,
      seed: replicationSeed(base, r),
      cards: options.cards,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(kpis ? { journal: (e: KpiEvent) => kpis.add(e) } : {}),
    });
    runs.push(run);
    if (kpis) journals.push(kpis.result(run.elapsedMs));
  }
  const figures = summarize(options.line, base, runs, { cards: options.cards });
  if (journals.length === 0) return figures;
  const kpis = simulatedKpis(journals);
  const order = figures.stations.map((s) => s.id);
  return { ...figures, kpis: { ...kpis, stations: [...kpis.stations].sort((x, y) => order.indexOf(x.station) - order.indexOf(y.station)) } };
}

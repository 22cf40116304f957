/**
 * The physical model of one line: blanks in the magazine, cards moving feeder → encoder heads →
 * laser → QA → output, the stacker and the reject bin. A unit has an infeed, a work position and
 * an outfeed (UnitPlc); a finished card waits at its unit's outfeed until the infeed of a unit of
 * the next station is free (the least loaded one, so parallel heads share the work and let cards
 * overtake each other), then travels there in the transfer time — while that unit still works on
 * the card before it. Each unit's PLC logic drives its
 * own card through the Workcell this model gives it; the model routes finished cards and keeps the
 * ledger of the physical truth.
 */
import { stationUnits, type LineConfig, type StationConfig, type StationKind, type StationUnit } from '../../src/config/line-config.ts';
import { routeOf, stationKind, stationKinds } from '../../src/stations/kinds.ts';
import { Rng, seedWords } from '../../src/sample/rng.ts';
import { dg1Digest, type Ledger } from '../ledger.ts';
import type { WorkSession, Workcell } from '../plc/workcell.ts';
import { PACKING_DEFAULTS } from '../../src/packing/pack.ts';
import { Magazine, Stacker } from './bins.ts';
import { Card, cardSerial } from './card.ts';
import { DG1_FID, chipContentSha256, parseDg1Mrz } from './chip.ts';
import type { Clock } from './clock.ts';
import { drawCycleMs } from './cycle-time.ts';
import { packerFromLedger, type PackerPockets } from './packer.ts';
import { doWork, type OutputBins, type StationFailures } from './physics.ts';

/** What the model needs of a unit's PLC to route cards (UnitPlc implements it). */
export interface FlowUnit {
  readonly unitId: string;
  readonly finishedAt: number;
  canAccept(): boolean;
  /** Cards in the unit or on their way to it. */
  load(): number;
  readyCard(): Card | undefined;
  release(): Card;
  reserve(serial: string): void;
  arrive(card: Card): void;
  tick(): void;
}

export type Simulation = NonNullable<LineConfig['simulation']>;

export class LineModel {
  readonly simulation: Simulation;
  readonly magazine: Magazine;
  readonly stackers = new Map<string, Stacker>();
  /** Each packer's pockets, by station id. */
  readonly packers = new Map<string, PackerPockets>();
  /** Failure probabilities per station id; fault injection changes them at run time. */
  readonly failures = new Map<string, StationFailures>();
  readonly units: readonly StationUnit[];
  private readonly stages: { kind: StationKind; units: StationUnit[]; flow: FlowUnit[] }[];
  private readonly flowUnits = new Map<string, FlowUnit>();
  private readonly seed: [number, number, number, number];
  private nextSeq: number;
  private rejectCount = 0;
  private pumpQueued = false;
  private stopped = false;

  constructor(
    readonly line: LineConfig,
    private readonly ledger: Ledger,
    readonly clock: Clock,
  ) {
    if (!line.simulation) {
      throw new Error(`${line.source}: line ${line.id} has no simulation block; only a simulated line can run in plc-sim (add simulation: {…})`);
    }
    this.simulation = line.simulation;
    this.seed = seedWords(this.simulation.seed);
    this.units = stationUnits(line);
    // The line's route: the kinds of its stations, in the order of the station-kind table.
    this.stages = routeOf(line.stations.map((s) => s.kind)).map((kind) => ({ kind, units: this.units.filter((u) => u.station.kind === kind), flow: [] as FlowUnit[] }));
    for (const s of line.stations) this.failures.set(s.id, { ...s.failures });

    // Restore from the ledger: what the previous simulator process left behind.
    const restored = ledger.state;
    const firstStart = restored.starts === 0 && restored.blanksLoaded === 0;
    ledger.append({ ev: 'start', line: line.id, pid: process.pid });
    this.magazine = new Magazine(restored.lots);
    this.nextSeq = restored.lastSeq + 1;
    for (const s of line.stations) {
      if (!stationKind(s.kind).stacker) continue;
      this.stackers.set(s.id, new Stacker(s.id, s.stackerCapacity ?? Number.POSITIVE_INFINITY, restored.stackers.get(s.id) ?? []));
    }
    for (const s of line.stations) {
      if (stationKind(s.kind).pockets) this.packers.set(s.id, packerFromLedger(s.id, s.packPockets ?? PACKING_DEFAULTS.pockets, ledger));
    }
    this.rejectCount = restored.rejectBin.length;
    // A PLC power cycle: whatever was inside the machine is purged to the reject bin.
    for (const [serial, unit] of [...restored.inMachine.entries()]) {
      ledger.append({ ev: 'purged', card: serial, unit, reason: 'simulator-restart' });
      this.rejectCount += 1;
    }
    if (firstStart && this.simulation.initialBlanks > 0) this.loadBlanks(this.simulation.initialBlanks, 'initial');
  }

  /** Connects a unit's PLC to the flow. Every unit of stationUnits(line) must be attached. */
  attach(unit: FlowUnit): void {
    const stage = this.stages.find((s) => s.units.some((u) => u.unitId === unit.unitId));
    if (!stage) throw new Error(`unit ${unit.unitId} is not a unit of line ${this.line.id}`);
    stage.flow.push(unit);
    // Heads are tried in their configured order: a card goes to the first free one.
    const order = stage.units.map((u) => u.unitId);
    stage.flow.sort((a, b) => order.indexOf(a.unitId) - order.indexOf(b.unitId));
    this.flowUnits.set(unit.unitId, unit);
  }

  /** The Workcell of one unit: what its PLC can do physically. */
  workcell(unit: StationUnit): Workcell {
    const station = unit.station;
    // The card's random stream at this kind: its index in the whole table, whatever the line has.
    const stageIndex = stationKinds().indexOf(station.kind);
    const bins = this.outputBins(unit);
    return {
      unitId: unit.unitId,
      kind: station.kind,
      nextBlank: () => (this.magazine.count > 0 ? cardSerial(this.simulation.serialPrefix, this.nextSeq) : undefined),
      feed: (serial) => this.feed(unit.unitId, serial),
      begin: (card, job): WorkSession => {
        // The card's own stream at this station: its fate does not depend on timing or other cards.
        const rng = Rng.stream(this.seed, card.seq, stageIndex);
        const cycleMs = job.kind === 'skip' ? 0 : drawCycleMs(station.cycle, rng);
        return { cycleMs, finish: () => doWork(station.kind, card, job, rng, this.failuresOf(station), bins) };
      },
      reject: (card, reason) => this.toRejectBin(card, unit.unitId, reason),
      purge: (card, reason) => {
        card.location = { at: 'reject', reason };
        this.rejectCount += 1;
        this.ledger.append({ ev: 'purged', card: card.serial, unit: unit.unitId, reason });
      },
      blockage: () => {
        const def = stationKind(station.kind);
        if (def.role === 'feed' && this.magazine.count === 0) return 'Starved';
        if (def.stacker && this.stackers.get(station.id)?.full) return 'Blocked';
        return undefined;
      },
      changed: () => this.schedulePump(),
    };
  }

  loadBlanks(count: number, lot: string): void {
    this.magazine.load(count, lot);
    this.ledger.append({ ev: 'loaded', count, lot });
    this.schedulePump();
  }

  /** Unloads the stacker(s); positions start again at 1. Returns the cards taken out. */
  emptyStacker(stationId?: string): { station: string; cards: string[] }[] {
    const out: { station: string; cards: string[] }[] = [];
    for (const [id, stacker] of this.stackers) {
      if (stationId !== undefined && id !== stationId) continue;
      const cards = stacker.empty().map((s) => s.cardSerial);
      this.ledger.append({ ev: 'stackerEmptied', station: id, cards });
      out.push({ station: id, cards });
    }
    this.schedulePump();
    return out;
  }

  /** The operator takes every pack out of the packers' pockets (the end of a batch). Returns the pack ids. */
  unloadPacks(): string[] {
    const out = [...this.packers.values()].flatMap((p) => p.unload());
    this.schedulePump();
    return out;
  }

  /** A person takes a card out of its delivery pack (an inspector rejected it). False when no pack holds it. */
  removeFromPack(cardSerial: string, reason: string): boolean {
    const packId = [...this.ledger.state.packs].find(([, p]) => p.cards.some((c) => c.cardSerial === cardSerial))?.[0];
    if (packId === undefined) return false;
    return [...this.packers.values()].some((p) => p.removeCard(cardSerial, packId, reason));
  }

  get rejectBinCount(): number {
    return this.rejectCount;
  }

  stop(): void {
    this.stopped = true;
  }

  private failuresOf(station: StationConfig): StationFailures {
    return this.failures.get(station.id)!;
  }

  private feed(unitId: string, serial: string): Card {
    const expected = cardSerial(this.simulation.serialPrefix, this.nextSeq);
    if (serial !== expected) throw new Error(`feeder ${unitId} fed ${serial}, but the next blank is ${expected}`);
    const lot = this.magazine.take();
    const card = new Card(serial, this.nextSeq, lot, unitId);
    this.nextSeq += 1;
    this.ledger.append({ ev: 'fed', card: serial, seq: card.seq, lot, unit: unitId });
    return card;
  }

  private toRejectBin(card: Card, unitId: string, reason: string, hostReason?: number): void {
    card.location = { at: 'reject', reason };
    this.rejectCount += 1;
    this.ledger.append({ ev: 'rejected', card: card.serial, unit: unitId, reason, ...(hostReason === undefined ? {} : { hostReason }) });
  }

  private outputBins(unit: StationUnit): OutputBins {
    const stationId = unit.station.id;
    return {
      stackerFull: () => this.stackers.get(stationId)?.full ?? true,
      stack: (card) => {
        const stacker = this.stackers.get(stationId);
        if (!stacker) throw new Error(`station ${stationId} has no stacker`);
        const position = stacker.nextPosition();
        const mrz = parseDg1Mrz(card.chip.file(DG1_FID));
        const digest = mrz === null ? null : dg1Digest(mrz);
        stacker.put({ cardSerial: card.serial, position, dg1Digest: digest });
        card.location = { at: 'stacker', station: stationId, position };
        this.ledger.append({
          ev: 'stacked',
          card: card.serial,
          station: stationId,
          position,
          chipSha256: chipContentSha256(card.chip.contents()),
          surfaceSha256: card.surface.sha256(),
          dg1Digest: digest,
        });
        return position;
      },
      reject: (card, reason, hostReason) => this.toRejectBin(card, unit.unitId, reason, hostReason),
      pack: (card, job) => {
        const packer = this.packers.get(stationId);
        if (!packer) throw new Error(`station ${stationId} has no pack pockets`);
        return packer.put(card, job);
      },
    };
  }

  private schedulePump(): void {
    if (this.pumpQueued || this.stopped) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Moves every finished card that can move, oldest first, then lets each unit act. */
  private pump(): void {
    if (this.stopped) return;
    for (let s = this.stages.length - 2; s >= 0; s--) {
      const next = this.stages[s + 1]!.flow;
      const ready = this.stages[s]!.flow.filter((u) => u.readyCard() !== undefined).sort((a, b) => a.finishedAt - b.finishedAt);
      for (const from of ready) {
        const to = leastLoaded(next);
        if (!to) break;
        this.transfer(from, to);
      }
    }
    for (const stage of this.stages) for (const u of stage.flow) u.tick();
  }

  private transfer(from: FlowUnit, to: FlowUnit): void {
    const card = from.release();
    to.reserve(card.serial);
    card.location = { at: 'transfer', from: from.unitId, to: to.unitId };
    this.clock.after(this.simulation.transferMs, () => {
      if (this.stopped) return;
      card.location = { at: 'unit', unitId: to.unitId };
      this.ledger.append({ ev: 'entered', card: card.serial, unit: to.unitId });
      to.arrive(card);
    });
  }
}

/**
 * The unit a card goes to: of those whose infeed is free, the one with fewest cards; ties in
 * configured order. The machine's routing between heads, shared with the virtual-time engine.
 */
export function leastLoaded<U extends Pick<FlowUnit, 'canAccept' | 'load'>>(units: readonly U[]): U | undefined {
  let best: U | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const u of units) {
    if (!u.canAccept()) continue;
    const load = u.load();
    if (load < bestLoad) {
      best = u;
      bestLoad = load;
    }
  }
  return best;
}

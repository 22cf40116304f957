/**
 * One simulated line without its protocol servers: the clock, the ledger, the physical model and
 * one PLC program over one TagStore per unit. LineSimulator puts the servers in front of it; tests
 * drive the TagStores directly.
 */
import type { LineConfig } from '../src/config/line-config.ts';
import { TagStore } from '../src/plc/tag-store.ts';
import { Ledger, ledgerFile } from './ledger.ts';
import { SimClock, type Clock } from './model/clock.ts';
import { LineModel } from './model/line-model.ts';
import { DEFAULT_UNIT_TIMING, UnitPlc, type UnitPlcTiming } from './plc/unit-plc.ts';

export interface SimLineOptions {
  readonly line: LineConfig;
  readonly dataDir: string;
  /** PLC timing; the heartbeat defaults to simulation.heartbeatMs. */
  readonly timing?: Partial<UnitPlcTiming>;
  /** The clock the model and the PLCs run on; default a SimClock at simulation.timeScale. The capacity simulation's line fidelity gives its VirtualClock. */
  readonly clock?: Clock;
}

export class SimLine {
  readonly stores = new Map<string, TagStore>();
  readonly plcs = new Map<string, UnitPlc>();
  private stopped = false;

  private constructor(
    readonly line: LineConfig,
    readonly clock: Clock,
    readonly ledger: Ledger,
    readonly model: LineModel,
    timing: UnitPlcTiming,
  ) {
    for (const unit of model.units) {
      const store = new TagStore(unit.unitId);
      const plc = new UnitPlc(store, model.workcell(unit), clock, timing);
      this.stores.set(unit.unitId, store);
      this.plcs.set(unit.unitId, plc);
      model.attach(plc);
    }
  }

  static open(options: SimLineOptions): SimLine {
    const { line } = options;
    if (!line.simulation) {
      throw new Error(`${line.source}: line ${line.id} has no simulation block; only a simulated line can run in plc-sim (add simulation: {…})`);
    }
    const clock = options.clock ?? new SimClock(line.simulation.timeScale);
    const ledger = Ledger.open(ledgerFile(options.dataDir), () => clock.now());
    try {
      const model = new LineModel(line, ledger, clock);
      const timing = { ...DEFAULT_UNIT_TIMING, heartbeatMs: line.simulation.heartbeatMs, ...options.timing };
      return new SimLine(line, clock, ledger, model, timing);
    } catch (error) {
      clock.stop();
      ledger.close();
      throw error;
    }
  }

  /** Simulated time runs this many times faster than real time (on a SimClock). */
  get timeScale(): number {
    return this.line.simulation!.timeScale;
  }

  store(unitId: string): TagStore {
    const store = this.stores.get(unitId);
    if (!store) throw new Error(`line ${this.line.id} has no unit ${unitId}; its units are ${[...this.stores.keys()].join(', ')}`);
    return store;
  }

  plc(unitId: string): UnitPlc {
    const plc = this.plcs.get(unitId);
    if (!plc) throw new Error(`line ${this.line.id} has no unit ${unitId}; its units are ${[...this.plcs.keys()].join(', ')}`);
    return plc;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const plc of this.plcs.values()) plc.stop();
    this.model.stop();
    this.clock.stop();
    this.ledger.close();
  }
}

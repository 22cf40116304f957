/**
 * The simulator's control surface: stock (blanks, stacker), fault injection (connections,
 * answering, heartbeat, e-stop, slow cycles, failure probabilities), PackML commands as an operator
 * panel would give them, and status. The same object serves tests in-process and the HTTP routes
 * (control-http.ts).
 *
 * Targets name a unit (`encoder.2`), a station (`encoder`: all its units) or, where it makes sense
 * and the target is left out, the whole line.
 */
import type { LineConfig } from '../src/config/line-config.ts';
import { PACKML_COMMANDS, type PackMLCommandName } from '../src/plc/packml.ts';
import type { CommandOutcome } from '../src/plc/transport.ts';
import type { LedgerSummary } from './ledger.ts';
import type { StationFailures } from './model/physics.ts';
import type { UnitStatus } from './plc/unit-plc.ts';
import type { SimLine } from './sim-line.ts';

/** A protocol server's fault-injection handles and the units behind it. */
export interface ServerFaults {
  /** For messages: `opcua opc.tcp://127.0.0.1:48400`, `modbus laser 127.0.0.1:15032`. */
  readonly name: string;
  readonly units: readonly string[];
  dropConnections(): void;
  setAnswering(answering: boolean): void;
}

/** A request the control surface cannot carry out; `status` is the HTTP status it maps to. */
export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

export interface SimStatus {
  readonly line: string;
  readonly simTimeMs: number;
  readonly timeScale: number;
  readonly magazine: { readonly blanks: number; readonly lots: readonly { lot: string; count: number }[] };
  readonly stackers: readonly { station: string; count: number; capacity: number | null }[];
  readonly rejectBin: number;
  readonly units: readonly UnitStatus[];
  readonly servers: readonly { name: string; units: readonly string[]; answering: boolean }[];
}

export type FailureName = keyof StationFailures;
export const FAILURE_NAMES: readonly FailureName[] = ['jam', 'blankDefect', 'chipWriteFailure', 'emptyChipWrite', 'partialChipWrite', 'misregistration', 'ocrMismatch'];

export class SimControl {
  private readonly answering = new Map<string, boolean>();

  constructor(
    private readonly sim: SimLine,
    private readonly servers: readonly ServerFaults[] = [],
  ) {
    for (const s of servers) this.answering.set(s.name, true);
  }

  private get line(): LineConfig {
    return this.sim.line;
  }

  /** The unit ids a target names: a unit, every unit of a station, or (undefined) every unit. */
  units(target?: string): string[] {
    const all = [...this.sim.plcs.keys()];
    if (target === undefined || target === '' || target === 'all') return all;
    if (this.sim.plcs.has(target)) return [target];
    const station = this.line.stations.find((s) => s.id === target);
    if (station) return all.filter((u) => u === station.id || u.startsWith(`${station.id}.`));
    throw new ControlError(`line ${this.line.id} has no unit or station '${target}'; units: ${all.join(', ')}`, 404);
  }

  private station(stationId: string): LineConfig['stations'][number] {
    const station = this.line.stations.find((s) => s.id === stationId);
    if (!station) throw new ControlError(`line ${this.line.id} has no station '${stationId}'; stations: ${this.line.stations.map((s) => s.id).join(', ')}`, 404);
    return station;
  }

  loadBlanks(count: number, lot = `lot-${new Date().toISOString().slice(0, 10)}`): { magazine: number } {
    if (!Number.isInteger(count) || count <= 0) throw new ControlError(`count must be a positive whole number of blanks, got ${count}`);
    this.sim.model.loadBlanks(count, lot);
    return { magazine: this.sim.model.magazine.count };
  }

  emptyStacker(stationId?: string): { station: string; cards: string[] }[] {
    if (stationId !== undefined && this.station(stationId).kind !== 'output') throw new ControlError(`station ${stationId} is not an output station: it has no stacker`);
    return this.sim.model.emptyStacker(stationId);
  }

  /** The operator takes every delivery pack out of the packers' pockets (the end of a batch). */
  unloadPacks(): { packs: string[] } {
    return { packs: this.sim.model.unloadPacks() };
  }

  /** Cuts the client connections of the servers that carry the target's units. */
  dropConnections(target?: string): { servers: string[]; units: string[] } {
    const hit = this.serversOf(target);
    for (const s of hit) s.dropConnections();
    return { servers: hit.map((s) => s.name), units: hit.flatMap((s) => [...s.units]) };
  }

  /**
   * Stops (or resumes) answering on the servers that carry the target's units. One OPC UA server
   * serves all OPC UA units of the line: silencing one OPC UA unit silences them all (the answer
   * lists every unit affected).
   */
  setAnswering(answering: boolean, target?: string): { servers: string[]; units: string[] } {
    const hit = this.serversOf(target);
    for (const s of hit) {
      s.setAnswering(answering);
      this.answering.set(s.name, answering);
    }
    return { servers: hit.map((s) => s.name), units: hit.flatMap((s) => [...s.units]) };
  }

  freezeHeartbeat(target: string, frozen: boolean): { units: string[] } {
    const units = this.units(target);
    for (const u of units) this.sim.plc(u).freezeHeartbeat(frozen);
    return { units };
  }

  eStop(target: string): { units: string[] } {
    const units = this.units(target);
    for (const u of units) this.sim.plc(u).eStop();
    return { units };
  }

  /** A PackML command as the unit's operator panel gives it (the same path as the host's). */
  command(target: string, command: string): { unit: string; outcome: CommandOutcome }[] {
    if (!isCommandName(command)) {
      throw new ControlError(`unknown PackML command '${command}'; commands: ${Object.keys(PACKML_COMMANDS).filter((c) => c !== 'Undefined').join(', ')}`);
    }
    return this.units(target).map((u) => ({ unit: u, outcome: this.sim.store(u).command(command) }));
  }

  /** Cycle times of the target's units are multiplied by `factor` (1 = normal, 0 = no cycle time). */
  slow(target: string, factor: number): { units: string[] } {
    if (!Number.isFinite(factor) || factor < 0) throw new ControlError(`factor must be a number >= 0, got ${factor}`);
    const units = this.units(target);
    for (const u of units) this.sim.plc(u).slowFactor = factor;
    return { units };
  }

  /** Changes failure probabilities of a station (or every station when left out) from now on. */
  setFailures(changes: Partial<StationFailures>, stationId?: string): { station: string; failures: StationFailures }[] {
    for (const [name, p] of Object.entries(changes)) {
      if (!FAILURE_NAMES.includes(name as FailureName)) throw new ControlError(`unknown failure mode '${name}'; modes: ${FAILURE_NAMES.join(', ')}`);
      if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ControlError(`${name} must be a probability from 0 to 1, got ${String(p)}`);
    }
    const stations = stationId === undefined ? this.line.stations : [this.station(stationId)];
    return stations.map((s) => {
      const failures = this.sim.model.failures.get(s.id)!;
      Object.assign(failures, changes);
      return { station: s.id, failures: { ...failures } };
    });
  }

  status(): SimStatus {
    const model = this.sim.model;
    return {
      line: this.line.id,
      simTimeMs: Math.round(this.sim.clock.now()),
      timeScale: this.sim.timeScale,
      magazine: { blanks: model.magazine.count, lots: model.magazine.contents },
      stackers: [...model.stackers.values()].map((s) => ({ station: s.station, count: s.count, capacity: Number.isFinite(s.capacity) ? s.capacity : null })),
      rejectBin: model.rejectBinCount,
      units: [...this.sim.plcs.values()].map((p) => p.status()),
      servers: this.servers.map((s) => ({ name: s.name, units: s.units, answering: this.answering.get(s.name) ?? true })),
    };
  }

  ledger(): LedgerSummary {
    return this.sim.ledger.summary();
  }

  private serversOf(target?: string): ServerFaults[] {
    const units = new Set(this.units(target));
    const hit = this.servers.filter((s) => s.units.some((u) => units.has(u)));
    if (hit.length === 0) throw new ControlError(`no protocol server carries ${target ?? 'any unit'} (the simulator runs without servers)`, 409);
    return hit;
  }
}

function isCommandName(name: string): name is PackMLCommandName {
  return name !== 'Undefined' && Object.hasOwn(PACKML_COMMANDS, name);
}

/**
 * The line simulator: one process (or one in-process object) per line — the physical model, a PLC
 * program per unit, and the protocol servers in front of them: one OPC UA server for every OPC UA
 * unit of the line, one Modbus TCP server per Modbus station (each PLC has its own address), plus
 * the control surface over HTTP. Addresses come from unitAddress(), with the ports actually bound.
 */
import path from 'node:path';
import { unitAddress, type LineConfig, type StationKind, type UnitAddress } from '../src/config/line-config.ts';
import type { TagStore } from '../src/plc/tag-store.ts';
import { SimControl, type ServerFaults } from './control.ts';
import { startControlServer, writeControlToken, type RunningControlServer } from './control-http.ts';
import { startModbusServer, type RunningModbusServer } from './modbus/modbus-server.ts';
import { startOpcuaServer, type RunningOpcuaServer } from './opcua/opcua-server.ts';
import type { UnitPlcTiming } from './plc/unit-plc.ts';
import { SimLine } from './sim-line.ts';

export interface LineSimulatorOptions {
  readonly line: LineConfig;
  readonly dataDir: string;
  /**
   * Ports to bind instead of the configuration's. OPC UA: 0 = a free port. Modbus: per station id
   * (never 0: use freePort()). Control: a port (0 = free), or false for no HTTP control surface;
   * default simulation.controlPort, none when the configuration has none.
   */
  readonly ports?: { readonly opcua?: number; readonly modbus?: Readonly<Record<string, number>>; readonly control?: number | false };
  /** PLC timing (acting-state time, no-job timeout, …); the heartbeat defaults to simulation.heartbeatMs. */
  readonly timing?: Partial<UnitPlcTiming>;
  /** Where the OPC UA users' passwords are read (opcuaSecurity.users[].passwordEnv); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** OPC UA: trust every client certificate (demo convenience); default false. */
  readonly acceptUnknownCertificates?: boolean;
  /** What the servers refused or could not do; default: nothing. */
  readonly log?: (message: string) => void;
  /**
   * Serve addresses other than loopback (simulation.opcua.host, a Modbus station's host). Off by
   * default: a simulator accepts every job and command, so it stays on this machine unless asked.
   */
  readonly allowRemote?: boolean;
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function checkBinds(line: LineConfig, hosts: readonly { what: string; host: string }[], allowRemote: boolean): void {
  if (allowRemote) return;
  const remote = hosts.filter((h) => !isLoopbackHost(h.host));
  if (remote.length > 0) {
    throw new Error(
      `${remote.map((r) => `${r.what} ${r.host}`).join(', ')}: not a loopback address; a simulator serves only this machine (127.0.0.1) ` +
        `unless started with --allow-remote (${line.source})`,
    );
  }
}

export interface SimEndpoint {
  /** The unit id: `feeder`, `encoder.3`. */
  readonly unit: string;
  readonly station: string;
  readonly kind: StationKind;
  /** Where the controller reaches the unit, with the ports actually bound. */
  readonly address: UnitAddress;
}

export class LineSimulator {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly sim: SimLine,
    readonly control: SimControl,
    private readonly addresses: readonly SimEndpoint[],
    private readonly opcua: RunningOpcuaServer | undefined,
    private readonly modbus: ReadonlyMap<string, RunningModbusServer>,
    private readonly http: RunningControlServer | undefined,
    /** The control API's bearer token (also in <data dir>/sim/control-token), when it is served. */
    readonly controlToken: string | undefined,
  ) {}

  static async start(options: LineSimulatorOptions): Promise<LineSimulator> {
    const { line, dataDir } = options;
    checkBinds(
      line,
      [
        ...(line.stations.some((s) => s.transport === 'opcua') ? [{ what: 'simulation.opcua.host', host: line.simulation?.opcua?.host ?? '127.0.0.1' }] : []),
        ...line.stations.flatMap((s) => (s.transport === 'modbus' && s.modbus ? [{ what: `station ${s.id} modbus.host`, host: s.modbus.host }] : [])),
      ],
      options.allowRemote ?? false,
    );
    const sim = SimLine.open({ line, dataDir, ...(options.timing ? { timing: options.timing } : {}) });
    let opcua: RunningOpcuaServer | undefined;
    const modbus = new Map<string, RunningModbusServer>();
    let http: RunningControlServer | undefined;
    try {
      const units = sim.model.units.map((u) => ({ unit: u, address: unitAddress(line, u, dataDir) }));
      const endpoints: SimEndpoint[] = [];
      const faults: ServerFaults[] = [];

      const opcuaUnits = units.filter((u) => u.address.transport === 'opcua');
      if (opcuaUnits.length > 0) {
        const host = line.simulation?.opcua?.host ?? '127.0.0.1';
        const port = options.ports?.opcua ?? line.simulation?.opcua?.port ?? 0;
        opcua = await startOpcuaServer({
          host,
          port,
          units: opcuaUnits.map(({ unit, address }) => ({
            unitId: unit.unitId,
            objectPath: address.transport === 'opcua' ? [...address.objectPath] : [],
            store: sim.store(unit.unitId),
          })),
          pkiDir: path.join(dataDir, 'pki', 'opcua-sim'),
          security: {
            mode: line.opcuaSecurity.mode,
            policy: line.opcuaSecurity.policy,
            allowAnonymous: line.opcuaSecurity.allowAnonymous,
            users: opcuaUsers(line, options.env ?? process.env),
            ...(options.acceptUnknownCertificates === undefined ? {} : { acceptUnknownCertificates: options.acceptUnknownCertificates }),
          },
        });
        const endpointUrl = `opc.tcp://${host}:${opcua.port}`;
        for (const { unit, address } of opcuaUnits) {
          if (address.transport !== 'opcua') continue;
          endpoints.push({ unit: unit.unitId, station: unit.station.id, kind: unit.station.kind, address: { ...address, endpointUrl } });
        }
        const server = opcua;
        faults.push({
          name: `opcua ${endpointUrl}`,
          units: opcuaUnits.map((u) => u.unit.unitId),
          dropConnections: () => server.dropConnections(),
          setAnswering: (b) => server.setAnswering(b),
        });
      }

      for (const station of line.stations) {
        if (station.transport !== 'modbus') continue;
        const stationUnits = units.filter((u) => u.unit.station.id === station.id);
        const first = stationUnits[0]?.address;
        if (first?.transport !== 'modbus') continue;
        const port = options.ports?.modbus?.[station.id] ?? first.port;
        const server = await startModbusServer({
          host: first.host,
          port,
          units: stationUnits.map(({ unit, address }) => ({
            unitId: address.transport === 'modbus' ? address.unitId : 1,
            store: sim.store(unit.unitId),
            jobDir: address.transport === 'modbus' ? address.jobDir : '',
          })),
          ...(options.log ? { log: (m: string) => options.log!(`modbus ${station.id}: ${m}`) } : {}),
        }).catch((error: unknown) => {
          throw new Error(`station ${station.id}: ${(error as Error).message}`, { cause: error });
        });
        modbus.set(station.id, server);
        for (const { unit, address } of stationUnits) {
          if (address.transport !== 'modbus') continue;
          endpoints.push({ unit: unit.unitId, station: station.id, kind: station.kind, address: { ...address, port: server.port } });
        }
        faults.push({
          name: `modbus ${station.id} ${first.host}:${server.port}`,
          units: stationUnits.map((u) => u.unit.unitId),
          dropConnections: () => server.dropConnections(),
          setAnswering: (b) => server.setAnswering(b),
        });
      }

      const control = new SimControl(sim, faults);
      const controlPort = options.ports?.control === undefined ? line.simulation?.controlPort : options.ports.control;
      let token: string | undefined;
      if (controlPort !== undefined && controlPort !== false) {
        token = writeControlToken(dataDir);
        http = await startControlServer(control, controlPort, token);
      }

      const order = new Map(sim.model.units.map((u, i) => [u.unitId, i]));
      endpoints.sort((a, b) => order.get(a.unit)! - order.get(b.unit)!);
      return new LineSimulator(sim, control, endpoints, opcua, modbus, http, token);
    } catch (error) {
      sim.stop();
      await http?.close().catch(() => undefined);
      const closing: Promise<void>[] = [...modbus.values()].map((m) => m.close());
      if (opcua) closing.push(opcua.close());
      await Promise.allSettled(closing);
      throw new Error(`line ${line.id} (${line.source}): the simulator did not start: ${(error as Error).message}`, { cause: error });
    }
  }

  get line(): LineConfig {
    return this.sim.line;
  }

  /** Each unit's TagStore, by unit id. */
  get units(): ReadonlyMap<string, TagStore> {
    return this.sim.stores;
  }

  /** Where each unit is reached, in flow order. */
  endpoints(): SimEndpoint[] {
    return this.addresses.map((e) => ({ ...e }));
  }

  /** The control surface's URL, when it is served over HTTP. */
  get controlUrl(): string | undefined {
    return this.http?.url;
  }

  /** The OPC UA endpoint URL, when the line has OPC UA units. */
  get opcuaEndpointUrl(): string | undefined {
    return this.opcua === undefined ? undefined : `opc.tcp://${this.line.simulation?.opcua?.host ?? '127.0.0.1'}:${this.opcua.port}`;
  }

  /** Stops the PLCs (no more writes), then closes the servers and the control surface. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.sim.stop();
      const closing: Promise<void>[] = [...this.modbus.values()].map((m) => m.close());
      if (this.opcua) closing.push(this.opcua.close());
      if (this.http) closing.push(this.http.close());
      await Promise.all(closing);
    })();
    return this.stopping;
  }
}

function opcuaUsers(line: LineConfig, env: NodeJS.ProcessEnv): { username: string; password: string }[] {
  return line.opcuaSecurity.users.map((u, i) => {
    const password = env[u.passwordEnv];
    if (password === undefined || password === '') {
      throw new Error(`${line.source}: opcuaSecurity.users[${i}]: the password of ${u.username} is read from ${u.passwordEnv}, which is not set`);
    }
    return { username: u.username, password };
  });
}

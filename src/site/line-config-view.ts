/**
 * A line file as loaded, for the engineer view (GET /api/v1/lines/{id}/config): stations, units,
 * transports, addresses, cycle times, failure rates, timeouts and the simulation block, built
 * field by field from an allow-list so that nothing secret can slip through when the line file
 * grows a key: no OPC UA user names or the variables that hold their passwords, no credentials
 * in an endpoint URL, no job folder paths, no simulator control port.
 */
import type { LineConfig, StationConfig } from '../config/line-config.ts';
import { stationUnits } from '../config/line-config.ts';
import type { LineConfigView } from './engineer-views.ts';

/** `opc.tcp://user:secret@host:4840/x` → `opc.tcp://host:4840/x`: URLs and messages never show credentials. */
export function withoutCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}

function unitAddressText(line: LineConfig, station: StationConfig, head: number | undefined): string {
  if (station.transport === 'opcua') {
    const sim = line.simulation?.opcua;
    const url = station.opcua?.endpoint ?? `opc.tcp://${sim?.host ?? '127.0.0.1'}:${sim?.port ?? 4840}`;
    const base = station.opcua?.objectPath?.split('/').filter((p) => p !== '') ?? [line.id, station.id];
    return `${withoutCredentials(url)} ${[...base, ...(head === undefined ? [] : [`Head${head}`])].join('/')}`;
  }
  const m = station.modbus!;
  return `modbus ${m.host}:${m.port} unit ${head ?? m.unitId}`;
}

export function lineConfigView(line: LineConfig): LineConfigView {
  const units = stationUnits(line);
  const security = line.opcuaSecurity;
  const sim = line.simulation;
  return {
    id: line.id,
    description: line.description,
    file: line.source.split(/[\\/]/).pop() ?? line.source,
    template: line.template,
    cardStock: { prePrinted: line.cardStock.prePrinted, chipModuleSide: line.cardStock.chipModule?.side ?? null },
    retentionDays: line.retentionDays ?? null,
    opcuaSecurity: { mode: security.mode, policy: security.policy, allowAnonymous: security.allowAnonymous, clientLogin: security.user ? 'user' : 'anonymous', serverUsers: security.users.length },
    modbusInsecureTransportAccepted: line.modbusSecurity?.insecureTransportAccepted ?? null,
    simulation: sim
      ? { timeScale: sim.timeScale, seed: String(sim.seed), initialBlanks: sim.initialBlanks, serialPrefix: sim.serialPrefix, transferMs: sim.transferMs, heartbeatMs: sim.heartbeatMs, jamClearMs: sim.jamClearMs }
      : null,
    stations: line.stations.map((s) => ({
      id: s.id,
      kind: s.kind,
      transport: s.transport,
      units: units.filter((u) => u.station === s).map((u) => ({ id: u.unitId, address: unitAddressText(line, s, u.head) })),
      cycle: { distribution: s.cycle.distribution, meanMs: s.cycle.meanMs, sdMs: s.cycle.sdMs },
      failures: Object.fromEntries(Object.entries(s.failures).filter(([, p]) => p > 0)),
      timeouts: { ...s.timeouts },
      polling: s.modbus ? { pollMs: s.modbus.pollMs, idlePollMs: s.modbus.idlePollMs, requestTimeoutMs: s.modbus.requestTimeoutMs } : null,
      stackerCapacity: s.stackerCapacity ?? null,
      packPockets: s.packPockets ?? null,
      packSize: s.packSize ?? null,
    })),
  };
}

/**
 * The composition of station links from a line file: one StationLink per unit, over OPC UA or
 * Modbus TCP as the station's transport says, with the station's handshake timeouts.
 */
import path from 'node:path';
import { stationUnits, unitAddress, type LineConfig, type StationUnit } from '../config/line-config.ts';
import { HandshakeLink } from './handshake-link.ts';
import { createModbusTransport } from './modbus/modbus-transport.ts';
import { createOpcuaTransport } from './opcua/opcua-transport.ts';
import type { StationLink } from './station-link.ts';
import type { TagTransport } from './transport.ts';

export interface LinkFactoryOptions {
  readonly dataDir: string;
  /** Where the OPC UA client user's password is read from (opcuaSecurity.user.passwordEnv). */
  readonly env?: NodeJS.ProcessEnv;
  /** OPC UA publishing interval; default the transport's (10 ms). */
  readonly publishingIntervalMs?: number;
}

export class LinkConfigError extends Error {
  override name = 'LinkConfigError';
}

export function createTransport(line: LineConfig, unit: StationUnit, options: LinkFactoryOptions): TagTransport {
  const address = unitAddress(line, unit, options.dataDir);
  if (address.transport === 'modbus') {
    return createModbusTransport({
      host: address.host,
      port: address.port,
      unitId: address.unitId,
      jobDir: address.jobDir,
      pollMs: address.pollMs,
      idlePollMs: idlePollOf(line, address.pollMs, address.idlePollMs),
      requestTimeoutMs: address.requestTimeoutMs,
      commandTimeoutMs: unit.station.timeouts.commandMs,
      stationId: unit.unitId,
    });
  }
  const security = line.opcuaSecurity;
  let user: { username: string; password: string } | undefined;
  if (security.user) {
    const password = (options.env ?? process.env)[security.user.passwordEnv];
    if (password === undefined) {
      throw new LinkConfigError(
        `${line.source}: opcuaSecurity.user.passwordEnv names ${security.user.passwordEnv}, which is not set; set it to the password of OPC UA user ${security.user.username}`,
      );
    }
    user = { username: security.user.username, password };
  }
  return createOpcuaTransport({
    endpointUrl: address.endpointUrl,
    objectPath: address.objectPath,
    pkiDir: path.join(options.dataDir, 'pki', 'opcua-client'),
    security: { mode: security.mode, policy: security.policy, ...(user ? { user } : {}) },
    ...(options.publishingIntervalMs ? { publishingIntervalMs: options.publishingIntervalMs } : {}),
    unitId: unit.unitId,
  });
}

/**
 * The idle poll period for a unit: as configured on a real line; on a simulated line running
 * `timeScale` times faster, scaled down with it (never below pollMs), so the simulated PLC sees a
 * card's arrival after the same simulated time as a real one would, and its no-job timeout (simulated
 * time too) keeps its margin.
 */
export function idlePollOf(line: LineConfig, pollMs: number, idlePollMs: number): number {
  const timeScale = line.simulation?.timeScale ?? 1;
  return Math.min(idlePollMs, Math.max(pollMs, idlePollMs / timeScale));
}

/** One link per unit of the line, keyed by unit id (`feeder`, `encoder.3`, …). Not yet connected. */
export function createLineLinks(line: LineConfig, options: LinkFactoryOptions): Map<string, StationLink> {
  const links = new Map<string, StationLink>();
  for (const unit of stationUnits(line)) {
    links.set(unit.unitId, new HandshakeLink(unit.unitId, createTransport(line, unit, options), unit.station.timeouts));
  }
  return links;
}

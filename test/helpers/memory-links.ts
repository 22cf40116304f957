// Test support: a line controller's links to the in-process simulator's units, each a HandshakeLink
// over the unit's tag store in memory (no protocol, no socket), so that a test judges the
// controller's logic against the simulator's ledger without OPC UA on the way.
import type { SimLine } from '../../simulators/sim-line.ts';
import { HandshakeLink } from '../../src/plc/handshake-link.ts';
import { MemoryTransport } from '../../src/plc/memory-transport.ts';
import type { StationLink } from '../../src/plc/station-link.ts';

/** A link for every unit of `sim`, by unit id, not connected yet. */
export function memoryLinks(sim: SimLine): Map<string, StationLink> {
  const links = new Map<string, StationLink>();
  for (const unitId of sim.stores.keys()) links.set(unitId, new HandshakeLink(unitId, new MemoryTransport(sim.store(unitId)), { heartbeatMs: 2000 }));
  return links;
}

export async function connectLinks(links: ReadonlyMap<string, StationLink>): Promise<void> {
  await Promise.all([...links.values()].map((l) => l.connect()));
}

export async function closeLinks(links: ReadonlyMap<string, StationLink>): Promise<void> {
  for (const l of links.values()) await l.close();
}

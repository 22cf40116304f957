/**
 * The engineer view over HTTP (issue 18): a line's configuration as loaded (secrets left out), its
 * station links' health, and for a simulated line the simulator: its units' faults and ledger, and
 * fault injection (drop connection, freeze heartbeat, e-stop, jam, slow cycles), each injection
 * audited with the user. Permission line.engineer (src/auth/roles.ts); a real line has no simulator
 * (409).
 */
import { z } from 'zod';
import { SIMULATOR_FAULTS, SiteRequestError } from '../../site/runtime.ts';
import { route, type RouteFactory } from '../route-spec.ts';
import { siteOf } from './lines.ts';

const lineParams = z.object({ lineId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'a line id') });
const ms = z.number();

const stationConfig = z.object({
  id: z.string(),
  kind: z.string(),
  transport: z.enum(['opcua', 'modbus']),
  units: z.array(z.object({ id: z.string(), address: z.string() })),
  cycle: z.object({ distribution: z.string(), meanMs: ms, sdMs: ms }),
  failures: z.record(z.string(), z.number()),
  timeouts: z.record(z.string(), ms),
  polling: z.object({ pollMs: ms, idlePollMs: ms, requestTimeoutMs: ms }).nullable(),
  stackerCapacity: z.number().int().nullable(),
  packPockets: z.number().int().nullable(),
  packSize: z.number().int().nullable(),
});

const lineConfig = z.object({
  id: z.string(),
  description: z.string(),
  file: z.string(),
  template: z.string(),
  cardStock: z.object({ prePrinted: z.boolean(), chipModuleSide: z.enum(['front', 'back']).nullable() }),
  retentionDays: z.number().int().nullable(),
  opcuaSecurity: z.object({ mode: z.string(), policy: z.string(), allowAnonymous: z.boolean(), clientLogin: z.enum(['anonymous', 'user']), serverUsers: z.number().int() }),
  modbusInsecureTransportAccepted: z.boolean().nullable(),
  simulation: z
    .object({ timeScale: z.number(), seed: z.string(), initialBlanks: z.number().int(), serialPrefix: z.string(), transferMs: ms, heartbeatMs: ms, jamClearMs: ms })
    .nullable(),
  stations: z.array(stationConfig),
});

const unitLink = z.object({
  unitId: z.string(),
  stationId: z.string(),
  transport: z.enum(['opcua', 'modbus']),
  connected: z.boolean(),
  reachable: z.boolean().nullable(),
  state: z.string(),
  heartbeatAgeMs: z.number().nullable().describe("milliseconds since the PLC's heartbeat last changed; null when unknown (a line another server drives, a unit not yet connected)"),
  reconnects: z.number().int(),
  lastError: z.object({ message: z.string(), at: z.string() }).nullable(),
  handshakes: z.object({ jobAckMs: z.array(ms), doneClearMs: z.array(ms) }),
});

const simulatorSchema = z.object({
  units: z.array(z.object({ unitId: z.string(), state: z.string(), stopReason: z.string(), heartbeatFrozen: z.boolean(), slowFactor: z.number(), jam: z.number() })),
  ledger: z.object({
    blanksLoaded: z.number().int(),
    magazine: z.number().int(),
    fed: z.number().int(),
    inStacker: z.number().int(),
    stacked: z.number().int(),
    unloaded: z.number().int(),
    inRejectBin: z.number().int(),
    rejectReasons: z.record(z.string(), z.number().int()),
    purged: z.number().int(),
    inMachine: z.number().int(),
  }),
});

const faultBody = z.strictObject({
  unit: z.string().regex(/^[a-z][a-z0-9-]{0,30}(\.\d{1,2})?$/, 'a unit id such as feeder or encoder.2'),
  fault: z.enum(SIMULATOR_FAULTS),
  action: z.enum(['inject', 'clear']).default('inject'),
  factor: z.number().min(0).max(100).optional().describe('slow-cycles: cycle times multiplied by this (default 4)'),
  probability: z.number().min(0).max(1).optional().describe('jam: the chance a card jams at the station (default 1)'),
});

const faultResult = z.object({ unit: z.string(), fault: z.enum(SIMULATOR_FAULTS), action: z.enum(['inject', 'clear']), units: z.array(z.string()) });

export const engineeringRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/lines/:lineId/config',
    permission: 'line.engineer',
    summary: "The line file as loaded: stations, units, addresses, cycles, failure rates, timeouts; secrets left out (no user names, password variables, keys or credentials)",
    tags: ['engineering'],
    params: lineParams,
    response: lineConfig,
    handler: async ({ params }) => siteOf(deps.site).lineConfig(params.lineId),
  }),
  route({
    method: 'GET',
    url: '/lines/:lineId/links',
    permission: 'line.engineer',
    summary: "Each unit's station link: connected, heartbeat age, reconnects, last error, the last handshakes' latencies",
    tags: ['engineering'],
    params: lineParams,
    response: z.object({ lineId: z.string(), units: z.array(unitLink) }),
    handler: async ({ params }) => ({ lineId: params.lineId, units: [...(await siteOf(deps.site).linkHealth(params.lineId))] }),
  }),
  route({
    method: 'GET',
    url: '/lines/:lineId/simulator',
    permission: 'line.engineer',
    summary: "A simulated line's simulator: each unit's injected faults and the ledger's counts (fed, stacker, reject bin, purged, in the machine); 409 for a real line",
    tags: ['engineering'],
    params: lineParams,
    response: simulatorSchema,
    handler: async ({ params }) => siteOf(deps.site).simulator(params.lineId),
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/simulator/faults',
    permission: 'line.engineer',
    summary: "Inject or clear a fault in a simulated line's simulator (drop-connection, freeze-heartbeat, e-stop, jam, slow-cycles), audited; 409 for a real line",
    tags: ['engineering'],
    params: lineParams,
    body: faultBody,
    response: faultResult,
    handler: async ({ params, body, user }) => {
      if (!user) throw new SiteRequestError('not authenticated', 403);
      return siteOf(deps.site).simulatorFault(params.lineId, body, user);
    },
  }),
];

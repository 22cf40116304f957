/**
 * Line configuration (config/lines/*.yaml): the stations of one line, how each is reached, its
 * physics when simulated, and the time scale. Validated once at load; every error names the file
 * and the key (`config/lines/x.yaml: stations[2].cycle.meanMs: must be > 0`). Defaults are frozen
 * and merged into a new object (house style).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { DEFAULT_TIMEOUTS, type LinkTimeouts } from '../plc/station-link.ts';
import { isStationKind, stationKind, stationKinds, type StationKind } from '../stations/kinds.ts';

export type { StationKind } from '../stations/kinds.ts';

const probability = z.number().min(0).max(1);
const ms = z.number().nonnegative();

const CycleSchema = z.strictObject({
  /** Physical cycle time of one card, before time scaling. */
  meanMs: z.number().positive(),
  sdMs: ms.default(0),
  distribution: z.enum(['normal', 'lognormal', 'fixed']).default('normal'),
});

const FailuresSchema = z.strictObject({
  /** Any station: the card jams; the station holds until cleared. */
  jam: probability.default(0),
  /** Feeder: the blank is defective. */
  blankDefect: probability.default(0),
  /** Encoder: the write fails and the encoder reports it. */
  chipWriteFailure: probability.default(0),
  /** Encoder: reports success, but the chip holds nothing. */
  emptyChipWrite: probability.default(0),
  /** Encoder: reports success, but the chip holds only part of the files. */
  partialChipWrite: probability.default(0),
  /** Laser: the engraving is misplaced (QA's print grade drops). */
  misregistration: probability.default(0),
  /** QA: the OCR reads the MRZ wrongly. */
  ocrMismatch: probability.default(0),
});

const TimeoutsSchema = z.strictObject({
  jobAckMs: z.number().positive(),
  doneMs: z.number().positive(),
  doneClearMs: z.number().positive(),
  commandMs: z.number().positive(),
  heartbeatMs: z.number().positive(),
  hostHeartbeatPeriodMs: z.number().positive(),
}).partial();

const UserSchema = z.strictObject({
  username: z.string().min(1),
  /** The password is never in the file: the variable that holds it. */
  passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must name an environment variable (upper case)' }),
});

const OpcuaSecuritySchema = z.strictObject({
  mode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  policy: z.enum(['None', 'Basic256Sha256']).default('None'),
  /** Server: accept anonymous sessions. */
  allowAnonymous: z.boolean().default(true),
  /** Server: the accepted users. */
  users: z.array(UserSchema).default([]),
  /** Client: the user the controller logs in as (anonymous when absent). */
  user: UserSchema.optional(),
});

const StationSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'must be lower case letters, digits and hyphens, starting with a letter' }),
  /** A kind of the station-kind table (src/stations/kinds.ts). */
  kind: z.custom<StationKind>((v) => typeof v === 'string' && isStationKind(v), {
    error: (issue) => `unknown station kind ${JSON.stringify(issue.input)}; kinds: ${stationKinds().join(', ')}`,
  }),
  transport: z.enum(['opcua', 'modbus']),
  /** Encoder heads; each is a unit with its own handshake. */
  heads: z.number().int().min(1).max(32).optional(),
  opcua: z.strictObject({
    /** Defaults to the simulator's server on a simulated line. */
    endpoint: z.string().regex(/^opc\.tcp:\/\//, { error: 'must be an opc.tcp:// URL' }).optional(),
    /** Browse path of the station object under Objects, `/`-separated; default `<line id>/<station id>`. */
    objectPath: z.string().optional(),
  }).optional(),
  modbus: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(1).max(65535),
    /** Unit id of the station; an encoder's heads are units 1…heads. */
    unitId: z.number().int().min(1).max(247).default(1),
    /** The shared job folder; default `<data dir>/jobs/<line id>/<station id>`. */
    jobDir: z.string().optional(),
    pollMs: z.number().positive().default(20),
    requestTimeoutMs: z.number().positive().default(1000),
  }).optional(),
  cycle: CycleSchema,
  failures: FailuresSchema.default(FailuresSchema.parse({})),
  timeouts: TimeoutsSchema.default({}),
  /** Output: stacker positions before it is full (blocked). */
  stackerCapacity: z.number().int().positive().optional(),
  /** Packer: delivery packs open at once, one a pocket (default 8). */
  packPockets: z.number().int().min(1).max(64).optional(),
  /** Packer: cards in a full delivery pack (default 50). */
  packSize: z.number().int().min(1).max(1000).optional(),
});

const SimulationSchema = z.strictObject({
  /** Simulated time runs this many times faster than real time. */
  timeScale: z.number().positive().max(10_000).default(1),
  seed: z.union([z.number(), z.string()]).default(1),
  /** Blank cards in the feeder magazine at start. */
  initialBlanks: z.number().int().nonnegative().default(0),
  serialPrefix: z.string().regex(/^[A-Z0-9]{1,8}$/).default('CL'),
  /** Card transfer time between stations, before scaling. */
  transferMs: ms.default(300),
  /** PLC heartbeat period (real time). */
  heartbeatMs: z.number().positive().default(500),
  opcua: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(1).max(65535) }).optional(),
  /** The fault-injection and stock control surface (HTTP on loopback). */
  controlPort: z.number().int().min(1).max(65535).optional(),
});

export const LineConfigSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'must be lower case letters, digits and hyphens, starting with a letter' }),
    description: z.string().default(''),
    simulation: SimulationSchema.optional(),
    opcuaSecurity: OpcuaSecuritySchema.default(OpcuaSecuritySchema.parse({})),
    stations: z.array(StationSchema).min(1),
  })
  .superRefine((line, ctx) => {
    const seen = new Set<string>();
    line.stations.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['stations', i, 'id'], message: `station id '${s.id}' is used twice` });
      seen.add(s.id);
      if (!isStationKind(s.kind)) return;
      const def = stationKind(s.kind);
      if (s.heads !== undefined && !def.heads) {
        ctx.addIssue({ code: 'custom', path: ['stations', i, 'heads'], message: `a ${s.kind} has no heads; kinds with heads: ${stationKinds().filter((k) => stationKind(k).heads).join(', ')}` });
      }
      if (s.stackerCapacity !== undefined && !def.stacker) {
        ctx.addIssue({ code: 'custom', path: ['stations', i, 'stackerCapacity'], message: `a ${s.kind} has no stacker; kinds with a stacker: ${stationKinds().filter((k) => stationKind(k).stacker).join(', ')}` });
      }
      for (const key of ['packPockets', 'packSize'] as const) {
        if (s[key] !== undefined && !def.pockets) {
          ctx.addIssue({ code: 'custom', path: ['stations', i, key], message: `a ${s.kind} has no pack pockets; kinds with pockets: ${stationKinds().filter((k) => stationKind(k).pockets).join(', ')}` });
        }
      }
      if (s.transport === 'modbus' && !s.modbus) {
        ctx.addIssue({ code: 'custom', path: ['stations', i, 'modbus'], message: 'a Modbus station needs modbus.port' });
      }
      if (s.transport === 'opcua' && !s.opcua?.endpoint && !line.simulation?.opcua) {
        ctx.addIssue({ code: 'custom', path: ['stations', i, 'opcua', 'endpoint'], message: 'needed unless simulation.opcua gives the simulator server' });
      }
    });
    const packers = line.stations.filter((s) => isStationKind(s.kind) && stationKind(s.kind).role === 'pack');
    if (packers.length > 1) ctx.addIssue({ code: 'custom', path: ['stations'], message: `a line packs cards at one station; this one has ${packers.map((s) => s.id).join(', ')}` });
    const required = stationKinds().filter((k) => stationKind(k).required);
    for (const kind of required) {
      if (!line.stations.some((s) => s.kind === kind)) {
        ctx.addIssue({ code: 'custom', path: ['stations'], message: `the line has no ${kind} station; a line needs ${required.join(', ')}` });
      }
    }
    const security = line.opcuaSecurity;
    if ((security.mode === 'None') !== (security.policy === 'None')) {
      ctx.addIssue({ code: 'custom', path: ['opcuaSecurity', 'policy'], message: 'mode None goes with policy None; Sign and SignAndEncrypt need Basic256Sha256' });
    }
    if (!line.simulation && security.mode !== 'SignAndEncrypt') {
      ctx.addIssue({ code: 'custom', path: ['opcuaSecurity', 'mode'], message: 'a production line (no simulation block) must use SignAndEncrypt' });
    }
    if (!line.simulation && !security.user) {
      ctx.addIssue({ code: 'custom', path: ['opcuaSecurity', 'user'], message: 'a production line must log in with a user, not anonymously' });
    }
  });

type ParsedLine = z.output<typeof LineConfigSchema>;
export type StationConfig = ParsedLine['stations'][number] & { readonly timeouts: LinkTimeouts };
export type LineConfig = Omit<ParsedLine, 'stations'> & {
  readonly stations: readonly StationConfig[];
  /** The file it was loaded from. */
  readonly source: string;
};

/** A station unit: a station, or one head of an encoder. */
export interface StationUnit {
  /** `feeder`, `encoder.3`. */
  readonly unitId: string;
  readonly station: StationConfig;
  /** 1-based head number of an encoder, undefined otherwise. */
  readonly head: number | undefined;
}

export function stationUnits(line: LineConfig): StationUnit[] {
  return line.stations.flatMap((station): StationUnit[] =>
    stationKind(station.kind).heads
      ? Array.from({ length: station.heads ?? 1 }, (_, i) => ({ unitId: `${station.id}.${i + 1}`, station, head: i + 1 }))
      : [{ unitId: station.id, station, head: undefined }],
  );
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates an already parsed object; `source` names the file in messages. */
export function parseLineConfig(value: unknown, source: string, where?: (path: readonly PropertyKey[]) => string): LineConfig {
  const parsed = LineConfigSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = formatPath(issue.path);
      const at = where?.(issue.path) ?? '';
      return `${source}${at}: ${key || '(top level)'}: ${issue.message}`;
    });
    throw new ConfigError(`invalid line configuration:\n  ${lines.join('\n  ')}`);
  }
  const line = parsed.data;
  return Object.freeze({
    ...line,
    source,
    stations: line.stations.map((s) => Object.freeze({ ...s, timeouts: { ...DEFAULT_TIMEOUTS, ...s.timeouts } })),
  });
}

/** Loads and validates a YAML (or JSON) line file. */
export async function loadLineConfig(file: string): Promise<LineConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read line configuration ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${file}${pos ? ` line ${pos.line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const where = (keyPath: readonly PropertyKey[]): string => {
    const node = nodeAt(doc.contents, keyPath);
    const offset = node?.range?.[0];
    return offset === undefined ? '' : ` line ${counter.linePos(offset).line}`;
  };
  return parseLineConfig(doc.toJS(), path.relative(process.cwd(), file) || file, where);
}

function formatPath(keys: readonly PropertyKey[]): string {
  return keys.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** The YAML node at a key path (the deepest one that exists), for line numbers in messages. */
function nodeAt(root: unknown, keys: readonly PropertyKey[]): Node | undefined {
  let node = root as Node | undefined;
  for (const key of keys) {
    if (isMap(node)) {
      const next = node.get(String(key), true) as Node | undefined;
      if (next === undefined) break;
      node = next;
    } else if (isSeq(node) && typeof key === 'number') {
      const next = node.get(key, true) as Node | undefined;
      if (next === undefined) break;
      node = next;
    } else break;
  }
  return node;
}

/** Where a unit is reached: the one place that turns a line file into addresses. */
export type UnitAddress =
  | { readonly transport: 'opcua'; readonly endpointUrl: string; readonly objectPath: readonly string[] }
  | {
      readonly transport: 'modbus';
      readonly host: string;
      readonly port: number;
      readonly unitId: number;
      readonly jobDir: string;
      readonly pollMs: number;
      readonly requestTimeoutMs: number;
    };

/**
 * OPC UA: the station object `<line id>/<station id>` under Objects (or objectPath), an encoder's
 * heads below it as `Head1`…; Modbus: unit 1 (or modbus.unitId), an encoder's heads as units 1…N,
 * each unit with its own job folder `<station job folder>/u<unit>`.
 */
export function unitAddress(line: LineConfig, unit: StationUnit, dataDir: string): UnitAddress {
  const s = unit.station;
  if (s.transport === 'opcua') {
    const sim = line.simulation?.opcua;
    const endpointUrl = s.opcua?.endpoint ?? `opc.tcp://${sim?.host ?? '127.0.0.1'}:${sim?.port ?? 4840}`;
    const base = s.opcua?.objectPath?.split('/').filter((p) => p !== '') ?? [line.id, s.id];
    return { transport: 'opcua', endpointUrl, objectPath: unit.head === undefined ? base : [...base, `Head${unit.head}`] };
  }
  const m = s.modbus!;
  const unitId = unit.head ?? m.unitId;
  const stationDir = m.jobDir ?? path.join(dataDir, 'jobs', line.id, s.id);
  return {
    transport: 'modbus',
    host: m.host,
    port: m.port,
    unitId,
    jobDir: path.join(stationDir, `u${unitId}`),
    pollMs: m.pollMs,
    requestTimeoutMs: m.requestTimeoutMs,
  };
}

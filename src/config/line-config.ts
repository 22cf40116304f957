/**
 * Line configuration (config/lines/*.yaml): the stations of one line, how each is reached, its
 * physics when simulated, and the time scale. Validated once at load; every error names the file
 * and the key (`config/lines/x.yaml: stations[2].cycle.meanMs: must be > 0`). Defaults are frozen
 * and merged into a new object (house style).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath, offsetAt } from './yaml-location.ts';
import { z } from 'zod';
import { DEFAULT_TIMEOUTS, type LinkTimeouts } from '../plc/station-link.ts';
import { DEFAULT_TEMPLATE } from '../render/defaults.ts';
import { isStationKind, stationKind, stationKinds, type StationKind } from '../stations/kinds.ts';

export type { StationKind } from '../stations/kinds.ts';

const probability = z.number().min(0).max(1);
const ms = z.number().nonnegative();

/** The mean of a histogram (uniform within each bin): an empirical cycle's true mean. */
export function histogramMeanMs(h: { readonly edgesMs: readonly number[]; readonly counts: readonly number[] }): number {
  const total = h.counts.reduce((a, b) => a + b, 0);
  return h.counts.reduce((sum, c, i) => sum + (c * (h.edgesMs[i]! + h.edgesMs[i + 1]!)) / 2, 0) / total;
}

const HistogramSchema = z
  .strictObject({
    /** n + 1 increasing bin edges, ms (a histogram measured on a real line). */
    edgesMs: z.array(ms).min(2),
    /** n counts, one a bin. */
    counts: z.array(z.number().nonnegative()).min(1),
  })
  .superRefine((h, ctx) => {
    if (h.counts.length !== h.edgesMs.length - 1) ctx.addIssue({ code: 'custom', path: ['counts'], message: `needs one count a bin: ${h.edgesMs.length - 1} for ${h.edgesMs.length} edges, got ${h.counts.length}` });
    h.edgesMs.forEach((e, i) => {
      if (i > 0 && !(e > h.edgesMs[i - 1]!)) ctx.addIssue({ code: 'custom', path: ['edgesMs', i], message: `edges must increase: ${e} after ${h.edgesMs[i - 1]}` });
    });
    if (!h.counts.some((c) => c > 0)) ctx.addIssue({ code: 'custom', path: ['counts'], message: 'at least one bin needs a count above 0' });
  });

/**
 * A station's cycle time (simulators/model/cycle-time.ts draws it). `normal` (the default: truncated
 * at a tenth of the mean), `lognormal` (this mean and sd), `fixed` or `deterministic` (always the
 * mean), `exponential` (this mean), `empirical` (a histogram; meanMs is then the histogram's mean).
 */
const CycleSchema = z
  .strictObject({
    /** Physical cycle time of one card, before time scaling. */
    meanMs: z.number().positive().optional(),
    sdMs: ms.default(0),
    distribution: z.enum(['normal', 'lognormal', 'fixed', 'deterministic', 'exponential', 'empirical']).default('normal'),
    histogram: HistogramSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.distribution === 'empirical' && !c.histogram) ctx.addIssue({ code: 'custom', path: ['histogram'], message: 'an empirical cycle needs histogram: { edgesMs: [...], counts: [...] }' });
    if (c.distribution !== 'empirical' && c.histogram) ctx.addIssue({ code: 'custom', path: ['histogram'], message: `a histogram goes with distribution: empirical, not ${c.distribution}` });
    if (c.distribution !== 'empirical' && c.meanMs === undefined) ctx.addIssue({ code: 'custom', path: ['meanMs'], message: 'required: the mean cycle time in ms' });
  })
  .transform((c) => ({ ...c, meanMs: c.meanMs ?? (c.histogram ? histogramMeanMs(c.histogram) : 0) }));

/** Time-based breakdowns of a unit (each head on its own): mean time between failures and to repair. */
const DowntimeSchema = z.strictObject({
  mtbfMs: z.number().positive(),
  mttrMs: z.number().positive(),
  repair: z.enum(['exponential', 'lognormal']).default('exponential'),
  /** Lognormal repair: its standard deviation (default: the mean). */
  repairSdMs: ms.optional(),
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
    /** Poll period while the unit is idle (no handshake for a second): a slower poll costs the controller less. */
    idlePollMs: z.number().positive().default(200),
    requestTimeoutMs: z.number().positive().default(1000),
  }).optional(),
  cycle: CycleSchema,
  failures: FailuresSchema.default(FailuresSchema.parse({})),
  /** Breakdowns by MTBF/MTTR (the virtual-time engine, `cardline simulate`); none when absent. */
  downtime: DowntimeSchema.optional(),
  timeouts: TimeoutsSchema.default({}),
  /**
   * Cards that may wait in front of the station (an accumulating conveyor) beyond each unit's own
   * infeed: 0 by default (a finished card waits at its unit's outfeed until a unit here is free), or
   * `unlimited`. The virtual-time engine (`cardline simulate`) models it; the real-time simulator does not.
   */
  buffer: z.union([z.number().int().nonnegative(), z.literal('unlimited')]).default(0),
  /**
   * A unit takes its next card at its infeed while it still works on the previous one (true, the
   * default, as the PLC interface describes); false: only once its work position is free, so the
   * heads of a station share one queue (an M/M/c station). Virtual-time engine only.
   */
  staging: z.boolean().default(true),
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
  /** A jammed unit stays held this long before it produces again (the controller's recoverAfterMs; simulated). */
  jamClearMs: ms.default(2000),
  /** Cards the controller lets into the line at once (`unlimited`, or a number); default two a unit and two more. Virtual-time engine only. */
  wip: z.union([z.number().int().positive(), z.literal('unlimited')]).optional(),
  /** A full stacker is emptied by the operator after this long (the virtual-time engine; the real-time one waits for the control API). */
  stackerUnloadMs: ms.default(30_000),
  opcua: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(1).max(65535) }).optional(),
  /** The fault-injection and stock control surface (HTTP on loopback). */
  controlPort: z.number().int().min(1).max(65535).optional(),
});

/** The simulation block of a line, or its defaults for a line without one (capacity planning of a production line). */
export function simulationOf(line: LineConfig): NonNullable<LineConfig['simulation']> {
  return line.simulation ?? SimulationSchema.parse({});
}

/**
 * ISO/IEC 7816-2's contact field on the face that carries the contacts (C1–C8: 10.25–19.87 mm from
 * the left edge, 19.23–28.55 mm from the top edge) with 1.5 mm around it: the default area a chip
 * module keeps clear. Check it against the card manufacturer's drawing of the stock.
 */
export const ISO_7816_MODULE_AREA = Object.freeze({ x: 8.75, y: 17.73, width: 12.62, height: 12.32 });

const cardMm = z.number().finite().nonnegative();
const ChipModuleSchema = z
  .strictObject({
    /** The card face the module's contact plate sits on: the laser must not engrave there. */
    side: z.enum(['front', 'back']),
    /** The area to keep clear, mm from that face's top-left corner; default ISO_7816_MODULE_AREA. */
    x: cardMm.default(ISO_7816_MODULE_AREA.x),
    y: cardMm.default(ISO_7816_MODULE_AREA.y),
    width: cardMm.positive().default(ISO_7816_MODULE_AREA.width),
    height: cardMm.positive().default(ISO_7816_MODULE_AREA.height),
  })
  .refine((m) => m.x + m.width <= 85.6 && m.y + m.height <= 53.98, { error: 'the module area must lie on the 85.6 × 53.98 mm card' });

/** The blank cards the line personalizes (docs/templates.md, "Card stock"). */
const CardStockSchema = z.strictObject({
  /** The card bodies come with the artwork printed: the laser engraves the personal layer only. */
  prePrinted: z.boolean().default(false),
  /** A contact chip module on a face; absent for a contactless-only inlay (nothing on the surface). */
  chipModule: ChipModuleSchema.optional(),
});

export const LineConfigSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, { error: 'must be lower case letters, digits and hyphens, starting with a letter' }),
    description: z.string().default(''),
    simulation: SimulationSchema.optional(),
    opcuaSecurity: OpcuaSecuritySchema.default(OpcuaSecuritySchema.parse({})),
    /** The card template the laser jobs are rendered from: a folder under templates/. */
    template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must name a template folder (lower case letters, digits and hyphens)' }).default(DEFAULT_TEMPLATE),
    cardStock: CardStockSchema.default({ prePrinted: false }),
    /**
     * How long the personal data of a batch run on this line is kept after its release before
     * `purge --due` takes it (docs/security.md, "Retention and purge"). Below a batch's own value,
     * above the site's CARDLINE_RETENTION_DAYS. Absent: the line sets none.
     */
    retentionDays: z.number().int().min(0).max(36_500).optional(),
    /**
     * Modbus TCP has no authentication or encryption: a production line with Modbus stations must
     * say, in its file, that this is accepted and why (the network that protects it).
     */
    modbusSecurity: z.strictObject({
      insecureTransportAccepted: z.boolean(),
      reason: z.string().trim().min(10, { error: 'must say why (at least 10 characters): the network that protects the Modbus traffic' }),
    }).optional(),
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
    const modbusAt = line.stations.findIndex((s) => s.transport === 'modbus');
    if (!line.simulation && modbusAt >= 0 && line.modbusSecurity?.insecureTransportAccepted !== true) {
      const ids = line.stations.filter((s) => s.transport === 'modbus').map((s) => s.id).join(', ');
      ctx.addIssue({
        code: 'custom',
        path: line.modbusSecurity ? ['modbusSecurity', 'insecureTransportAccepted'] : ['stations', modbusAt, 'transport'],
        message:
          `a production line with Modbus stations (${ids}) has no transport security (Modbus TCP has neither authentication nor ` +
          'encryption, and the job folders carry BAC keys, chip images and card images): accept it explicitly with ' +
          'modbusSecurity: { insecureTransportAccepted: true, reason: "…" }, naming the network that protects it',
      });
    }
  });

type ParsedLine = z.output<typeof LineConfigSchema>;
/** The line's blank card stock: pre-printed or not, and where its chip module keeps the laser away. */
export type CardStock = ParsedLine['cardStock'];
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
      // An unknown key is the fault of that key's line, not of the block it sits in.
      const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const at = where?.(unknown === undefined ? issue.path : [...issue.path, unknown]) ?? '';
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
    const offset = offsetAt(doc.contents, keyPath);
    return offset === undefined ? '' : ` line ${counter.linePos(offset).line}`;
  };
  return parseLineConfig(doc.toJS(), path.relative(process.cwd(), file) || file, where);
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
      readonly idlePollMs: number;
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
    idlePollMs: m.idlePollMs,
    requestTimeoutMs: m.requestTimeoutMs,
  };
}

/**
 * The station kinds of a line — ONE table. For each kind: its place in the route a card travels,
 * its role (how the controller drives it), the job a trusted card gets there (built from the
 * record's prepared data), how the controller judges its result, and its tag/register extras.
 * The controller, the card machine (the route), the line-file validation, the simulator (which
 * keys its physics by these kinds, simulators/model/physics.ts) and the test hosts read it; an
 * unknown kind is a type error in code and a config error in a line file, never a default.
 *
 * Adding a kind: docs/line-control.md, "Adding a station kind".
 *
 * Pure declaration (no I/O): src/config, src/line, machines/ and simulators/ all import it.
 */
import type { PreparedRecord, QaJudge, QaVerdict } from '../line/ports.ts';
import type { PackInstruction } from '../packing/pack.ts';
import { decodeResult, encodeJob, type JobKind } from '../plc/job-data.ts';

/**
 * How the controller drives a kind:
 * - `feed`: takes a blank for the next record (the feed job names the record); starts a card.
 * - `work`: does the record's work on a trusted card (its `job`), passes an untrusted one on (skip).
 * - `inspect`: like work, and its judged result is the card's QA verdict: only a card it passed is stacked.
 * - `sort`: the card leaves the line here: stacked (QA passed, the record awaits it) or to the reject bin;
 *   on a line with a `pack` station after it, a good card is passed on to that station instead.
 * - `pack`: a good card leaves the line here into a delivery pack of its record's office, as the
 *   controller's pack plan says (src/line/packing.ts); the record is produced once its pack closes.
 */
export type StationRole = 'feed' | 'work' | 'inspect' | 'sort' | 'pack';

/** What a judge has at hand: the record's prepared data, the station's result data, the QA port. */
export interface JudgeInput {
  readonly prepared: PreparedRecord;
  readonly data: Buffer;
  readonly qa: QaJudge;
}

export interface StationKindDef {
  /** Cards visit a line's kinds in ascending place (a card may skip ahead, never go back). */
  readonly place: number;
  readonly role: StationRole;
  readonly description: string;
  /** Every line must have a station of this kind. */
  readonly required: boolean;
  /** The job kind (src/plc/job-data.ts) its PLC takes besides `skip`; a job of another kind is refused. */
  readonly jobKind: JobKind;
  /** `work` and `inspect`: the job of a trusted card, from the record's prepared data. */
  readonly job?: (prepared: PreparedRecord) => Buffer;
  /** The verdict on a good (result 0) Done of a trusted card; without one, result 0 is good. */
  readonly judge?: (input: JudgeInput) => Promise<QaVerdict>;
  /** Tag/register extra: several heads, each a unit with its own handshake (OPC UA `Head<n>`, Modbus units 1…N). */
  readonly heads: boolean;
  /** Tag/register extra: a stacker with numbered positions (`stackerCapacity`); full → Suspended/Blocked. */
  readonly stacker: boolean;
  /** Line-file extra: pockets of open delivery packs (`packPockets`, default 8) and the pack size (`packSize`, default 50). */
  readonly pockets?: boolean;
  /** The line machine's event when this kind suspends (PackML Suspended): starved for blanks or blocked. */
  readonly suspends?: 'line.starved' | 'line.blocked';
}

const INSPECT = encodeJob({ v: 1, kind: 'inspect' });

/** QA: the controller (not the PLC) judges what the QA station read, through the QA port. */
async function judgeInspection({ prepared, data, qa }: JudgeInput): Promise<QaVerdict> {
  const decoded = decodeResult(data);
  if (decoded.ok && decoded.value.kind === 'inspect') return qa.judge(prepared, decoded.value);
  return { ok: false, code: 'CHIP_UNREADABLE', detail: decoded.ok ? 'not an inspection result' : decoded.reason };
}

const BUILTIN = {
  feeder: {
    place: 10,
    role: 'feed',
    description: 'takes a blank out of the magazine for the record its feed job names',
    required: true,
    jobKind: 'feed',
    heads: false,
    stacker: false,
    suspends: 'line.starved',
  },
  encoder: {
    place: 20,
    role: 'work',
    description: 'writes and locks the chip (LDS files, BAC keys); parallel heads',
    required: true,
    jobKind: 'chip',
    job: (p) => p.chipJob,
    heads: true,
    stacker: false,
  },
  laser: {
    place: 30,
    role: 'work',
    description: 'engraves the rendered sides and the MRZ zone',
    required: true,
    jobKind: 'laser',
    job: (p) => p.laserJob,
    heads: false,
    stacker: false,
  },
  qa: {
    place: 40,
    role: 'inspect',
    description: 'reads the chip through BAC, OCRs the MRZ, grades the print; the controller judges',
    required: true,
    jobKind: 'inspect',
    job: () => INSPECT,
    judge: judgeInspection,
    heads: false,
    stacker: false,
  },
  output: {
    place: 50,
    role: 'sort',
    description: 'stacks a card QA passed, puts any other in the reject bin',
    required: true,
    jobKind: 'output',
    heads: false,
    stacker: true,
    suspends: 'line.blocked',
  },
  packer: {
    place: 60,
    role: 'pack',
    description: 'sorts the good cards into delivery packs by their record’s office (pockets of open packs); ejects a closed pack',
    required: false,
    jobKind: 'pack',
    heads: false,
    stacker: false,
    pockets: true,
  },
} as const satisfies Record<string, StationKindDef>;

/** A station kind: a key of the table. */
export type StationKind = keyof typeof BUILTIN;

const registry = new Map<string, StationKindDef>(Object.entries(BUILTIN));

export function isStationKind(kind: string): kind is StationKind {
  return registry.has(kind);
}

/** The kind's row of the table; a kind not in it is a programming error. */
export function stationKind(kind: string): StationKindDef {
  const def = registry.get(kind);
  if (!def) throw new RangeError(`unknown station kind '${kind}'; kinds: ${stationKinds().join(', ')}`);
  return def;
}

/** Every kind, in route order. */
export function stationKinds(): StationKind[] {
  return routeOf(registry.keys());
}

/** The given kinds in route order (a line's route: the kinds of its stations). */
export function routeOf(kinds: Iterable<string>): StationKind[] {
  return [...new Set(kinds)].sort((a, b) => stationKind(a).place - stationKind(b).place) as StationKind[];
}

/** The kinds of a role, in route order. */
export function kindsWithRole(role: StationRole): StationKind[] {
  return stationKinds().filter((k) => stationKind(k).role === role);
}

/**
 * Adds a kind to the table at run time, for tests and for a kind under development; a product
 * kind belongs in the table above (then the type names it too). Returns the name as a StationKind.
 */
export function extendStationKinds(name: string, def: StationKindDef): StationKind {
  if (registry.has(name)) throw new RangeError(`station kind '${name}' is declared already`);
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new RangeError(`station kind '${name}': lower case letters, digits and hyphens`);
  if ([...registry.values()].some((d) => d.place === def.place)) throw new RangeError(`station kind '${name}': place ${def.place} is taken`);
  registry.set(name, Object.freeze({ ...def }));
  return name as StationKind;
}

/** The job that sends an untrusted card on untouched (every kind takes it). */
export const SKIP_JOB = encodeJob({ v: 1, kind: 'skip' });

/** The feed job: the blank at the feeder is for this record. */
export function feedJob(recordRef: string): Buffer {
  return encodeJob({ v: 1, kind: 'feed', recordRef });
}

/** The sort job: the stacker, or the reject bin; on a line with a packer, a good card is passed on. */
export const SORT_JOBS = {
  stacker: encodeJob({ v: 1, kind: 'output', destination: 'stacker' }),
  reject: encodeJob({ v: 1, kind: 'output', destination: 'reject' }),
  pass: encodeJob({ v: 1, kind: 'output', destination: 'pass' }),
} as const;

/** The pack job: the pack and pocket the controller's plan gives the card. */
export function packJob(instruction: PackInstruction): Buffer {
  return encodeJob({ v: 1, kind: 'pack', ...instruction });
}


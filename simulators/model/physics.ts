/**
 * What a station physically does to a card at the end of its cycle, and which failure mode (if
 * any) strikes. Draws come from the card's own random stream at that station, a fixed number per
 * step whatever the outcome, so a card's fate depends on the seed, the card and the station — not
 * on timing or on what other cards did.
 */
import { readEmrtd } from '../../src/domain/bac/reader.ts';
import type { Rng } from '../../src/sample/rng.ts';
import type { Job, JobResult } from '../../src/plc/job-data.ts';
import { stationKind, type StationKind } from '../../src/stations/kinds.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import type { PackInstruction } from '../../src/packing/pack.ts';
import type { Card } from './card.ts';
import type { PackOutcome } from './packer.ts';
import { MISREGISTRATION_MM } from './surface.ts';
import { engravedSha256OfSides } from './surface.ts';

export interface StationFailures {
  jam: number;
  blankDefect: number;
  chipWriteFailure: number;
  emptyChipWrite: number;
  partialChipWrite: number;
  misregistration: number;
  ocrMismatch: number;
}

export interface WorkOutcome {
  /** RESULT_CODES value. */
  readonly result: number;
  /** The result document; null when the station has none to give (result data left empty). */
  readonly data: JobResult | null;
  /** The card left the unit as part of the work (stacked, or dropped in the reject bin by the output). */
  readonly left: boolean;
}

/** What the output reaches: its stacker and the reject bin. */
export interface OutputBins {
  stackerFull(): boolean;
  /** Puts the card in the stacker; returns its position. */
  stack(card: Card): number;
  reject(card: Card, reason: string, hostReason?: number): void;
  /** A packer's pockets: puts the card into the pack its job names (simulators/model/packer.ts). */
  pack(card: Card, job: PackInstruction): PackOutcome;
}

const MRZ_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

/** Print grade (ISO/IEC 15415 style, one decimal): 3.5–4.0 when registered, 0.5–1.9 when not, 0 without print. */
function printGrade(card: Card, draw: number): number {
  if (!card.surface.isEngraved) return 0;
  const grade = card.surface.registrationOffsetMm > MISREGISTRATION_MM ? 0.5 + draw * 1.4 : 3.5 + draw * 0.5;
  return Math.round(grade * 10) / 10;
}

/** The MRZ with one character misread: position and replacement from two draws. */
function misread(mrz: readonly string[], posDraw: number, charDraw: number): string[] {
  const text = mrz.join('');
  if (text.length === 0) return [...mrz];
  const pos = Math.floor(posDraw * text.length);
  const others = MRZ_ALPHABET.replace(text[pos]!, '');
  const wrong = others[Math.floor(charDraw * others.length)]!;
  const altered = text.slice(0, pos) + wrong + text.slice(pos + 1);
  const lines: string[] = [];
  let at = 0;
  for (const line of mrz) {
    lines.push(altered.slice(at, at + line.length));
    at += line.length;
  }
  return lines;
}

/**
 * What a station kind physically does to a card for its job (the kind's own job kind; `skip` and
 * jams are handled before). Draws come from `rng` in a fixed number per step.
 */
export type StationPhysics = (card: Card, job: Job, rng: Rng, failures: StationFailures, bins: OutputBins) => WorkOutcome;

function wrongJob(kind: string, job: Job): never {
  throw new Error(`${kind}: a ${job.kind} job reached its physics (the unit refuses a job of another kind)`);
}

/**
 * The failure that strikes a card at a station besides a jam, drawn before anything is done to the
 * card; what the card physically becomes follows from it and from the kind's further draws (`u`).
 */
export type Defect = 'blankDefect' | 'chipWriteFailure' | 'emptyChipWrite' | 'partialChipWrite' | 'misregistration' | 'ocrMismatch';

/**
 * What a defect means for the line: the station reports it (a non-zero result; the card goes to the
 * reject bin at that unit), or the station reports Good and QA's read-back or the controller's
 * judgement of what QA read finds it (src/line/prepare.ts LdsQaJudge: chip unreadable or
 * incomplete, MRZ mismatch, print grade below 2.5).
 */
export const DEFECT_EFFECTS: Readonly<Record<Defect, 'reported' | 'found-by-qa'>> = Object.freeze({
  blankDefect: 'reported',
  chipWriteFailure: 'reported',
  emptyChipWrite: 'found-by-qa',
  partialChipWrite: 'found-by-qa',
  misregistration: 'found-by-qa',
  ocrMismatch: 'found-by-qa',
});

/** The draws of a kind's work: the defect (if any) and the further uniforms its physics uses. */
export interface KindFate {
  readonly defect: Defect | undefined;
  readonly u: readonly number[];
}

const NO_DRAWS: readonly number[] = Object.freeze([]);
const SOUND: KindFate = Object.freeze({ defect: undefined, u: NO_DRAWS });

/** Each built-in kind's draws, a fixed number whatever the outcome. */
const FATES: Readonly<Record<StationKind, (rng: Rng, failures: StationFailures) => KindFate>> = {
  feeder: (rng, f) => (rng.chance(f.blankDefect) ? { defect: 'blankDefect', u: NO_DRAWS } : SOUND),
  encoder: (rng, f) => {
    const u = rng.next();
    const extra = rng.next();
    const defect = u < f.chipWriteFailure ? 'chipWriteFailure' : u < f.chipWriteFailure + f.emptyChipWrite ? 'emptyChipWrite' : u < f.chipWriteFailure + f.emptyChipWrite + f.partialChipWrite ? 'partialChipWrite' : undefined;
    return { defect, u: [extra] };
  },
  laser: (rng, f) => {
    const misregistered = rng.chance(f.misregistration);
    return { defect: misregistered ? 'misregistration' : undefined, u: [rng.next()] };
  },
  qa: (rng, f) => {
    const mismatch = rng.chance(f.ocrMismatch);
    return { defect: mismatch ? 'ocrMismatch' : undefined, u: [rng.next(), rng.next(), rng.next()] };
  },
  output: () => SOUND,
  packer: () => SOUND,
};

/** The fate of a card at a station: jammed, or its kind's defect. The simulators' one place for these draws. */
export interface Fate {
  readonly jam: boolean;
  readonly kind: KindFate;
}

/**
 * Draws a card's fate at a station from its stream (after its cycle time): the jam first, then —
 * for a job other than `skip` — the kind's draws. A kind added at run time draws in its own physics.
 */
export function drawFate(kind: StationKind, skip: boolean, rng: Rng, failures: StationFailures): Fate {
  const jam = rng.chance(failures.jam);
  if (jam || skip || !Object.hasOwn(FATES, kind)) return { jam, kind: SOUND };
  return { jam, kind: FATES[kind](rng, failures) };
}

const feed: StationPhysics = (_card, job, rng, failures) => {
  if (job.kind !== 'feed') wrongJob('feeder', job);
  if (FATES.feeder(rng, failures).defect) return { result: RESULT_CODES.BlankDefect, data: null, left: false };
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'feed' }, left: false };
};

const encode: StationPhysics = (card, job, rng, failures) => {
  if (job.kind !== 'chip') wrongJob('encoder', job);
  const { defect, u } = FATES.encoder(rng, failures);
  const extra = u[0]!;
  const fids = job.files.map((f) => f.fid);
  if (defect === 'chipWriteFailure') {
    // Some files went in before the chip stopped answering; the encoder knows and says so.
    const written = job.files.slice(0, Math.floor(extra * job.files.length));
    card.chip.write(written);
    return { result: RESULT_CODES.ChipWriteFailed, data: { v: 1, kind: 'chip', written: written.map((f) => f.fid) }, left: false };
  }
  if (defect === 'emptyChipWrite') {
    // The German eID failure: the encoder believes it wrote everything; the chip holds nothing.
    card.chip.lock();
    return { result: RESULT_CODES.Good, data: { v: 1, kind: 'chip', written: fids }, left: false };
  }
  if (defect === 'partialChipWrite') {
    // The key objects went in with the application; some file writes did not.
    if (job.bac) card.chip.setBacKeys(job.bac);
    if (job.files.length >= 2) {
      card.chip.write(job.files.slice(0, 1 + Math.floor(extra * (job.files.length - 1))));
    } else {
      const only = job.files[0]!;
      card.chip.write([{ fid: only.fid, data: only.data.subarray(0, Math.floor(only.data.length / 2)) }]);
    }
    card.chip.lock();
    return { result: RESULT_CODES.Good, data: { v: 1, kind: 'chip', written: fids }, left: false };
  }
  card.chip.write(job.files);
  if (job.bac) card.chip.setBacKeys(job.bac);
  card.chip.lock();
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'chip', written: fids }, left: false };
};

const engrave: StationPhysics = (card, job, rng, failures) => {
  if (job.kind !== 'laser') wrongJob('laser', job);
  const { defect, u } = FATES.laser(rng, failures);
  const misregistered = defect === 'misregistration';
  const offsetDraw = u[0]!;
  card.surface.engrave(job.sides, job.mrz ?? null);
  card.surface.registrationOffsetMm = misregistered ? MISREGISTRATION_MM + 0.1 + offsetDraw * 1.1 : offsetDraw * 0.1;
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'laser', engravedSha256: engravedSha256OfSides(job.sides) }, left: false };
};

const inspect: StationPhysics = (card, job, rng, failures) => {
  if (job.kind !== 'inspect') wrongJob('qa', job);
  const { defect, u } = FATES.qa(rng, failures);
  const mismatch = defect === 'ocrMismatch';
  const [gradeDraw, posDraw, charDraw] = u as [number, number, number];
  const surfaceMrz = card.surface.mrz;
  const ocrMrz = surfaceMrz === null ? null : mismatch ? misread(surfaceMrz, posDraw, charDraw) : [...surfaceMrz];
  // The reader in the QA station: BAC with keys from the MRZ it just read, as in the field.
  card.chip.reset();
  const read = readEmrtd((apdu) => card.chip.transceive(apdu), { mrz: ocrMrz });
  return {
    result: RESULT_CODES.Good,
    data: {
      v: 1,
      kind: 'inspect',
      chip: read.kind === 'read' ? { files: read.files.map((f) => ({ fid: f.fid, data: Buffer.from(f.data) })) } : null,
      ocrMrz: ocrMrz === null ? null : [ocrMrz[0] ?? '', ocrMrz[1] ?? '', ocrMrz[2] ?? ''],
      printGrade: printGrade(card, gradeDraw),
    },
    left: false,
  };
};

const sort: StationPhysics = (card, job, _rng, _failures, bins) => {
  if (job.kind !== 'output') wrongJob('output', job);
  // On to the station after the output (a packer): the card stays in the machine.
  if (job.destination === 'pass') return { result: RESULT_CODES.Good, data: { v: 1, kind: 'output', bin: 'pass', position: 0 }, left: false };
  if (job.destination === 'reject') {
    bins.reject(card, 'host-reject', job.reason);
    return { result: RESULT_CODES.Good, data: { v: 1, kind: 'output', bin: 'reject', position: 0 }, left: true };
  }
  if (bins.stackerFull()) {
    bins.reject(card, 'stacker-full');
    return { result: RESULT_CODES.Good, data: { v: 1, kind: 'output', bin: 'reject', position: 0 }, left: true };
  }
  const position = bins.stack(card);
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'output', bin: 'stacker', position }, left: true };
};

const pack: StationPhysics = (card, job, _rng, _failures, bins) => {
  if (job.kind !== 'pack') wrongJob('packer', job);
  const outcome = bins.pack(card, job);
  // A job the packer cannot do (a pocket it does not have): the card goes out through its reject gate.
  if (!outcome.ok) return { result: RESULT_CODES.JobRejected, data: null, left: false };
  return { result: RESULT_CODES.Good, data: { v: 1, kind: 'pack', packId: job.packId, pocket: job.pocket, count: outcome.count }, left: true };
};

/** The simulator's physics of every kind of the station-kind table: a kind without physics is a type error here. */
const PHYSICS: Readonly<Record<StationKind, StationPhysics>> = { feeder: feed, encoder: encode, laser: engrave, qa: inspect, output: sort, packer: pack };

const extraPhysics = new Map<string, StationPhysics>();

/** The physics of a kind added with extendStationKinds (tests; a kind under development). */
export function extendStationPhysics(kind: StationKind, physics: StationPhysics): void {
  if (Object.hasOwn(PHYSICS, kind) || extraPhysics.has(kind)) throw new RangeError(`station kind '${kind}' has physics already`);
  extraPhysics.set(kind, physics);
}

export function physicsOf(kind: StationKind): StationPhysics {
  const physics = Object.hasOwn(PHYSICS, kind) ? PHYSICS[kind] : extraPhysics.get(kind);
  if (!physics) throw new RangeError(`station kind '${kind}' has no simulator physics (simulators/model/physics.ts)`);
  return physics;
}

/** The station's work on `card` for `job` (whose kind is the station's or `skip`). */
export function doWork(kind: StationKind, card: Card, job: Job, rng: Rng, failures: StationFailures, bins: OutputBins): WorkOutcome {
  // Jam first: it can strike any card at any station, even one passed on untouched.
  if (rng.chance(failures.jam)) return { result: RESULT_CODES.CardJam, data: null, left: false };

  if (job.kind === 'skip') {
    const role = stationKind(kind).role;
    if (role === 'sort' || role === 'pack') {
      // The end of the line for a card bound for the reject bin.
      bins.reject(card, 'skipped');
      return { result: RESULT_CODES.Good, data: { v: 1, kind: 'skip' }, left: true };
    }
    return { result: RESULT_CODES.Good, data: { v: 1, kind: 'skip' }, left: false };
  }
  return physicsOf(kind)(card, job, rng, failures, bins);
}

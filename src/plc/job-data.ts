/**
 * Job and result data: what travels in JobData and ResultData (OPC UA ByteStrings, Modbus job
 * folder files) for each station kind. UTF-8 JSON documents with binary parts in base64, versioned
 * by `v` — easy for a station's PC-based controller to parse, and a laser job with its page images
 * stays a single document. docs/plc-interface.md ("Job and result data") is the reference.
 */
import { z } from 'zod';

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { error: 'must be base64' }).transform((s): Buffer => Buffer.from(s, 'base64'));
const fid = z.string().regex(/^[0-9A-F]{4}$/, { error: 'must be a 4-digit upper-case hex file id' });
const mrzLines = z.tuple([z.string(), z.string(), z.string()]);

export const JobSchema = z.discriminatedUnion('kind', [
  /** Feeder: feed the present blank for this record. */
  z.strictObject({ v: z.literal(1), kind: z.literal('feed'), recordRef: z.string().min(1).max(64) }),
  /** Encoder head: write these chip files (and the access keys), then lock the chip. */
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('chip'),
    files: z.array(z.strictObject({ fid, data: b64 })).min(1),
    /** Basic Access Control keys derived from the MRZ (ICAO 9303-11), when the chip is to answer BAC. */
    bac: z.strictObject({ kEnc: b64, kMac: b64 }).optional(),
  }),
  /** Laser: engrave these sides; the MRZ lines are what the engraving's MRZ zone must read. */
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('laser'),
    sides: z.array(z.strictObject({ side: z.enum(['front', 'back']), mediaType: z.string(), data: b64 })).min(1),
    mrz: mrzLines.optional(),
  }),
  /** QA: inspect the card (read the chip, OCR the MRZ, grade the print). */
  z.strictObject({ v: z.literal(1), kind: z.literal('inspect') }),
  /** Output: stack the card, put it in the reject bin, or pass it on to the station after it (a packer). */
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('output'),
    destination: z.enum(['stacker', 'reject', 'pass']),
    reason: z.number().int().nonnegative().optional(),
  }),
  /** Any station: pass the card on untouched (it is already bound for the reject bin). */
  z.strictObject({ v: z.literal(1), kind: z.literal('skip') }),
  /**
   * Packer: put the card into the pack `packId` in `pocket` (a pack of another id there is ejected
   * first; a pack not in the packer is loaded into it); eject the pack after this card when `closesPack`.
   */
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('pack'),
    packId: z.string().regex(/^[\x21-\x7e]{1,40}$/, { error: 'must be 1–40 printable ASCII characters (a Code 128 label carries it)' }),
    office: z.string().min(1).max(100),
    pocket: z.number().int().nonnegative().max(63),
    closesPack: z.boolean(),
  }),
]);

export type Job = z.output<typeof JobSchema>;
export type JobKind = Job['kind'];

export const ResultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ v: z.literal(1), kind: z.literal('feed') }),
  z.strictObject({ v: z.literal(1), kind: z.literal('chip'), written: z.array(fid) }),
  z.strictObject({ v: z.literal(1), kind: z.literal('laser'), engravedSha256: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.strictObject({
    v: z.literal(1),
    kind: z.literal('inspect'),
    /** The chip's files as read back (through BAC once personalized), or null when nothing answered. */
    chip: z.strictObject({ files: z.array(z.strictObject({ fid, data: b64 })) }).nullable(),
    /** The MRZ as the camera read it, or null when no MRZ was found. */
    ocrMrz: mrzLines.nullable(),
    /** ISO/IEC 15415-style print grade, 0.0 (F) to 4.0 (A). */
    printGrade: z.number().min(0).max(4),
  }),
  z.strictObject({ v: z.literal(1), kind: z.literal('output'), bin: z.enum(['stacker', 'reject', 'pass']), position: z.number().int().nonnegative() }),
  z.strictObject({ v: z.literal(1), kind: z.literal('skip') }),
  /** Packer: the card lies in `packId` in `pocket`, the pack's `count`-th card. */
  z.strictObject({ v: z.literal(1), kind: z.literal('pack'), packId: z.string().min(1).max(40), pocket: z.number().int().nonnegative(), count: z.number().int().positive() }),
]);

export type JobResult = z.output<typeof ResultSchema>;

type Encodable = Record<string, unknown> | unknown[] | string | number | boolean | null | Buffer | undefined;

function toJson(value: Encodable): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((v) => toJson(v as Encodable));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJson(v as Encodable)]));
  }
  return value;
}

export function encodeJob(job: Job): Buffer {
  return Buffer.from(JSON.stringify(toJson(job as unknown as Encodable)), 'utf8');
}

export function encodeResult(result: JobResult): Buffer {
  return Buffer.from(JSON.stringify(toJson(result as unknown as Encodable)), 'utf8');
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function decode<T>(schema: z.ZodType<T>, data: Buffer, what: string): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, reason: `${what} is not JSON` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    return { ok: false, reason: `${what}: ${first.path.join('.') || '(document)'}: ${first.message}` };
  }
  return { ok: true, value: parsed.data };
}

export function decodeJob(data: Buffer): Decoded<Job> {
  return decode(JobSchema, data, 'job data');
}

export function decodeResult(data: Buffer): Decoded<JobResult> {
  return decode(ResultSchema, data, 'result data');
}

/**
 * Secure messaging after BAC (ICAO 9303 Part 11, 9.8; ISO/IEC 7816-4): 3DES session keys, the
 * send sequence counter, and the data objects DO'87' (padding-content indicator 01 ‖ encrypted
 * padded data), DO'97' (Le), DO'99' (status) and DO'8E' (the retail MAC over SSC ‖ the padded
 * header ‖ the DOs). Both directions for both sides: the terminal protects commands and
 * unprotects responses, the chip unprotects commands and protects responses. The SSC goes up
 * by one before every command and before every response, on both sides.
 *
 * The step functions take the SSC already incremented and return every intermediate value, so
 * the tests can follow ICAO 9303 Part 11 Appendix D.4 line by line; `SmSession` keeps the counter.
 */
import { timingSafeEqual } from 'node:crypto';
import { decodeCommand, encodeCommand, readTlvs, swHex, tlv, type CommandApdu, type ResponseApdu } from './apdu.ts';
import { pad, retailMacPadded, tdesDecrypt, tdesEncrypt, unpad } from './crypto.ts';
import type { SessionKeys } from './keys.ts';

export type SmResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const fail = <T>(reason: string): SmResult<T> => ({ ok: false, reason });

const SM_CLA = 0x0c;
const PADDING_INDICATOR = 0x01;
const EMPTY = Buffer.alloc(0);

/** The most a short response APDU carries (Ne = 256). */
const SHORT_NE = 256;

/** Le as DO'97' carries it: one byte for Ne ≤ 256 (256 as 00), two bytes above. */
function leBytes(ne: number): Buffer {
  if (ne <= 256) return Buffer.from([ne & 0xff]);
  return Buffer.from([(ne >> 8) & 0xff, ne & 0xff]);
}

function neOf(le: Buffer): number | undefined {
  if (le.length === 1) return le[0] === 0 ? 256 : le[0];
  if (le.length === 2) {
    const v = le.readUInt16BE(0);
    return v === 0 ? 65536 : v;
  }
  return undefined;
}

function tlvSize(valueLength: number): number {
  return 1 + (valueLength < 0x80 ? 1 : valueLength < 0x100 ? 2 : 3) + valueLength;
}

/** The length of a protected response carrying `n` data bytes: DO'87' (if any), DO'99', DO'8E'. */
export function protectedResponseLength(n: number): number {
  const do87 = n > 0 ? tlvSize(1 + (Math.floor(n / 8) + 1) * 8) : 0;
  return do87 + tlvSize(2) + tlvSize(8);
}

function macEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** DO'87': 01 ‖ 3DES-CBC(KS_enc, padded data). */
function do87Of(ksEnc: Buffer, data: Buffer): Buffer {
  return tlv(0x87, Buffer.concat([Buffer.from([PADDING_INDICATOR]), tdesEncrypt(ksEnc, pad(data))]));
}

/** The plaintext of a DO'87' value; undefined when the indicator or padding is wrong. */
function openDo87(ksEnc: Buffer, value: Buffer): Buffer | undefined {
  if (value.length < 9 || value[0] !== PADDING_INDICATOR || (value.length - 1) % 8 !== 0) return undefined;
  return unpad(tdesDecrypt(ksEnc, value.subarray(1)));
}

// --- Terminal: protect a command -------------------------------------------------------------

export interface ProtectedCommandSteps {
  /** The SSC the MAC covers (already incremented for this command). */
  readonly ssc: Buffer;
  /** CLA with the SM bits set, INS, P1, P2. */
  readonly maskedHeader: Buffer;
  readonly paddedHeader: Buffer;
  /** Empty when the command carries no data. */
  readonly do87: Buffer;
  /** Empty when the command expects no response data. */
  readonly do97: Buffer;
  /** Padded header ‖ DO'87' ‖ DO'97'. */
  readonly m: Buffer;
  /** SSC ‖ M, padded: the MAC input. */
  readonly n: Buffer;
  readonly cc: Buffer;
  readonly do8e: Buffer;
  /** The protected command APDU. */
  readonly apdu: Buffer;
}

export function protectCommand(keys: SessionKeys, ssc: Buffer, command: CommandApdu): ProtectedCommandSteps {
  if ((command.cla & SM_CLA) !== 0) throw new Error('protectCommand: the command is already protected (CLA has the SM bits)');
  const maskedHeader = Buffer.from([command.cla | SM_CLA, command.ins, command.p1, command.p2]);
  const paddedHeader = pad(maskedHeader);
  const do87 = command.data ? do87Of(keys.ksEnc, command.data) : EMPTY;
  const do97 = command.le !== undefined ? tlv(0x97, leBytes(command.le)) : EMPTY;
  const m = Buffer.concat([paddedHeader, do87, do97]);
  const n = pad(Buffer.concat([ssc, m]));
  const cc = retailMacPadded(keys.ksMac, n);
  const do8e = tlv(0x8e, cc);
  // The protected response must fit the Le we announce: short (00 = 256) unless it cannot.
  const expected = protectedResponseLength(command.le ?? 0);
  const apdu = encodeCommand({
    cla: maskedHeader[0]!,
    ins: command.ins,
    p1: command.p1,
    p2: command.p2,
    data: Buffer.concat([do87, do97, do8e]),
    le: expected <= SHORT_NE ? SHORT_NE : 65536,
  });
  return { ssc: Buffer.from(ssc), maskedHeader, paddedHeader, do87, do97, m, n, cc, do8e, apdu };
}

// --- Terminal: unprotect a response ----------------------------------------------------------

export interface UnprotectedResponseSteps {
  readonly ssc: Buffer;
  /** Empty when the response carries no data. */
  readonly do87: Buffer;
  readonly do99: Buffer;
  readonly do8e: Buffer;
  /** SSC ‖ DO'87' ‖ DO'99', padded: the MAC input. */
  readonly k: Buffer;
  readonly cc: Buffer;
  readonly response: ResponseApdu;
}

/** Verifies and decrypts a protected response; refused when anything does not check out. */
export function unprotectResponse(keys: SessionKeys, ssc: Buffer, rapdu: Buffer): SmResult<UnprotectedResponseSteps> {
  if (rapdu.length < 2) return fail(`a response of ${rapdu.length} bytes has no status word`);
  const outerSw = rapdu.readUInt16BE(rapdu.length - 2);
  const body = rapdu.subarray(0, rapdu.length - 2);
  if (body.length === 0) return fail(`the chip answered ${swHex(outerSw)} without secure messaging`);
  const dos = readTlvs(body);
  if (!dos) return fail('the response data is not a sequence of data objects');
  let i = 0;
  const do87 = dos[i]?.tag === 0x87 ? dos[i++]! : undefined;
  const do99 = dos[i]?.tag === 0x99 ? dos[i++]! : undefined;
  const do8e = dos[i]?.tag === 0x8e ? dos[i++]! : undefined;
  if (i !== dos.length) return fail(`unexpected data object ${dos[i]!.tag.toString(16).toUpperCase()} in the response`);
  if (!do99 || do99.end - do99.valueStart !== 2) return fail("the response has no DO'99' with a 2-byte status");
  if (!do8e || do8e.end - do8e.valueStart !== 8) return fail("the response has no DO'8E' with an 8-byte MAC");
  const do87Bytes = do87 ? body.subarray(do87.start, do87.end) : EMPTY;
  const do99Bytes = body.subarray(do99.start, do99.end);
  const do8eBytes = body.subarray(do8e.start, do8e.end);
  const k = pad(Buffer.concat([ssc, do87Bytes, do99Bytes]));
  const cc = retailMacPadded(keys.ksMac, k);
  if (!macEquals(cc, body.subarray(do8e.valueStart, do8e.end))) return fail("the response MAC (DO'8E') does not verify");
  let data: Buffer = EMPTY;
  if (do87) {
    const plain = openDo87(keys.ksEnc, body.subarray(do87.valueStart, do87.end));
    if (!plain) return fail("the response DO'87' does not decrypt to padded data");
    data = plain;
  }
  const sw = body.readUInt16BE(do99.valueStart);
  return {
    ok: true,
    value: { ssc: Buffer.from(ssc), do87: Buffer.from(do87Bytes), do99: Buffer.from(do99Bytes), do8e: Buffer.from(do8eBytes), k, cc, response: { data: Buffer.from(data), sw } },
  };
}

// --- Chip: unprotect a command ---------------------------------------------------------------

/** Verifies and decrypts a protected command; the command comes back with a plain CLA. */
export function unprotectCommand(keys: SessionKeys, ssc: Buffer, apdu: Buffer): SmResult<CommandApdu> {
  const outer = decodeCommand(apdu);
  if (!outer) return fail('not a command APDU');
  if ((outer.cla & SM_CLA) !== SM_CLA) return fail('the command is not protected (CLA without the SM bits)');
  if (!outer.data) return fail('a protected command carries at least DO\'8E\'');
  const dos = readTlvs(outer.data);
  if (!dos) return fail('the command data is not a sequence of data objects');
  let i = 0;
  const do87 = dos[i]?.tag === 0x87 ? dos[i++]! : undefined;
  const do97 = dos[i]?.tag === 0x97 ? dos[i++]! : undefined;
  const do8e = dos[i]?.tag === 0x8e ? dos[i++]! : undefined;
  if (i !== dos.length) return fail(`unexpected data object ${dos[i]!.tag.toString(16).toUpperCase()} in the command`);
  if (!do8e || do8e.end - do8e.valueStart !== 8) return fail("the command has no DO'8E' with an 8-byte MAC");
  const header = Buffer.from([outer.cla, outer.ins, outer.p1, outer.p2]);
  const covered = outer.data.subarray(0, do8e.start);
  const n = pad(Buffer.concat([ssc, pad(header), covered]));
  if (!macEquals(retailMacPadded(keys.ksMac, n), outer.data.subarray(do8e.valueStart, do8e.end))) return fail("the command MAC (DO'8E') does not verify");
  let data: Buffer | undefined;
  if (do87) {
    data = openDo87(keys.ksEnc, outer.data.subarray(do87.valueStart, do87.end));
    if (!data) return fail("the command DO'87' does not decrypt to padded data");
    if (data.length === 0) data = undefined;
  }
  let le: number | undefined;
  if (do97) {
    le = neOf(outer.data.subarray(do97.valueStart, do97.end));
    if (le === undefined) return fail("DO'97' does not hold a 1- or 2-byte Le");
  }
  const cla = outer.cla & ~SM_CLA;
  return { ok: true, value: { cla, ins: outer.ins, p1: outer.p1, p2: outer.p2, ...(data ? { data } : {}), ...(le !== undefined ? { le } : {}) } };
}

// --- Chip: protect a response ----------------------------------------------------------------

export interface ProtectedResponseSteps {
  readonly do87: Buffer;
  readonly do99: Buffer;
  readonly k: Buffer;
  readonly cc: Buffer;
  readonly do8e: Buffer;
  readonly rapdu: Buffer;
}

export function protectResponse(keys: SessionKeys, ssc: Buffer, response: ResponseApdu): ProtectedResponseSteps {
  const do87 = response.data.length > 0 ? do87Of(keys.ksEnc, response.data) : EMPTY;
  const swBytes = Buffer.from([response.sw >> 8, response.sw & 0xff]);
  const do99 = tlv(0x99, swBytes);
  const k = pad(Buffer.concat([ssc, do87, do99]));
  const cc = retailMacPadded(keys.ksMac, k);
  const do8e = tlv(0x8e, cc);
  return { do87, do99, k, cc, do8e, rapdu: Buffer.concat([do87, do99, do8e, swBytes]) };
}

// --- The counter -----------------------------------------------------------------------------

const SSC_MODULUS = 1n << 64n;

/** A secure messaging session: the session keys and the send sequence counter. */
export class SmSession {
  private counter: bigint;

  constructor(
    readonly keys: SessionKeys,
    ssc: Buffer,
  ) {
    if (ssc.length !== 8) throw new Error(`the 3DES send sequence counter has 8 bytes, not ${ssc.length}`);
    this.counter = ssc.readBigUInt64BE(0);
  }

  /** The current send sequence counter. */
  get ssc(): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(this.counter);
    return b;
  }

  private next(): Buffer {
    this.counter = (this.counter + 1n) % SSC_MODULUS;
    return this.ssc;
  }

  /** Terminal: the protected form of `command`. */
  protectCommand(command: CommandApdu): Buffer {
    return protectCommand(this.keys, this.next(), command).apdu;
  }

  /** Terminal: the plain response inside a protected one. */
  unprotectResponse(rapdu: Buffer): SmResult<ResponseApdu> {
    const r = unprotectResponse(this.keys, this.next(), rapdu);
    return r.ok ? { ok: true, value: r.value.response } : r;
  }

  /** Chip: the plain command inside a protected one. */
  unprotectCommand(apdu: Buffer): SmResult<CommandApdu> {
    return unprotectCommand(this.keys, this.next(), apdu);
  }

  /** Chip: the protected form of `response`. */
  protectResponse(response: ResponseApdu): Buffer {
    return protectResponse(this.keys, this.next(), response).rapdu;
  }
}

/**
 * ISO/IEC 7816-4 APDUs as BAC and the LDS use them: command and response encoding (short and
 * extended length), BER-TLV, the status words, and the commands an inspection system sends
 * (SELECT of the eMRTD application and of an EF, READ BINARY, GET CHALLENGE, EXTERNAL
 * AUTHENTICATE).
 */

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (Lc bytes); absent when the command carries none. */
  readonly data?: Buffer;
  /** Ne, the number of bytes expected: 1–256 (short) or up to 65536 (extended); absent for none. */
  readonly le?: number;
}

export interface ResponseApdu {
  readonly data: Buffer;
  readonly sw: number;
}

/** Status words used here (ISO/IEC 7816-4, 5.6). */
export const SW = {
  OK: 0x9000,
  /** End of file reached before Ne bytes (READ BINARY returns what there is). */
  END_OF_FILE: 0x6282,
  /** Verification failed (EXTERNAL AUTHENTICATE with a wrong cryptogram). */
  AUTHENTICATION_FAILED: 0x6300,
  WRONG_LENGTH: 0x6700,
  /** Security status not satisfied: a plain command to a chip that requires BAC. */
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  CONDITIONS_OF_USE_NOT_SATISFIED: 0x6985,
  /** Command not allowed: no current EF. */
  NO_CURRENT_EF: 0x6986,
  /** Secure messaging data objects incorrect. */
  SM_DATA_OBJECTS_INCORRECT: 0x6988,
  /** File or application not found. */
  FILE_NOT_FOUND: 0x6a82,
  INCORRECT_P1_P2: 0x6a86,
  /** Wrong parameters P1-P2: offset outside the EF. */
  WRONG_PARAMETERS: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** The eMRTD (LDS1) application identifier, ICAO 9303 Part 10. */
export const EMRTD_AID = Buffer.from('A0000002471001', 'hex');

export const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  GET_CHALLENGE: 0x84,
  EXTERNAL_AUTHENTICATE: 0x82,
} as const;

/** Whether the command must travel with extended length fields. */
function isExtended(c: CommandApdu): boolean {
  return (c.data?.length ?? 0) > 255 || (c.le ?? 0) > 256;
}

function checkCommand(c: CommandApdu): void {
  for (const [name, v] of [['CLA', c.cla], ['INS', c.ins], ['P1', c.p1], ['P2', c.p2]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new Error(`command APDU: ${name} ${v} is not a byte`);
  }
  if (c.data !== undefined && (c.data.length === 0 || c.data.length > 65535)) throw new Error(`command APDU: ${c.data.length} data bytes (1–65535, or no data field)`);
  if (c.le !== undefined && (!Number.isInteger(c.le) || c.le < 1 || c.le > 65536)) throw new Error(`command APDU: Ne ${c.le} (1–65536, or no Le field)`);
}

/** Encodes a command APDU; extended length only when the data or Ne do not fit the short form. */
export function encodeCommand(c: CommandApdu): Buffer {
  checkCommand(c);
  const header = Buffer.from([c.cla, c.ins, c.p1, c.p2]);
  const data = c.data ?? Buffer.alloc(0);
  if (!isExtended(c)) {
    const lc = data.length > 0 ? Buffer.from([data.length]) : Buffer.alloc(0);
    const le = c.le !== undefined ? Buffer.from([c.le & 0xff]) : Buffer.alloc(0);
    return Buffer.concat([header, lc, data, le]);
  }
  const parts: Buffer[] = [header, Buffer.from([0x00])];
  if (data.length > 0) parts.push(Buffer.from([data.length >> 8, data.length & 0xff]), data);
  if (c.le !== undefined) parts.push(Buffer.from([(c.le >> 8) & 0xff, c.le & 0xff]));
  return Buffer.concat(parts);
}

/** Decodes a command APDU (the four ISO cases, short or extended); undefined when malformed. */
export function decodeCommand(b: Buffer): CommandApdu | undefined {
  if (b.length < 4) return undefined;
  const head = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]! };
  if (b.length === 4) return head;
  const b4 = b[4]!;
  if (b.length === 5) return { ...head, le: b4 === 0 ? 256 : b4 };
  if (b4 !== 0) {
    const data = b.subarray(5, 5 + b4);
    if (b.length === 5 + b4) return { ...head, data: Buffer.from(data) };
    if (b.length === 6 + b4) {
      const le = b[5 + b4]!;
      return { ...head, data: Buffer.from(data), le: le === 0 ? 256 : le };
    }
    return undefined;
  }
  // Extended length: 00 then two-byte Lc and/or Le.
  if (b.length === 7) {
    const le = b.readUInt16BE(5);
    return { ...head, le: le === 0 ? 65536 : le };
  }
  const lc = b.readUInt16BE(5);
  if (lc === 0) return undefined;
  const data = Buffer.from(b.subarray(7, 7 + lc));
  if (b.length === 7 + lc) return { ...head, data };
  if (b.length === 9 + lc) {
    const le = b.readUInt16BE(7 + lc);
    return { ...head, data, le: le === 0 ? 65536 : le };
  }
  return undefined;
}

export function encodeResponse(r: ResponseApdu): Buffer {
  return Buffer.concat([r.data, Buffer.from([r.sw >> 8, r.sw & 0xff])]);
}

/** Undefined when the bytes cannot be a response (fewer than the two status bytes). */
export function decodeResponse(b: Buffer): ResponseApdu | undefined {
  if (b.length < 2) return undefined;
  return { data: Buffer.from(b.subarray(0, b.length - 2)), sw: b.readUInt16BE(b.length - 2) };
}

// --- The commands an inspection system sends -------------------------------------------------

/** SELECT the eMRTD application by AID, no FCI returned (P1=04, P2=0C). */
export function selectApplication(aid: Buffer = EMRTD_AID): CommandApdu {
  return { cla: 0x00, ins: INS.SELECT, p1: 0x04, p2: 0x0c, data: Buffer.from(aid) };
}

/** SELECT an EF under the current DF by its 2-byte file id, no FCI returned (P1=02, P2=0C). */
export function selectFile(fid: string): CommandApdu {
  if (!/^[0-9A-Fa-f]{4}$/.test(fid)) throw new Error(`selectFile: '${fid}' is not a 4-digit hex file id`);
  return { cla: 0x00, ins: INS.SELECT, p1: 0x02, p2: 0x0c, data: Buffer.from(fid, 'hex') };
}

/** READ BINARY of the current EF: `le` bytes from `offset` (P1-P2, 15 bits). */
export function readBinary(offset: number, le: number): CommandApdu {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0x7fff) throw new Error(`readBinary: offset ${offset} is outside 0–32767`);
  return { cla: 0x00, ins: INS.READ_BINARY, p1: offset >> 8, p2: offset & 0xff, le };
}

export function getChallenge(): CommandApdu {
  return { cla: 0x00, ins: INS.GET_CHALLENGE, p1: 0x00, p2: 0x00, le: 8 };
}

/** EXTERNAL AUTHENTICATE with E_IFD ‖ M_IFD (40 bytes), expecting E_IC ‖ M_IC (40 bytes). */
export function externalAuthenticate(data: Buffer): CommandApdu {
  return { cla: 0x00, ins: INS.EXTERNAL_AUTHENTICATE, p1: 0x00, p2: 0x00, data: Buffer.from(data), le: 40 };
}

// --- BER-TLV ----------------------------------------------------------------------------------

export function berLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

/** Encodes one TLV; `tag` is the tag's bytes read as a big-endian number (0x87, 0x5F01). */
export function tlv(tag: number, value: Buffer): Buffer {
  const tagBytes = tag > 0xff ? Buffer.from([tag >> 8, tag & 0xff]) : Buffer.from([tag]);
  return Buffer.concat([tagBytes, berLength(value.length), value]);
}

export interface Tlv {
  readonly tag: number;
  /** Offset of the first byte of the TLV, of its value, and just past it. */
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The TLV header at `at`: undefined when the bytes end before the header does. */
export function readTlvHeader(buf: Buffer, at: number): { tag: number; valueStart: number; length: number } | undefined {
  let i = at;
  if (i >= buf.length) return undefined;
  let tag = buf[i++]!;
  if ((tag & 0x1f) === 0x1f) {
    let b: number;
    do {
      if (i >= buf.length || i - at > 3) return undefined;
      b = buf[i++]!;
      tag = tag * 256 + b;
    } while (b & 0x80);
  }
  if (i >= buf.length) return undefined;
  let length = buf[i++]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || i + n > buf.length) return undefined;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + buf[i++]!;
  }
  return { tag, valueStart: i, length };
}

/** One whole TLV at `at`; undefined when it is truncated. */
export function readTlv(buf: Buffer, at: number): Tlv | undefined {
  const h = readTlvHeader(buf, at);
  if (!h || h.valueStart + h.length > buf.length) return undefined;
  return { tag: h.tag, start: at, valueStart: h.valueStart, end: h.valueStart + h.length };
}

/** The TLVs one after another in `buf[from, to)`; undefined when they do not tile it exactly. */
export function readTlvs(buf: Buffer, from = 0, to = buf.length): Tlv[] | undefined {
  const out: Tlv[] = [];
  let at = from;
  while (at < to) {
    const t = readTlv(buf, at);
    if (!t || t.end > to) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

/**
 * The contactless chip of a simulated card: the files the encoder wrote (LDS file id → bytes),
 * the BAC key material, and the lock that personalization sets — and its contactless interface,
 * `transceive()`, which answers ISO/IEC 7816-4 APDUs the way an eMRTD chip does. A reader gets
 * at the files only through it (QA reads with the same BAC code, src/domain/bac/, as the chip
 * answers with). docs/bac.md lists every command and status word.
 *
 * Access control: a chip that was locked with BAC keys answers file commands only through BAC
 * secure messaging; a plain SELECT or READ BINARY gets 6982. A chip locked without BAC keys is
 * a chip issued without access control (the job's `bac` is optional: "when the chip is to
 * answer BAC"), and serves its files in plain, as does a chip still in personalization. A chip
 * that holds no file has no eMRTD application: its SELECT gets 6A82.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeCommand, EMRTD_AID, encodeResponse, INS, readTlv, SW, type CommandApdu, type ResponseApdu } from '../../src/domain/bac/apdu.ts';
import { BacChip, type RandomSource } from '../../src/domain/bac/chip.ts';

export interface ChipFile {
  /** 4-digit upper-case hex file id, e.g. `0101` (DG1). */
  readonly fid: string;
  readonly data: Buffer;
}

export interface BacKeys {
  readonly kEnc: Buffer;
  readonly kMac: Buffer;
}

export interface ChipOptions {
  /** RND.IC and K.IC (tests inject fixed values); crypto.randomBytes by default. */
  readonly random?: RandomSource;
}

export class ChipLockedError extends Error {
  override name = 'ChipLockedError';
}

const SM_CLA_BITS = 0x0c;

function status(sw: number, data: Buffer = Buffer.alloc(0)): ResponseApdu {
  return { data, sw };
}

export class Chip {
  private readonly files = new Map<string, Buffer>();
  private bac: BacKeys | undefined;
  private bacChip: BacChip | undefined;
  private locked = false;
  private readonly random: RandomSource;
  // The link state a reader builds up; reset() (the card leaving the field) clears it.
  private applicationSelected = false;
  private currentFile: string | undefined;

  constructor(options: ChipOptions = {}) {
    this.random = options.random ?? randomBytes;
  }

  /** Writes files into an unlocked chip (a later write of the same file id replaces it). */
  write(files: readonly ChipFile[]): void {
    if (this.locked) throw new ChipLockedError('the chip is locked: personalization already ended');
    for (const f of files) this.files.set(f.fid, Buffer.from(f.data));
  }

  setBacKeys(keys: BacKeys): void {
    if (this.locked) throw new ChipLockedError('the chip is locked: personalization already ended');
    this.bac = { kEnc: Buffer.from(keys.kEnc), kMac: Buffer.from(keys.kMac) };
    this.bacChip = new BacChip(this.bac, { random: this.random });
  }

  /** Ends personalization: the chip takes no more writes. */
  lock(): void {
    this.locked = true;
  }

  get isLocked(): boolean {
    return this.locked;
  }

  get bacKeys(): BacKeys | undefined {
    return this.bac;
  }

  /** Whether file commands need BAC secure messaging. */
  get requiresBac(): boolean {
    return this.locked && this.bacChip !== undefined;
  }

  /** The files as they physically are (the ledger's truth), sorted by file id; not a reader's view. */
  contents(): ChipFile[] {
    return [...this.files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([fid, data]) => ({ fid, data: Buffer.from(data) }));
  }

  file(fid: string): Buffer | undefined {
    return this.files.get(fid);
  }

  /** The card enters a reader's field anew: nothing selected, no challenge, no session. */
  reset(): void {
    this.applicationSelected = false;
    this.currentFile = undefined;
    this.bacChip?.endSession();
  }

  /** The contactless interface: one command APDU in, one response APDU out. */
  transceive(command: Buffer): Buffer {
    const cmd = decodeCommand(command);
    if (!cmd) return encodeResponse(status(SW.WRONG_LENGTH));
    // No file, no eMRTD application (the empty-write failure): nothing to select.
    if (this.files.size === 0) return encodeResponse(status(cmd.ins === INS.SELECT ? SW.FILE_NOT_FOUND : SW.CONDITIONS_OF_USE_NOT_SATISFIED));
    if ((cmd.cla & SM_CLA_BITS) === SM_CLA_BITS) return this.secureMessaging(command);
    if (cmd.cla !== 0x00) return encodeResponse(status(SW.CLA_NOT_SUPPORTED));
    return encodeResponse(this.plain(cmd));
  }

  private plain(cmd: CommandApdu): ResponseApdu {
    if (cmd.ins === INS.SELECT && cmd.p1 === 0x04) return this.selectApplication(cmd);
    if (!this.applicationSelected) return status(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    switch (cmd.ins) {
      case INS.GET_CHALLENGE: {
        if (!this.bacChip) return status(SW.INS_NOT_SUPPORTED);
        if (cmd.le !== 8 || cmd.data) return status(SW.WRONG_LENGTH);
        return status(SW.OK, this.bacChip.getChallenge());
      }
      case INS.EXTERNAL_AUTHENTICATE: {
        if (!this.bacChip) return status(SW.INS_NOT_SUPPORTED);
        if (cmd.data?.length !== 40) return status(SW.WRONG_LENGTH);
        if (!this.bacChip.hasChallenge) return status(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
        const answer = this.bacChip.externalAuthenticate(cmd.data);
        if (!answer.ok) return status(SW.AUTHENTICATION_FAILED);
        this.currentFile = undefined;
        return status(SW.OK, answer.value.respData);
      }
      case INS.SELECT:
      case INS.READ_BINARY:
        if (this.requiresBac) {
          // A plain command ends any secure messaging session (ICAO 9303-11, 9.8).
          this.bacChip?.endSession();
          this.currentFile = undefined;
          return status(SW.SECURITY_STATUS_NOT_SATISFIED);
        }
        return this.fileCommand(cmd);
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  private secureMessaging(command: Buffer): Buffer {
    const bac = this.bacChip;
    if (!this.applicationSelected || !bac?.authenticated) return encodeResponse(status(SW.SM_DATA_OBJECTS_INCORRECT));
    const inner = bac.unprotectCommand(command);
    if (!inner.ok) {
      // The session is gone (BacChip ended it); the answer cannot be protected.
      this.currentFile = undefined;
      return encodeResponse(status(SW.SM_DATA_OBJECTS_INCORRECT));
    }
    const cmd = inner.value;
    let response: ResponseApdu;
    if (cmd.cla !== 0x00) response = status(SW.CLA_NOT_SUPPORTED);
    else if (cmd.ins === INS.SELECT && cmd.p1 !== 0x04) response = this.fileCommand(cmd);
    else if (cmd.ins === INS.READ_BINARY) response = this.fileCommand(cmd);
    else response = status(SW.INS_NOT_SUPPORTED);
    return bac.protectResponse(response);
  }

  private selectApplication(cmd: CommandApdu): ResponseApdu {
    if (!cmd.data || !cmd.data.equals(EMRTD_AID)) return status(SW.FILE_NOT_FOUND);
    this.applicationSelected = true;
    this.currentFile = undefined;
    this.bacChip?.endSession();
    return status(SW.OK);
  }

  /** SELECT of an EF by file id, READ BINARY (by offset in the current EF, or by short EF id). */
  private fileCommand(cmd: CommandApdu): ResponseApdu {
    if (cmd.ins === INS.SELECT) {
      if (cmd.p1 !== 0x00 && cmd.p1 !== 0x02) return status(SW.INCORRECT_P1_P2);
      if (cmd.data?.length !== 2) return status(SW.WRONG_LENGTH);
      const fid = cmd.data.toString('hex').toUpperCase();
      if (!this.files.has(fid)) return status(SW.FILE_NOT_FOUND);
      this.currentFile = fid;
      return status(SW.OK);
    }
    if (cmd.data || cmd.le === undefined) return status(SW.WRONG_LENGTH);
    let offset = (cmd.p1 << 8) | cmd.p2;
    if (cmd.p1 & 0x80) {
      // Short EF identifier in P1 bits 1–5 (LDS files: SFI = the file id's low byte), offset in P2.
      const fid = (0x0100 | (cmd.p1 & 0x1f)).toString(16).toUpperCase().padStart(4, '0');
      if (!this.files.has(fid)) return status(SW.FILE_NOT_FOUND);
      this.currentFile = fid;
      offset = cmd.p2;
    }
    const data = this.currentFile === undefined ? undefined : this.files.get(this.currentFile);
    if (!data) return status(SW.NO_CURRENT_EF);
    if (offset >= data.length) return status(SW.WRONG_PARAMETERS);
    const out = Buffer.from(data.subarray(offset, offset + cmd.le));
    return status(out.length < cmd.le ? SW.END_OF_FILE : SW.OK, out);
  }
}

/**
 * SHA-256 of a chip's content: over its files sorted by file id, each as the 2-byte file id, a
 * 4-byte big-endian length and the bytes. Null for a chip that holds nothing.
 */
export function chipContentSha256(files: readonly ChipFile[]): string | null {
  if (files.length === 0) return null;
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.fid.localeCompare(b.fid))) {
    const head = Buffer.alloc(6);
    head.writeUInt16BE(Number.parseInt(f.fid, 16), 0);
    head.writeUInt32BE(f.data.length, 2);
    hash.update(head).update(f.data);
  }
  return hash.digest('hex');
}

/** DG1's file id (ICAO 9303-10). */
export const DG1_FID = '0101';

/** The 90 MRZ characters of a DG1 file `61 { 5F1F <MRZ> }`, or null when it does not parse. */
export function parseDg1Mrz(dg1: Buffer | undefined): string | null {
  if (!dg1) return null;
  const outer = readTlv(dg1, 0);
  if (!outer || outer.tag !== 0x61) return null;
  let at = outer.valueStart;
  while (at < outer.end) {
    const el = readTlv(dg1, at);
    if (!el || el.end > outer.end) return null;
    if (el.tag === 0x5f1f) {
      const text = dg1.subarray(el.valueStart, el.end).toString('latin1');
      return /^[A-Z0-9<]{90}$/.test(text) ? text : null;
    }
    at = el.end;
  }
  return null;
}

/** Builds a DG1 file from three MRZ lines (for hosts in tests and the demo's job builder). */
export function encodeDg1(mrz: readonly string[]): Buffer {
  const text = Buffer.from(mrz.join(''), 'latin1');
  const inner = Buffer.concat([Buffer.from([0x5f, 0x1f]), berLength(text.length), text]);
  return Buffer.concat([Buffer.from([0x61]), berLength(inner.length), inner]);
}

function berLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

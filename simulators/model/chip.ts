/**
 * The contactless chip of a simulated card: the files the encoder wrote (LDS file id → bytes), the
 * BAC key material, and the lock that personalization sets. QA reads it only through read(), the
 * one read path: the chip-data issue makes a personalized chip answer BAC there, without touching
 * the encoder or QA.
 */
import { createHash } from 'node:crypto';

export interface ChipFile {
  /** 4-digit upper-case hex file id, e.g. `0101` (DG1). */
  readonly fid: string;
  readonly data: Buffer;
}

export interface BacKeys {
  readonly kEnc: Buffer;
  readonly kMac: Buffer;
}

/** What the reader knows when it opens the chip. */
export interface ChipAccess {
  /** The MRZ the inspection system read from the card surface (BAC keys derive from it), or null. */
  readonly mrz: readonly string[] | null;
}

export class ChipLockedError extends Error {
  override name = 'ChipLockedError';
}

export class Chip {
  private readonly files = new Map<string, Buffer>();
  private bac: BacKeys | undefined;
  private locked = false;

  /** Writes files into an unlocked chip (a later write of the same file id replaces it). */
  write(files: readonly ChipFile[]): void {
    if (this.locked) throw new ChipLockedError('the chip is locked: personalization already ended');
    for (const f of files) this.files.set(f.fid, Buffer.from(f.data));
  }

  setBacKeys(keys: BacKeys): void {
    if (this.locked) throw new ChipLockedError('the chip is locked: personalization already ended');
    this.bac = { kEnc: Buffer.from(keys.kEnc), kMac: Buffer.from(keys.kMac) };
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

  /** The files as they physically are (the ledger's truth), sorted by file id; not a reader's view. */
  contents(): ChipFile[] {
    return [...this.files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([fid, data]) => ({ fid, data: Buffer.from(data) }));
  }

  file(fid: string): Buffer | undefined {
    return this.files.get(fid);
  }

  /**
   * The read path: what a reader in the field gets back. Today a chip answers with every file it
   * holds, or nothing (null) when it holds none — an empty chip has no LDS application to select.
   * Extension point (chip-data issue): a personalized chip answers only after BAC with keys derived
   * from `access.mrz`, and returns null when authentication fails.
   */
  read(_access: ChipAccess): ChipFile[] | null {
    if (this.files.size === 0) return null;
    return this.contents();
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

/** One BER-TLV element: tag bytes, value offsets. Undefined when the bytes are truncated. */
function readTlv(buf: Buffer, at: number): { tag: number; start: number; end: number } | undefined {
  let i = at;
  if (i >= buf.length) return undefined;
  let tag = buf[i++]!;
  if ((tag & 0x1f) === 0x1f) {
    // Multi-byte tag: continuation bytes have bit 8 set.
    let b: number;
    do {
      if (i >= buf.length) return undefined;
      b = buf[i++]!;
      tag = tag * 256 + b;
    } while (b & 0x80);
  }
  if (i >= buf.length) return undefined;
  let len = buf[i++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || i + n > buf.length) return undefined;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + buf[i++]!;
  }
  if (i + len > buf.length) return undefined;
  return { tag, start: i, end: i + len };
}

/** The 90 MRZ characters of a DG1 file `61 { 5F1F <MRZ> }`, or null when it does not parse. */
export function parseDg1Mrz(dg1: Buffer | undefined): string | null {
  if (!dg1) return null;
  const outer = readTlv(dg1, 0);
  if (!outer || outer.tag !== 0x61) return null;
  let at = outer.start;
  while (at < outer.end) {
    const el = readTlv(dg1, at);
    if (!el || el.end > outer.end) return null;
    if (el.tag === 0x5f1f) {
      const text = dg1.subarray(el.start, el.end).toString('latin1');
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

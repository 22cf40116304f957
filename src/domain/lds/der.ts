/**
 * The few DER primitives the per-card hot path needs (ITU-T X.690): a tag, definite lengths in
 * the shortest form, and concatenation. Everything constant (certificates, algorithm identifiers,
 * names) is encoded once by asn1js/pkijs; what changes per card is assembled here because encoding
 * it through an object model costs more than the card's signature (docs/chip-data.md,
 * "Performance"). Every structure built with these helpers is decoded by asn1js/pkijs and by
 * `openssl asn1parse` / `openssl cms` in the tests.
 */

/** DER length octets: short form below 128, else 0x8N followed by the N shortest big-endian octets. */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`DER length must be a whole number ≥ 0, got ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/**
 * The identifier octets of a tag written as its hexadecimal number, the way ICAO 9303 names
 * them: 0x30, 0x5F1F, 0x7F61. Multi-octet tags are taken as they are written.
 */
export function tagOctets(tag: number): Buffer {
  if (!Number.isSafeInteger(tag) || tag < 0 || tag > 0xffffff) throw new RangeError(`tag out of range: ${tag}`);
  if (tag <= 0xff) return Buffer.from([tag]);
  if (tag <= 0xffff) return Buffer.from([tag >> 8, tag & 0xff]);
  return Buffer.from([tag >> 16, (tag >> 8) & 0xff, tag & 0xff]);
}

/** Octets of the identifier and length fields. */
export function headerLength(tag: number, length: number): number {
  const tagLength = tag <= 0xff ? 1 : tag <= 0xffff ? 2 : 3;
  const lengthLength = length < 0x80 ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : length <= 0xffffff ? 4 : 5;
  return tagLength + lengthLength;
}

export function writeHeader(out: Buffer, at: number, tag: number, length: number): number {
  if (tag > 0xffff) out[at++] = tag >>> 16;
  if (tag > 0xff) out[at++] = (tag >>> 8) & 0xff;
  out[at++] = tag & 0xff;
  if (length < 0x80) {
    out[at++] = length;
    return at;
  }
  const octets = length <= 0xff ? 1 : length <= 0xffff ? 2 : length <= 0xffffff ? 3 : 4;
  out[at++] = 0x80 | octets;
  for (let i = octets - 1; i >= 0; i--) out[at++] = Math.floor(length / 256 ** i) & 0xff;
  return at;
}

/**
 * A DER value not yet serialized: nesting costs no copy, and derBytes writes the whole tree into
 * one buffer. Parts are encoded bytes, nested nodes, or text (written as UTF-8).
 */
export interface DerNode {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  readonly contentLength: number;
  readonly length: number;
}

export type DerPart = Uint8Array | DerNode | string;

function partLength(part: DerPart): number {
  if (typeof part === 'string') return Buffer.byteLength(part, 'utf8');
  if (part instanceof Uint8Array) return part.length;
  return part.length;
}

export function der(tag: number, ...parts: DerPart[]): DerNode {
  let contentLength = 0;
  for (const part of parts) contentLength += partLength(part);
  if (contentLength > 0xffffffff) throw new RangeError('DER value too long');
  return { tag, parts, contentLength, length: headerLength(tag, contentLength) + contentLength };
}

function writeNode(out: Buffer, at: number, node: DerNode): number {
  at = writeHeader(out, at, node.tag, node.contentLength);
  for (const part of node.parts) {
    if (typeof part === 'string') at += out.write(part, at, 'utf8');
    else if (part instanceof Uint8Array) {
      out.set(part, at);
      at += part.length;
    } else at = writeNode(out, at, part);
  }
  return at;
}

export function derBytes(node: DerNode): Buffer {
  const out = Buffer.allocUnsafe(node.length);
  const end = writeNode(out, 0, node);
  if (end !== node.length) throw new Error(`DER writer wrote ${end} bytes of ${node.length}`);
  return out;
}

/** tag ‖ length ‖ content, serialized. */
export function tlv(tag: number, ...content: DerPart[]): Buffer {
  return derBytes(der(tag, ...content));
}

/** A small non-negative INTEGER (0–127), the only kind the LDS files carry. */
export function smallInteger(value: number): Buffer {
  const cached = SMALL_INTEGERS[value];
  if (cached === undefined) throw new RangeError(`small INTEGER must be 0–127, got ${value}`);
  return cached;
}

const SMALL_INTEGERS: readonly Buffer[] = Array.from({ length: 128 }, (_, i) => Buffer.from([0x02, 0x01, i]));

/** UTF8String (tag 0C). The text is written as given: records are NFC already (record.ts). */
export function utf8String(text: string): DerNode {
  return der(0x0c, text);
}

/** OBJECT IDENTIFIER from dotted text (X.690 8.19), BigInt arcs so that 2.25.<UUID> fits. */
export function objectIdentifier(dotted: string): Buffer {
  if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(dotted)) throw new RangeError(`not a dotted OID: ${dotted}`);
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  if (first < 2n && second > 39n) throw new RangeError(`OID second arc must be ≤ 39 under arc ${first}: ${dotted}`);
  const octets: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    octets.push(...group);
  }
  return tlv(0x06, Buffer.from(octets));
}

/**
 * Reading side: LDS files are decoded with asn1js (not with the encoder's own helpers), so a
 * round trip checks our hand-assembled bytes against an independent parser. These wrappers never
 * throw: a chip read back from the line can hold anything.
 */
import * as asn1js from 'asn1js';

export type AsnNode = asn1js.AsnType;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

export const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');
export const hexTag = (tag: number): string => hex(tag);

/**
 * One DER object filling `data` exactly. asn1js also accepts BER (indefinite lengths, long-form
 * lengths that are not the shortest) and keeps those forms, so lengths are checked separately.
 */
export function parseDer(data: Uint8Array, what: string): Parsed<AsnNode> {
  if (data.length === 0) return fail(`${what} is empty`);
  let decoded: ReturnType<typeof asn1js.fromBER>;
  try {
    decoded = asn1js.fromBER(data);
  } catch (error) {
    return fail(`${what} is not ASN.1: ${(error as Error).message}`);
  }
  if (decoded.offset === -1) return fail(`${what} is not ASN.1 (BER-TLV): ${decoded.result.error || 'cannot decode'}`);
  if (decoded.offset !== data.length) {
    return fail(`${what} has ${data.length - decoded.offset} byte(s) after its TLV object (tag ${tagHex(decoded.result)}, ${decoded.offset} bytes)`);
  }
  const notDer = derProblem(data);
  if (notDer !== undefined) return fail(`${what} is not DER: ${notDer}`);
  return { ok: true, value: decoded.result };
}

/**
 * Walks the TLV structure of data that asn1js has already decoded and reports the first place
 * that is not DER (X.690 10.1, 8.6.2): an indefinite length, a long-form length where a shorter
 * one exists, a child that runs past the end of its parent or leaves bytes over inside it, or a
 * BIT STRING whose unused-bits count is above 7 or whose unused bits are not zero. asn1js lets
 * children overrun their parent and keeps the decoded values, so without this walk a changed
 * length octet in an unsigned part of EF.SOD (digestAlgorithms, the certificate, the signer
 * identifier) would go unnoticed by every later check.
 */
export function derProblem(data: Uint8Array): string | undefined {
  const walk = (start: number, end: number, depth: number): string | undefined => {
    let pos = start;
    while (pos < end) {
      const at = pos;
      const first = data[pos++]!;
      if ((first & 0x1f) === 0x1f) {
        while (pos < end && (data[pos]! & 0x80) !== 0) pos++;
        pos++;
      }
      if (pos >= end) return `truncated header at byte ${at}`;
      const lenByte = data[pos++]!;
      let length = lenByte;
      if (lenByte === 0x80) return `indefinite length at byte ${at}`;
      if (lenByte > 0x80) {
        const count = lenByte & 0x7f;
        if (count > 4) return `length of ${count} octets at byte ${at}`;
        if (pos + count > end) return `truncated length at byte ${at}`;
        length = 0;
        for (let i = 0; i < count; i++) length = length * 256 + data[pos++]!;
        if (length < 0x80 || length < 256 ** (count - 1)) return `length ${length} at byte ${at} is not in its shortest form`;
      }
      if (pos + length > end) return `the object at byte ${at} (length ${length}) runs ${pos + length - end} byte(s) past the end of its parent`;
      if ((first & 0x20) !== 0) {
        if (depth >= 64) return `nested deeper than 64 levels at byte ${at}`;
        const inner = walk(pos, pos + length, depth + 1);
        if (inner !== undefined) return inner;
      } else if (first === 0x03) {
        const unused = length === 0 ? -1 : data[pos]!;
        if (unused < 0 || unused > 7 || (length === 1 && unused !== 0)) return `BIT STRING at byte ${at} has an invalid unused-bits count`;
        if (unused > 0 && (data[pos + length - 1]! & ((1 << unused) - 1)) !== 0) return `BIT STRING at byte ${at} has unused bits that are not zero`;
      }
      pos += length;
    }
    return undefined;
  };
  return walk(0, data.length, 0);
}

/**
 * The tag as ICAO writes it (0x30, 0x5F1F, 0x7F61), read from the identifier octets as they were
 * decoded: ISO/IEC 7816 tags such as 5F01 use the two-octet form for a number below 31, which
 * asn1js decodes to the same number as the one-octet form 41.
 */
export function tagOf(node: AsnNode): number {
  const raw = node.valueBeforeDecodeView;
  if (raw !== undefined && raw.length > 0) {
    let tag = raw[0]!;
    if ((tag & 0x1f) === 0x1f) {
      for (let i = 1; i < raw.length && i <= 3; i++) {
        tag = tag * 256 + raw[i]!;
        if ((raw[i]! & 0x80) === 0) break;
      }
    }
    return tag;
  }
  const id = node.idBlock;
  const first = ((id.tagClass - 1) << 6) | (id.isConstructed ? 0x20 : 0);
  if (id.tagNumber < 31) return first | id.tagNumber;
  let tag = first | 0x1f;
  const groups: number[] = [];
  for (let n = id.tagNumber; n > 0; n = Math.floor(n / 128)) groups.unshift(n % 128);
  groups.forEach((g, i) => {
    tag = tag * 256 + (i < groups.length - 1 ? g | 0x80 : g);
  });
  return tag;
}

export function tagHex(node: AsnNode): string {
  return tagOf(node).toString(16).toUpperCase().padStart(2, '0');
}

/** The elements of a constructed object, or undefined for a primitive one. */
export function childrenOf(node: AsnNode): AsnNode[] | undefined {
  if (!node.idBlock.isConstructed) return undefined;
  const block = node.valueBlock as unknown as { value?: unknown };
  return Array.isArray(block.value) ? (block.value as AsnNode[]) : undefined;
}

/**
 * The content octets of a primitive object as they were decoded (for every type, including those
 * asn1js turns into values, like OBJECT IDENTIFIER), or undefined for a constructed one.
 */
export function contentOf(node: AsnNode): Buffer | undefined {
  if (node.idBlock.isConstructed) return undefined;
  const raw = node.valueBeforeDecodeView;
  const header = node.idBlock.blockLength + node.lenBlock.blockLength;
  if (raw === undefined || raw.length < header) return undefined;
  return Buffer.from(raw.buffer, raw.byteOffset + header, raw.length - header);
}

/** Children of a constructed object with the expected tag, or a problem naming what was found. */
export function expectConstructed(node: AsnNode | undefined, tag: number, what: string): Parsed<AsnNode[]> {
  if (node === undefined) return fail(`${what} is missing`);
  if (tagOf(node) !== tag) return fail(`${what} has tag ${tagHex(node)}, expected ${hexTag(tag)}`);
  const children = childrenOf(node);
  if (children === undefined) return fail(`${what} (tag ${hexTag(tag)}) is not constructed`);
  return { ok: true, value: children };
}

export function expectPrimitive(node: AsnNode | undefined, tag: number, what: string): Parsed<Buffer> {
  if (node === undefined) return fail(`${what} is missing`);
  if (tagOf(node) !== tag) return fail(`${what} has tag ${tagHex(node)}, expected ${hexTag(tag)}`);
  const content = contentOf(node);
  if (content === undefined) return fail(`${what} (tag ${hexTag(tag)}) is not primitive`);
  return { ok: true, value: content };
}

/** A non-negative INTEGER that fits a JS number. */
export function expectSmallInteger(node: AsnNode | undefined, what: string): Parsed<number> {
  const content = expectPrimitive(node, 0x02, what);
  if (!content.ok) return content;
  const bytes = content.value;
  if (bytes.length === 0 || bytes.length > 6 || (bytes[0]! & 0x80) !== 0) return fail(`${what} is not a small non-negative INTEGER`);
  return { ok: true, value: bytes.readUIntBE(0, bytes.length) };
}

/**
 * An OBJECT IDENTIFIER in dotted form. Decoded here with BigInt arcs: asn1js shows arcs beyond
 * 2^53 (the 2.25 UUID arc of DG13) in hexadecimal.
 */
export function expectOid(node: AsnNode | undefined, what: string): Parsed<string> {
  const content = expectPrimitive(node, 0x06, what);
  if (!content.ok) return content;
  const bytes = content.value;
  if (bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) return fail(`${what} is not a valid OBJECT IDENTIFIER`);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const [i, byte] of bytes.entries()) {
    if (value === 0n && byte === 0x80) return fail(`${what} is not in DER form (an arc starts with 0x80)`);
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 40n ? 0n : value < 80n ? 1n : 2n, value < 80n ? value % 40n : value - 80n);
      else arcs.push(value);
      value = 0n;
    } else if (i === bytes.length - 1) return fail(`${what} is not a valid OBJECT IDENTIFIER`);
  }
  return { ok: true, value: arcs.join('.') };
}

export function expectUtf8(node: AsnNode | undefined, what: string): Parsed<string> {
  const content = expectPrimitive(node, 0x0c, what);
  if (!content.ok) return content;
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true }).decode(content.value) };
  } catch {
    return fail(`${what} is not valid UTF-8`);
  }
}

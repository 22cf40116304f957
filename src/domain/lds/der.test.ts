/**
 * The hand-written DER writer against an independent implementation (asn1js), and the reader's
 * DER checks. Vectors: ITU-T X.690 8.1.3 (length octets) and 8.19 (OBJECT IDENTIFIER).
 */
import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDer, tagOf } from './asn1.ts';
import { der, derBytes, objectIdentifier, smallInteger, tlv, utf8String } from './der.ts';

describe('DER lengths (X.690 8.1.3)', () => {
  it.each([
    [0, '0400'],
    [1, '0401'],
    [127, '047f'],
    [128, '048180'],
    [255, '0481ff'],
    [256, '04820100'],
    [65535, '0482ffff'],
    [65536, '0483010000'],
  ])('a content of %i bytes has the header %s', (length, header) => {
    expect(tlv(0x04, Buffer.alloc(length)).subarray(0, header.length / 2).toString('hex')).toBe(header);
  });

  it('multi-octet ICAO tags are written as named', () => {
    expect(tlv(0x5f1f, Buffer.from('A')).toString('hex')).toBe('5f1f0141');
    expect(tlv(0x7f61, Buffer.alloc(0)).toString('hex')).toBe('7f6100');
  });
});

type Tree = { kind: 'bytes'; data: Uint8Array } | { kind: 'text'; text: string } | { kind: 'seq'; children: Tree[] };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 300 }).map((data): Tree => ({ kind: 'bytes', data })),
    fc.string({ unit: 'grapheme', maxLength: 40 }).map((text): Tree => ({ kind: 'text', text })),
    fc.array(tie('tree'), { maxLength: 5 }).map((children): Tree => ({ kind: 'seq', children })),
  ),
})).tree;

function encode(t: Tree): ReturnType<typeof der> {
  if (t.kind === 'bytes') return der(0x04, t.data);
  if (t.kind === 'text') return utf8String(t.text);
  return der(0x30, ...t.children.map(encode));
}

function check(t: Tree, node: asn1js.AsnType): void {
  if (t.kind === 'bytes') {
    expect(node).toBeInstanceOf(asn1js.OctetString);
    expect(Buffer.from((node as asn1js.OctetString).valueBlock.valueHexView)).toStrictEqual(Buffer.from(t.data));
  } else if (t.kind === 'text') {
    expect((node as asn1js.Utf8String).valueBlock.value).toBe(t.text);
  } else {
    expect(node).toBeInstanceOf(asn1js.Sequence);
    const children = (node as asn1js.Sequence).valueBlock.value;
    expect(children).toHaveLength(t.children.length);
    t.children.forEach((c, i) => check(c, children[i]!));
  }
}

describe('DER writer against asn1js', () => {
  it('any tree of SEQUENCEs, OCTET STRINGs and UTF8Strings decodes to what was written', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const bytes = derBytes(der(0x30, encode(t)));
        const parsed = parseDer(bytes, 'tree');
        expect(parsed.ok).toBe(true);
        if (parsed.ok) check({ kind: 'seq', children: [t] }, parsed.value);
      }),
    );
  });

  it('OBJECT IDENTIFIERs encode as asn1js encodes them, 2.25 UUID arcs included', () => {
    const oid = fc
      .tuple(fc.constantFrom(0, 1, 2), fc.nat({ max: 39 }), fc.array(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), { maxLength: 6 }))
      .map(([a, b, rest]) => [a, b, ...rest].join('.'));
    fc.assert(
      fc.property(oid, (dotted) => {
        expect(objectIdentifier(dotted).toString('hex')).toBe(Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER(false)).toString('hex'));
      }),
    );
  });

  it('small INTEGERs are 02 01 n; others are misuse', () => {
    expect(smallInteger(13).toString('hex')).toBe('02010d');
    expect(() => smallInteger(128)).toThrow(RangeError);
    expect(() => smallInteger(1.5)).toThrow(RangeError);
  });
});

describe('parseDer', () => {
  it.each([
    ['308103020101', /not in its shortest form/],
    ['30800201010000', /indefinite length/],
    ['300302010100', /1 byte\(s\) after/],
    ['3005020101', /not ASN\.1/],
    ['', /empty/],
    // EF.SOD's digestAlgorithms with the SEQUENCE length 0B changed to 0A: asn1js lets the OID
    // run past its parent and decodes the same values, so only this walk notices.
    ['310d300a0609608648016503040201', /the object at byte 4 \(length 9\) runs 1 byte\(s\) past the end of its parent/],
    ['03020101', /BIT STRING at byte 0 has unused bits that are not zero/],
    ['030101', /BIT STRING at byte 0 has an invalid unused-bits count/],
  ])('rejects %s', (hex, problem) => {
    const parsed = parseDer(Buffer.from(hex, 'hex'), 'test');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });

  it.each(['310d300b0609608648016503040201', '03020780', '030100'])('accepts the DER %s', (hex) => {
    expect(parseDer(Buffer.from(hex, 'hex'), 'test')).toMatchObject({ ok: true });
  });

  it('reads ICAO tags from the identifier octets as written (5F01 is not 41)', () => {
    const parsed = parseDer(Buffer.from('60095f0104303130375c00', 'hex'), 'EF.COM');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(tagOf(parsed.value)).toBe(0x60);
    const [version, list] = (parsed.value as asn1js.Constructed).valueBlock.value;
    expect([tagOf(version!), tagOf(list!)]).toStrictEqual([0x5f01, 0x5c]);
  });
});

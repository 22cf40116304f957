/**
 * LDS encoding round trips: what the builder writes, decoded by asn1js/pkijs-based readers, is
 * what went in — for sampled records of every age group and with partial birth dates (fixtures in
 * test/lds/fixtures.ts). Structures are checked against ICAO 9303-10 (EF.COM 4.6.1, DG1 4.7.1,
 * DG2 4.7.2, EF.SOD 4.6.2) and ISO/IEC 19794-5:2005 (the face record header).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/mrz-td1-vectors.json' with { type: 'json' };
import { fileOf, testCards, testSigner, type TestCard, type TestSigner } from '../../../test/lds/fixtures.ts';
import { probeJpeg } from '../image/jpeg.ts';
import { encodeDg13Tree } from './dg13.ts';
import {
  cardChipData,
  decodeDg1,
  decodeDg13,
  decodeDg2,
  decodeEfCom,
  decodeSod,
  DG13_LAYOUT,
  DG13_OID,
  encodeDg1,
  encodeDg13,
  encodeEfCom,
  NO_EXPIRY_TEXT,
  OID,
  verifyLds,
  type Dg13Fields,
  type LdsImage,
} from './index.ts';

let cards: TestCard[];
let signer: TestSigner;
const images = new Map<string, LdsImage>();

beforeAll(async () => {
  [cards, signer] = await Promise.all([testCards(), testSigner()]);
  for (const card of cards) images.set(card.label, await signer.builder.build(card.data.input));
});

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

describe('fixed vectors', () => {
  it('EF.COM: LDS 1.7, Unicode 4.0.0, the tags of DG1, DG2, DG13 (ICAO 9303-10 4.6.1)', () => {
    expect(encodeEfCom([1, 2, 13]).toString('hex')).toBe('60155f0104303130375f36063034303030305c0361756d');
    expect(encodeEfCom([1, 13]).toString('hex')).toBe('60145f0104303130375f36063034303030305c02616d');
    expect(decodeEfCom(encodeEfCom([1, 2, 13]))).toStrictEqual({ ok: true, value: { ldsVersion: '0107', unicodeVersion: '040000', dataGroups: [1, 2, 13] } });
  });

  it('DG1: 61 5D 5F1F 5A and the 90 MRZ characters (shared vector VN-S1; TD3 would be 61 5B 5F1F 58)', () => {
    const s1 = vectors.vectors.find((v) => v.id === 'VN-S1')!;
    const dg1 = encodeDg1(s1.lines);
    expect(dg1.subarray(0, 5).toString('hex')).toBe('615d5f1f5a');
    expect(dg1.subarray(5).toString('latin1')).toBe(s1.lines.join(''));
    expect(decodeDg1(dg1)).toStrictEqual({ ok: true, value: s1.lines });
  });

  it('DG1 refuses what is not a TD1 MRZ', () => {
    expect(() => encodeDg1(['IDVNM', 'X', 'Y'])).toThrow(RangeError);
    expect(() => encodeDg1(['a'.repeat(30), 'B'.repeat(30), 'C'.repeat(30)])).toThrow(RangeError);
  });

  it('DG13 writes every field of the layout in field-number order, absent values as empty UTF8Strings', () => {
    const fields = Object.fromEntries(DG13_LAYOUT.flatMap((f) => f.keys).map((k) => [k, ''])) as unknown as Dg13Fields;
    const dg13 = encodeDg13({ ...fields, idNumber: '001090000001', fullName: 'Nguyễn Văn An', fatherName: 'Nguyễn Văn Bình' });
    const decoded = decodeDg13(dg13);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.version).toBe(1);
    expect(decoded.value.oid).toBe(DG13_OID);
    expect([...decoded.value.byNumber.keys()]).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17]);
    expect(decoded.value.byNumber.get(2)).toStrictEqual(['Nguyễn Văn An']);
    expect(decoded.value.byNumber.get(13)).toStrictEqual(['Nguyễn Văn Bình', '']);
    expect(decoded.value.byNumber.get(9)).toStrictEqual(['']);
    // 6D { 30 { 02 01 01, 06 <OID> … : the tag layout of REFERENCE.md.
    expect(dg13.subarray(0, 1).toString('hex')).toBe('6d');
    expect(dg13.indexOf(Buffer.from('020101', 'hex'))).toBeGreaterThan(0);
  });

  it('DG13: the direct writer gives the bytes of the DerNode-tree encoding, for any text and any length (property)', () => {
    const keys = DG13_LAYOUT.flatMap((f) => f.keys);
    // Values up to 400 graphemes push some lengths into the two- and three-octet forms.
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 100, maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 20 }));
    fc.assert(
      fc.property(fc.tuple(...keys.map(() => text)), (values) => {
        const fields = Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as unknown as Dg13Fields;
        expect(encodeDg13(fields)).toStrictEqual(encodeDg13Tree(fields));
      }),
      { numRuns: 300 },
    );
  });
});

describe('round trips of sampled cards', () => {
  it('covers every age group and both partial birth dates', () => {
    expect(cards.map((c) => c.label)).toStrictEqual([
      'aged 0–5',
      'aged 6–13',
      'aged 14–59',
      'aged 60–79',
      'aged 80–100',
      'year-only birth date',
      'year-month birth date',
    ]);
  });

  it('writes EF.COM, DG1, DG2 (from age 6), DG13, EF.SOD with the encoder job file ids', () => {
    for (const card of cards) {
      const fids = images.get(card.label)!.files.map((f) => f.fid);
      expect(fids, card.label).toStrictEqual(card.portrait ? ['011E', '0101', '0102', '010D', '011D'] : ['011E', '0101', '010D', '011D']);
    }
    expect(cards.find((c) => c.label === 'aged 0–5')!.portrait).toBeUndefined();
  });

  it.each([0, 1, 2, 3, 4, 5, 6])('card %i decodes to its input', (i) => {
    const card = cards[i]!;
    const image = images.get(card.label)!;
    const com = decodeEfCom(fileOf(image, '011E'));
    expect(com.ok && com.value.dataGroups).toStrictEqual(card.portrait ? [1, 2, 13] : [1, 13]);
    expect(decodeDg1(fileOf(image, '0101'))).toStrictEqual({ ok: true, value: card.data.mrz });
    const dg13 = decodeDg13(fileOf(image, '010D'));
    expect(dg13.ok && dg13.value.fields).toStrictEqual(card.data.input.nationalData);
    if (card.portrait) {
      const probe = probeJpeg(card.portrait);
      const dg2 = decodeDg2(fileOf(image, '0102'));
      expect(dg2).toStrictEqual({
        ok: true,
        value: [{ width: probe.ok ? probe.width : 0, height: probe.ok ? probe.height : 0, imageType: 'jpeg', gender: card.record.sex === 'M' ? 'male' : 'female', image: card.portrait }],
      });
    }
    const sod = decodeSod(fileOf(image, '011D'));
    expect(sod.ok).toBe(true);
    if (!sod.ok) return;
    expect(sod.value.signedData.encapContentInfo.eContentType).toBe(OID.ldsSecurityObject);
    expect(sod.value.ldsSecurityObject.hashAlgorithm).toBe(OID.sha256);
    const expected = new Map(image.files.filter((f) => f.fid.startsWith('01') && !['011E', '011D'].includes(f.fid)).map((f) => [parseInt(f.fid, 16) - 0x100, sha256(f.data)]));
    expect(sod.value.ldsSecurityObject.hashes).toStrictEqual(expected);
  });

  it('DG2 holds an ISO/IEC 19794-5 record: "FAC\\0" "010\\0", its length, one image, JPEG', () => {
    const card = cards.find((c) => c.portrait)!;
    const dg2 = fileOf(images.get(card.label)!, '0102');
    const record = dg2.subarray(dg2.indexOf(Buffer.from('FAC\0', 'latin1')));
    expect(record.subarray(0, 8).toString('latin1')).toBe('FAC\x00010\x00');
    expect(record.readUInt32BE(8)).toBe(record.length);
    expect(record.readUInt16BE(12)).toBe(1);
    expect(record.subarray(14 + 20 + 12).equals(card.portrait!)).toBe(true);
    // Biometric header template: format owner 0101 (87), format type 0008 (88).
    expect(dg2.includes(Buffer.from('870201018802 0008'.replace(' ', ''), 'hex'))).toBe(true);
  });

  it('DG13 writes dates as the card prints them, year-only and year-month births, and no expiry', () => {
    const field = (label: string) => cards.find((c) => c.label === label)!.data.input.nationalData;
    expect(field('year-only birth date').birthDate).toMatch(/^\d{4}$/);
    expect(field('year-month birth date').birthDate).toMatch(/^\d{2}\/\d{4}$/);
    expect(field('aged 6–13').birthDate).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(field('aged 60–79').expiryDate).toBe(NO_EXPIRY_TEXT);
    expect(field('aged 0–5').expiryDate).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(['Nam', 'Nữ']).toContain(field('aged 14–59').sex);
    expect(field('aged 14–59').nationality).toBe('Việt Nam');
    // The MRZ of a year-only birth writes the unknown month and day as fillers (ICAO 9303-3).
    expect(cards.find((c) => c.label === 'year-only birth date')!.data.mrz[1].slice(2, 6)).toBe('<<<<');
  });

  it('every built image verifies', async () => {
    for (const card of cards) {
      const verdict = await verifyLds(images.get(card.label)!.files, { csca: [signer.pki.csca.certificate], expectedMrz: card.data.mrz });
      expect(verdict.problems, card.label).toStrictEqual([]);
      expect(verdict.ok).toBe(true);
    }
  });
});

describe('cardChipData refuses misuse', () => {
  it('a holder of 6 or over needs the portrait; a holder under 6 has none', () => {
    const older = cards.find((c) => c.portrait)!;
    const child = cards.find((c) => !c.portrait)!;
    expect(() => cardChipData(older.record)).toThrow(/needs the portrait/);
    expect(() => cardChipData(child.record, older.portrait)).toThrow(/under 6/);
    expect(() => cardChipData(older.record, Buffer.from('not a jpeg'))).toThrow(/portrait: not a JPEG/);
  });
});

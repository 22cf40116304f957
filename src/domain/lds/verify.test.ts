/**
 * Passive authentication as QA's read-back runs it: every alteration is caught and named with
 * its file, an EF.SOD from another signer fails the chain, and no input makes the verifier throw.
 */
import fc from 'fast-check';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileOf, flipped, testCards, testSigner, withFile, type TestCard, type TestSigner } from '../../../test/lds/fixtures.ts';
import { INTERNAL_ERROR, verifyLds, type LdsImage, type LdsVerdict } from './index.ts';
import { ecdsaSignatureProblem } from './verify.ts';

let cards: TestCard[];
let trusted: TestSigner;
/** A second TEST PKI with the same names: what a forger with his own keys would make. */
let untrusted: TestSigner;
let adult: TestCard;
let child: TestCard;
let adultImage: LdsImage;
let childImage: LdsImage;
let csca: Buffer[];

beforeAll(async () => {
  [cards, trusted, untrusted] = await Promise.all([testCards(), testSigner(), testSigner()]);
  adult = cards.find((c) => c.label === 'aged 14–59')!;
  child = cards.find((c) => c.label === 'aged 0–5')!;
  adultImage = await trusted.builder.build(adult.data.input);
  childImage = await trusted.builder.build(child.data.input);
  csca = [trusted.pki.csca.certificate];
});

const failing = (v: LdsVerdict) => v.files.filter((f) => !f.ok).map((f) => f.name);
const problemsOf = (v: LdsVerdict, name: string) => v.files.find((f) => f.name === name)?.problems ?? [];

describe('a good image', () => {
  it('verifies file by file, with the signer and the chain named', async () => {
    const v = await verifyLds(adultImage.files, { csca, expectedMrz: adult.data.mrz, expectedDataGroups: [1, 2, 13] });
    expect(v.ok).toBe(true);
    expect(v.files.map((f) => [f.name, f.fid, f.ok])).toStrictEqual([
      ['EF.COM', '011E', true],
      ['DG1', '0101', true],
      ['DG2', '0102', true],
      ['DG13', '010D', true],
      ['EF.SOD', '011D', true],
    ]);
    expect(v.sod).toMatchObject({ ok: true, signatureValid: true, chainValid: true, dataGroups: [1, 2, 13], hashAlgorithm: '2.16.840.1.101.3.4.2.1' });
    expect(v.sod.signer?.subject).toMatch(/CN=TEST Document Signer/);
    expect(v.sod.csca).toMatch(/CN=TEST CSCA/);
    expect(v.dg1Mrz).toStrictEqual(adult.data.mrz);
  });

  it('accepts a Map of files, and a card without DG2', async () => {
    const v = await verifyLds(new Map(childImage.files.map((f) => [f.fid, f.data])), { csca, expectedMrz: child.data.mrz, expectedDataGroups: [1, 13] });
    expect(v.problems).toStrictEqual([]);
  });
});

describe('alterations are named', () => {
  it.each([
    ['DG1', '0101'],
    ['DG2', '0102'],
    ['DG13', '010D'],
  ])('a flipped byte anywhere in %s fails that data group, and only it', async (name, fid) => {
    const data = fileOf(adultImage, fid);
    for (const index of [0, 1, Math.floor(data.length / 2), data.length - 1]) {
      const v = await verifyLds(withFile(adultImage, fid, flipped(data, index)), { csca });
      expect(v.ok).toBe(false);
      expect(failing(v), `byte ${index}`).toStrictEqual([name]);
      expect(problemsOf(v, name).join('; ')).toMatch(/hash mismatch/);
    }
  });

  it('any flipped bit of any data group is caught and named (property)', async () => {
    const dgs = adultImage.files.filter((f) => ['0101', '0102', '010D'].includes(f.fid));
    await fc.assert(
      fc.asyncProperty(fc.nat(dgs.length - 1), fc.nat(), fc.integer({ min: 0, max: 7 }), async (which, at, bit) => {
        const file = dgs[which]!;
        const v = await verifyLds(withFile(adultImage, file.fid, flipped(file.data, at % file.data.length, 1 << bit)), { csca });
        expect(v.files.find((f) => f.fid === file.fid)?.ok).toBe(false);
        expect(v.ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('every flipped byte of EF.SOD fails it', async () => {
    const sod = fileOf(adultImage, '011D');
    const missed: number[] = [];
    for (let i = 0; i < sod.length; i++) {
      const v = await verifyLds(withFile(adultImage, '011D', flipped(sod, i)), { csca });
      if (v.ok || !failing(v).includes('EF.SOD')) missed.push(i);
    }
    expect(missed).toStrictEqual([]);
  }, 120_000);

  it('changes outside what is signed are named too: the signer identifier\'s string type, the certificate signature\'s unused bits', async () => {
    const sod = fileOf(adultImage, '011D');
    // PrintableString "VN" (13 02 56 4E) last appears in the SignerInfo's issuerAndSerialNumber;
    // as NumericString (12) pkijs still calls the names equal.
    const sidCountry = sod.lastIndexOf(Buffer.from('1302564e', 'hex'));
    expect(sidCountry).toBeGreaterThan(sod.indexOf(trusted.pki.ds.certificate) + trusted.pki.ds.certificate.length);
    const sid = await verifyLds(withFile(adultImage, '011D', flipped(sod, sidCountry)), { csca });
    expect(problemsOf(sid, 'EF.SOD')).toContain('EF.SOD does not carry the Document Signer certificate its SignerInfo names');

    // The unused-bits octet of the DS certificate's signature BIT STRING, just before its last L bytes.
    const certEnd = sod.indexOf(trusted.pki.ds.certificate) + trusted.pki.ds.certificate.length;
    const signatureLength = pkijs.Certificate.fromBER(trusted.pki.ds.certificate).signatureValue.valueBlock.valueHexView.length;
    const unusedBits = certEnd - signatureLength - 1;
    expect(sod[unusedBits]).toBe(0);
    const v = await verifyLds(withFile(adultImage, '011D', flipped(sod, unusedBits)), { csca });
    expect(problemsOf(v, 'EF.SOD').join('; ')).toMatch(/unused bit/);
  });

  it('an ECDSA signature must be DER SEQUENCE { r, s } with positive, minimal INTEGERs', () => {
    expect(ecdsaSignatureProblem(Buffer.from('3006020101020102', 'hex'))).toBeUndefined();
    expect(ecdsaSignatureProblem(Buffer.from('300702020001020102', 'hex'))).toBe("the ECDSA signature's r is not in its shortest form");
    expect(ecdsaSignatureProblem(Buffer.from('3006020181020102', 'hex'))).toBe("the ECDSA signature's r is negative");
    expect(ecdsaSignatureProblem(Buffer.from('3003020101', 'hex'))).toBe('the ECDSA signature is not a SEQUENCE of two INTEGERs');
    expect(ecdsaSignatureProblem(Buffer.from('3006020101040102', 'hex'))).toBe("the ECDSA signature's s is not an INTEGER");
    expect(ecdsaSignatureProblem(Buffer.from('3005020101020102', 'hex'))).toMatch(/not ASN\.1|not DER/);
  });

  it('a data group of another card, validly built, is a hash mismatch', async () => {
    const other = await trusted.builder.build(cards.find((c) => c.label === 'aged 6–13')!.data.input);
    const v = await verifyLds(withFile(adultImage, '010D', fileOf(other, '010D')), { csca });
    expect(failing(v)).toStrictEqual(['DG13']);
  });

  it('missing files are named with what expected them', async () => {
    const noDg13 = await verifyLds(withFile(adultImage, '010D', undefined), { csca });
    expect(problemsOf(noDg13, 'DG13')).toStrictEqual(['missing (EF.SOD hashes it, EF.COM lists it)']);
    const noSod = await verifyLds(withFile(adultImage, '011D', undefined), { csca });
    expect(problemsOf(noSod, 'EF.SOD')).toStrictEqual(['missing']);
    expect(noSod.sod.signatureValid).toBeNull();
    const noCom = await verifyLds(withFile(adultImage, '011E', undefined), { csca });
    expect(failing(noCom)).toStrictEqual(['EF.COM']);
    const nothing = await verifyLds([], { csca });
    expect(failing(nothing)).toStrictEqual(['EF.COM', 'DG1', 'EF.SOD']);
  });

  it('a card of 6 or over must carry DG2; a card under 6 must not', async () => {
    const v = await verifyLds(childImage.files, { csca, expectedDataGroups: [1, 2, 13] });
    expect(problemsOf(v, 'DG2')).toStrictEqual(['missing (the card requires it)']);
    const extra = await verifyLds([...childImage.files, { fid: '0102', data: fileOf(adultImage, '0102') }], { csca, expectedDataGroups: [1, 13] });
    expect(problemsOf(extra, 'DG2')).toStrictEqual(['is present but not expected on this card', 'is not covered by EF.SOD (no hash for it)']);
  });

  it('DG1 against the expected MRZ: the differing fields are named, not their values', async () => {
    const v = await verifyLds(adultImage.files, { csca, expectedMrz: child.data.mrz });
    expect(failing(v)).toStrictEqual(['DG1']);
    const problem = problemsOf(v, 'DG1').join('; ');
    expect(problem).toMatch(/^DG1 MRZ differs from the expected MRZ in documentNumber \(line 1, 6–14\)/);
    expect(problem).toMatch(/name \(line 3, 1–30\)/);
    for (const line of [...adult.data.mrz, ...child.data.mrz]) expect(problem).not.toContain(line.slice(5, 14));
  });

  it('an unknown file is named', async () => {
    const v = await verifyLds([...adultImage.files, { fid: '0F0F', data: Buffer.from('x') }], { csca });
    expect(problemsOf(v, 'file 0F0F')).toStrictEqual(['is not a file of the LDS (unknown file identifier)']);
  });
});

describe('the chain of trust', () => {
  it('an EF.SOD signed by an untrusted key fails the chain, though its own signature is sound', async () => {
    const forged = await untrusted.builder.build(adult.data.input);
    const v = await verifyLds(forged.files, { csca, expectedMrz: adult.data.mrz });
    expect(v.ok).toBe(false);
    expect(failing(v)).toStrictEqual(['EF.SOD']);
    expect(v.sod.signatureValid).toBe(true);
    expect(v.sod.chainValid).toBe(false);
    expect(v.sod.problems.join('; ')).toMatch(/signed by an untrusted key/);
    // …and it verifies against its own CSCA.
    expect((await verifyLds(forged.files, { csca: [untrusted.pki.csca.certificate] })).ok).toBe(true);
  });

  it('an issuer that is no trusted CSCA, and no trust anchor at all, are named', async () => {
    const other = await testSigner({ cscaCommonName: 'TEST CSCA Elsewhere' });
    const image = await other.builder.build(adult.data.input);
    const v = await verifyLds(image.files, { csca });
    expect(v.sod.problems.join('; ')).toMatch(/issued by C=VN, O=cardline TEST PKI - not for production, CN=TEST CSCA Elsewhere, which is none of the trusted CSCAs/);
    const none = await verifyLds(adultImage.files, { csca: [] });
    expect(none.sod.problems).toContain('no trusted CSCA certificate was given');
    const garbage = await verifyLds(adultImage.files, { csca: [Buffer.from('not a certificate')] });
    expect(garbage.sod.problems).toContain('a trusted CSCA certificate given to the verifier is not a DER X.509 certificate');
  });

  it('an expired Document Signer certificate is named, and the check date is an option', async () => {
    const past = new Date(Date.UTC(2025, 0, 1));
    const expired = await testSigner({ now: new Date(Date.UTC(2024, 0, 1)), dsNotAfter: past });
    const image = await expired.builder.build(adult.data.input);
    const v = await verifyLds(image.files, { csca: [expired.pki.csca.certificate] });
    expect(v.sod.problems).toStrictEqual(['the Document Signer certificate expired on 2025-01-01T00:00:00.000Z']);
    expect((await verifyLds(image.files, { csca: [expired.pki.csca.certificate], at: new Date(Date.UTC(2024, 6, 1)) })).ok).toBe(true);
    expect((await verifyLds(adultImage.files, { csca, at: new Date(Date.UTC(2000, 0, 1)) })).sod.problems.join('; ')).toMatch(/not valid before/);
  });
});

describe('garbage in, a verdict out', () => {
  const fids = fc.constantFrom('011E', '0101', '0102', '010D', '011D', '0103', '011C', 'zz');

  it('arbitrary files never make the verifier throw (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ fid: fids, data: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 6 }), async (files) => {
        const v = await verifyLds(files, { csca });
        expect(v.ok).toBe(false);
        expect(v.problems.join('\n')).not.toContain(INTERNAL_ERROR);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated and spliced real files never make it throw (property)', async () => {
    const parts = adultImage.files;
    await fc.assert(
      fc.asyncProperty(fc.nat(parts.length - 1), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 20 }), async (which, cut, at, insert) => {
        const file = parts[which]!;
        const end = cut % (file.data.length + 1);
        const spliced = Buffer.concat([file.data.subarray(0, Math.min(at % (end + 1), end)), insert, file.data.subarray(Math.min(at % (end + 1), end), end)]);
        const v = await verifyLds(withFile(adultImage, file.fid, spliced), { csca });
        expect(v.problems.join('\n')).not.toContain(INTERNAL_ERROR);
        if (!spliced.equals(file.data)) expect(v.ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('values that are not byte buffers are reported, not thrown', async () => {
    const v = await verifyLds([{ fid: '0101', data: 'text' as unknown as Buffer }], { csca });
    expect(problemsOf(v, 'DG1')).toContain('has no data (not a byte buffer)');
  });
});

/**
 * The chip files against an independent implementation: OpenSSL (/usr/bin/openssl, installed by
 * .ci/run). `openssl cms -verify` checks the EF.SOD SignedData — signature, signed attributes and
 * the chain to the CSCA — the way a border reader's PKI library would, and `openssl asn1parse`
 * must read every file as one DER object that fills it. Cards: every age group and both partial
 * birth dates (test/lds/fixtures.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSod, type LdsImage } from '../../src/domain/lds/index.ts';
import { certificatePem } from '../../src/pki/index.ts';
import { fileOf, testCards, testSigner, type TestCard, type TestSigner } from './fixtures.ts';
import { applicationTag, openssl, sodContentInfo, topLevelObject } from './openssl.ts';

const run = promisify(execFile);

let work: string;
let cards: TestCard[];
let trusted: TestSigner;
let forger: TestSigner;
const images = new Map<string, LdsImage>();
let cscaFile: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-openssl-'));
  [cards, trusted, forger] = await Promise.all([testCards(), testSigner(), testSigner()]);
  for (const card of cards) images.set(card.label, await trusted.builder.build(card.data.input));
  cscaFile = path.join(work, 'csca.pem');
  await writeFile(cscaFile, certificatePem(trusted.pki.csca.certificate));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function cmsVerify(sod: Buffer, csca: string, name: string): Promise<{ ok: boolean; content?: Buffer; stderr: string }> {
  const input = path.join(work, `${name}.p7`);
  const output = path.join(work, `${name}.content`);
  await writeFile(input, sodContentInfo(sod));
  try {
    const r = await run(openssl, ['cms', '-verify', '-inform', 'DER', '-binary', '-CAfile', csca, '-in', input, '-out', output]);
    return { ok: true, content: await readFile(output), stderr: r.stderr };
  } catch (error) {
    return { ok: false, stderr: String((error as { stderr?: string }).stderr ?? error) };
  }
}

describe('openssl cms -verify on the SignedData inside EF.SOD', () => {
  it('succeeds for every card and gives back the LDSSecurityObject', async () => {
    for (const [i, card] of cards.entries()) {
      const sod = fileOf(images.get(card.label)!, '011D');
      const r = await cmsVerify(sod, cscaFile, `card-${i}`);
      expect(r, card.label).toMatchObject({ ok: true });
      expect(r.stderr).toMatch(/Verification successful/);
      const decoded = decodeSod(sod);
      if (!decoded.ok) throw new Error(decoded.problem);
      expect(r.content).toStrictEqual(decoded.value.eContent);
    }
  });

  it('fails for an EF.SOD signed by an untrusted key (same names, other keys)', async () => {
    const forged = await forger.builder.build(cards[1]!.data.input);
    const r = await cmsVerify(fileOf(forged, '011D'), cscaFile, 'forged');
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/certificate signature failure|unable to get local issuer certificate|Verify error/i);
  });

  it('fails when a hash in the LDSSecurityObject was changed after signing', async () => {
    const sod = Buffer.from(fileOf(images.get(cards[1]!.label)!, '011D'));
    const decoded = decodeSod(sod);
    if (!decoded.ok) throw new Error(decoded.problem);
    const at = sod.indexOf(decoded.value.ldsSecurityObject.hashes.get(1)!);
    sod[at] = sod[at]! ^ 0x01;
    const r = await cmsVerify(sod, cscaFile, 'altered');
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/CMS_SignerInfo_verify_content:verification failure/);
  });
});

describe('openssl asn1parse', () => {
  it('parses every file of every card as one DER object that fills it', async () => {
    for (const [i, card] of cards.entries()) {
      const image = images.get(card.label)!;
      expect(image.files.map((f) => f.fid), card.label).toContain('011D');
      for (const file of image.files) {
        const input = path.join(work, `asn1-${i}-${file.fid}`);
        await writeFile(input, file.data);
        const { stdout } = await run(openssl, ['asn1parse', '-inform', 'DER', '-in', input]);
        const top = topLevelObject(stdout);
        expect(top, `${card.label} ${file.fid}`).toStrictEqual({ count: 1, length: file.data.length, tag: applicationTag(file.data[0]!) });
      }
    }
  });

  it('is a real check: it refuses a truncated data group', async () => {
    const dg13 = fileOf(images.get(cards[0]!.label)!, '010D');
    const input = path.join(work, 'truncated');
    await writeFile(input, dg13.subarray(0, dg13.length - 3));
    await expect(run(openssl, ['asn1parse', '-inform', 'DER', '-in', input])).rejects.toThrow();
  });
});

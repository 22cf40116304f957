/**
 * `cardline pki init`, `cardline chip build` and `cardline chip verify` from outside: the real
 * command in a child process (test/helpers/cli.ts), its files, output and exit codes, with
 * OpenSSL checking what it wrote. Records and portraits are sampled ones (test/lds/fixtures.ts).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline } from '../helpers/cli.ts';
import { flipped, testCards, type TestCard } from './fixtures.ts';
import { openssl, sodContentInfo } from './openssl.ts';

const run = promisify(execFile);
const PASSPHRASE = 'test passphrase for the chip CLI tests';
const CSCA_PASSPHRASE = 'the offline CSCA passphrase of the chip CLI tests';

let work: string;
let pkiDir: string;
let otherPkiDir: string;
let adult: TestCard;
let child: TestCard;
const env = (extra: NodeJS.ProcessEnv = {}) => ({ CARDLINE_DATA_DIR: path.join(work, 'data'), CARDLINE_DB_URL: '', CARDLINE_PKI_PASSPHRASE: PASSPHRASE, CARDLINE_CSCA_PASSPHRASE: CSCA_PASSPHRASE, ...extra });

/** The record as a JSON file, its portrait at the relative path the record names. */
async function recordFile(card: TestCard, name: string): Promise<string> {
  const dir = path.join(work, 'records', name);
  await mkdir(dir, { recursive: true });
  if (card.record.portrait !== undefined) {
    await mkdir(path.dirname(path.join(dir, card.record.portrait)), { recursive: true });
    await writeFile(path.join(dir, card.record.portrait), card.portrait!);
  }
  const file = path.join(dir, 'record.json');
  await writeFile(file, JSON.stringify(card.record));
  return file;
}

let adultRecord: string;
let childRecord: string;
const adultOut = () => path.join(work, 'adult');

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-chip-cli-'));
  pkiDir = path.join(work, 'pki');
  otherPkiDir = path.join(work, 'other-pki');
  const cards = await testCards();
  adult = cards.find((c) => c.label === 'aged 14–59')!;
  child = cards.find((c) => c.label === 'aged 0–5')!;
  [adultRecord, childRecord] = await Promise.all([recordFile(adult, 'adult'), recordFile(child, 'child')]);
  const [a, b] = await Promise.all([cardline(['pki', 'init', '--dir', pkiDir], { env: env() }), cardline(['pki', 'init', '--dir', otherPkiDir, '--json'], { env: env() })]);
  expect(a.stderr).toBe('');
  expect([a.code, b.code]).toStrictEqual([0, 0]);
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cardline pki init', () => {
  it('writes csca.pem and ds.pem beside keys encrypted with the passphrase, mode 0600', async () => {
    // The line's folder has the CSCA certificate and the DS; the CSCA key lies apart, to go offline.
    expect((await readdir(pkiDir)).sort()).toStrictEqual(['csca.pem', 'ds-key.pem', 'ds.pem']);
    expect(await readdir(`${pkiDir}-csca-offline`)).toStrictEqual(['csca-key.pem']);
    for (const key of [path.join(`${pkiDir}-csca-offline`, 'csca-key.pem'), path.join(pkiDir, 'ds-key.pem')]) {
      expect((await readFile(key, 'utf8')).split('\n')[0]).toBe('-----BEGIN ENCRYPTED PRIVATE KEY-----');
      expect((await stat(key)).mode & 0o777).toBe(0o600);
    }
    const csca = path.join(`${pkiDir}-csca-offline`, 'csca-key.pem');
    await expect(run(openssl, ['pkey', '-in', csca, '-passin', `pass:${CSCA_PASSPHRASE}`, '-noout'])).resolves.toBeDefined();
    await expect(run(openssl, ['pkey', '-in', csca, '-passin', `pass:${PASSPHRASE}`, '-noout'])).rejects.toThrow();
    // OpenSSL decrypts the DS key with the passphrase and refuses another one.
    const ds = path.join(pkiDir, 'ds-key.pem');
    await expect(run(openssl, ['pkey', '-in', ds, '-passin', `pass:${PASSPHRASE}`, '-noout'])).resolves.toBeDefined();
    await expect(run(openssl, ['pkey', '-in', ds, '-passin', 'pass:not the passphrase', '-noout'])).rejects.toThrow();
  });

  it('marks both certificates TEST and gives them the ICAO 9303-12 key usages (openssl x509)', async () => {
    const text = async (file: string) => (await run(openssl, ['x509', '-in', path.join(pkiDir, file), '-noout', '-text'])).stdout;
    const [csca, ds] = await Promise.all([text('csca.pem'), text('ds.pem')]);
    expect(csca).toMatch(/Subject: C ?= ?VN, O ?= ?cardline TEST PKI - not for production, CN ?= ?TEST CSCA/);
    expect(csca).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(csca).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(ds).toMatch(/Subject: C ?= ?VN, O ?= ?cardline TEST PKI - not for production, CN ?= ?TEST Document Signer/);
    expect(ds).toMatch(/X509v3 Key Usage: critical\s+Digital Signature\n/);
    for (const cert of [csca, ds]) {
      expect(cert).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
      expect(cert).toMatch(/ASN1 OID: prime256v1/);
      expect(cert).toMatch(/Not After : Dec 31 23:59:59 9999 GMT/);
    }
    await expect(run(openssl, ['verify', '-CAfile', path.join(pkiDir, 'csca.pem'), path.join(pkiDir, 'ds.pem')])).resolves.toMatchObject({ stdout: /: OK/ });
  });

  it('refuses to overwrite a PKI, and to start without a passphrase (exit 2)', async () => {
    const again = await cardline(['pki', 'init', '--dir', pkiDir], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a PKI \(csca\.pem, ds\.pem, ds-key\.pem, .*csca-key\.pem\): refusing to overwrite keys/);
    const none = await cardline(['pki', 'init', '--dir', path.join(work, 'never')], { env: env({ CARDLINE_PKI_PASSPHRASE: '' }) });
    expect(none).toMatchObject({ code: 2, stderr: 'cardline: no passphrase for the PKI keys: set CARDLINE_PKI_PASSPHRASE\n' });
  });
});

describe('cardline chip build', () => {
  it('writes EF.COM, DG1.bin, DG2.bin, DG13.bin and EF.SOD for a holder of 6 or over', async () => {
    const r = await cardline(['chip', 'build', '--record', adultRecord, '--out', adultOut(), '--pki', pkiDir, '--json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { files: { name: string; fid: string; bytes: number }[] };
    expect(result.files.map((f) => [f.name, f.fid])).toStrictEqual([
      ['EF.COM', '011E'],
      ['DG1', '0101'],
      ['DG2', '0102'],
      ['DG13', '010D'],
      ['EF.SOD', '011D'],
    ]);
    expect((await readdir(adultOut())).sort()).toStrictEqual(['DG1.bin', 'DG13.bin', 'DG2.bin', 'EF.COM', 'EF.SOD']);
    // Chip images carry personal data: 0600 files in a 0700 folder (docs/security.md).
    expect((await stat(adultOut())).mode & 0o777).toBe(0o700);
    for (const f of await readdir(adultOut())) expect({ f, mode: (await stat(path.join(adultOut(), f))).mode & 0o777 }).toStrictEqual({ f, mode: 0o600 });
    // The portrait JPEG travels unchanged inside DG2.
    expect((await readFile(path.join(adultOut(), 'DG2.bin'))).includes(adult.portrait!)).toBe(true);
  });

  it('writes no DG2.bin for a holder under 6, and removes one left in the folder', async () => {
    const out = path.join(work, 'child');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'DG2.bin'), 'left from another card');
    const r = await cardline(['chip', 'build', '--record', childRecord, '--out', out, '--pki', pkiDir], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])).toStrictEqual(['EF.COM', 'DG1', 'DG13', 'EF.SOD']);
    expect((await readdir(out)).sort()).toStrictEqual(['DG1.bin', 'DG13.bin', 'EF.COM', 'EF.SOD']);
    const v = await cardline(['chip', 'verify', out, '--csca', path.join(pkiDir, 'csca.pem'), '--record', childRecord], { env: env() });
    expect(v.code).toBe(0);
  });

  it('the EF.SOD it writes verifies with openssl cms against the PKI folder\'s csca.pem', async () => {
    const input = path.join(work, 'cli-sod.p7');
    await writeFile(input, sodContentInfo(await readFile(path.join(adultOut(), 'EF.SOD'))));
    const r = await run(openssl, ['cms', '-verify', '-inform', 'DER', '-binary', '-CAfile', path.join(pkiDir, 'csca.pem'), '-in', input, '-out', '/dev/null']);
    expect(r.stderr).toMatch(/Verification successful/);
  });

  it('exits 2 naming the problem: wrong passphrase, no PKI', async () => {
    const wrong = await cardline(['chip', 'build', '--record', adultRecord, '--out', path.join(work, 'x'), '--pki', pkiDir], { env: env({ CARDLINE_PKI_PASSPHRASE: 'not the passphrase at all' }) });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/cannot decrypt .*ds-key\.pem: wrong passphrase in CARDLINE_PKI_PASSPHRASE/);
    const none = await cardline(['chip', 'build', '--record', adultRecord, '--out', path.join(work, 'x'), '--pki', path.join(work, 'nowhere')], { env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no PKI in .*nowhere .*run `cardline pki init --dir/);
  });
});

describe('cardline chip verify', () => {
  const verify = (dir: string, ...args: string[]) => cardline(['chip', 'verify', dir, ...args], { env: env() });
  const lines = (stdout: string) => stdout.split('\n').filter(Boolean);

  it('prints ok per file and exits 0 for the built files, with and without --record', async () => {
    const r = await verify(adultOut(), '--csca', path.join(pkiDir, 'csca.pem'), '--record', adultRecord);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toStrictEqual([
      'EF.COM  011E  ok',
      'DG1     0101  ok',
      'DG2     0102  ok',
      'DG13    010D  ok',
      'EF.SOD  011D  ok',
      expect.stringMatching(/^signed by: C=VN, O=cardline TEST PKI - not for production, CN=TEST Document Signer Viet Nam \(cardline\) \(serial [0-9A-F]+\)$/),
      'chain to:  C=VN, O=cardline TEST PKI - not for production, CN=TEST CSCA Viet Nam (cardline)',
      'verdict: OK',
    ]);
    expect((await verify(adultOut(), '--csca', path.join(pkiDir, 'csca.pem'))).code).toBe(0);
  });

  it.each([
    ['DG1.bin', 'DG1     0101'],
    ['DG2.bin', 'DG2     0102'],
    ['DG13.bin', 'DG13    010D'],
  ])('a flipped byte in %s fails that file alone with a hash mismatch (exit 1)', async (file, prefix) => {
    const dir = path.join(work, `flip-${file}`);
    await mkdir(dir, { recursive: true });
    for (const name of await readdir(adultOut())) {
      const data = await readFile(path.join(adultOut(), name));
      await writeFile(path.join(dir, name), name === file ? flipped(data, Math.floor(data.length / 2)) : data);
    }
    const r = await verify(dir, '--csca', path.join(pkiDir, 'csca.pem'));
    expect(r.code).toBe(1);
    const failing = lines(r.stdout).filter((l) => l.includes('FAIL'));
    expect(failing).toHaveLength(2);
    expect(failing[0]).toMatch(new RegExp(`^${prefix}  FAIL  hash mismatch`));
    expect(failing[1]).toMatch(/^verdict: FAIL/);
  });

  it('fails EF.SOD against a CSCA that did not sign its Document Signer (exit 1)', async () => {
    const r = await verify(adultOut(), '--csca', path.join(otherPkiDir, 'csca.pem'));
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toContain('EF.SOD  011D  FAIL  the Document Signer certificate\'s signature does not verify with the key of the trusted CSCA C=VN, O=cardline TEST PKI - not for production, CN=TEST CSCA Viet Nam (cardline): it was signed by an untrusted key');
  });

  it('fails DG1 against the record of someone else, naming the fields and not the values (exit 1)', async () => {
    const r = await verify(adultOut(), '--csca', path.join(pkiDir, 'csca.pem'), '--record', childRecord, '--json');
    expect(r.code).toBe(1);
    const verdict = JSON.parse(r.stdout) as { ok: boolean; files: { name: string; ok: boolean; problems: string[] }[]; problems: string[]; dg1Mrz: string[] };
    expect(verdict.files.filter((f) => !f.ok).map((f) => f.name)).toStrictEqual(['DG1', 'DG2']);
    expect(verdict.files.find((f) => f.name === 'DG1')!.problems[0]).toMatch(/^DG1 MRZ differs from the expected MRZ in documentNumber/);
    expect(verdict.files.find((f) => f.name === 'DG2')!.problems).toStrictEqual(['is present but not expected on this card']);
    // The problems (which end up in logs) name fields, never values; the MRZ read is its own field.
    for (const line of [...adult.data.mrz, ...child.data.mrz]) expect(verdict.problems.join('\n')).not.toContain(line.slice(5, 14));
    expect(verdict.dg1Mrz).toStrictEqual(adult.data.mrz);
  });

  it('exits 2 when the folder or the CSCA file cannot be read', async () => {
    const noDir = await verify(path.join(work, 'nothing-here'), '--csca', path.join(pkiDir, 'csca.pem'));
    expect(noDir).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read the folder .*nothing-here: ENOENT/) });
    const noCsca = await verify(adultOut(), '--csca', path.join(work, 'missing.pem'));
    expect(noCsca).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read .*missing\.pem: ENOENT/) });
  });
});

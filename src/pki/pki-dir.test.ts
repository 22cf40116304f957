/**
 * The PKI folder and the demo's self-made PKI: what `run` and `npm start` rely on (no manual
 * step, a random passphrase kept 0600 in the data directory, a warning), what `pki init` refuses,
 * and the certificate profiles of ICAO 9303-12 7.1 (key usage, private key usage periods,
 * "no well-defined expiry") read back with pkijs.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCards, type TestCard } from '../../test/lds/fixtures.ts';
import { LdsBuilder, verifyLds } from '../domain/lds/index.ts';
import {
  createTestPki,
  CSCA_KEY_FILE,
  CSCA_PASSPHRASE_ENV,
  defaultCscaKeyDir,
  DEMO_CSCA_PASSPHRASE_FILE,
  DEMO_PASSPHRASE_FILE,
  DEMO_WARNING,
  ensureDemoPki,
  initPki,
  openFileSigner,
  PASSPHRASE_ENV,
  PkiError,
  readCertificates,
  resolvePassphrase,
} from './index.ts';

let work: string;
let card: TestCard;
let n = 0;
const fresh = () => path.join(work, `data-${++n}`);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-pki-'));
  card = (await testCards()).find((c) => c.label === 'aged 14–59')!;
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function signsVerifiably(signer: Awaited<ReturnType<typeof openFileSigner>>, csca: Buffer): Promise<boolean> {
  const image = await (await LdsBuilder.create(signer)).build(card.data.input);
  return (await verifyLds(image.files, { csca: [csca], expectedMrz: card.data.mrz })).ok;
}

describe('ensureDemoPki (run, npm start)', () => {
  it('creates a TEST PKI on first use with a random passphrase kept 0600, warns once, and reuses it', async () => {
    const dataDir = fresh();
    const warnings: string[] = [];
    const first = await ensureDemoPki(dataDir, { env: {}, warn: (m) => warnings.push(m) });
    expect(first).toMatchObject({ dir: path.join(dataDir, 'pki'), created: true });
    const passphraseFile = path.join(dataDir, DEMO_PASSPHRASE_FILE);
    expect((await stat(passphraseFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(passphraseFile, 'utf8')).trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cscaKeyFile = path.join(dataDir, 'pki-csca-offline', CSCA_KEY_FILE);
    expect(warnings).toStrictEqual([`${DEMO_WARNING} PKI: ${first.dir}; passphrase: ${passphraseFile}; CSCA key (offline in production): ${cscaKeyFile}.`]);
    // The line's folder holds no CSCA key; that key has a random passphrase of its own.
    expect((await readdir(first.dir)).sort()).toStrictEqual(['csca.pem', 'ds-key.pem', 'ds.pem']);
    const cscaPassphrase = (await readFile(path.join(dataDir, DEMO_CSCA_PASSPHRASE_FILE), 'utf8')).trim();
    expect(cscaPassphrase).not.toBe((await readFile(passphraseFile, 'utf8')).trim());
    expect(createPrivateKey({ key: await readFile(cscaKeyFile), format: 'pem', passphrase: cscaPassphrase }).asymmetricKeyType).toBe('ec');
    expect(DEMO_WARNING).toMatch(/for demos only/);
    expect(await signsVerifiably(first.signer, first.csca)).toBe(true);

    const second = await ensureDemoPki(dataDir, { env: {}, warn: (m) => warnings.push(m) });
    expect(second.created).toBe(false);
    expect(second.csca).toStrictEqual(first.csca);
    expect(warnings).toHaveLength(1);
  });

  it('uses CARDLINE_PKI_PASSPHRASE when set, and then writes no passphrase file', async () => {
    const dataDir = fresh();
    const env = { [PASSPHRASE_ENV]: 'an operator passphrase' };
    const pki = await ensureDemoPki(dataDir, { env, warn: () => undefined });
    await expect(stat(path.join(dataDir, DEMO_PASSPHRASE_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(openFileSigner(pki.dir, 'an operator passphrase')).resolves.toBeDefined();
    expect(await resolvePassphrase(dataDir, env)).toStrictEqual({ passphrase: 'an operator passphrase', source: PASSPHRASE_ENV });
    expect(await resolvePassphrase(dataDir, {})).toBeUndefined();
  });

  it('refuses an incomplete PKI rather than replacing keys', async () => {
    const dataDir = fresh();
    const pki = await ensureDemoPki(dataDir, { env: {}, warn: () => undefined });
    await unlink(path.join(pki.dir, 'ds.pem'));
    await expect(ensureDemoPki(dataDir, { env: {}, warn: () => undefined })).rejects.toThrow(/holds an incomplete PKI \(missing ds\.pem\)/);
  });

  it('runs with the line files only (no CSCA key anywhere), and warns about a CSCA key left in the line folder', async () => {
    const dataDir = fresh();
    const pki = await ensureDemoPki(dataDir, { env: {}, warn: () => undefined });
    const offline = defaultCscaKeyDir(pki.dir);
    const kept = path.join(work, `kept-${n}.pem`);
    await copyFile(path.join(offline, CSCA_KEY_FILE), kept);
    await rm(offline, { recursive: true });
    const warnings: string[] = [];
    const again = await ensureDemoPki(dataDir, { env: {}, warn: (m) => warnings.push(m) });
    expect(await signsVerifiably(again.signer, again.csca)).toBe(true);
    expect(warnings).toStrictEqual([]);
    // A PKI made before the split: the CSCA key beside the line files.
    await copyFile(kept, path.join(pki.dir, CSCA_KEY_FILE));
    await ensureDemoPki(dataDir, { env: {}, warn: (m) => warnings.push(m) });
    expect(warnings).toStrictEqual([
      `${path.join(pki.dir, CSCA_KEY_FILE)}: the CSCA private key lies in the line's PKI folder. A line needs only csca.pem, ds.pem and ds-key.pem: move the CSCA key offline (docs/chip-data.md).`,
    ]);
  });
});

describe('initPki and openFileSigner', () => {
  const csca = { cscaPassphrase: 'the offline CSCA passphrase' };

  it('refuse short passphrases, existing PKIs and wrong passphrases with a message to act on', async () => {
    const dir = path.join(fresh(), 'pki');
    await expect(initPki(dir, 'short', csca)).rejects.toThrow(new PkiError(`the passphrase in ${PASSPHRASE_ENV} is shorter than 12 characters`));
    await expect(initPki(dir, undefined, csca)).rejects.toThrow(/no passphrase for the PKI keys: set CARDLINE_PKI_PASSPHRASE/);
    await expect(initPki(dir, 'a long enough passphrase')).rejects.toThrow(
      new PkiError(`no passphrase for the CSCA key: set ${CSCA_PASSPHRASE_ENV} (the CSCA key has a passphrase of its own and belongs offline)`),
    );
    await expect(initPki(dir, 'a long enough passphrase', { cscaPassphrase: 'a long enough passphrase' })).rejects.toThrow(
      new PkiError(`${CSCA_PASSPHRASE_ENV} must differ from ${PASSPHRASE_ENV}: the CSCA key is kept offline under a passphrase of its own`),
    );
    await expect(initPki(dir, 'a long enough passphrase', { ...csca, cscaKeyDir: dir })).rejects.toThrow(/must not be the line's PKI folder/);
    const summary = await initPki(dir, 'a long enough passphrase', csca);
    expect(summary.csca.subject).toMatch(/CN=TEST CSCA/);
    await expect(initPki(dir, 'a long enough passphrase', csca)).rejects.toThrow(/already holds a PKI/);
    await expect(openFileSigner(dir, 'another long passphrase')).rejects.toThrow(/cannot decrypt .*ds-key\.pem: wrong passphrase in CARDLINE_PKI_PASSPHRASE/);
    await expect(openFileSigner(dir, undefined)).rejects.toThrow(/no passphrase for .*ds-key\.pem/);
    await expect(openFileSigner(path.join(work, 'nowhere'), 'x')).rejects.toThrow(/no PKI in .*nowhere/);
  });
});

describe('private keys on disk (issue 15 finding 7)', () => {
  /** PBES2 → PBKDF2 parameters of an ENCRYPTED PRIVATE KEY PEM: iterations and the PRF's OID. */
  const kdf = (pem: string) => {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const info = asn1js.fromBER(der).result as asn1js.Sequence;
    const algorithm = info.valueBlock.value[0] as asn1js.Sequence;
    const scheme = (algorithm.valueBlock.value[0] as asn1js.ObjectIdentifier).getValue();
    const params = algorithm.valueBlock.value[1] as asn1js.Sequence;
    const kdfParams = (params.valueBlock.value[0] as asn1js.Sequence).valueBlock.value[1] as asn1js.Sequence;
    const [, iterations, prf] = kdfParams.valueBlock.value as [asn1js.OctetString, asn1js.Integer, asn1js.Sequence];
    const cipher = ((params.valueBlock.value[1] as asn1js.Sequence).valueBlock.value[0] as asn1js.ObjectIdentifier).getValue();
    return { scheme, iterations: iterations.valueBlock.valueDec, prf: (prf.valueBlock.value[0] as asn1js.ObjectIdentifier).getValue(), cipher };
  };

  it('are PBKDF2-HMAC-SHA256 with at least 600,000 iterations and AES-256-CBC; the CSCA key lies apart under its own passphrase', async () => {
    const dir = path.join(fresh(), 'pki');
    const summary = await initPki(dir, 'the line DS passphrase', { cscaPassphrase: 'the offline CSCA passphrase' });
    expect(summary.cscaKeyFile).toBe(path.join(defaultCscaKeyDir(dir), CSCA_KEY_FILE));
    expect((await readdir(dir)).sort()).toStrictEqual(['csca.pem', 'ds-key.pem', 'ds.pem']);
    for (const file of [path.join(dir, 'ds-key.pem'), summary.cscaKeyFile]) {
      const pem = await readFile(file, 'utf8');
      // 1.2.840.113549.1.5.13 PBES2, 1.2.840.113549.2.9 hmacWithSHA256, 2.16.840.1.101.3.4.1.42 aes256-CBC (RFC 8018, NIST)
      expect(kdf(pem)).toStrictEqual({ scheme: '1.2.840.113549.1.5.13', iterations: 600_000, prf: '1.2.840.113549.2.9', cipher: '2.16.840.1.101.3.4.1.42' });
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(path.dirname(summary.cscaKeyFile))).mode & 0o777).toBe(0o700);
    const cscaPem = await readFile(summary.cscaKeyFile);
    expect(() => createPrivateKey({ key: cscaPem, format: 'pem', passphrase: 'the line DS passphrase' })).toThrow();
    const cscaKey = createPrivateKey({ key: cscaPem, format: 'pem', passphrase: 'the offline CSCA passphrase' });
    const [cscaDer] = await readCertificates(path.join(dir, 'csca.pem'));
    const cscaCert = pkijs.Certificate.fromBER(cscaDer!);
    // The key is the CSCA's: its public half is the certificate's.
    const spki = Buffer.from(cscaCert.subjectPublicKeyInfo.toSchema().toBER());
    expect(spki).toStrictEqual(Buffer.from(createPublicKeyDer(cscaKey)));
    expect(await signsVerifiably(await openFileSigner(dir, 'the line DS passphrase'), cscaDer!)).toBe(true);
  }, 30_000);
});

function createPublicKeyDer(key: ReturnType<typeof createPrivateKey>): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

describe('certificate profiles (ICAO 9303-12 7.1)', () => {
  const now = new Date(Date.UTC(2026, 0, 15, 8, 0, 0));
  let csca: pkijs.Certificate;
  let ds: pkijs.Certificate;

  beforeAll(async () => {
    const pki = await createTestPki({ now });
    csca = pkijs.Certificate.fromBER(pki.csca.certificate);
    ds = pkijs.Certificate.fromBER(pki.ds.certificate);
  });

  const ext = (cert: pkijs.Certificate, oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  /** PrivateKeyUsagePeriod [0] and [1] GeneralizedTime texts. */
  const usagePeriod = (cert: pkijs.Certificate) => {
    const seq = asn1js.fromBER(ext(cert, '2.5.29.16')!.extnValue.valueBlock.valueHexView).result as asn1js.Sequence;
    return seq.valueBlock.value.map((v) => Buffer.from((v as asn1js.Primitive).valueBlock.valueHexView).toString('latin1'));
  };

  it('CSCA: self-signed CA, keyCertSign and cRLSign, key used for 5 years, no expiry', async () => {
    expect(csca.subject.isEqual(csca.issuer)).toBe(true);
    expect(await csca.verify()).toBe(true);
    expect(ext(csca, '2.5.29.19')).toMatchObject({ critical: true, parsedValue: { cA: true, pathLenConstraint: 0 } });
    expect(ext(csca, '2.5.29.15')?.critical).toBe(true);
    expect(Buffer.from((ext(csca, '2.5.29.15')!.parsedValue as asn1js.BitString).valueBlock.valueHexView).toString('hex')).toBe('06');
    expect(usagePeriod(csca)).toStrictEqual(['20260115080000Z', '20310115080000Z']);
    expect([csca.notBefore.value.toISOString(), csca.notAfter.value.toISOString()]).toStrictEqual(['2026-01-15T08:00:00.000Z', '9999-12-31T23:59:59.000Z']);
    expect(csca.notAfter.type).toBe(pkijs.TimeType.GeneralizedTime);
  });

  it('DS: issued by the CSCA, digitalSignature only, key used for 3 months, document type ID, no expiry', async () => {
    expect(ds.issuer.isEqual(csca.subject)).toBe(true);
    expect(await ds.verify(csca)).toBe(true);
    expect(ext(ds, '2.5.29.19')).toBeUndefined();
    expect(Buffer.from((ext(ds, '2.5.29.15')!.parsedValue as asn1js.BitString).valueBlock.valueHexView).toString('hex')).toBe('80');
    expect(usagePeriod(ds)).toStrictEqual(['20260115080000Z', '20260415080000Z']);
    expect(ds.notAfter.value.toISOString()).toBe('9999-12-31T23:59:59.000Z');
    const types = asn1js.fromBER(ext(ds, '2.23.136.1.1.6.2')!.extnValue.valueBlock.valueHexView).result as asn1js.Sequence;
    expect((types.valueBlock.value[1] as asn1js.Set).valueBlock.value.map((v) => (v as asn1js.PrintableString).getValue())).toStrictEqual(['ID']);
    expect(ds.signatureAlgorithm.algorithmId).toBe('1.2.840.10045.4.3.2');
  });
});

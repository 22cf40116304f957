/**
 * The PKI folder on disk: `csca.pem` and `ds.pem` (certificates) beside `csca-key.pem` and
 * `ds-key.pem` (PKCS#8 private keys encrypted with AES-256-CBC under a passphrase, PBKDF2; mode
 * 0600). `cardline pki init` makes one with the passphrase from CARDLINE_PKI_PASSPHRASE; the demo
 * (`ensureDemoPki`) makes one itself with a random passphrase kept in the data directory.
 */
import { randomBytes, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDataDir } from '../store/data-dir.ts';
import { createTestPki, type CreateTestPkiOptions } from './create.ts';
import { FileSigner } from './file-signer.ts';

export const PKI_FILES = {
  cscaCertificate: 'csca.pem',
  dsCertificate: 'ds.pem',
  cscaKey: 'csca-key.pem',
  dsKey: 'ds-key.pem',
} as const;

export const PASSPHRASE_ENV = 'CARDLINE_PKI_PASSPHRASE';
/** The demo PKI's random passphrase, in the data directory (mode 0600). */
export const DEMO_PASSPHRASE_FILE = 'pki-demo-passphrase';
export const MIN_PASSPHRASE_LENGTH = 12;

/** A problem a person fixes (wrong passphrase, missing files); the CLI prints the message. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}

export function defaultPkiDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export function certificatePem(der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/** Every certificate of a PEM file (one or more CERTIFICATE blocks) or a single DER certificate. */
export function parseCertificates(content: Buffer, where: string): Buffer[] {
  const text = content.toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  const ders = blocks.length > 0 ? blocks.map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')) : [content];
  return ders.map((der, i) => {
    try {
      return Buffer.from(new X509Certificate(der).raw);
    } catch {
      throw new PkiError(`${where}: ${blocks.length > 0 ? `certificate ${i + 1}` : 'the file'} is not an X.509 certificate (PEM or DER)`);
    }
  });
}

export async function readCertificates(file: string): Promise<Buffer[]> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    throw new PkiError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseCertificates(content, file);
}

function checkPassphrase(passphrase: string | undefined, source: string): string {
  if (passphrase === undefined || passphrase === '') {
    throw new PkiError(`no passphrase for the PKI keys: set ${PASSPHRASE_ENV}`);
  }
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new PkiError(`the passphrase in ${source} is shorter than ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  return passphrase;
}

export interface PkiSummary {
  readonly dir: string;
  readonly files: readonly string[];
  readonly csca: { readonly subject: string; readonly validTo: string; readonly serialNumber: string };
  readonly ds: { readonly subject: string; readonly validTo: string; readonly serialNumber: string };
}

function describe(der: Buffer): { subject: string; validTo: string; serialNumber: string } {
  const cert = new X509Certificate(der);
  return { subject: cert.subject.replace(/\n/g, ', '), validTo: cert.validTo, serialNumber: cert.serialNumber };
}

export interface InitPkiOptions extends CreateTestPkiOptions {
  /** Where the passphrase came from, for messages (default the environment variable). */
  readonly passphraseSource?: string;
}

/**
 * Creates a TEST PKI in `dir` (made with mode 0700 if needed). Refuses when any PKI file is
 * already there: keys are never overwritten.
 */
export async function initPki(dir: string, passphrase: string | undefined, options: InitPkiOptions = {}): Promise<PkiSummary> {
  const secret = checkPassphrase(passphrase, options.passphraseSource ?? PASSPHRASE_ENV);
  const files = Object.values(PKI_FILES).map((f) => path.join(dir, f));
  const present = [];
  for (const f of files) if (await exists(f)) present.push(path.basename(f));
  if (present.length > 0) {
    throw new PkiError(`${dir} already holds a PKI (${present.join(', ')}): refusing to overwrite keys. Choose another --dir or remove it yourself.`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pki = await createTestPki(options);
  const encrypted = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: secret });
  // 'wx': never replace a file another process wrote meanwhile. Keys first, certificates last:
  // csca.pem and ds.pem present means the PKI is complete.
  await writeFile(path.join(dir, PKI_FILES.cscaKey), encrypted(pki.csca.privateKey), { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.dsKey), encrypted(pki.ds.privateKey), { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.cscaCertificate), certificatePem(pki.csca.certificate), { mode: 0o644, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.dsCertificate), certificatePem(pki.ds.certificate), { mode: 0o644, flag: 'wx' });
  return { dir, files, csca: describe(pki.csca.certificate), ds: describe(pki.ds.certificate) };
}

/** The DS signer of the PKI in `dir`, its key decrypted with `passphrase`. */
export async function openFileSigner(dir: string, passphrase: string | undefined, passphraseSource = PASSPHRASE_ENV): Promise<FileSigner> {
  const certFile = path.join(dir, PKI_FILES.dsCertificate);
  const keyFile = path.join(dir, PKI_FILES.dsKey);
  if (!(await exists(certFile)) || !(await exists(keyFile))) {
    throw new PkiError(`no PKI in ${dir} (${PKI_FILES.dsCertificate} and ${PKI_FILES.dsKey} are needed): run \`cardline pki init --dir ${dir}\` first`);
  }
  if (passphrase === undefined || passphrase === '') throw new PkiError(`no passphrase for ${keyFile}: set ${PASSPHRASE_ENV}`);
  const [certificate] = await readCertificates(certFile);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: await readFile(keyFile), format: 'pem', passphrase });
  } catch {
    throw new PkiError(`cannot decrypt ${keyFile}: wrong passphrase in ${passphraseSource}, or the file is damaged`);
  }
  try {
    return new FileSigner(certificate!, key);
  } catch (error) {
    throw new PkiError(`${dir}: ${(error as Error).message}`);
  }
}

/** The passphrase: CARDLINE_PKI_PASSPHRASE, else the demo PKI's passphrase file in the data directory. */
export async function resolvePassphrase(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<{ passphrase: string; source: string } | undefined> {
  const fromEnv = env[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { passphrase: fromEnv, source: PASSPHRASE_ENV };
  const file = path.join(dataDir, DEMO_PASSPHRASE_FILE);
  try {
    return { passphrase: (await readFile(file, 'utf8')).trim(), source: file };
  } catch {
    return undefined;
  }
}

export interface DemoPki {
  readonly dir: string;
  /** True when this call created the PKI. */
  readonly created: boolean;
  readonly signer: FileSigner;
  /** The CSCA certificate (DER): the trust anchor QA verifies chips against. */
  readonly csca: Buffer;
}

export interface EnsureDemoPkiOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the demo warning goes; default standard error. */
  readonly warn?: (message: string) => void;
  readonly now?: Date;
}

export const DEMO_WARNING =
  'created a TEST PKI for the demo with a random passphrase kept beside it. It is for demos only: its CSCA is no ' +
  'Country Signing CA, and a key whose passphrase lies next to it protects nothing. Use `cardline pki init` with ' +
  `${PASSPHRASE_ENV} for a managed test PKI, and an HSM-backed signer in production (docs/chip-data.md).`;

/**
 * For `run` and `npm start`: the PKI in `<dataDir>/pki`, created on first use — a TEST PKI whose
 * passphrase is random and kept in `<dataDir>/pki-demo-passphrase` (0600), unless
 * CARDLINE_PKI_PASSPHRASE is set — with a warning. No manual step.
 */
export async function ensureDemoPki(dataDir: string, options: EnsureDemoPkiOptions = {}): Promise<DemoPki> {
  const env = options.env ?? process.env;
  const dir = defaultPkiDir(dataDir);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`cardline: WARNING: ${message}\n`));
  const present: string[] = [];
  for (const f of Object.values(PKI_FILES)) if (await exists(path.join(dir, f))) present.push(f);
  let created = false;
  if (present.length === 0) {
    let resolved = await resolvePassphrase(dataDir, env);
    if (resolved === undefined) {
      const file = path.join(dataDir, DEMO_PASSPHRASE_FILE);
      await ensureDataDir(dataDir);
      const passphrase = randomBytes(32).toString('base64url');
      await writeFile(file, `${passphrase}\n`, { mode: 0o600, flag: 'wx' });
      resolved = { passphrase, source: file };
    }
    await initPki(dir, resolved.passphrase, { passphraseSource: resolved.source, ...(options.now ? { now: options.now } : {}) });
    created = true;
    warn(`${DEMO_WARNING} PKI: ${dir}; passphrase: ${resolved.source}.`);
  } else if (present.length < Object.keys(PKI_FILES).length) {
    const missing = Object.values(PKI_FILES).filter((f) => !present.includes(f));
    throw new PkiError(`${dir} holds an incomplete PKI (missing ${missing.join(', ')}): remove the folder to let the demo create a new one`);
  }
  const resolved = await resolvePassphrase(dataDir, env);
  const signer = await openFileSigner(dir, resolved?.passphrase, resolved?.source);
  const [csca] = await readCertificates(path.join(dir, PKI_FILES.cscaCertificate));
  return { dir, created, signer, csca: csca! };
}

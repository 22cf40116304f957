/**
 * The PKI on disk, in two folders. The line's folder holds what a line needs and nothing more:
 * `csca.pem` (the trust anchor QA verifies chips against), `ds.pem` and `ds-key.pem` (the Document
 * Signer). The CSCA's private key, `csca-key.pem`, goes to a folder of its own under a passphrase
 * of its own: in production the CSCA is offline (only its certificate belongs on a line), and the
 * key is needed again only to issue the next Document Signer (docs/chip-data.md, "Rotating the
 * Document Signer key"). Keys are PKCS#8, PBES2 with PBKDF2-HMAC-SHA256 at 600,000 iterations and
 * AES-256-CBC (key-file.ts), mode 0600 in 0700 folders. `cardline pki init` makes both folders
 * with the passphrases from CARDLINE_PKI_PASSPHRASE and CARDLINE_CSCA_PASSPHRASE; the demo
 * (`ensureDemoPki`) makes them itself with random passphrases kept in the data directory.
 */
import { randomBytes, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDataDir } from '../store/data-dir.ts';
import { createTestPki, type CreateTestPkiOptions } from './create.ts';
import { FileSigner } from './file-signer.ts';
import { encryptPrivateKey } from './key-file.ts';

/** What a line's PKI folder holds: the CSCA certificate and the Document Signer. */
export const PKI_FILES = {
  cscaCertificate: 'csca.pem',
  dsCertificate: 'ds.pem',
  dsKey: 'ds-key.pem',
} as const;

/** The CSCA private key's file, in its own (offline) folder. */
export const CSCA_KEY_FILE = 'csca-key.pem';

export const PASSPHRASE_ENV = 'CARDLINE_PKI_PASSPHRASE';
export const CSCA_PASSPHRASE_ENV = 'CARDLINE_CSCA_PASSPHRASE';
/** The demo PKI's random passphrase, in the data directory (mode 0600). */
export const DEMO_PASSPHRASE_FILE = 'pki-demo-passphrase';
/** The demo CSCA key's own random passphrase, in the data directory (mode 0600). */
export const DEMO_CSCA_PASSPHRASE_FILE = 'pki-demo-csca-passphrase';
export const MIN_PASSPHRASE_LENGTH = 12;

/** A problem a person fixes (wrong passphrase, missing files); the CLI prints the message. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}

export function defaultPkiDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

/** Where `pki init` puts the CSCA key when not told: beside the line's folder, `<dir>-csca-offline`. */
export function defaultCscaKeyDir(pkiDir: string): string {
  return path.join(path.dirname(pkiDir), `${path.basename(pkiDir)}-csca-offline`);
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
  /** The line's files: csca.pem, ds.pem, ds-key.pem. */
  readonly files: readonly string[];
  /** The CSCA private key, to be moved offline. */
  readonly cscaKeyFile: string;
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
  /** The CSCA key's folder (default `defaultCscaKeyDir(dir)`). */
  readonly cscaKeyDir?: string;
  /** The CSCA key's own passphrase; must differ from the Document Signer's. */
  readonly cscaPassphrase?: string | undefined;
  readonly cscaPassphraseSource?: string;
}

/**
 * Creates a TEST PKI: the line's files in `dir`, the CSCA key in its own folder (both made with
 * mode 0700 if needed). Refuses when any of its files is already there: keys are never
 * overwritten.
 */
export async function initPki(dir: string, passphrase: string | undefined, options: InitPkiOptions = {}): Promise<PkiSummary> {
  const secret = checkPassphrase(passphrase, options.passphraseSource ?? PASSPHRASE_ENV);
  const cscaSource = options.cscaPassphraseSource ?? CSCA_PASSPHRASE_ENV;
  if (options.cscaPassphrase === undefined || options.cscaPassphrase === '') {
    throw new PkiError(`no passphrase for the CSCA key: set ${CSCA_PASSPHRASE_ENV} (the CSCA key has a passphrase of its own and belongs offline)`);
  }
  const cscaSecret = checkPassphrase(options.cscaPassphrase, cscaSource);
  if (cscaSecret === secret) {
    throw new PkiError(`${cscaSource} must differ from ${options.passphraseSource ?? PASSPHRASE_ENV}: the CSCA key is kept offline under a passphrase of its own`);
  }
  const cscaKeyDir = path.resolve(options.cscaKeyDir ?? defaultCscaKeyDir(dir));
  if (cscaKeyDir === path.resolve(dir)) {
    throw new PkiError(`the CSCA key's folder must not be the line's PKI folder ${dir}: a line needs only the CSCA certificate`);
  }
  const files = Object.values(PKI_FILES).map((f) => path.join(dir, f));
  const cscaKeyFile = path.join(cscaKeyDir, CSCA_KEY_FILE);
  const present = [];
  for (const f of [...files, path.join(dir, CSCA_KEY_FILE), cscaKeyFile]) if (await exists(f)) present.push(f === cscaKeyFile ? f : path.basename(f));
  if (present.length > 0) {
    throw new PkiError(`${dir} already holds a PKI (${present.join(', ')}): refusing to overwrite keys. Choose another --dir or remove it yourself.`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mkdir(cscaKeyDir, { recursive: true, mode: 0o700 });
  const pki = await createTestPki(options);
  // 'wx': never replace a file another process wrote meanwhile. Keys first, certificates last:
  // csca.pem and ds.pem present means the PKI is complete.
  await writeFile(cscaKeyFile, encryptPrivateKey(pki.csca.privateKey, cscaSecret), { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.dsKey), encryptPrivateKey(pki.ds.privateKey, secret), { mode: 0o600, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.cscaCertificate), certificatePem(pki.csca.certificate), { mode: 0o644, flag: 'wx' });
  await writeFile(path.join(dir, PKI_FILES.dsCertificate), certificatePem(pki.ds.certificate), { mode: 0o644, flag: 'wx' });
  return { dir, files, cscaKeyFile, csca: describe(pki.csca.certificate), ds: describe(pki.ds.certificate) };
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
    // The demo's CSCA key gets a random passphrase of its own; nothing in the demo needs it again.
    await ensureDataDir(dataDir);
    const cscaFile = path.join(dataDir, DEMO_CSCA_PASSPHRASE_FILE);
    const cscaPassphrase = randomBytes(32).toString('base64url');
    await writeFile(cscaFile, `${cscaPassphrase}\n`, { mode: 0o600 });
    const summary = await initPki(dir, resolved.passphrase, {
      passphraseSource: resolved.source,
      cscaPassphrase,
      cscaPassphraseSource: cscaFile,
      ...(options.now ? { now: options.now } : {}),
    });
    created = true;
    warn(`${DEMO_WARNING} PKI: ${dir}; passphrase: ${resolved.source}; CSCA key (offline in production): ${summary.cscaKeyFile}.`);
  } else if (present.length < Object.keys(PKI_FILES).length) {
    const missing = Object.values(PKI_FILES).filter((f) => !present.includes(f));
    throw new PkiError(`${dir} holds an incomplete PKI (missing ${missing.join(', ')}): remove the folder to let the demo create a new one`);
  }
  if (await exists(path.join(dir, CSCA_KEY_FILE))) {
    warn(`${path.join(dir, CSCA_KEY_FILE)}: the CSCA private key lies in the line's PKI folder. A line needs only csca.pem, ds.pem and ds-key.pem: move the CSCA key offline (docs/chip-data.md).`);
  }
  const resolved = await resolvePassphrase(dataDir, env);
  const signer = await openFileSigner(dir, resolved?.passphrase, resolved?.source);
  const [csca] = await readCertificates(path.join(dir, PKI_FILES.cscaCertificate));
  return { dir, created, signer, csca: csca! };
}

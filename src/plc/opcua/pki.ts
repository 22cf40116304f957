/**
 * The OPC UA certificate stores (PKI folders) of the controller's client and the simulator's server,
 * and the one operation an operator does on them: trusting the peer's certificate.
 *
 * A store is a folder (inside the project's data dir, never ~/.config) laid out by node-opcua:
 *
 *   own/certs/      this application's certificate (created on first use: the server's is
 *                   `certificate.pem`, the client's `client_certificate.pem`), own/private/ its key
 *   trusted/certs/  peer certificates this application trusts
 *   rejected/       peer certificates it refused, kept so an operator can trust them by moving
 *                   the file to trusted/certs/
 *   issuers/        CA certificates (and CRLs) of CA-signed peers
 *
 * A running process notices a file moved into trusted/certs/ by itself (folder watchers).
 */
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

export type PkiRole = 'server' | 'client';

export interface PkiLayout {
  readonly root: string;
  readonly ownCertificate: string;
  readonly ownPrivateKey: string;
  readonly trusted: string;
  readonly rejected: string;
  readonly issuers: string;
}

export function pkiLayout(pkiDir: string, role: PkiRole): PkiLayout {
  const root = path.resolve(pkiDir);
  return {
    root,
    ownCertificate: path.join(root, 'own', 'certs', role === 'server' ? 'certificate.pem' : 'client_certificate.pem'),
    ownPrivateKey: path.join(root, 'own', 'private', 'private_key.pem'),
    trusted: path.join(root, 'trusted', 'certs'),
    rejected: path.join(root, 'rejected'),
    issuers: path.join(root, 'issuers', 'certs'),
  };
}

/** A certificate manager of its own for a PKI folder (a server disposes its managers on shutdown). */
export async function openCertificateManager(
  rootFolder: string,
  options: { automaticallyAcceptUnknownCertificate?: boolean } = {},
): Promise<OPCUACertificateManager> {
  const root = path.resolve(rootFolder);
  await mkdir(root, { recursive: true });
  const manager = new OPCUACertificateManager({
    rootFolder: root,
    automaticallyAcceptUnknownCertificate: options.automaticallyAcceptUnknownCertificate ?? false,
    keySize: 2048,
  });
  try {
    await manager.initialize();
  } catch (err) {
    await manager.dispose();
    throw new Error(`cannot open the OPC UA certificate store ${root}: ${(err as Error).message}`, { cause: err });
  }
  return manager;
}

interface SharedManager {
  readonly manager: OPCUACertificateManager;
  readonly ready: Promise<void>;
  users: number;
}

// Several transports of one controller (one per station unit) share a client PKI folder: one
// manager per folder, so one set of folder watchers and one writer of rejected/.
const shared = new Map<string, SharedManager>();

/**
 * The certificate manager of a PKI folder, created and initialized on first use, shared while it is
 * in use. Give it back with releaseCertificateManager.
 */
export async function acquireCertificateManager(
  rootFolder: string,
  options: { automaticallyAcceptUnknownCertificate?: boolean } = {},
): Promise<OPCUACertificateManager> {
  const key = path.resolve(rootFolder);
  let entry = shared.get(key);
  if (!entry) {
    await mkdir(key, { recursive: true });
    const manager = new OPCUACertificateManager({
      rootFolder: key,
      automaticallyAcceptUnknownCertificate: options.automaticallyAcceptUnknownCertificate ?? false,
      keySize: 2048,
    });
    entry = { manager, ready: manager.initialize(), users: 0 };
    shared.set(key, entry);
  }
  entry.users += 1;
  try {
    await entry.ready;
  } catch (err) {
    await releaseCertificateManager(entry.manager);
    throw new Error(`cannot open the OPC UA certificate store ${key}: ${(err as Error).message}`, { cause: err });
  }
  return entry.manager;
}

export async function releaseCertificateManager(manager: OPCUACertificateManager): Promise<void> {
  for (const [key, entry] of shared) {
    if (entry.manager !== manager) continue;
    entry.users -= 1;
    if (entry.users > 0) return;
    shared.delete(key);
    await entry.ready.catch(() => undefined);
    await manager.dispose();
    return;
  }
}

/**
 * Trusts a peer's application certificate in the store at `pkiDir`: writes it (PEM) into
 * trusted/certs/ under node-opcua's naming and removes a copy of it from rejected/, which would
 * otherwise win. `certificate` is a PEM or DER file (a PLC's engineering tool exports either).
 */
export async function trustCertificateFile(pkiDir: string, certificateFile: string): Promise<string> {
  const raw = await readFile(certificateFile);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch (err) {
    throw new Error(`${certificateFile}: not an X.509 certificate (PEM or DER): ${(err as Error).message}`, { cause: err });
  }
  const thumbprint = cert.fingerprint.replaceAll(':', '').toLowerCase();
  const commonName = /CN=([^\n,]+)/.exec(cert.subject)?.[1] ?? 'certificate';
  const layout = pkiLayout(pkiDir, 'client');
  await mkdir(layout.trusted, { recursive: true });
  const target = path.join(layout.trusted, `${commonName.replace(/[^\w@.-]/g, '_')}[${thumbprint}].pem`);
  await writeFile(target, cert.toString());
  const rejected = await readdir(layout.rejected).catch(() => [] as string[]);
  await Promise.all(rejected.filter((f) => f.toLowerCase().includes(thumbprint)).map((f) => rm(path.join(layout.rejected, f), { force: true })));
  return target;
}

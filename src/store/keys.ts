// Encryption at rest for personal data. One 32-byte data key (from CARDLINE_DATA_KEY, or a key file
// in the data directory) is stretched with HKDF into independent subkeys, so that the AES key, the
// HMAC key used for PID lookups and the public key fingerprint can never be derived from each other.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface DataKeys {
  /** Short fingerprint of the data key (not secret): tells which key a deployment runs with. */
  readonly keyId: string;
  /** Output format: version byte 1 | 12-byte random IV | 16-byte GCM tag | ciphertext. */
  encrypt(plain: Buffer, aad: string): Buffer;
  /** Throws a clear error on a wrong key, altered data, wrong AAD or unknown format version. */
  decrypt(blob: Buffer, aad: string): Buffer;
  /** Hex HMAC-SHA256 of a personal ID number: the lookup key, so the clear PID is never stored. */
  pidHash(pid: string): string;
  /** Hex HMAC-SHA256 under the store's audit-chain key (see audit.ts): a MAC a database holder cannot forge. */
  auditMac(data: string): string;
}

/**
 * The store's long-lived secrets: the PID lookup key and the audit-chain key. They are derived from
 * the first data key a store is pinned with and then kept, sealed under the current data key, in the
 * store (store_keys): a key rotation re-seals them instead of changing them, so the PID hashes of
 * every record (also of purged ones) and the MACs of the audit chain stay valid across rotations.
 */
interface StoreSecrets {
  readonly lookup: Buffer;
  readonly audit: Buffer;
}

interface KeyInternals {
  readonly encKey: KeyObject;
  readonly secrets: StoreSecrets;
}

// Internals of each DataKeys object, reachable only from this module: sealing and re-sealing the
// store's secrets needs them, and nothing outside may print or copy them.
const INTERNALS = new WeakMap<DataKeys, KeyInternals>();
// Version byte of a sealed secrets blob: a later format (more secrets, another lookup key version)
// gets a new number and this module keeps reading the old one.
const SECRETS_FORMAT = 1;

export const DATA_KEY_ENV = 'CARDLINE_DATA_KEY';

/** A stored value that does not decrypt: another key, altered data or an unknown format. Names the row (AAD), never content. */
export class DecryptError extends Error {
  override name = 'DecryptError';
}
const KEY_BYTES = 32;
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + IV_BYTES + TAG_BYTES;
// Fixed salt: the data key is already uniformly random, the salt only separates cardline's
// derivations from any other use someone might make of the same key material.
const HKDF_SALT = Buffer.from('cardline/data-key/v1', 'utf8');

/** Path of the key file used when CARDLINE_DATA_KEY is not set. */
export function dataKeyFile(dataDir: string): string {
  return path.join(dataDir, 'keys', 'data.key');
}

/**
 * Loads the data key from the environment, or from `<dataDir>/keys/data.key` (created with a random
 * key on first use), and returns the derived keys.
 */
export async function loadDataKeys(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DataKeys> {
  const fromEnv = env[DATA_KEY_ENV];
  const key = fromEnv !== undefined ? parseKey(fromEnv) : await loadOrCreateKeyFile(dataKeyFile(dataDir));
  return deriveDataKeys(key);
}

/** Where loadDataKeys takes the key from, for messages: the variable, or the key file. */
export function dataKeySource(env: NodeJS.ProcessEnv = process.env): string {
  return env[DATA_KEY_ENV] !== undefined ? DATA_KEY_ENV : 'the key file keys/data.key';
}

/** Builds DataKeys from raw key material. Exposed for tests and tools; the app uses loadDataKeys. */
export function deriveDataKeys(dataKey: Buffer): DataKeys {
  if (dataKey.length !== KEY_BYTES) {
    throw new Error(`data key must be ${KEY_BYTES} bytes, got ${dataKey.length}`);
  }
  // Derived once here and kept in closures only: not as properties, so that logging or
  // inspecting the object (pino, console.log, a debugger's hover) cannot print key material.
  // KeyObjects, not Buffers: node:crypto then skips re-importing the key on every call, which
  // halves the cost of an encryption on the import hot path.
  const encKey = createSecretKey(derive(dataKey, 'aes-256-gcm'));
  const keyId = dataKeyFingerprint(dataKey);
  // The HMAC key of the store's first data key: stores pinned before rotation existed hold PID
  // hashes made with it, so a store's lookup key is this derivation of the key it was pinned with.
  return build(keyId, encKey, { lookup: derive(dataKey, 'hmac-sha256'), audit: derive(dataKey, 'audit-chain') });
}

/** The public fingerprint of a raw data key (8 hex digits): what store_keys and error messages show. */
export function dataKeyFingerprint(dataKey: Buffer): string {
  return createHash('sha256').update(derive(dataKey, 'key-id')).digest('hex').slice(0, 8);
}

/** The store's secrets of `keys`, encrypted under the data key of `keys` (AAD `aad`), for store_keys. */
export function sealStoreSecrets(keys: DataKeys, aad: string): Buffer {
  const { secrets } = internals(keys);
  return keys.encrypt(Buffer.concat([Buffer.from([SECRETS_FORMAT]), secrets.lookup, secrets.audit]), aad);
}

/**
 * Opens a sealed secrets blob with the data key of `keys` and returns DataKeys that encrypt under
 * that data key and hash PIDs and audit rows with the store's secrets. Throws when the blob does not
 * decrypt (another key) or has an unknown format.
 */
export function openStoreSecrets(keys: DataKeys, sealed: Buffer, aad: string): DataKeys {
  const plain = keys.decrypt(sealed, aad);
  if (plain[0] !== SECRETS_FORMAT || plain.length !== 1 + 2 * KEY_BYTES) {
    throw new Error(`${aad}: unknown sealed-secrets format ${String(plain[0])} (${plain.length} bytes); the store was written by a newer cardline`);
  }
  const secrets = { lookup: plain.subarray(1, 1 + KEY_BYTES), audit: plain.subarray(1 + KEY_BYTES) };
  return build(keys.keyId, internals(keys).encKey, secrets);
}

/** DataKeys that encrypt under the data key of `dataKeys` and keep the store secrets of `secretsOf`: a rotation's new key. */
export function withStoreSecretsOf(dataKeys: DataKeys, secretsOf: DataKeys): DataKeys {
  return build(dataKeys.keyId, internals(dataKeys).encKey, internals(secretsOf).secrets);
}

function internals(keys: DataKeys): KeyInternals {
  const found = INTERNALS.get(keys);
  if (!found) throw new Error('these DataKeys were not made by deriveDataKeys or loadDataKeys');
  return found;
}

function build(keyId: string, encKey: KeyObject, secrets: StoreSecrets): DataKeys {
  const macKey = createSecretKey(secrets.lookup);
  const auditKey = createSecretKey(secrets.audit);
  const keys: DataKeys = Object.freeze({
    keyId,
    encrypt(plain: Buffer, aad: string): Buffer {
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = cipher.update(plain);
      cipher.final(); // GCM emits no trailing block; final() computes the tag
      const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
      out[0] = FORMAT_VERSION;
      iv.copy(out, 1);
      cipher.getAuthTag().copy(out, 1 + IV_BYTES);
      body.copy(out, HEADER_BYTES);
      return out;
    },
    decrypt(blob: Buffer, aad: string): Buffer {
      if (blob.length < HEADER_BYTES) {
        throw new DecryptError(
          `cannot decrypt ${aad}: the stored value is ${blob.length} bytes, shorter than the ` +
            `${HEADER_BYTES}-byte header of an encrypted value; the data is truncated or was not written by cardline`,
        );
      }
      const version = blob[0];
      if (version !== FORMAT_VERSION) {
        throw new DecryptError(
          `cannot decrypt ${aad}: unknown encryption format version ${String(version)} (this cardline reads ` +
            `version ${FORMAT_VERSION}); the data was written by another version or is corrupt`,
        );
      }
      const iv = blob.subarray(1, 1 + IV_BYTES);
      const tag = blob.subarray(1 + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES)), decipher.final()]);
      } catch (err) {
        throw new DecryptError(
          `cannot decrypt ${aad}: authentication failed with data key ${keyId}. Either this is not the ` +
            `key the data was written with (check ${DATA_KEY_ENV} or keys/data.key in the data directory), ` +
            'or the stored value was altered or belongs to another row',
          { cause: err },
        );
      }
    },
    pidHash(pid: string): string {
      return createHmac('sha256', macKey).update(pid, 'utf8').digest('hex');
    },
    auditMac(data: string): string {
      return createHmac('sha256', auditKey).update(data, 'utf8').digest('hex');
    },
  });
  INTERNALS.set(keys, { encKey, secrets });
  return keys;
}

// IVs are drawn from the CSPRNG in blocks: one randomBytes(12) per record costs about as much as the
// encryption of a whole record payload. Each refill is a fresh buffer that is never written again,
// so an IV handed out (and still referenced) can never change or be handed out twice.
const IV_BLOCK = 1024;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * IV_BLOCK);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

function derive(dataKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', dataKey, HKDF_SALT, info, KEY_BYTES));
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
// 32 bytes in base64 are 43 characters plus one '=' of padding; the URL-safe alphabet is accepted
// too because key managers differ in which one they print.
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** Parses a key given as 64 hex characters or base64 of 32 bytes; `name` says where it came from. */
export function parseKey(raw: string, name: string = DATA_KEY_ENV): Buffer {
  // Trim: values read from files or secret mounts often end in a newline.
  const value = raw.trim();
  if (HEX_KEY.test(value)) return Buffer.from(value, 'hex');
  if (BASE64_KEY.test(value)) {
    const key = Buffer.from(value, 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  // The value itself is never echoed: it is (a mistyped) secret.
  const what = value === '' ? 'is set but empty' : `is not a valid key (${value.length} characters)`;
  throw new Error(
    `${name} ${what}: it must be 64 hex characters or the base64 encoding of 32 bytes ` +
      `(generate one with \`openssl rand -hex 32\`), or be unset to use the key file in the data directory`,
  );
}

/**
 * The key file holds the key as 64 hex characters and a newline: the same text CARDLINE_DATA_KEY
 * takes, so an operator can move the key to a secret store or print it for escrow without tools.
 */
async function loadOrCreateKeyFile(file: string): Promise<Buffer> {
  const existing = await readKeyFile(file);
  if (existing) return existing;
  await createKeyFile(file, randomBytes(KEY_BYTES));
  const created = await readKeyFile(file);
  if (!created) throw new Error(`the data key file ${file} disappeared right after it was created`);
  return created;
}

/**
 * Writes `key` to `file` (0600, in a 0700 folder) unless the file exists already: then the existing
 * file wins and is left as it is. Callers read the file back to learn which key is in force.
 */
export async function createKeyFile(file: string, key: Buffer): Promise<void> {
  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Written to a private temporary file, flushed, then published with link(): unlike rename(),
    // link() never replaces an existing file, so two processes starting at once cannot each create
    // a key and leave data encrypted under the one that lost.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${key.toString('hex')}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp);
    }
    await syncDirectory(dir);
  } catch (err) {
    throw new Error(
      `cannot create the data key file ${file}: ${(err as Error).message}. Make the data directory ` +
        `writable, or provide the key in ${DATA_KEY_ENV}`,
      { cause: err },
    );
  }
}

/** Replaces `to` by `from` in one step (rename) and makes that durable: the end of a key rotation. */
export async function replaceKeyFile(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(path.dirname(to));
}

/** The key in a key file, or undefined when the file does not exist; a malformed file is an error. */
export async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the data key file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const text = content.toString('latin1').trim();
  if (!HEX_KEY.test(text)) {
    throw new Error(
      `the data key file ${file} is ${content.length} bytes but must hold exactly 64 hex characters ` +
        '(a 32-byte key) and an optional newline. Restore it from your key backup; do not delete it, ' +
        'data encrypted under it cannot be read without it',
    );
  }
  return Buffer.from(text, 'hex');
}

/** Makes the new directory entry durable, so a power cut cannot lose a key already used to encrypt. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

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
} from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
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
}

export const DATA_KEY_ENV = 'CARDLINE_DATA_KEY';
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
  const key = fromEnv !== undefined ? parseEnvKey(fromEnv) : await loadOrCreateKeyFile(dataKeyFile(dataDir));
  return deriveDataKeys(key);
}

/** Builds DataKeys from raw key material. Exposed for tests and tools; the app uses loadDataKeys. */
export function deriveDataKeys(dataKey: Buffer): DataKeys {
  if (dataKey.length !== KEY_BYTES) {
    throw new Error(`data key must be ${KEY_BYTES} bytes, got ${dataKey.length}`);
  }
  // Derived once here and kept in this closure only: not as properties, so that logging or
  // inspecting the object (pino, console.log, a debugger's hover) cannot print key material.
  // KeyObjects, not Buffers: node:crypto then skips re-importing the key on every call, which
  // halves the cost of an encryption on the import hot path.
  const encKey = createSecretKey(derive(dataKey, 'aes-256-gcm'));
  const macKey = createSecretKey(derive(dataKey, 'hmac-sha256'));
  const keyId = createHash('sha256').update(derive(dataKey, 'key-id')).digest('hex').slice(0, 8);

  return Object.freeze({
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
        throw new Error(
          `cannot decrypt ${aad}: the stored value is ${blob.length} bytes, shorter than the ` +
            `${HEADER_BYTES}-byte header of an encrypted value; the data is truncated or was not written by cardline`,
        );
      }
      const version = blob[0];
      if (version !== FORMAT_VERSION) {
        throw new Error(
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
        throw new Error(
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
  });
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

function parseEnvKey(raw: string): Buffer {
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
    `${DATA_KEY_ENV} ${what}: it must be 64 hex characters or the base64 encoding of 32 bytes ` +
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

  const dir = path.dirname(file);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Written to a private temporary file, flushed, then published with link(): unlike rename(),
    // link() never replaces an existing file, so two processes starting at once cannot each create
    // a key and leave data encrypted under the one that lost.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(KEY_BYTES).toString('hex')}\n`, 'utf8');
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
  const created = await readKeyFile(file);
  if (!created) throw new Error(`the data key file ${file} disappeared right after it was created`);
  return created;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
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

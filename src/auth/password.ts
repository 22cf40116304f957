/**
 * Password hashing with scrypt from node:crypto: memory-hard, salted, compared in constant time.
 * The parameters are OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1: 128 MiB and about 0.3 s a
 * hash here) and are stored with each hash, so they can be raised without invalidating old ones.
 * Each hash runs in a child process of its own (scrypt-process.ts), so its memory is never the server's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptInChildProcess } from './scrypt-process.ts';

const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

// One hash at a time: each takes 128 MiB while it runs (logins arriving together would otherwise put
// half a gigabyte on the machine at once).
let lastHash: Promise<unknown> = Promise.resolve();

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem must exceed 128 * N * r, Node's default (32 MiB) is below OWASP's minimum.
  const options = { ...params, maxmem: 256 * params.N * params.r };
  const run = (): Promise<Buffer> => scryptInChildProcess(password.normalize('NFC'), salt, KEY_LENGTH, options);
  const next = lastHash.then(run, run);
  lastHash = next.catch(() => undefined);
  return next;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** False for a wrong password and for a stored value that is not a hash this module wrote. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 2 ** 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, salt, { N: n, r, p });
  return timingSafeEqual(key, expected);
}

/** A one-time password to read out or type: 20 characters from an alphabet without look-alikes (about 110 bits). */
export function newOneTimePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  // 256 - (256 % 55) = 220: bytes at or above it are dropped, so every character is equally likely.
  const out: string[] = [];
  while (out.length < 20) {
    for (const b of randomBytes(32)) {
      if (b < 220 && out.length < 20) out.push(alphabet[b % alphabet.length]!);
    }
  }
  return out.join('');
}

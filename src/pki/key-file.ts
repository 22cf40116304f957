/**
 * Private keys on disk: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958) with PBES2 (RFC 8018), key
 * derivation PBKDF2-HMAC-SHA256 with 600,000 iterations and AES-256-CBC. node:crypto's
 * `KeyObject.export({ cipher, passphrase })` writes the same structure but with OpenSSL's default
 * 2,048 iterations, which a stolen file's owner tries passphrases against a thousand times faster
 * (OWASP's 2023 figure for PBKDF2-HMAC-SHA256 is 600,000). The file stays standard: OpenSSL and
 * `createPrivateKey({ passphrase })` read it.
 */
import { createCipheriv, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';

export const KEY_FILE_ITERATIONS = 600_000;

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const octets = (b: Buffer) => tlv(0x04, b);
const nullValue = () => Buffer.of(0x05, 0x00);

function integer(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(text: string): Buffer {
  const [a, b, ...rest] = text.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      groups.unshift(v & 0x7f);
      if (v < 128) break;
    }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

/** The PEM of `key` as PKCS#8, encrypted under `passphrase` (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC). */
export function encryptPrivateKey(key: KeyObject, passphrase: string, iterations = KEY_FILE_ITERATIONS): string {
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const derived = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', derived, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(oid(OID.pbkdf2), sequence(octets(salt), integer(iterations), sequence(oid(OID.hmacWithSha256), nullValue()))),
      sequence(oid(OID.aes256Cbc), octets(iv)),
    ),
  );
  const der = sequence(algorithm, octets(encrypted));
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}-----END ENCRYPTED PRIVATE KEY-----\n`;
}

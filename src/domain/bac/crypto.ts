/**
 * The cryptographic primitives of BAC and its secure messaging (ICAO 9303 Part 11, sections
 * 9.7.1, 9.8): the key derivation function, 2-key 3DES in CBC mode with a zero IV, ISO/IEC
 * 9797-1 padding method 2 and MAC algorithm 3 (the "retail MAC"). node:crypto only.
 *
 * OpenSSL 3 refuses single DES (`des-ecb`, `des-cbc`), which the retail MAC needs for every
 * block but the last. 2-key EDE with both halves equal (K‖K) computes E_K(D_K(E_K(x))) = E_K(x),
 * single DES, so `des-ede-cbc` serves for both.
 */
import { createCipheriv, createDecipheriv, createHash, type Cipher, type Decipher } from 'node:crypto';

export const BLOCK = 8;
const ZERO_IV = Buffer.alloc(BLOCK);

/** ISO/IEC 9797-1 padding method 2: always 0x80, then zeros up to a multiple of 8 bytes. */
export function pad(data: Buffer): Buffer {
  const padded = Buffer.alloc((Math.floor(data.length / BLOCK) + 1) * BLOCK);
  data.copy(padded);
  padded[data.length] = 0x80;
  return padded;
}

/** Removes padding method 2; undefined when the bytes do not end in 0x80 followed by zeros. */
export function unpad(data: Buffer): Buffer | undefined {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80 || data.length - i > BLOCK) return undefined;
  return data.subarray(0, i);
}

/** Sets each byte's least significant bit so that the byte has odd parity (DES key parity). */
export function adjustParity(key: Buffer): Buffer {
  const out = Buffer.from(key);
  for (let i = 0; i < out.length; i++) {
    const b = out[i]! & 0xfe;
    let ones = 0;
    for (let v = b; v !== 0; v >>= 1) ones += v & 1;
    out[i] = ones % 2 === 0 ? b | 1 : b;
  }
  return out;
}

/** The KDF of Part 11, 9.7.1, for 3DES: SHA-1(K ‖ c) truncated to 16 bytes, parity adjusted. */
export function kdf(seed: Buffer, counter: number): Buffer {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(counter);
  return adjustParity(createHash('sha1').update(seed).update(c).digest().subarray(0, 16));
}

export const KDF_ENC = 1;
export const KDF_MAC = 2;

function checkKey(key: Buffer): void {
  if (key.length !== 16) throw new Error(`a 2-key 3DES key has 16 bytes, not ${key.length}`);
}

function checkBlocks(data: Buffer): void {
  if (data.length % BLOCK !== 0) throw new Error(`3DES-CBC takes whole 8-byte blocks, not ${data.length} bytes`);
}

function xorInto(target: Buffer, a: Buffer, b: Buffer): void {
  for (let i = 0; i < BLOCK; i++) target[i] = target[i]! ^ a[i]! ^ b[i]!;
}

/**
 * A CBC cipher kept open across calls, so a session does not pay for a key schedule on every
 * message (creating a cipher was a fifth of the time of a secure-messaging read). CBC chains
 * each call onto the last block of the one before; to start a message with its own IV, the
 * first block is corrected by (last block ⊕ IV): E(P ⊕ last ⊕ IV ⊕ last) = E(P ⊕ IV).
 */
class CbcStream {
  private readonly enc: Cipher;
  private readonly dec: Decipher;
  private encLast = Buffer.alloc(BLOCK);
  private decLast = Buffer.alloc(BLOCK);

  constructor(readonly key: Buffer) {
    this.enc = createCipheriv('des-ede-cbc', key, ZERO_IV).setAutoPadding(false);
    this.dec = createDecipheriv('des-ede-cbc', key, ZERO_IV).setAutoPadding(false);
  }

  encrypt(data: Buffer, iv: Buffer): Buffer {
    const input = Buffer.from(data);
    xorInto(input, this.encLast, iv);
    const out = this.enc.update(input);
    this.encLast = Buffer.from(out.subarray(out.length - BLOCK));
    return out;
  }

  decrypt(data: Buffer, iv: Buffer): Buffer {
    const out: Buffer = this.dec.update(data);
    xorInto(out, this.decLast, iv);
    this.decLast = Buffer.from(data.subarray(data.length - BLOCK));
    return out;
  }
}

/** Open ciphers by key object; an entry is checked against the key bytes, so a reused buffer is safe. */
const streams = new WeakMap<Buffer, CbcStream>();

function stream(key: Buffer): CbcStream {
  const cached = streams.get(key);
  if (cached?.key.equals(key)) return cached;
  const fresh = new CbcStream(Buffer.from(key));
  streams.set(key, fresh);
  return fresh;
}

/** Single DES with Ka as EDE with Ka‖Ka, keyed by the MAC key object. */
const singleDes = new WeakMap<Buffer, CbcStream>();

function singleDesStream(key: Buffer): CbcStream {
  const cached = singleDes.get(key);
  if (cached?.key.subarray(0, BLOCK).equals(key.subarray(0, BLOCK))) return cached;
  const ka = key.subarray(0, BLOCK);
  const fresh = new CbcStream(Buffer.concat([ka, ka]));
  singleDes.set(key, fresh);
  return fresh;
}

/** 2-key 3DES (EDE) in CBC mode, zero IV unless given; the data must be whole blocks. */
export function tdesEncrypt(key: Buffer, data: Buffer, iv: Buffer = ZERO_IV): Buffer {
  checkKey(key);
  checkBlocks(data);
  return data.length === 0 ? Buffer.alloc(0) : stream(key).encrypt(data, iv);
}

export function tdesDecrypt(key: Buffer, data: Buffer, iv: Buffer = ZERO_IV): Buffer {
  checkKey(key);
  checkBlocks(data);
  return data.length === 0 ? Buffer.alloc(0) : stream(key).decrypt(data, iv);
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3 over data that is already padded: single-DES CBC with Ka over
 * every block, then the last block's output decrypted with Kb and encrypted with Ka again —
 * which is 2-key 3DES of the last block with the previous output as IV.
 */
export function retailMacPadded(key: Buffer, padded: Buffer): Buffer {
  checkKey(key);
  checkBlocks(padded);
  if (padded.length === 0) throw new Error('the retail MAC needs at least one block');
  const head = padded.subarray(0, padded.length - BLOCK);
  let iv: Buffer = ZERO_IV;
  if (head.length > 0) {
    const out = singleDesStream(key).encrypt(head, ZERO_IV);
    iv = out.subarray(out.length - BLOCK);
  }
  return stream(key).encrypt(padded.subarray(padded.length - BLOCK), iv);
}

/** The retail MAC with padding method 2 applied to the data first (how Part 11 uses it). */
export function retailMac(key: Buffer, data: Buffer): Buffer {
  return retailMacPadded(key, pad(data));
}

export function xor(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new Error(`xor of ${a.length} and ${b.length} bytes`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

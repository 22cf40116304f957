/**
 * BAC key material (ICAO 9303 Part 11, 4.3 and 9.7): the document basic access keys K_enc and
 * K_mac from MRZ_information, and the session keys KS_enc, KS_mac and the send sequence counter
 * both sides derive after mutual authentication.
 */
import { createHash } from 'node:crypto';
import { kdf, KDF_ENC, KDF_MAC, xor } from './crypto.ts';
import { mrzInformationFromTd1 } from './mrz-information.ts';

/** The document basic access keys: what the encoder writes into the chip (job `bac`). */
export interface DocumentKeys {
  readonly kEnc: Buffer;
  readonly kMac: Buffer;
}

export interface SessionKeys {
  readonly ksEnc: Buffer;
  readonly ksMac: Buffer;
}

/** K_seed: the first 16 bytes of SHA-1(MRZ_information). */
export function keySeed(mrzInformation: string): Buffer {
  return createHash('sha1').update(mrzInformation, 'latin1').digest().subarray(0, 16);
}

/** K_enc and K_mac from a key seed (K_seed, or K.IFD ⊕ K.IC for the session keys). */
export function keysFromSeed(seed: Buffer): { enc: Buffer; mac: Buffer } {
  return { enc: kdf(seed, KDF_ENC), mac: kdf(seed, KDF_MAC) };
}

export function documentKeys(mrzInformation: string): DocumentKeys {
  const { enc, mac } = keysFromSeed(keySeed(mrzInformation));
  return { kEnc: enc, kMac: mac };
}

/** The document keys from a TD1 MRZ as read; null when the lines are not a TD1 MRZ. */
export function documentKeysFromTd1(lines: readonly string[]): DocumentKeys | null {
  const info = mrzInformationFromTd1(lines);
  return info.ok ? documentKeys(info.mrzInformation) : null;
}

/** KS_enc and KS_mac from K.IFD ⊕ K.IC. */
export function sessionKeys(kIfd: Buffer, kIc: Buffer): SessionKeys & { readonly seed: Buffer } {
  const seed = xor(kIfd, kIc);
  const { enc, mac } = keysFromSeed(seed);
  return { seed, ksEnc: enc, ksMac: mac };
}

/** The initial send sequence counter: the last 4 bytes of RND.IC, then the last 4 of RND.IFD. */
export function initialSsc(rndIc: Buffer, rndIfd: Buffer): Buffer {
  return Buffer.concat([rndIc.subarray(4, 8), rndIfd.subarray(4, 8)]);
}

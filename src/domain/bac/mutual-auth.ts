/**
 * BAC mutual authentication (ICAO 9303 Part 11, 4.3.3 and 9.7.3), both sides, as pure steps
 * over given random numbers so that Appendix D.3 can be replayed value by value:
 *
 * terminal: S = RND.IFD ‖ RND.IC ‖ K.IFD, E_IFD = 3DES(K_enc, S), M_IFD = MAC(K_mac, E_IFD);
 * chip: check M_IFD, decrypt S, check RND.IC, R = RND.IC ‖ RND.IFD ‖ K.IC, E_IC = 3DES(K_enc, R),
 * M_IC = MAC(K_mac, E_IC); terminal: check M_IC, decrypt R, check RND.IFD. Both sides then take
 * KS_enc, KS_mac from K.IFD ⊕ K.IC and the SSC from RND.IC and RND.IFD.
 */
import { timingSafeEqual } from 'node:crypto';
import { retailMac, tdesDecrypt, tdesEncrypt } from './crypto.ts';
import { initialSsc, sessionKeys, type DocumentKeys, type SessionKeys } from './keys.ts';

export interface Session extends SessionKeys {
  /** K.IFD ⊕ K.IC, the session key seed. */
  readonly seed: Buffer;
  readonly ssc: Buffer;
}

export type AuthResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function sizes(what: string, expected: number, b: Buffer): void {
  if (b.length !== expected) throw new Error(`${what} has ${expected} bytes, not ${b.length}`);
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function session(kIfd: Buffer, kIc: Buffer, rndIc: Buffer, rndIfd: Buffer): Session {
  const { seed, ksEnc, ksMac } = sessionKeys(kIfd, kIc);
  return { seed, ksEnc, ksMac, ssc: initialSsc(rndIc, rndIfd) };
}

export interface TerminalChallengeResponse {
  readonly s: Buffer;
  readonly eIfd: Buffer;
  readonly mIfd: Buffer;
  /** E_IFD ‖ M_IFD: the EXTERNAL AUTHENTICATE command data. */
  readonly cmdData: Buffer;
}

/** Terminal, step 1: the EXTERNAL AUTHENTICATE data for the chip's challenge RND.IC. */
export function terminalAuthenticate(keys: DocumentKeys, rndIc: Buffer, rndIfd: Buffer, kIfd: Buffer): TerminalChallengeResponse {
  sizes('RND.IC', 8, rndIc);
  sizes('RND.IFD', 8, rndIfd);
  sizes('K.IFD', 16, kIfd);
  const s = Buffer.concat([rndIfd, rndIc, kIfd]);
  const eIfd = tdesEncrypt(keys.kEnc, s);
  const mIfd = retailMac(keys.kMac, eIfd);
  return { s, eIfd, mIfd, cmdData: Buffer.concat([eIfd, mIfd]) };
}

export interface ChipAnswer {
  readonly eIfd: Buffer;
  readonly mIfd: Buffer;
  readonly s: Buffer;
  readonly rndIfd: Buffer;
  readonly kIfd: Buffer;
  readonly r: Buffer;
  readonly eIc: Buffer;
  readonly mIc: Buffer;
  /** E_IC ‖ M_IC: the EXTERNAL AUTHENTICATE response data. */
  readonly respData: Buffer;
  readonly session: Session;
}

/** Chip: checks the terminal's cryptogram against its challenge and answers with its own. */
export function chipAuthenticate(keys: DocumentKeys, rndIc: Buffer, kIc: Buffer, cmdData: Buffer): AuthResult<ChipAnswer> {
  sizes('RND.IC', 8, rndIc);
  sizes('K.IC', 16, kIc);
  if (cmdData.length !== 40) return { ok: false, reason: `EXTERNAL AUTHENTICATE data has ${cmdData.length} bytes, expected 40` };
  const eIfd = cmdData.subarray(0, 32);
  const mIfd = cmdData.subarray(32, 40);
  if (!same(retailMac(keys.kMac, eIfd), mIfd)) return { ok: false, reason: 'M_IFD does not verify' };
  const s = tdesDecrypt(keys.kEnc, eIfd);
  if (!same(s.subarray(8, 16), rndIc)) return { ok: false, reason: 'the decrypted RND.IC is not the challenge' };
  const rndIfd = s.subarray(0, 8);
  const kIfd = s.subarray(16, 32);
  const r = Buffer.concat([rndIc, rndIfd, kIc]);
  const eIc = tdesEncrypt(keys.kEnc, r);
  const mIc = retailMac(keys.kMac, eIc);
  return {
    ok: true,
    value: {
      eIfd: Buffer.from(eIfd),
      mIfd: Buffer.from(mIfd),
      s,
      rndIfd: Buffer.from(rndIfd),
      kIfd: Buffer.from(kIfd),
      r,
      eIc,
      mIc,
      respData: Buffer.concat([eIc, mIc]),
      session: session(kIfd, kIc, rndIc, rndIfd),
    },
  };
}

export interface TerminalSessionSteps {
  readonly eIc: Buffer;
  readonly mIc: Buffer;
  readonly r: Buffer;
  readonly kIc: Buffer;
  readonly session: Session;
}

/** Terminal, step 2: checks the chip's answer and derives the session. */
export function terminalFinish(keys: DocumentKeys, rndIc: Buffer, rndIfd: Buffer, kIfd: Buffer, respData: Buffer): AuthResult<TerminalSessionSteps> {
  if (respData.length !== 40) return { ok: false, reason: `EXTERNAL AUTHENTICATE response has ${respData.length} bytes, expected 40` };
  const eIc = respData.subarray(0, 32);
  const mIc = respData.subarray(32, 40);
  if (!same(retailMac(keys.kMac, eIc), mIc)) return { ok: false, reason: 'M_IC does not verify' };
  const r = tdesDecrypt(keys.kEnc, eIc);
  if (!same(r.subarray(0, 8), rndIc)) return { ok: false, reason: 'the decrypted RND.IC is not the challenge' };
  if (!same(r.subarray(8, 16), rndIfd)) return { ok: false, reason: 'the decrypted RND.IFD is not ours' };
  const kIc = r.subarray(16, 32);
  return { ok: true, value: { eIc: Buffer.from(eIc), mIc: Buffer.from(mIc), r, kIc: Buffer.from(kIc), session: session(kIfd, kIc, rndIc, rndIfd) } };
}

/**
 * The inspection system's side of BAC over an APDU link: SELECT of the eMRTD application, BAC
 * (GET CHALLENGE, EXTERNAL AUTHENTICATE), then every command through secure messaging, and
 * reading whole files in READ BINARY chunks.
 *
 * The link is a synchronous function (command APDU in, response APDU out): the simulated chip
 * answers in-process. A driver for a real reader would run the same steps over an async link;
 * every cryptographic step lives in pure functions, so that is a thin loop, not a second BAC.
 */
import { randomBytes } from 'node:crypto';
import {
  decodeResponse,
  encodeCommand,
  externalAuthenticate,
  getChallenge,
  readBinary,
  readTlvHeader,
  selectApplication,
  selectFile,
  swHex,
  SW,
  type CommandApdu,
  type ResponseApdu,
} from './apdu.ts';
import type { RandomSource } from './chip.ts';
import type { DocumentKeys } from './keys.ts';
import { terminalAuthenticate, terminalFinish, type AuthResult, type Session } from './mutual-auth.ts';
import { SmSession, type SmResult } from './secure-messaging.ts';

export type Transceive = (command: Buffer) => Buffer;

export interface BacTerminalOptions {
  /** RND.IFD and K.IFD come from here (tests inject the Appendix D values). */
  readonly random?: RandomSource;
}

/**
 * READ BINARY chunk under 3DES secure messaging in short APDUs: 223 data bytes pad to 224,
 * and DO'87' (228) + DO'99' (4) + DO'8E' (10) still fit the 256 bytes of a short response.
 */
export const SM_CHUNK = 0xdf;
/** The first read of a file: enough for an LDS file's tag and length (1-byte tag, ≤ 3 length bytes). */
const HEADER_READ = 4;
/** READ BINARY with INS B0 addresses at most 32767 (15-bit offset). */
const MAX_OFFSET = 0x7fff;

export type FileRead =
  /** `complete`: the file ended where its TLV length said (or, without a TLV header, where the chip said). */
  | { readonly status: 'read'; readonly data: Buffer; readonly complete: boolean }
  | { readonly status: 'absent'; readonly sw: number }
  | { readonly status: 'error'; readonly reason: string };

export class BacTerminal {
  private sm: SmSession | undefined;
  private readonly random: RandomSource;

  constructor(
    private readonly transceive: Transceive,
    options: BacTerminalOptions = {},
  ) {
    this.random = options.random ?? randomBytes;
  }

  /** Whether commands go through secure messaging (BAC succeeded and nothing broke since). */
  get secured(): boolean {
    return this.sm !== undefined;
  }

  /** The current send sequence counter (undefined without a session). */
  get ssc(): Buffer | undefined {
    return this.sm?.ssc;
  }

  /** One command: protected while a session is open; the response verified and decrypted. */
  transmit(command: CommandApdu): SmResult<ResponseApdu> {
    if (!this.sm) {
      const r = decodeResponse(this.transceive(encodeCommand(command)));
      return r ? { ok: true, value: r } : { ok: false, reason: 'the chip answered less than a status word' };
    }
    const answer = this.sm.unprotectResponse(this.transceive(this.sm.protectCommand(command)));
    // A response that does not verify ends the session: the chip has ended it too, or is not to be trusted.
    if (!answer.ok) this.sm = undefined;
    return answer;
  }

  /** Plain SELECT of the eMRTD application; selecting it again resets the chip's security state. */
  selectApplication(): SmResult<number> {
    this.sm = undefined;
    const r = this.transmit(selectApplication());
    return r.ok ? { ok: true, value: r.value.sw } : r;
  }

  /** BAC with the document keys; on success the session is open. */
  authenticate(keys: DocumentKeys): AuthResult<Session> {
    this.sm = undefined;
    const challenge = this.transmit(getChallenge());
    if (!challenge.ok) return challenge;
    if (challenge.value.sw !== SW.OK || challenge.value.data.length !== 8) return { ok: false, reason: `GET CHALLENGE answered ${swHex(challenge.value.sw)}` };
    const rndIc = challenge.value.data;
    const rndIfd = this.random(8);
    const kIfd = this.random(16);
    const { cmdData } = terminalAuthenticate(keys, rndIc, rndIfd, kIfd);
    const answer = this.transmit(externalAuthenticate(cmdData));
    if (!answer.ok) return answer;
    if (answer.value.sw !== SW.OK) return { ok: false, reason: `EXTERNAL AUTHENTICATE answered ${swHex(answer.value.sw)}` };
    const finished = terminalFinish(keys, rndIc, rndIfd, kIfd, answer.value.data);
    if (!finished.ok) return finished;
    const s = finished.value.session;
    this.sm = new SmSession(s, s.ssc);
    return { ok: true, value: s };
  }

  selectFile(fid: string): SmResult<number> {
    const r = this.transmit(selectFile(fid));
    return r.ok ? { ok: true, value: r.value.sw } : r;
  }

  /**
   * A whole EF: SELECT, a first READ BINARY of 4 bytes for the TLV header, then the rest in
   * chunks of at most `chunk` bytes. A file that ends early (end of file, offset outside the
   * EF) comes back as far as it goes, `complete: false` — what a half-written chip looks like.
   */
  readFile(fid: string, chunk: number = SM_CHUNK): FileRead {
    const selected = this.selectFile(fid);
    if (!selected.ok) return { status: 'error', reason: selected.reason };
    if (selected.value !== SW.OK) return { status: 'absent', sw: selected.value };

    const parts: Buffer[] = [];
    let length = 0;
    let total: number | undefined;
    let ended = false;
    const sofar = (complete: boolean): FileRead => ({ status: 'read', data: Buffer.concat(parts), complete });
    while (!ended && (total === undefined || length < total)) {
      if (length > MAX_OFFSET) return sofar(false);
      const want = length === 0 ? HEADER_READ : Math.min(chunk, total === undefined ? chunk : total - length);
      const r = this.transmit(readBinary(length, want));
      if (!r.ok) return length === 0 ? { status: 'error', reason: r.reason } : sofar(false);
      const { sw } = r.value;
      if (sw === SW.WRONG_PARAMETERS) break; // offset at or past the end of the EF
      if (sw !== SW.OK && sw !== SW.END_OF_FILE) {
        return length === 0 ? { status: 'error', reason: `READ BINARY of ${fid} answered ${swHex(sw)}` } : sofar(false);
      }
      parts.push(r.value.data);
      length += r.value.data.length;
      ended = sw === SW.END_OF_FILE || r.value.data.length < want;
      if (total === undefined && length >= HEADER_READ && parts.length <= 2) {
        const h = readTlvHeader(Buffer.concat(parts), 0);
        if (h) total = h.valueStart + h.length;
      }
    }
    return sofar(total === undefined ? true : length >= total);
  }
}

/**
 * The chip's side of BAC: it hands out a challenge, answers EXTERNAL AUTHENTICATE, and then
 * unprotects every command and protects every response. What the chip does with the commands
 * (its files) is the caller's business; the simulated card chip (simulators/model/chip.ts)
 * serves the LDS with it, so the simulator runs the same code as the reader it answers.
 */
import { randomBytes } from 'node:crypto';
import type { CommandApdu, ResponseApdu } from './apdu.ts';
import type { DocumentKeys } from './keys.ts';
import { chipAuthenticate, type AuthResult, type ChipAnswer } from './mutual-auth.ts';
import { SmSession, type SmResult } from './secure-messaging.ts';

export type RandomSource = (size: number) => Buffer;

export interface BacChipOptions {
  /** RND.IC and K.IC come from here (tests inject the Appendix D values). */
  readonly random?: RandomSource;
}

export class BacChip {
  private challenge: Buffer | undefined;
  private sm: SmSession | undefined;
  private readonly random: RandomSource;

  constructor(
    private readonly keys: DocumentKeys,
    options: BacChipOptions = {},
  ) {
    this.random = options.random ?? randomBytes;
  }

  /** GET CHALLENGE: a fresh RND.IC, good for one EXTERNAL AUTHENTICATE. A new BAC ends the old session. */
  getChallenge(): Buffer {
    this.sm = undefined;
    this.challenge = this.random(8);
    return Buffer.from(this.challenge);
  }

  /** EXTERNAL AUTHENTICATE: E_IC ‖ M_IC and an open session, or the reason it failed (no session). */
  externalAuthenticate(cmdData: Buffer): AuthResult<ChipAnswer> {
    const rndIc = this.challenge;
    this.challenge = undefined;
    this.sm = undefined;
    if (!rndIc) return { ok: false, reason: 'no challenge was issued (GET CHALLENGE first)' };
    const answer = chipAuthenticate(this.keys, rndIc, this.random(16), cmdData);
    if (answer.ok) this.sm = new SmSession(answer.value.session, answer.value.session.ssc);
    return answer;
  }

  /** Whether a challenge awaits its EXTERNAL AUTHENTICATE. */
  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  get authenticated(): boolean {
    return this.sm !== undefined;
  }

  /** The current send sequence counter (undefined without a session). */
  get ssc(): Buffer | undefined {
    return this.sm?.ssc;
  }

  /** The plain command inside a protected one; a failure ends the session (Part 11, 9.8.4). */
  unprotectCommand(apdu: Buffer): SmResult<CommandApdu> {
    if (!this.sm) return { ok: false, reason: 'no secure messaging session' };
    const r = this.sm.unprotectCommand(apdu);
    if (!r.ok) this.sm = undefined;
    return r;
  }

  /** The protected response; only inside a session (misuse otherwise). */
  protectResponse(response: ResponseApdu): Buffer {
    if (!this.sm) throw new Error('protectResponse: no secure messaging session');
    return this.sm.protectResponse(response);
  }

  endSession(): void {
    this.sm = undefined;
    this.challenge = undefined;
  }
}

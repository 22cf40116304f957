/** What the chip verification pool (pool.ts) and its threads (worker.ts) send each other. */
import type { LdsFiles, LdsVerdict, VerifyLdsOptions } from '../../domain/lds/verify.ts';

/** What a chip's verdict is checked against besides the trusted CSCAs (the thread has those). */
export type ChipExpectation = Omit<VerifyLdsOptions, 'csca'>;

/** The thread's start data: the trusted CSCA certificates (DER). */
export interface VerifierData {
  readonly csca: readonly Uint8Array[];
}

export interface VerifyJob {
  readonly id: number;
  readonly files: LdsFiles;
  readonly expectation: ChipExpectation;
}

export type VerifyAnswer = { readonly id: number; readonly verdict: LdsVerdict } | { readonly id: number; readonly error: string };

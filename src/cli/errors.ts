/**
 * Exit codes are part of the CLI contract (README "Exit codes"): scripts and the QA station
 * act on them.
 */
export const EXIT = {
  ok: 0,
  /** A check found problems (mrz check: the MRZ is not valid). */
  invalid: 1,
  /** The input could not be used: bad JSON, a missing field, a missing file. */
  badInput: 2,
  /** An import accepted no record at all. */
  nothingAccepted: 3,
  /** Not authenticated, or the user's role or the two-person rule does not allow it. */
  notAllowed: 4,
} as const;

/** An error meant for the person at the terminal: printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Runs `action`; an error of class `kind` (a mistake the person at the terminal can put right, as the
 * domain names it) becomes a CliError with the same message (exit code 2).
 */
export async function asCliError<T>(kind: abstract new (...args: never[]) => Error, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw error instanceof kind ? new CliError(error.message) : error;
  }
}

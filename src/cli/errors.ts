/**
 * Exit codes are part of the CLI contract (README "Exit codes"): scripts and the QA station
 * act on them. Every command ends through one error path (`explainError`, used by main.ts): a
 * person's message on standard error, the stack trace only with --debug.
 */
export const EXIT = {
  ok: 0,
  /**
   * The command ran and the answer is no: mrz check found the MRZ not valid, a run could not finish
   * (aborted, a station unreachable, no PKI, the line busy), a batch does not reconcile; or an
   * unexpected error (a bug: --debug shows its stack).
   */
  invalid: 1,
  /** The input could not be used: bad options, a missing or unreadable file, bad JSON, a missing field, an action the batch's status does not allow. */
  badInput: 2,
  /** An import (or `run FILE`) accepted no record at all: every record quarantined. */
  nothingAccepted: 3,
  /** Not authenticated, or the user's role or the two-person rule does not allow it. */
  notAllowed: 4,
  /** The data directory was written with another data key (or a key rotation is unfinished). */
  wrongKey: 5,
  /** What is around cardline failed: the database (CARDLINE_DB_URL) cannot be used, a port is in use, a file cannot be written. */
  environment: 6,
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
 * Errors of other modules whose message already tells a person what is wrong and what to do, by
 * the error's name, with the exit code they end with.
 */
const PERSON_ERRORS: Readonly<Record<string, number>> = {
  ConfigError: EXIT.badInput,
  ImportFileError: EXIT.badInput,
  BatchActionError: EXIT.badInput,
  StockError: EXIT.badInput,
  TemplateError: EXIT.badInput,
  RenderInputError: EXIT.badInput,
  RunError: EXIT.invalid,
  PkiError: EXIT.invalid,
  LinkConfigError: EXIT.invalid,
  PreparationError: EXIT.invalid,
  LineBusyError: EXIT.invalid,
  DatabaseError: EXIT.environment,
  DecryptError: EXIT.invalid,
  StoreKeyError: EXIT.wrongKey,
};

interface Errno {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly address?: string;
  readonly port?: number;
}

/** The first system error (ENOENT, EADDRINUSE, …) in an error's cause chain, or undefined. */
function errnoOf(error: unknown): Errno | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return e as unknown as Errno;
    const match = /\b(EADDRINUSE|EACCES|EISDIR|ENOENT|ENOTDIR|ECONNREFUSED)\b/.exec(e.message);
    if (match) return { code: match[1]! };
  }
  return undefined;
}

/** A system error in a person's words, with the exit code it ends with. */
function explainErrno(errno: Errno, error: Error): { message: string; exitCode: number } | undefined {
  const where = errno.path ?? '';
  switch (errno.code) {
    case 'ENOENT':
      return { message: `${where || 'a file'}: file not found`, exitCode: EXIT.badInput };
    case 'EISDIR':
      return { message: `${where ? `${where} is` : 'the file given is'} a folder, not a file`, exitCode: EXIT.badInput };
    case 'ENOTDIR':
      return { message: `${where || 'a path'}: a part of the path is a file, not a folder`, exitCode: EXIT.badInput };
    case 'EACCES':
    case 'EPERM':
      return { message: `${where || 'a file'}: permission denied (check the owner and mode of the file and of CARDLINE_DATA_DIR)`, exitCode: EXIT.environment };
    case 'EADDRINUSE': {
      const port = errno.port ?? /:(\d+)\b/.exec(error.message)?.[1];
      return {
        message: `port ${port ?? '(see the line file)'} is already in use: another program (another cardline plc-sim or run?) listens on it; stop it, or give the line file free ports`,
        exitCode: EXIT.environment,
      };
    }
    case 'ECONNREFUSED':
      return { message: `${error.message} (is the server running?)`, exitCode: EXIT.environment };
    default:
      return undefined;
  }
}

/**
 * What an error means for the person at the terminal: the message to print and the exit code. An
 * error nobody foresaw is a bug: its message, and a hint that --debug shows the stack.
 */
export function explainError(error: unknown): { message: string; exitCode: number; unexpected: boolean } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode, unexpected: false };
  if (!(error instanceof Error)) return { message: String(error), exitCode: EXIT.invalid, unexpected: true };
  const known = PERSON_ERRORS[error.name];
  if (known !== undefined) return { message: error.message, exitCode: known, unexpected: false };
  const errno = errnoOf(error);
  const explained = errno ? explainErrno(errno, error) : undefined;
  if (explained) return { ...explained, unexpected: false };
  return { message: error.message || error.name, exitCode: EXIT.invalid, unexpected: true };
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

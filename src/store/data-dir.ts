// Where cardline keeps its state. Everything the controller persists (SQLite database, data key,
// reports) lives under one directory so that backup, permissions and purge have one place to look.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Absolute path of `CARDLINE_DATA_DIR`, or `./data` relative to the current directory. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CARDLINE_DATA_DIR?.trim();
  return path.resolve(configured === undefined || configured === '' ? 'data' : configured);
}

/**
 * Creates the data directory if needed. Mode 0700 because the directory holds personal data (even if
 * encrypted) and, by default, the data key itself. An existing directory keeps its mode: changing the
 * permissions of a directory an operator chose is not ours to do.
 */
export async function ensureDataDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(
      `cannot create the data directory ${dir}: ${(err as Error).message}. ` +
        'Set CARDLINE_DATA_DIR to a writable directory.',
      { cause: err },
    );
  }
  return dir;
}

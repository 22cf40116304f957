/**
 * scrypt in a short-lived child process: a hash at OWASP's cost takes 128 MiB that OpenSSL
 * allocates and glibc does not hand back, so run in the server it would stay in the server's
 * resident memory for good (it was a third of `cardline serve`'s). The child is plain Node with no
 * loader and no options of ours; the password goes through its stdin, never its arguments (which
 * `ps` shows), and the key comes back on its stdout.
 */
import { spawn } from 'node:child_process';

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly maxmem: number;
}

/** The longest a hash may take before its process is killed (one takes about 0.3 s). */
const HASH_TIMEOUT_MS = 60_000;

// Reads {password, salt, keyLength, N, r, p, maxmem} as JSON on stdin; writes the key in base64, or
// the error's message on stderr with exit code 1.
const CHILD = `
const { scryptSync } = require('node:crypto');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  try {
    const o = JSON.parse(input);
    const key = scryptSync(o.password, Buffer.from(o.salt, 'base64'), o.keyLength, { N: o.N, r: o.r, p: o.p, maxmem: o.maxmem });
    process.stdout.write(key.toString('base64'));
  } catch (error) {
    process.stderr.write(String(error && error.message));
    process.exitCode = 1;
  }
});
`;

export class ScryptProcessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`password hashing: ${message}`, options);
    this.name = 'ScryptProcessError';
  }
}

/** scrypt(password, salt) in its own process; rejects with the child's error (bad parameters) or when it fails to run. */
export function scryptInChildProcess(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // An empty environment: NODE_OPTIONS and the like of the parent do not apply to the child.
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
    let out = '';
    let err = '';
    let settled = false;
    const finish = (error: Error | undefined, key?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(key!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new ScryptProcessError(`the hashing process did not answer within ${HASH_TIMEOUT_MS / 1000} s`));
    }, HASH_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', (error) => finish(new ScryptProcessError(`could not start the hashing process (${error.message})`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) {
        const key = Buffer.from(out, 'base64');
        if (key.length === keyLength) finish(undefined, key);
        else finish(new ScryptProcessError(`the hashing process answered ${key.length} bytes, expected ${keyLength}`));
      } else finish(new ScryptProcessError(err.trim() || `the hashing process ended with ${signal ?? `exit code ${code}`}`));
    });
    // A child that died before reading its input closes stdin: its close event tells why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify({ password, salt: salt.toString('base64'), keyLength, ...params }));
  });
}

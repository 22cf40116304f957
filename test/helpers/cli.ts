// Runs the real `cardline` command (bin/cardline.js) as a child process, as a user or script would.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../simulators/modbus/modbus-server.ts';

export const CARDLINE_BIN = path.resolve(import.meta.dirname, '../../bin/cardline.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The one JSON line of a --json run. Other modules loaded by the CLI may log to standard output
 * (node-opcua warns about the Node version on load), so the line is picked out, not assumed alone.
 */
export function jsonLine(stdout: string): Record<string, unknown> {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no JSON line in:\n${stdout}`);
  return JSON.parse(line) as Record<string, unknown>;
}

export function cardline(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * Starts `cardline plc-sim --line FILE` as its own process and resolves once it says it is running.
 * `onSpawn` sees the child at once, so a caller can kill it even when the start fails.
 */
export function startPlcSim(lineFile: string, env: NodeJS.ProcessEnv, onSpawn?: (child: ChildProcess) => void): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'plc-sim', '--line', lineFile], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`plc-sim did not start:\n${out}`)), 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('plc-sim: running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('exit', (code) => reject(new Error(`plc-sim exited with ${code}:\n${out}`)));
  });
}

/**
 * Writes the line file of a small simulated line for CLI tests: feeder, encoder, laser, QA and
 * output, all over OPC UA on a free port, no security, cycles with a 10 ms deviation.
 */
export async function writeCliLine(
  file: string,
  o: {
    readonly id: string;
    readonly timeScale: number;
    readonly seed: number;
    readonly initialBlanks: number;
    readonly serialPrefix: string;
    /** Cycle mean of every station (simulated ms), unless `encoder` sets the encoder's own. */
    readonly cycleMs: number;
    readonly encoder?: { readonly heads: number; readonly cycleMs: number };
    /** Give the simulator a control port (stock loads into a running simulator). */
    readonly controlPort?: boolean;
  },
): Promise<void> {
  const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output'] as const;
  await writeFile(
    file,
    stringify({
      id: o.id,
      simulation: {
        timeScale: o.timeScale,
        seed: o.seed,
        initialBlanks: o.initialBlanks,
        serialPrefix: o.serialPrefix,
        heartbeatMs: 200,
        opcua: { host: '127.0.0.1', port: await freePort() },
        ...(o.controlPort ? { controlPort: await freePort() } : {}),
      },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations: kinds.map((kind) => ({
        id: kind,
        kind,
        transport: 'opcua',
        ...(kind === 'encoder' && o.encoder ? { heads: o.encoder.heads } : {}),
        cycle: { meanMs: kind === 'encoder' && o.encoder ? o.encoder.cycleMs : o.cycleMs, sdMs: 10 },
      })),
    }),
  );
}


export type CliRole = 'operator' | 'qa' | 'engineer' | 'manager' | 'admin';

/**
 * The scrypt parameters of test users' hashes: N = 2^10 (1 MiB, about 2 ms) instead of the
 * product's 2^17 (128 MiB, about 0.35 s). Every authenticated `cardline` call verifies its user's
 * hash with the parameters stored in it (src/auth/password.ts), and the CLI tests make hundreds of
 * such calls. The product's own hashing (`user add`, `user bootstrap`, the demo users) keeps its
 * parameters and is tested in src/auth/password.test.ts and test/users-cli.test.ts.
 */
const TEST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 } as const;

/** A password hash in the product's stored format (`scrypt$N$r$p$salt$key`), at TEST_SCRYPT's cost. */
export function testPasswordHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, TEST_SCRYPT);
  return `scrypt$${TEST_SCRYPT.N}$${TEST_SCRYPT.r}$${TEST_SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Adds users to the store of `env`'s data directory (created if needed) and returns, for each, the
 * environment that makes `cardline` act as them (CARDLINE_USER, CARDLINE_PASSWORD). Done in
 * process, through the same repository as `cardline user add`, with a cheaper hash of the same
 * format (testPasswordHash); `cardline user bootstrap` itself is tested in test/users-cli.test.ts.
 */
export async function cliUsers<const N extends string>(env: NodeJS.ProcessEnv, users: Readonly<Record<N, CliRole>>): Promise<Record<N, NodeJS.ProcessEnv>> {
  const { openContext } = await import('../../src/cli/context.ts');
  const { UserStore } = await import('../../src/store/user-store.ts');
  const ctx = await openContext({ ...process.env, ...env });
  const out = {} as Record<N, NodeJS.ProcessEnv>;
  try {
    const store = new UserStore(ctx.db);
    for (const [name, role] of Object.entries(users) as [N, CliRole][]) {
      const password = `pw-${name}-${Math.random().toString(36).slice(2)}`;
      await store.add({ name, role, passwordHash: testPasswordHash(password), by: 'test-setup' });
      out[name] = { ...env, CARDLINE_USER: name, CARDLINE_PASSWORD: password };
    }
  } finally {
    await ctx.close();
  }
  return out;
}

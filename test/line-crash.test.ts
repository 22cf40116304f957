/**
 * Crash recovery with the simulator as its own process (`cardline plc-sim`, like PLCs that outlive
 * the controller): `cardline run --sim external` is killed with SIGKILL at the named kill points
 * (CARDLINE_CRASH_AT) and at a random moment; `cardline run --resume` then completes the batch and
 * every invariant holds against the simulator's ledger — cards that were inside a station at the
 * crash are re-checked or re-made, never shipped unchecked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { CARDLINE_BIN, cliUsers, startPlcSim } from './helpers/cli.ts';
import { checkInvariants } from './helpers/invariants.ts';

const RECORDS = 24;
let dir: string;
let dataDir: string;
let lineFile: string;
let sim: ChildProcess | undefined;
/** The operator `cardline run` acts as. */
let operator: NodeJS.ProcessEnv = {};

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: operator.CARDLINE_USER, CARDLINE_PASSWORD: operator.CARDLINE_PASSWORD, ...extra };
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

/**
 * `cardline run`; with `killAtGood`, the test itself kills it with SIGKILL `killDelayMs` after its
 * progress shows that many good cards (a moment while cards are moving, wherever they are).
 */
function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, killAtGood?: number, killDelayMs = 0): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'run', ...args, '--line', lineFile, '--sim', 'external'], { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timer: NodeJS.Timeout | undefined;
    const onData = (d: string): void => {
      output += d;
      if (killAtGood === undefined || timer) return;
      const good = Math.max(0, ...[...output.matchAll(/good (\d+)/g)].map((m) => Number(m[1])));
      if (good >= killAtGood) timer = setTimeout(() => child.kill('SIGKILL'), killDelayMs);
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    // A run that hangs is stopped, so its output says why instead of a bare test timeout.
    const limit = setTimeout(() => {
      output += '\n[test: the run did not end within 120 s; killed]';
      // Shown at once (a later scenario may hang the same way before the failures are printed).
      console.error(`cardline ${args.join(' ')}:\n${output}`);
      child.kill('SIGKILL');
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(limit);
      resolve({ code, signal, output });
    });
  });
}

async function newBatch(seed: string): Promise<string> {
  const ctx = await openContext(env());
  try {
    const sample = await writeSample({ count: RECORDS, seed, outDir: path.join(dir, seed), portraitPool: 4 });
    const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });
    return imported.batchId;
  } finally {
    await ctx.close();
  }
}

async function invariants(batchId: string) {
  const ctx = await openContext(env());
  try {
    return await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir, batchId });
  } finally {
    await ctx.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-crash-'));
  dataDir = path.join(dir, 'data');
  lineFile = path.join(dir, 'line.yaml');
  operator = (await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' }, { 'op-crash': 'operator' }))['op-crash'];
  const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output'] as const;
  const cycle = { feeder: 100, encoder: 900, laser: 300, qa: 200, output: 100 };
  await writeFile(
    lineFile,
    stringify({
      id: 'crash',
      simulation: { timeScale: 5, seed: 11, initialBlanks: 1000, serialPrefix: 'K', transferMs: 50, heartbeatMs: 200, opcua: { host: '127.0.0.1', port: await freePort() } },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations: kinds.map((kind) => ({
        id: kind,
        kind,
        transport: 'opcua',
        ...(kind === 'encoder' ? { heads: 3 } : {}),
        cycle: { meanMs: cycle[kind], sdMs: cycle[kind] / 10 },
        // Some failures, so re-makes are in flight when the controller dies.
        failures: kind === 'encoder' ? { emptyChipWrite: 0.03 } : kind === 'laser' ? { misregistration: 0.03 } : {},
      })),
    }),
  );
  sim = await startPlcSim(lineFile, env());
}, 60_000);

afterAll(async () => {
  sim?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const random = (from: number, to: number): number => from + Math.floor(Math.random() * (to - from + 1));
const SCENARIOS: { name: string; crashAt?: string; killAtGood?: number; killDelayMs?: number }[] = [
  { name: 'after persisting a result, before acknowledging it', crashAt: 'after-persist-before-ack:40' },
  { name: "after a PLC's Done, before persisting it", crashAt: 'after-done-before-persist:30' },
  { name: 'during a snapshot of the line', crashAt: 'during-snapshot:2' },
  { name: 'during signing', crashAt: 'during-signing:14' },
  // Moments of the dice's choosing while cards move; the test name shows them, so a failure can be replayed.
  { name: 'at a random moment', killAtGood: random(1, 15), killDelayMs: random(0, 400) },
  { name: 'at another random moment', killAtGood: random(1, 15), killDelayMs: random(0, 400) },
];

describe('the controller killed with SIGKILL, then resumed', () => {
  it.each(SCENARIOS)('$name (CARDLINE_CRASH_AT=$crashAt, killed $killDelayMs ms after $killAtGood good cards)', async ({ name, crashAt, killAtGood, killDelayMs }) => {
    const batchId = await newBatch(`crash-${name.replaceAll(/\W+/g, '-')}`);
    const crashed = await run([batchId], crashAt ? { CARDLINE_CRASH_AT: crashAt } : {}, killAtGood, killDelayMs);
    expect(crashed.signal, crashed.output).toBe('SIGKILL');
    expect(crashed.output).not.toContain('[test: the run did not end');
    // It died in the middle: some of the batch was under way, not all of it done.
    const before = await invariants(batchId);
    expect(before.produced + before.failed, 'the crash came after the batch had ended').toBeLessThan(RECORDS);

    const resumed = await run([batchId, '--resume']);
    expect(resumed.code, resumed.output).toBe(0);
    const after = await invariants(batchId);
    expect(after.violations).toStrictEqual([]);
    expect(after.produced + after.failed).toBe(RECORDS);
  }, 300_000);
});

/**
 * Crash recovery of a line with a packer: the pack plan for a card is journaled before the packer's
 * job is sent but not awaited (the packer waits for its job only so long). `cardline run --sim
 * external` is killed with SIGKILL at `after-pack-plan-before-job` — the plan in the journal, not
 * committed, no job sent — with the simulator in its own process (PLCs outlive the controller);
 * `cardline run --resume` then completes the batch, and the packs are right: every good card in
 * exactly one closed pack of its record's office, packs full but for remainders and one last, and
 * the simulator's packs are exactly the store's (test/helpers/packs.ts), beside every line invariant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { controlTokenFile } from '../simulators/control-http.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { openContext } from '../src/cli/context.ts';
import { importBatch } from '../src/import/importer.ts';
import { writeSample } from '../src/sample/generate.ts';
import { LineStore } from '../src/store/line-store.ts';
import { CARDLINE_BIN, cliUsers, startPlcSim } from './helpers/cli.ts';
import { checkInvariants } from './helpers/invariants.ts';
import { checkPacks } from './helpers/packs.ts';

const RECORDS = 16;
const PACK_SIZE = 3;
const LINE_ID = 'pack-crash';
let dir: string;
let dataDir: string;
let lineFile: string;
let controlPort: number;
let sim: ChildProcess | undefined;
let operator: NodeJS.ProcessEnv = {};

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: operator.CARDLINE_USER, CARDLINE_PASSWORD: operator.CARDLINE_PASSWORD, ...extra };
}

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'run', ...args, '--line', lineFile, '--sim', 'external'], { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const limit = setTimeout(() => {
      output += '\n[test: the run did not end within 120 s; killed]';
      child.kill('SIGKILL');
    }, 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, output });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-pack-crash-'));
  dataDir = path.join(dir, 'data');
  lineFile = path.join(dir, 'line.yaml');
  controlPort = await freePort();
  operator = (await cliUsers({ CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' }, { 'op-pack': 'operator' }))['op-pack']!;
  const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output', 'packer'] as const;
  const cycle = { feeder: 100, encoder: 600, laser: 300, qa: 200, output: 100, packer: 100 };
  await writeFile(
    lineFile,
    stringify({
      id: LINE_ID,
      simulation: { timeScale: 5, seed: 17, initialBlanks: 400, serialPrefix: 'P', transferMs: 50, heartbeatMs: 200, opcua: { host: '127.0.0.1', port: await freePort() }, controlPort },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations: kinds.map((kind) => ({
        id: kind,
        kind,
        transport: 'opcua',
        ...(kind === 'encoder' ? { heads: 2 } : {}),
        // Two pockets for the sample's offices: packs close full, as remainders (a pocket needed) and last.
        ...(kind === 'packer' ? { packPockets: 2, packSize: PACK_SIZE } : {}),
        cycle: { meanMs: cycle[kind], sdMs: cycle[kind] / 10 },
        failures: kind === 'laser' ? { misregistration: 0.05 } : {},
      })),
    }),
  );
  sim = await startPlcSim(lineFile, env());
}, 60_000);

afterAll(async () => {
  sim?.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('a line with a packer killed with SIGKILL around the pack plan, then resumed', () => {
  it.each([{ crashAt: 'after-pack-plan-before-job:2' }, { crashAt: 'after-pack-plan-before-job:7' }])('CARDLINE_CRASH_AT=$crashAt: the packs are right after resume', async ({ crashAt }) => {
    const ctx = await openContext(env());
    try {
      const seed = `pack-crash-${crashAt.replace(/\W+/g, '-')}`;
      const sample = await writeSample({ count: RECORDS, seed, outDir: path.join(dir, seed), portraitPool: 3 });
      const { batchId } = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: 't', today: { year: 2026, month: 11, day: 27 } });

      const crashed = await run([batchId], { CARDLINE_CRASH_AT: crashAt });
      expect(crashed.signal, crashed.output).toBe('SIGKILL');
      const before = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir, batchId });
      expect(before.produced + before.failed, 'the crash came after the batch had ended').toBeLessThan(RECORDS);

      const resumed = await run([batchId, '--resume']);
      expect(resumed.code, resumed.output).toBe(0);
      // The operator takes the last packs out of the pockets (the simulator's control API).
      const token = (await readFile(controlTokenFile(dataDir), 'utf8')).trim();
      const unloaded = await fetch(`http://127.0.0.1:${controlPort}/packs/unload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(unloaded.status).toBe(200);

      const after = await checkInvariants({ db: ctx.db, batches: ctx.batches, dataDir, batchId });
      expect(after.violations).toStrictEqual([]);
      expect(after.produced + after.failed).toBe(RECORDS);
      const packs = await checkPacks({ store: new LineStore(ctx.db, LINE_ID), dataDir, batchId, packSize: PACK_SIZE });
      expect(packs.violations).toStrictEqual([]);
      expect(packs.cards).toBe(after.produced);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

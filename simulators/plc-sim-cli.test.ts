/**
 * `cardline plc-sim` from outside: the real command in a child process — help, the ledger summary
 * of a ledger a test wrote, errors a person reads, and a standalone run stopped by SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CARDLINE_BIN, cardline } from '../test/helpers/cli.ts';
import { dg1Digest, ledgerFile } from './ledger.ts';
import { freePort } from './modbus/modbus-server.ts';
import { SimLine } from './sim-line.ts';
import { syntheticMrz } from './testing/jobs.ts';
import { ScriptHost, standardJobs } from './testing/script-host.ts';
import { testLine } from './testing/test-line.ts';

let work: string;
let dataDir: string;
const env = (): NodeJS.ProcessEnv => ({ CARDLINE_DATA_DIR: dataDir });

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-plcsim-cli-'));
  dataDir = path.join(work, 'data');
  // A ledger written by a real simulated run: 3 cards, the second one rejected by its encoder.
  const sim = SimLine.open({ line: testLine({ initialBlanks: 4, heads: 1 }), dataDir });
  const host = new ScriptHost(sim, (r) => {
    if (r.n === 2 && r.kind === 'encoder') return { raw: Buffer.from('not a job') };
    if (r.n === 4) return undefined; // the host has nothing for the fourth blank: it stays in the magazine
    return standardJobs(r);
  });
  try {
    await host.start();
    await host.waitFor(() => sim.ledger.summary().stacker.length === 2 && sim.ledger.summary().rejectBin.length === 1, 'two stacked, one rejected');
  } finally {
    host.close();
    sim.stop();
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('cardline plc-sim', () => {
  it.each([[['plc-sim']], [['plc-sim', 'ledger']]])('%j --help', async (args) => {
    const r = await cardline([...args, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: cardline plc-sim/);
  });

  it('ledger --json prints the summary of <data dir>/sim/ledger.jsonl', async () => {
    const r = await cardline(['plc-sim', 'ledger', '--json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      stacker: [
        { cardSerial: 'T00000001', position: 1, dg1Digest: dg1Digest(syntheticMrz(1)) },
        { cardSerial: 'T00000003', position: 2, dg1Digest: dg1Digest(syntheticMrz(3)) },
      ],
      rejectBin: [{ cardSerial: 'T00000002', reason: 'JobDataInvalid' }],
      inMachine: [],
      blanksLoaded: 4,
      fed: 3,
      magazine: 1,
    });
    expect(Object.keys(summary).slice(0, 3)).toStrictEqual(['stacker', 'rejectBin', 'inMachine']);
    // No DG1 MRZ in clear, in the output or in the ledger file (issue 20 item 14).
    for (const text of [r.stdout, await readFile(ledgerFile(dataDir), 'utf8')]) {
      for (const n of [1, 2, 3]) for (const line of syntheticMrz(n)) expect(text).not.toContain(line);
      expect(text).not.toMatch(/IDVNM\d/);
    }
  });

  it('ledger prints a readable summary, and says so when there is no ledger', async () => {
    const r = await cardline(['plc-sim', 'ledger'], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        `ledger ${ledgerFile(dataDir)}`,
        'blanks: 4 loaded, 3 fed, 1 in the magazine',
        'stacker: 2 cards (positions 1–2); 0 unloaded earlier',
        'reject bin: 1 cards (JobDataInvalid 1)',
        'in the machine: 0 cards',
        '',
      ].join('\n'),
    );
    const none = await cardline(['plc-sim', 'ledger'], { env: { CARDLINE_DATA_DIR: path.join(work, 'empty') } });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^no simulator ledger at .*ledger\.jsonl: plc-sim has not run with this data directory/);
  });

  it('says what is missing or wrong', async () => {
    const noLine = await cardline(['plc-sim'], { env: env() });
    expect(noLine).toMatchObject({ code: 2, stderr: expect.stringMatching(/^cardline: plc-sim needs --line ID or FILE/) });
    const missing = await cardline(['plc-sim', '--line', path.join(work, 'nope.yaml')], { env: env() });
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read line configuration') });
    const badPort = await cardline(['plc-sim', '--line', 'config/lines/demo-opcua.yaml', '--control-port', 'x'], { env: env() });
    expect(badPort).toMatchObject({ code: 2, stderr: "cardline: --control-port must be a port number from 0 to 65535 (0: any free port), got 'x'\n" });
  });

  it('runs a line standalone, prints its units and control URL, and stops cleanly on SIGTERM', async () => {
    const [opcuaPort, laserPort] = [await freePort(), await freePort()];
    const file = path.join(work, 'line.yaml');
    const line = {
      id: 'cli-line',
      simulation: { timeScale: 100, seed: 1, initialBlanks: 2, serialPrefix: 'CLI', opcua: { host: '127.0.0.1', port: opcuaPort } },
      opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
      stations: [
        { id: 'feeder', kind: 'feeder', transport: 'opcua', cycle: { meanMs: 100 } },
        { id: 'encoder', kind: 'encoder', transport: 'opcua', heads: 2, cycle: { meanMs: 100 } },
        { id: 'laser', kind: 'laser', transport: 'modbus', modbus: { port: laserPort }, cycle: { meanMs: 100 } },
        { id: 'qa', kind: 'qa', transport: 'opcua', cycle: { meanMs: 100 } },
        { id: 'output', kind: 'output', transport: 'opcua', cycle: { meanMs: 100 } },
      ],
    };
    await writeFile(file, stringify(line));
    const runDir = path.join(work, 'run-data');
    const child = spawn(process.execPath, [CARDLINE_BIN, 'plc-sim', '--line', file, '--control-port', '0'], {
      env: { ...process.env, CARDLINE_DATA_DIR: runDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 25_000;
      while (!stdout.includes('running; Ctrl-C stops it')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`plc-sim did not come up:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // node-opcua prints its own warnings (NODE-OPCUA-W27) on stdout at moments of its choosing.
      const lines = stdout.split('\n').filter((l) => !/^\d\d:\d\d:\d\d\.\d+Z /.test(l));
      expect(lines[0]).toBe(`plc-sim: line cli-line (${path.relative(process.cwd(), file)}), time scale 100, 2 blanks in the magazine`);
      expect(lines).toContain(`encoder.2    opcua   opc.tcp://127.0.0.1:${opcuaPort}  cli-line/encoder/Head2`);
      expect(lines).toContain(`laser        modbus  127.0.0.1:${laserPort} unit 1  jobs ${path.join(runDir, 'jobs', 'cli-line', 'laser', 'u1')}`);
      const control = /^control\s+(http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout)?.[1];
      expect(control).toBeDefined();
      const token = /^control token (\S+) \(Authorization: Bearer …; also in (.+), mode 0600\)$/m.exec(stdout);
      expect(token?.[2]).toBe(path.join(runDir, 'sim', 'control-token'));
      expect((await fetch(`${control!}/status`)).status).toBe(401);
      const status = (await (await fetch(`${control!}/status`, { headers: { authorization: `Bearer ${token![1]!}` } })).json()) as { line: string; units: unknown[] };
      expect(status).toMatchObject({ line: 'cli-line' });
      expect(status.units).toHaveLength(6);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toContain('plc-sim: stopped (SIGTERM)\n');
  });
});

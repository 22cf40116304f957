/**
 * The simulator as its own process (`cardline plc-sim`), killed with SIGKILL in the middle of a
 * handshake and started again, as a PLC losing power: each adapter reconnects by itself and the job
 * in the station is resolved — done, or failed with a reason — never silently dropped; the ledger
 * knows where the card went.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ledgerFile, summarizeLedger } from '../simulators/ledger.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { loadLineConfig } from '../src/config/line-config.ts';
import { encodeJob } from '../src/plc/job-data.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import { PACKML_STATES } from '../src/plc/packml.ts';
import type { StationEvent, StationLink } from '../src/plc/station-link.ts';
import { startPlcSim } from './helpers/cli.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
let links: StationLink[] = [];

afterEach(async () => {
  await Promise.all(links.map((l) => l.close()));
  links = [];
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function waitFor(events: StationEvent[], match: (e: StationEvent) => boolean, timeoutMs = 30_000): Promise<StationEvent> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const hit = events.find(match);
      if (hit) return resolve(hit);
      if (Date.now() - started > timeoutMs) return reject(new Error(`no matching event; got ${events.map((e) => e.type).join(', ')}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

describe.each(['opcua', 'modbus'] as const)('a simulator killed mid-handshake (%s)', (transport) => {
  it('the adapter reconnects and the job is resolved, not dropped', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), `cardline-restart-${transport}-`));
    dirs.push(dir);
    const dataDir = path.join(dir, 'data');
    const opcuaPort = await freePort();
    const modbusPorts = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    const kinds = ['feeder', 'encoder', 'laser', 'qa', 'output'] as const;
    const lineFile = path.join(dir, 'line.yaml');
    await writeFile(
      lineFile,
      stringify({
        id: `restart-${transport}`,
        // Real time: the feeder's 4 s cycle leaves room to kill the simulator in the middle of it.
        simulation: { timeScale: 1, initialBlanks: 5, serialPrefix: 'R', heartbeatMs: 100, opcua: { host: '127.0.0.1', port: opcuaPort } },
        opcuaSecurity: { mode: 'None', policy: 'None', allowAnonymous: true },
        stations: kinds.map((kind, i) => ({
          id: kind,
          kind,
          transport,
          ...(transport === 'modbus' ? { modbus: { port: modbusPorts[i] } } : {}),
          cycle: { meanMs: kind === 'feeder' ? 4000 : 200, distribution: 'fixed' },
          timeouts: { doneMs: 60_000, heartbeatMs: 1000 },
        })),
      }),
    );
    let sim = await startPlcSim(lineFile, { CARDLINE_DATA_DIR: dataDir }, (child) => children.push(child));
    const line = await loadLineConfig(lineFile);
    const feeder = createLineLinks(line, { dataDir }).get('feeder')!;
    links.push(feeder);
    const events: StationEvent[] = [];
    feeder.subscribe((e) => events.push(e));
    await feeder.connect();
    await feeder.command('Reset');
    await waitFor(events, (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Idle);
    await feeder.command('Start');
    await waitFor(events, (e) => e.type === 'plc.card.present');
    const serial = feeder.cardPresent!;
    await feeder.sendJob({ jobId: 77, cardSerial: serial, data: encodeJob({ v: 1, kind: 'feed', recordRef: 'r77' }) });

    // Power loss in the middle of the feed cycle.
    await kill(sim);
    await waitFor(events, (e) => e.type === 'plc.link.down');
    sim = await startPlcSim(lineFile, { CARDLINE_DATA_DIR: dataDir }, (child) => children.push(child));
    const outcome = await waitFor(events, (e) => (e.type === 'plc.job.done' || e.type === 'plc.job.failed') && e.jobId === 77, 40_000);
    await waitFor(events, (e) => e.type === 'plc.link.up' && events.indexOf(e) > events.findIndex((x) => x.type === 'plc.link.down'));
    expect(outcome).toMatchObject({ type: 'plc.job.failed', jobId: 77, cardSerial: serial, code: 'lost', reason: expect.stringMatching(/no longer holds the job/) });

    // The physical truth: the card that was inside went to the reject bin at the restart.
    const ledger = await summarizeLedger(ledgerFile(dataDir));
    expect(ledger.rejectBin).toContainEqual({ cardSerial: serial, reason: 'simulator-restart' });
    expect(ledger.inMachine).toStrictEqual([]);
    await kill(sim);
  }, 120_000);
});

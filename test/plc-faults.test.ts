/**
 * Every fault the simulator can inject surfaces through the station links as a typed event, on a
 * mixed line (feeder, encoder, QA over OPC UA; laser and output over Modbus TCP) over loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineSimulator } from '../simulators/line-simulator.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { testLine } from '../simulators/testing/test-line.ts';
import { encodeJob } from '../src/plc/job-data.ts';
import { createLineLinks } from '../src/plc/link-factory.ts';
import { PACKML_STATES, STOP_REASONS } from '../src/plc/packml.ts';
import { RESULT_CODES } from '../src/plc/result-codes.ts';
import type { StationEvent, StationLink } from '../src/plc/station-link.ts';

let dataDir: string;
let sim: LineSimulator;
let links: Map<string, StationLink>;
const events: { unit: string; event: StationEvent }[] = [];

/** Waits for an event of `unit` matching `match` that came after `since` (an index into events). */
function waitFor(unit: string, match: (e: StationEvent) => boolean, since: number, timeoutMs = 10_000): Promise<StationEvent> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const hit = events.slice(since).find((e) => e.unit === unit && match(e.event));
      if (hit) return resolve(hit.event);
      if (Date.now() - started > timeoutMs) return reject(new Error(`no matching event from ${unit} within ${timeoutMs} ms`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

const mark = (): number => events.length;

async function startAll(): Promise<void> {
  for (const link of links.values()) if (link.status?.state === PACKML_STATES.Stopped) await link.command('Reset');
  await new Promise((r) => setTimeout(r, 100));
  for (const link of links.values()) if (link.status?.state === PACKML_STATES.Idle) await link.command('Start');
  await new Promise((r) => setTimeout(r, 100));
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cardline-faults-'));
  const modbus = { laser: await freePort(), output: await freePort() };
  const line = testLine({
    id: 'faults',
    heads: 1,
    initialBlanks: 3,
    timeScale: 50,
    heartbeatMs: 50,
    transports: { laser: 'modbus', output: 'modbus' },
    modbusPorts: modbus,
    cycleMs: { feeder: 100, encoder: 100, laser: 100, qa: 100, output: 100 },
  });
  sim = await LineSimulator.start({ line, dataDir, ports: { opcua: 0, modbus, control: false } });
  const port = Number(new URL(sim.opcuaEndpointUrl!).port);
  const fastLine = {
    ...line,
    simulation: { ...line.simulation!, opcua: { host: '127.0.0.1', port } },
    stations: line.stations.map((s) => ({ ...s, timeouts: { ...s.timeouts, heartbeatMs: 600, doneMs: 1500, jobAckMs: 1500 } })),
  };
  links = createLineLinks(fastLine, { dataDir });
  for (const [unit, link] of links) link.subscribe((event) => events.push({ unit, event }));
  // OPC UA requests time out after 1.5 s here, so a silent server is noticed quickly.
  await Promise.all([...links.values()].map((l) => l.connect()));
  await startAll();
}, 60_000);

afterAll(async () => {
  await Promise.all([...(links?.values() ?? [])].map((l) => l.close()));
  await sim?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('injected faults as typed events', () => {
  it('dropped connections: link down, then up again (OPC UA and Modbus)', async () => {
    const since = mark();
    sim.control.dropConnections();
    for (const unit of ['feeder', 'laser']) {
      await waitFor(unit, (e) => e.type === 'plc.link.down', since);
      await waitFor(unit, (e) => e.type === 'plc.link.up', since);
    }
  }, 30_000);

  it('a frozen PLC heartbeat: link down with the reason, up when it beats again', async () => {
    for (const unit of ['qa', 'output']) {
      const since = mark();
      sim.control.freezeHeartbeat(unit, true);
      const down = await waitFor(unit, (e) => e.type === 'plc.link.down', since);
      expect(down).toMatchObject({ reason: expect.stringMatching(/heartbeat has not changed/) });
      sim.control.freezeHeartbeat(unit, false);
      await waitFor(unit, (e) => e.type === 'plc.link.up', since);
    }
  }, 30_000);

  it('a station that stops answering: link down, then up when it answers again (Modbus)', async () => {
    const since = mark();
    sim.control.setAnswering(false, 'laser');
    await waitFor('laser', (e) => e.type === 'plc.link.down', since);
    sim.control.setAnswering(true, 'laser');
    await waitFor('laser', (e) => e.type === 'plc.link.up', since);
  }, 30_000);

  it('an emergency stop: Aborting then Aborted with StopReason EmergencyStop; Clear, Reset, Start bring it back', async () => {
    const since = mark();
    sim.control.eStop('qa');
    await waitFor('qa', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Aborted && e.status.stopReason === STOP_REASONS.EmergencyStop, since);
    await expect(links.get('qa')!.command('Start')).rejects.toThrow(/command Start refused/);
    await links.get('qa')!.command('Clear');
    await waitFor('qa', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Stopped, since);
    await startAll();
    await waitFor('qa', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Execute, since);
  }, 30_000);

  it('a jam: the job ends with CardJam and the station holds until Unhold', async () => {
    sim.control.setFailures({ jam: 1 }, 'feeder');
    const since = mark();
    const feeder = links.get('feeder')!;
    await waitFor('feeder', (e) => e.type === 'plc.card.present', 0);
    const serial = feeder.cardPresent!;
    await feeder.sendJob({ jobId: 9001, cardSerial: serial, data: encodeJob({ v: 1, kind: 'feed', recordRef: 'r-jam' }) });
    const done = await waitFor('feeder', (e) => e.type === 'plc.job.done', since);
    expect(done).toMatchObject({ jobId: 9001, result: RESULT_CODES.CardJam, cardSerial: serial });
    await feeder.acknowledgeDone(9001);
    await waitFor('feeder', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Held && e.status.stopReason === STOP_REASONS.CardJam, since);
    sim.control.setFailures({ jam: 0 }, 'feeder');
    await feeder.command('Unhold');
    await waitFor('feeder', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Execute, since);
  }, 30_000);

  it('slow cycles: a job whose result does not come in time fails as a timeout', async () => {
    sim.control.slow('feeder', 1000);
    const since = mark();
    const feeder = links.get('feeder')!;
    const serial = await waitFor('feeder', (e) => e.type === 'plc.card.present', 0).then(() => feeder.cardPresent!);
    await feeder.sendJob({ jobId: 9002, cardSerial: serial, data: encodeJob({ v: 1, kind: 'feed', recordRef: 'r-slow' }) });
    expect(await waitFor('feeder', (e) => e.type === 'plc.job.failed', since)).toMatchObject({ jobId: 9002, code: 'timeout' });
    sim.control.slow('feeder', 1);
  }, 30_000);

  it('an empty magazine: the feeder is Suspended (starved) and resumes when blanks are loaded', async () => {
    // Every unit answers automatically (feed, then skip to the reject bin) until the magazine is empty.
    const since = mark();
    let jobId = 9100;
    const answer = (unit: string, link: StationLink, serial: string): void => {
      const job = unit === 'feeder' ? { v: 1 as const, kind: 'feed' as const, recordRef: 'r' } : unit === 'output' ? { v: 1 as const, kind: 'output' as const, destination: 'reject' as const } : { v: 1 as const, kind: 'skip' as const };
      link.sendJob({ jobId: ++jobId, cardSerial: serial, data: encodeJob(job) }).catch(() => undefined);
    };
    const offs = [...links].map(([unit, link]) => {
      if (link.cardPresent) answer(unit, link, link.cardPresent);
      return link.subscribe((e) => {
        if (e.type === 'plc.card.present') answer(unit, link, e.cardSerial);
        if (e.type === 'plc.job.done') link.acknowledgeDone(e.jobId).catch(() => undefined);
      });
    });
    for (const [unit, link] of links) {
      // Results left unacknowledged by earlier tests (a card rejected for want of a job).
      const last = events.filter((x) => x.unit === unit && x.event.type === 'plc.job.done').at(-1)?.event;
      if (last?.type === 'plc.job.done') await link.acknowledgeDone(last.jobId).catch(() => undefined);
    }
    await waitFor('feeder', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Suspended && e.status.stopReason === STOP_REASONS.Starved, since, 20_000);
    sim.control.loadBlanks(2);
    await waitFor('feeder', (e) => e.type === 'plc.state' && e.status.state === PACKML_STATES.Execute, since);
    for (const off of offs) off();
  }, 40_000);
});

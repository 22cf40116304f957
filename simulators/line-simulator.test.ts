/**
 * The simulator with its real protocol servers: a mixed line (feeder, encoder heads and QA over OPC
 * UA; laser and output over Modbus TCP) on free ports, its endpoints, cards run by a host through
 * the controller's own transports, and the HTTP control surface.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKML_STATES } from '../src/plc/packml.ts';
import { dg1Digest } from './ledger.ts';
import { freePort } from './modbus/modbus-server.ts';
import { LineSimulator } from './line-simulator.ts';
import { syntheticMrz } from './testing/jobs.ts';
import { testLine } from './testing/test-line.ts';
import { TransportHost } from './testing/transport-host.ts';

let work: string;
let simulator: LineSimulator;
let host: TransportHost;
let laserPort: number;
let outputPort: number;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-linesim-'));
  laserPort = await freePort();
  outputPort = await freePort();
  const line = testLine({
    id: 'wire-test',
    heads: 2,
    initialBlanks: 3,
    timeScale: 100,
    transferMs: 50,
    transports: { laser: 'modbus', output: 'modbus' },
    modbusPorts: { laser: 1, output: 1 }, // replaced by free ports below
  });
  simulator = await LineSimulator.start({ line, dataDir: path.join(work, 'data'), ports: { opcua: 0, modbus: { laser: laserPort, output: outputPort }, control: 0 } });
  host = new TransportHost(simulator.endpoints(), path.join(work, 'data', 'pki', 'opcua-client'));
  await host.connect();
});

afterAll(async () => {
  await host?.close();
  await simulator?.stop();
  await rm(work, { recursive: true, force: true });
});

async function http<T = Record<string, unknown>>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${simulator.controlUrl!}${route}`, {
    method,
    headers: { authorization: `Bearer ${simulator.controlToken!}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('LineSimulator', () => {
  it('lists every unit with the address it is served at', () => {
    const endpoints = simulator.endpoints();
    const opcuaUrl = simulator.opcuaEndpointUrl!;
    expect(opcuaUrl).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
    const dataDir = path.join(work, 'data');
    expect(endpoints.map((e) => ({ unit: e.unit, kind: e.kind, address: e.address }))).toStrictEqual([
      { unit: 'feeder', kind: 'feeder', address: { transport: 'opcua', endpointUrl: opcuaUrl, objectPath: ['wire-test', 'feeder'] } },
      { unit: 'encoder.1', kind: 'encoder', address: { transport: 'opcua', endpointUrl: opcuaUrl, objectPath: ['wire-test', 'encoder', 'Head1'] } },
      { unit: 'encoder.2', kind: 'encoder', address: { transport: 'opcua', endpointUrl: opcuaUrl, objectPath: ['wire-test', 'encoder', 'Head2'] } },
      {
        unit: 'laser',
        kind: 'laser',
        address: { transport: 'modbus', host: '127.0.0.1', port: laserPort, unitId: 1, jobDir: path.join(dataDir, 'jobs', 'wire-test', 'laser', 'u1'), pollMs: 20, idlePollMs: 200, requestTimeoutMs: 1000 },
      },
      { unit: 'qa', kind: 'qa', address: { transport: 'opcua', endpointUrl: opcuaUrl, objectPath: ['wire-test', 'qa'] } },
      {
        unit: 'output',
        kind: 'output',
        address: { transport: 'modbus', host: '127.0.0.1', port: outputPort, unitId: 1, jobDir: path.join(dataDir, 'jobs', 'wire-test', 'output', 'u1'), pollMs: 20, idlePollMs: 200, requestTimeoutMs: 1000 },
      },
    ]);
    expect([...simulator.units.keys()]).toStrictEqual(endpoints.map((e) => e.unit));
  });

  it('answers on every endpoint: the PLC image arrives over OPC UA and Modbus', async () => {
    await host.waitFor(() => simulator.endpoints().every((e) => host.image(e.unit).StateCurrent === PACKML_STATES.Stopped), 'every unit Stopped over the wire');
    const before = host.image('laser').Heartbeat ?? 0;
    await host.waitFor(() => (host.image('laser').Heartbeat ?? 0) > before && (host.image('qa').Heartbeat ?? 0) > 0, 'heartbeats');
  });

  it('runs cards through the whole line over the wire, as the ledger records', async () => {
    await host.start();
    await host.waitFor(() => simulator.control.ledger().stacker.length === 3, 'three cards stacked');
    // The ledger has a card stacked before its Done reaches the host.
    await host.waitFor(() => host.dones.filter((d) => d.unit === 'output').length === 3, 'three Dones from the output');
    expect(host.errors).toStrictEqual([]);
    const summary = simulator.control.ledger();
    // Two heads: cards may overtake each other, so the stacker's order is not the feeding order.
    expect(summary.stacker.map((c) => [c.cardSerial, c.dg1Digest]).sort()).toStrictEqual(
      [1, 2, 3].map((n) => [`T0000000${n}`, dg1Digest(syntheticMrz(n))]).sort(),
    );
    expect(new Set(summary.stacker.map((c) => c.position))).toStrictEqual(new Set([1, 2, 3]));
    for (const serial of ['T00000001', 'T00000002', 'T00000003']) {
      expect(host.dones.filter((d) => d.cardSerial === serial).map((d) => d.unit.replace(/\.\d$/, ''))).toStrictEqual(['feeder', 'encoder', 'laser', 'qa', 'output']);
      expect(host.lastResult(serial, 'output')).toMatchObject({ kind: 'output', bin: 'stacker' });
    }
    await host.waitFor(() => host.image('feeder').StateCurrent === PACKML_STATES.Suspended, 'the feeder starved');
  });

  it('serves the control API over HTTP', async () => {
    const status = await http<{ line: string; magazine: { blanks: number }; units: { unitId: string; state: string }[] }>('GET', '/status');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ line: 'wire-test', magazine: { blanks: 0 } });
    expect(status.body.units.find((u) => u.unitId === 'feeder')?.state).toBe('Suspended');

    expect(await http('POST', '/blanks', { count: 2, lot: 'L2' })).toStrictEqual({ status: 200, body: { magazine: 2 } });
    await host.waitFor(() => simulator.control.ledger().stacker.length === 5, 'two more cards stacked');

    expect((await http('GET', '/ledger')).body).toMatchObject({ blanksLoaded: 5, fed: 5, stacked: 5, inMachine: [] });
    expect(await http('POST', '/blanks', { count: 0 })).toStrictEqual({ status: 400, body: { error: expect.stringMatching(/^POST \/blanks: count: /) } });
    expect(await http('POST', '/estop', { target: 'nosuch' })).toStrictEqual({ status: 404, body: { error: expect.stringContaining("no unit or station 'nosuch'") } });
    expect(await http('POST', '/command', { target: 'qa', command: 'Frobnicate' })).toMatchObject({ status: 400 });
    expect(await http('POST', '/failures', { station: 'laser', misregistration: 0.5 })).toMatchObject({ status: 200, body: { stations: [{ station: 'laser', failures: { misregistration: 0.5 } }] } });
    expect(await http('POST', '/slow', { target: 'encoder', factor: 2 })).toStrictEqual({ status: 200, body: { units: ['encoder.1', 'encoder.2'] } });
    expect(await http('POST', '/heartbeat', { target: 'qa', frozen: true })).toStrictEqual({ status: 200, body: { units: ['qa'] } });
    // A beat published just before the freeze may still be on its way to the host.
    await new Promise((r) => setTimeout(r, 150));
    const hb = host.image('qa').Heartbeat;
    await new Promise((r) => setTimeout(r, 200));
    expect(host.image('qa').Heartbeat).toBe(hb);
    await http('POST', '/heartbeat', { target: 'qa', frozen: false });

    expect(await http('POST', '/estop', { target: 'qa' })).toStrictEqual({ status: 200, body: { units: ['qa'] } });
    await host.waitFor(() => host.image('qa').StateCurrent === PACKML_STATES.Aborted, 'QA Aborted over OPC UA');
    expect((await http('POST', '/command', { target: 'qa', command: 'Clear' })).body).toStrictEqual({ results: [{ unit: 'qa', outcome: { accepted: true } }] });
    expect((await http('POST', '/command', { target: 'qa', command: 'Clear' })).body).toMatchObject({ results: [{ unit: 'qa', outcome: { accepted: false } }] });
  });

  it('drops connections and stops answering on request; the transports come back', async () => {
    const downs = (unit: string): number => host.connections.filter((c) => c.unit === unit && !c.connected).length;
    const laserDowns = downs('laser');
    expect(await http('POST', '/connections/drop', { target: 'laser' })).toMatchObject({ status: 200, body: { units: ['laser'] } });
    await host.waitFor(() => downs('laser') > laserDowns, 'the laser link down');
    await host.waitFor(() => host.connections.filter((c) => c.unit === 'laser').at(-1)?.connected === true, 'the laser link up again');

    const qaDowns = downs('qa');
    const silenced = await http<{ units: string[] }>('POST', '/answering', { answering: false, target: 'qa' });
    // One OPC UA server serves every OPC UA unit: silencing one silences them all.
    expect(silenced.body.units).toStrictEqual(['feeder', 'encoder.1', 'encoder.2', 'qa']);
    await host.waitFor(() => downs('qa') > qaDowns, 'the QA link down (no answers)', 20_000);
    await http('POST', '/answering', { answering: true });
    await host.waitFor(() => host.connections.filter((c) => c.unit === 'qa').at(-1)?.connected === true, 'the QA link up again', 20_000);
    expect((await http<{ servers: { answering: boolean }[] }>('GET', '/status')).body.servers.every((s) => s.answering)).toBe(true);
  });
});

/**
 * The transport keeps its link through faults the simulator injects: every connection cut
 * (dropConnections), a server that stops answering with its sockets open (setAnswering), and a
 * server stopped and started again on the same port. Each time: onConnection(false), then
 * onConnection(true) and a new full snapshot, and the link works again.
 */
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcuaServer, type OpcuaServerOptions, type RunningOpcuaServer } from '../../../simulators/opcua/opcua-server.ts';
import { attachScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { LinkDownError } from '../station-link.ts';
import { TagStore } from '../tag-store.ts';
import type { TagTransport } from '../transport.ts';
import { createOpcuaTransport } from './opcua-transport.ts';
import { runJob, tempDir, TransportRecorder } from './testing.ts';

const OBJECT_PATH = ['line1', 'laser'] as const;
const REQUEST_TIMEOUT_MS = 1500;

let work: Awaited<ReturnType<typeof tempDir>>;
let store: TagStore;
let serverOptions: OpcuaServerOptions;
let server: RunningOpcuaServer | undefined;
let transport: TagTransport;
let recorder: TransportRecorder;
let detachPlc: () => void;
let jobId = 1;

const tcpHandles = (): string[] => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
let handlesBefore: string[];

beforeAll(async () => {
  handlesBefore = tcpHandles();
  work = await tempDir('opcua-reconnect');
  store = new TagStore('laser');
  detachPlc = attachScriptedPlc(store);
  serverOptions = {
    host: '127.0.0.1',
    port: 0,
    units: [{ unitId: 'laser', objectPath: OBJECT_PATH, store }],
    pkiDir: path.join(work.dir, 'server-pki'),
    security: { mode: 'None', policy: 'None', allowAnonymous: true, users: [] },
  };
  server = await startOpcuaServer(serverOptions);
  // The restart must come back on the same port.
  serverOptions = { ...serverOptions, port: server.port };
  transport = createOpcuaTransport({
    endpointUrl: server.endpointUrl,
    objectPath: OBJECT_PATH,
    pkiDir: path.join(work.dir, 'client-pki'),
    security: { mode: 'None', policy: 'None' },
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  recorder = new TransportRecorder(transport);
  await transport.connect();
}, 30_000);

afterAll(async () => {
  detachPlc?.();
  recorder?.detach();
  await transport?.close();
  await server?.close();
  await work?.remove();
});

/** Waits for the link to go down and come back, then checks the new snapshot and that jobs run again. */
async function expectRecovery(fromConnection: number, fromDelivery: number, downPattern: RegExp, timeoutMs = 15_000): Promise<void> {
  await recorder.until(() => recorder.connections.length >= fromConnection + 2, timeoutMs, 'the link to go down and come back');
  const events = recorder.connections.slice(fromConnection);
  expect(events[0]).toStrictEqual({ connected: false, reason: expect.stringMatching(downPattern) });
  expect(events[1]).toStrictEqual({ connected: true, reason: expect.stringContaining('connected to') });
  const snapshot = await recorder.delivery((d) => d.full, { from: fromDelivery, what: 'a new full snapshot' });
  expect(snapshot.changes.Heartbeat).toBe(store.get('Heartbeat'));
  const id = jobId++;
  expect((await runJob(transport, recorder, id, Buffer.from(`job ${id}`))).toString()).toBe(`job ${id}`.split('').reverse().join(''));
}

describe('OPC UA link recovery', () => {
  it('works before any fault', async () => {
    const id = jobId++;
    expect((await runJob(transport, recorder, id, Buffer.from('abc'))).toString()).toBe('cba');
  });

  it('sees every connection dropped by the server, reconnects and sends a new full snapshot', async () => {
    const c = recorder.connections.length;
    const d = recorder.deliveries.length;
    store.setPlc({ Heartbeat: 100 });
    server!.dropConnections();
    await expectRecovery(c, d, /connection/);
  }, 30_000);

  it('sees a server that stops answering (keep-alive lost), fails requests meanwhile, and recovers when it answers again', async () => {
    const c = recorder.connections.length;
    const d = recorder.deliveries.length;
    server!.setAnswering(false);
    const silentAt = performance.now();
    const down = await recorder.until(() => recorder.connections[c], 4 * REQUEST_TIMEOUT_MS, 'the link to be reported down');
    expect(down).toStrictEqual({ connected: false, reason: expect.stringMatching(/^no answer from the server for \d+ ms \(keep-alive lost\)$/) });
    // Silence is noticed after requestTimeoutMs, give or take the watchdog's tick (a quarter of it).
    expect(performance.now() - silentAt).toBeLessThan(REQUEST_TIMEOUT_MS * 2 + 500);
    await expect(transport.write({ HostHeartbeat: 1 })).rejects.toThrow(LinkDownError);
    store.setPlc({ Heartbeat: 200 });
    server!.setAnswering(true);
    await expectRecovery(c, d, /keep-alive lost/);
  }, 30_000);

  it('rides through a server stopped and started again on the same port', async () => {
    const c = recorder.connections.length;
    const d = recorder.deliveries.length;
    await server!.close();
    server = undefined;
    await recorder.until(() => recorder.connections[c], 5000, 'the link to be reported down');
    store.setPlc({ Heartbeat: 300 });
    server = await startOpcuaServer(serverOptions);
    await expectRecovery(c, d, /connection/, 20_000);
    expect(recorder.plc.Heartbeat).toBe(300);
  }, 40_000);

  it('waits for a station that is not up yet: connect() resolves once its server starts', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const later = createOpcuaTransport({
      endpointUrl: `opc.tcp://127.0.0.1:${port}`,
      objectPath: OBJECT_PATH,
      pkiDir: path.join(work.dir, 'client-pki'),
      security: { mode: 'None', policy: 'None' },
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    const laterRecorder = new TransportRecorder(later);
    let connected = false;
    const connecting = later.connect().then(() => (connected = true));
    let late: RunningOpcuaServer | undefined;
    try {
      await laterRecorder.until(() => laterRecorder.connections[0], 5000, 'the first failure to be reported');
      expect(laterRecorder.connections[0]).toStrictEqual({ connected: false, reason: expect.stringMatching(/ECONNREFUSED|connect/) });
      expect(connected).toBe(false);
      late = await startOpcuaServer({ ...serverOptions, port, pkiDir: path.join(work.dir, 'late-server-pki') });
      await connecting;
      expect(laterRecorder.deliveries[0]?.full).toBe(true);
      expect(laterRecorder.connections.map((c) => c.connected)).toStrictEqual([false, true]);
    } finally {
      laterRecorder.detach();
      await later.close();
      await late?.close();
    }
  }, 30_000);

  it('leaves no socket open once closed', async () => {
    await transport.close();
    await server!.close();
    server = undefined;
    // Give node's handles a turn to be released.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(tcpHandles()).toStrictEqual(handlesBefore);
  });
});

// The units of one endpoint share one session: a dropped connection takes them all down, and all of
// them come back, each with a full snapshot of its own tags, and jobs run on each again.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcuaServer, type RunningOpcuaServer } from '../../../simulators/opcua/opcua-server.ts';
import { attachScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { TagStore } from '../tag-store.ts';
import type { TagTransport } from '../transport.ts';
import { createOpcuaTransport } from './opcua-transport.ts';
import { runJob, tempDir, TransportRecorder } from './testing.ts';

const HEADS = 4;
let work: Awaited<ReturnType<typeof tempDir>>;
let server: RunningOpcuaServer;
const stores: TagStore[] = [];
const detach: (() => void)[] = [];
const transports: TagTransport[] = [];
const recorders: TransportRecorder[] = [];

beforeAll(async () => {
  work = await tempDir('opcua-shared');
  for (let h = 1; h <= HEADS; h++) {
    const store = new TagStore(`encoder.${h}`);
    detach.push(attachScriptedPlc(store));
    stores.push(store);
  }
  server = await startOpcuaServer({
    host: '127.0.0.1',
    port: 0,
    units: stores.map((store, i) => ({ unitId: store.unitId, objectPath: ['shared', 'encoder', `Head${i + 1}`], store })),
    pkiDir: path.join(work.dir, 'server-pki'),
    security: { mode: 'None', policy: 'None', allowAnonymous: true, users: [] },
  });
  for (let h = 1; h <= HEADS; h++) {
    const t = createOpcuaTransport({ endpointUrl: server.endpointUrl, objectPath: ['shared', 'encoder', `Head${h}`], pkiDir: path.join(work.dir, 'client-pki'), security: { mode: 'None', policy: 'None' }, requestTimeoutMs: 1000 });
    transports.push(t);
    recorders.push(new TransportRecorder(t));
  }
  await Promise.all(transports.map((t) => t.connect()));
}, 30_000);

afterAll(async () => {
  for (const d of detach) d();
  for (const r of recorders) r.detach();
  await Promise.all(transports.map((t) => t.close()));
  await server?.close();
  await work?.remove();
});

describe('OPC UA units sharing one session', () => {
  it('a six-head encoder is one session and one subscription', () => {
    expect(server.sessionCount).toBe(1);
    expect(server.subscriptionCount).toBe(1);
  });

  it('all go down when the connection drops, and all come back with their own snapshot; jobs run on each again', async () => {
    const before = recorders.map((r) => ({ c: r.connections.length, d: r.deliveries.length }));
    stores.forEach((s, i) => s.setPlc({ Heartbeat: 500 + i }));
    server.dropConnections();
    for (const [i, r] of recorders.entries()) {
      await r.until(() => r.connections.length >= before[i]!.c + 2, 15_000, `unit ${i + 1} to go down and come back`);
      const snapshot = await r.delivery((d) => d.full, { from: before[i]!.d, what: 'a new full snapshot' });
      expect(snapshot.changes.Heartbeat).toBe(stores[i]!.get('Heartbeat'));
    }
    for (const [i, t] of transports.entries()) {
      expect((await runJob(t, recorders[i]!, 700 + i, Buffer.from(`head ${i}`))).toString()).toBe(`head ${i}`.split('').reverse().join(''));
    }
    // (The server drops the old session, which could not be closed on a dead channel, when its timeout runs out.)
  }, 40_000);
});

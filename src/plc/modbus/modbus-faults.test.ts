/**
 * Link faults, injected through the simulator's control surface: the transport reports the link
 * down, refuses writes while it is down, and recovers by itself with onConnection(true) and a full
 * set of PLC tags, for every unit sharing the connection.
 */
import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startModbusServer, type ModbusUnitBinding, type RunningModbusServer } from '../../../simulators/modbus/modbus-server.ts';
import { scriptedPlc, type ScriptedPlc } from '../../../simulators/testing/scripted-plc.ts';
import { tempJobDir, watchTags, type TagWatcher } from '../../../simulators/modbus/test-support.ts';
import { LinkDownError } from '../station-link.ts';
import { TagStore } from '../tag-store.ts';
import type { TagTransport } from '../transport.ts';
import { openConnectionCount } from './modbus-connection.ts';
import { createModbusTransport } from './modbus-transport.ts';

const HOST = '127.0.0.1';
const REQUEST_TIMEOUT_MS = 200;
let port: number;
let server: RunningModbusServer;
let root: string;
let bindings: ModbusUnitBinding[];
const plcs: ScriptedPlc[] = [];
const links: { t: TagTransport; w: TagWatcher }[] = [];

beforeAll(async () => {
  root = tempJobDir('faults');
  for (let u = 1; u <= 2; u++) plcs.push(scriptedPlc(new TagStore(`encoder.${u}`)));
  bindings = plcs.map((p, i) => ({ unitId: i + 1, store: p.store, jobDir: path.join(root, `unit-${i + 1}`) }));
  port = await freePort();
  server = await startModbusServer({ host: HOST, port, units: bindings });
  for (const b of bindings) {
    const t = createModbusTransport({ host: HOST, port, unitId: b.unitId, jobDir: b.jobDir, pollMs: 20, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    links.push({ t, w: watchTags(t) });
  }
  await Promise.all(links.map(({ t }) => t.connect()));
});

afterAll(async () => {
  for (const { w } of links) w.stop();
  await Promise.all(links.map(({ t }) => t.close()));
  await server.close();
  for (const p of plcs) p.detach();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Injects a fault, changes PLC values while the link is down, heals, and checks every unit: down
 * once with `reason`, writes refused meanwhile, up again with a full snapshot holding the new values.
 */
async function survives(fault: () => Promise<void> | void, heal: () => Promise<void> | void, reason: RegExp): Promise<void> {
  const downs = links.map(({ w }) => w.waitForConnection(false));
  const before = links.map(({ w }) => w.connections.length);
  await fault();
  for (const down of downs) expect(await down).toMatch(reason);
  const ups = links.map(({ w }) => w.waitForConnection(true));
  const delivered = links.map(({ w }) => w.deliveries.length);
  await expect(links[0]!.t.write({ HostHeartbeat: 1 })).rejects.toBeInstanceOf(LinkDownError);
  plcs.forEach((p, i) => p.store.setPlc({ Heartbeat: p.store.get('Heartbeat') + 1000, CardSerial: `AFTER-${i}-${p.store.get('Heartbeat')}` }));
  await heal();
  await Promise.all(ups);
  for (const [i, { w }] of links.entries()) {
    expect(w.connections.slice(before[i]).map((c) => c.connected)).toStrictEqual([false, true]);
    const first = w.deliveries[delivered[i]!]!;
    expect(first.full).toBe(true);
    expect(first.changes.Heartbeat).toBe(plcs[i]!.store.get('Heartbeat'));
    expect(first.changes.CardSerial).toBe(plcs[i]!.store.get('CardSerial'));
    expect(Object.keys(first.changes)).toHaveLength(16);
  }
  await links[0]!.t.write({ HostHeartbeat: 2 });
  expect(plcs[0]!.store.get('HostHeartbeat')).toBe(2);
  expect(server.clientCount).toBe(1);
}

describe('Modbus link faults', () => {
  it('recovers from dropped connections', async () => {
    await survives(
      () => server.dropConnections(),
      () => undefined,
      /^modbus 127\.0\.0\.1:\d+ unit \d: (the server closed the connection|connection lost: .*)$/,
    );
  });

  it('recovers from a server that stops answering (request timeout)', async () => {
    await survives(
      () => server.setAnswering(false),
      async () => {
        // Reconnections meanwhile connect but time out again: the link must not flap up and down.
        await new Promise((resolve) => setTimeout(resolve, 700));
        server.setAnswering(true);
      },
      new RegExp(`no answer within ${REQUEST_TIMEOUT_MS} ms to poll of unit \\d \\(registers 0–71\\)$`),
    );
  });

  it('recovers from a server restart on the same port', async () => {
    await survives(
      () => server.close(),
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 300)); // a few refused reconnections first
        server = await startModbusServer({ host: HOST, port, units: bindings });
      },
      /^modbus 127\.0\.0\.1:\d+ unit \d: (the server closed the connection|connection lost: .*)$/,
    );
  });

  it('runs a job after the faults', async () => {
    const { t, w } = links[1]!;
    await t.writeJob(77, Buffer.from('after the faults'));
    await t.write({ JobReady: true });
    const done = await w.waitFor((i) => i.Done === true && i.ResultJobId === 77, 'Done');
    expect((await t.readResultData(77, { size: done.ResultDataSize!, crc32: done.ResultDataCrc32! })).toString()).toBe('result of 77:stluaf eht retfa');
    await t.write({ JobReady: false, DoneAck: true });
    await w.waitFor((i) => i.Done === false, 'Done cleared');
    await t.write({ DoneAck: false });
  });

  it('keeps trying while nothing listens, and close() stops it with nothing left behind', async () => {
    const deadPort = await freePort();
    const t = createModbusTransport({ host: HOST, port: deadPort, jobDir: root, pollMs: 20, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const w = watchTags(t);
    const connecting = t.connect();
    await new Promise((resolve) => setTimeout(resolve, 400)); // 100 + 200 ms of backoff: three refused attempts
    expect(w.connections).toStrictEqual([]); // never up, so never "down" either
    expect(openConnectionCount()).toBe(2);
    await t.close();
    await expect(connecting).rejects.toMatchObject({ code: 'closed', message: expect.stringContaining(`the transport to modbus 127.0.0.1:${deadPort} unit 1 is closed`) });
    expect(openConnectionCount()).toBe(1);
    w.stop();
  });

  it('leaves no socket behind once the transports and the server are closed', async () => {
    for (const { w } of links) w.stop();
    await Promise.all(links.map(({ t }) => t.close()));
    expect(openConnectionCount()).toBe(0);
    await server.close();
    // Handles disappear from the list on the loop turn after their close callbacks.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'))).toStrictEqual([]);
  });
});

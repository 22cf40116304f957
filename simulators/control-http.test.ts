/**
 * The simulator's control API is no open door (issue 15 finding 5): a bearer token made at start
 * and kept 0600 in the data directory, Host checked against DNS rebinding, browser requests (an
 * Origin header) refused; and a simulator refuses to bind beyond loopback unless allowed.
 */
import { request } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimControl } from './control.ts';
import { controlTokenFile, startControlServer, writeControlToken, type RunningControlServer } from './control-http.ts';
import { isLoopbackHost, LineSimulator } from './line-simulator.ts';
import { SimLine } from './sim-line.ts';
import { testLine } from './testing/test-line.ts';

let work: string;
let sim: SimLine;
let server: RunningControlServer;
let token: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-control-'));
  const dataDir = path.join(work, 'data');
  sim = SimLine.open({ line: testLine({ initialBlanks: 3 }), dataDir });
  token = writeControlToken(dataDir);
  server = await startControlServer(new SimControl(sim, []), 0, token);
});
afterAll(async () => {
  await server?.close();
  sim?.stop();
  await rm(work, { recursive: true, force: true });
});

/** A raw HTTP request, so Host and Origin can be set as a browser or an attacker would. */
function call(route: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: route, method, headers, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the control API', () => {
  it('keeps its token in <data dir>/sim/control-token, mode 0600 in a 0700 folder', async () => {
    const file = controlTokenFile(path.join(work, 'data'));
    expect((await readFile(file, 'utf8')).trim()).toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  });

  it('answers the holder of the token', async () => {
    const r = await call('/status', { authorization: `Bearer ${token}` });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ magazine: { blanks: 3 } });
    const load = await call('/blanks', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST', '{"count":2}');
    expect(load).toStrictEqual({ status: 200, body: '{"magazine":5}' });
  });

  it('refuses requests without the token, or with another one (401), and changes nothing', async () => {
    const missing = await call('/blanks', { 'content-type': 'application/json' }, 'POST', '{"count":100}');
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toStrictEqual({ error: 'the control API needs Authorization: Bearer <token> (the token is in <data dir>/sim/control-token)' });
    expect((await call('/status', { authorization: `Bearer ${token.slice(0, -1)}x` })).status).toBe(401);
    expect((await call('/status', { authorization: token })).status).toBe(401);
    expect(sim.ledger.summary().blanksLoaded).toBe(5);
  });

  it('refuses a Host that names another site (DNS rebinding) even with the token', async () => {
    const r = await call('/status', { host: `evil.example:${server.port}`, authorization: `Bearer ${token}` });
    expect(r.status).toBe(421);
    expect(JSON.parse(r.body)).toStrictEqual({ error: `Host "evil.example:${server.port}" is not served here: use localhost or the IP address` });
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
      expect((await call('/status', { host, authorization: `Bearer ${token}` })).status, host).toBe(200);
    }
  });

  it('refuses requests from web pages (an Origin header), even same-origin ones', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port}`, 'null']) {
      const r = await call('/blanks', { origin, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST', '{"count":1}');
      expect(r.status, origin).toBe(403);
    }
    expect(sim.ledger.summary().blanksLoaded).toBe(5);
  });
});

describe('simulator binds', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', 'LOCALHOST'].map(isLoopbackHost)).toStrictEqual([true, true, true, true, true, true]);
    expect(['0.0.0.0', '::', '192.168.1.10', 'plc.example', '128.0.0.1'].map(isLoopbackHost)).toStrictEqual([false, false, false, false, false]);
  });

  it('refuses a non-loopback OPC UA or Modbus host unless allowRemote', async () => {
    const base = testLine({ id: 'remote', initialBlanks: 1, transports: { laser: 'modbus' }, modbusPorts: { laser: 1502 } });
    const opcuaWide = { ...base, simulation: { ...base.simulation!, opcua: { host: '0.0.0.0', port: 4840 } } };
    await expect(LineSimulator.start({ line: opcuaWide, dataDir: path.join(work, 'remote-1') })).rejects.toThrow(
      `simulation.opcua.host 0.0.0.0: not a loopback address; a simulator serves only this machine (127.0.0.1) unless started with --allow-remote (${base.source})`,
    );
    const modbusWide = { ...base, stations: base.stations.map((s) => (s.modbus ? { ...s, modbus: { ...s.modbus, host: '::' } } : s)) };
    await expect(LineSimulator.start({ line: modbusWide, dataDir: path.join(work, 'remote-2') })).rejects.toThrow(/^station laser modbus\.host ::: not a loopback address/);
  });
});

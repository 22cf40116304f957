/**
 * A unit's heartbeat age (GET /api/v1/lines/{id}, the engineer's links and /metrics) is the age of
 * the PLC heartbeat's last change as the station link watches it, not of the last link event:
 * `cardline serve` with a simulated line (OPC UA over loopback) left idle, so no event comes, keeps
 * every age below the link's heartbeat timeout well past that timeout; a heartbeat frozen in the
 * simulator (the engineer's fault) makes that unit's age grow past it, and it falls again once the
 * heartbeat beats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../src/plc/station-link.ts';
import { call } from './helpers/api.ts';
import { cliUsers } from './helpers/cli.ts';
import { serveSite, startServe, type ServeProcess, type ServeSite } from './helpers/serve.ts';
import { until } from './helpers/site.ts';

const LINE = 'hb-line';
/** The link's heartbeat timeout: the test line sets none, so the default. */
const TIMEOUT_MS = DEFAULT_TIMEOUTS.heartbeatMs;

let site: ServeSite;
let serve: ServeProcess;
let base: string;
let token: string;

beforeAll(async () => {
  site = await serveSite('Heartbeat test', 'hb', { timeScale: 10, seed: 3, serialPrefix: 'H' });
  const users = await cliUsers(site.env, { 'eng-lan': 'engineer' } as const);
  serve = startServe(site, [], { CARDLINE_METRICS_TOKEN: '' });
  await serve.waitFor(/serving at http/, 'cardline serve did not start');
  base = serve.base();
  const login = await call(base, 'POST', 'api/v1/auth/login', { body: { user: 'eng-lan', password: users['eng-lan'].CARDLINE_PASSWORD } });
  expect(login.status).toBe(200);
  token = login.json.token as string;
}, 90_000);

afterAll(async () => {
  if (serve) {
    serve.child.kill('SIGTERM');
    await serve.exited;
    serve.kill();
  }
  await site?.cleanup();
});

interface Unit {
  readonly id: string;
  readonly connected: boolean;
  readonly heartbeatAgeMs: number | null;
}

async function units(): Promise<Unit[]> {
  const answer = await call(base, 'GET', `api/v1/lines/${LINE}`, { token });
  expect(answer.status).toBe(200);
  return (answer.json.stations as { units: Unit[] }[]).flatMap((s) => s.units);
}

async function linkAges(): Promise<Record<string, number | null>> {
  const answer = await call(base, 'GET', `api/v1/lines/${LINE}/links`, { token });
  expect(answer.status).toBe(200);
  return Object.fromEntries((answer.json.units as { unitId: string; heartbeatAgeMs: number | null }[]).map((u) => [u.unitId, u.heartbeatAgeMs]));
}

async function metricAges(): Promise<Record<string, number>> {
  const answer = await fetch(`${base}metrics`);
  expect(answer.status).toBe(200);
  const text = await answer.text();
  const ages: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^cardline_station_heartbeat_age_seconds\\{line="${LINE}",unit="([^"]+)"\\} (\\S+)$`, 'gm'))) ages[m[1]!] = Number(m[2]) * 1000;
  return ages;
}

async function fault(action: 'inject' | 'clear'): Promise<void> {
  const answer = await call(base, 'POST', `api/v1/lines/${LINE}/simulator/faults`, { token, body: { unit: 'qa', fault: 'freeze-heartbeat', action } });
  expect(answer.status).toBe(200);
}

describe('the heartbeat age cardline serve reports', () => {
  it('stays below the link timeout on a healthy idle line, grows on a frozen heartbeat and falls when it beats again', async () => {
    await until('every unit connected', async () => (await units()).every((u) => u.connected), 60_000);
    const connectedAt = Date.now();
    // Idle: no link event after the connection. Read on until twice the timeout has passed.
    let reads = 0;
    while (Date.now() - connectedAt < 2 * TIMEOUT_MS || reads < 3) {
      const seen = await units();
      expect(seen.map((u) => u.id)).toStrictEqual(['feeder', 'encoder.1', 'laser', 'qa', 'output']);
      for (const u of seen) expect({ unit: u.id, connected: u.connected, below: u.heartbeatAgeMs !== null && u.heartbeatAgeMs < TIMEOUT_MS }).toStrictEqual({ unit: u.id, connected: true, below: true });
      for (const [unit, age] of Object.entries(await linkAges())) expect({ unit, below: age !== null && age < TIMEOUT_MS }).toStrictEqual({ unit, below: true });
      const metrics = await metricAges();
      expect(Object.keys(metrics).sort()).toStrictEqual(['encoder.1', 'feeder', 'laser', 'output', 'qa']);
      for (const [unit, age] of Object.entries(metrics)) expect({ unit, below: age < TIMEOUT_MS }).toStrictEqual({ unit, below: true });
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    await fault('inject');
    // Past the timeout the link counts the unit down (it checks a few times a timeout, so a little later).
    await until('the frozen unit past the timeout and down', async () => {
      const qa = (await units()).find((u) => u.id === 'qa');
      return qa !== undefined && (qa.heartbeatAgeMs ?? 0) > TIMEOUT_MS && !qa.connected;
    }, 30_000);
    const frozen = await units();
    // The others still beat.
    for (const u of frozen.filter((x) => x.id !== 'qa')) expect({ unit: u.id, below: u.heartbeatAgeMs! < TIMEOUT_MS }).toStrictEqual({ unit: u.id, below: true });
    expect((await linkAges()).qa).toBeGreaterThan(TIMEOUT_MS);
    expect((await metricAges()).qa).toBeGreaterThan(TIMEOUT_MS);

    await fault('clear');
    await until('the unit beating again', async () => {
      const qa = (await units()).find((u) => u.id === 'qa');
      return qa !== undefined && qa.connected && qa.heartbeatAgeMs !== null && qa.heartbeatAgeMs < TIMEOUT_MS;
    });
  }, 120_000);
});

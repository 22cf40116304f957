/**
 * `cardline serve` answers for its lines over real HTTP while a batch runs, and SIGTERM is a
 * planned stop: the line drains and pauses at a safe point, the lease is released, exit 0; the
 * batch is left paused (shown interrupted: no server holds it) with no card in the line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline, jsonLine } from './helpers/cli.ts';
import { demoLogin, demoUser, serveSite, startServe, type ServeSite } from './helpers/serve.ts';

let site: ServeSite;

beforeAll(async () => {
  site = await serveSite('Signal test', 'sig', { timeScale: 4, seed: 8, serialPrefix: 'G' });
});
afterAll(async () => {
  await site.cleanup();
});

describe('cardline serve and SIGTERM', () => {
  it('serves the line over HTTP while the demo batch runs; SIGTERM pauses it with no card inside and exits 0', async () => {
    const serve = startServe(site, ['--demo', '--demo-count', '40']);
    try {
      await serve.waitFor(/line sig-line: 20 % — /, 'the demo batch did not reach 20 %');
      const base = serve.base();
      const batchId = /imported as batch (\S+);/.exec(serve.output())![1]!;
      const health = await fetch(`${base}healthz`);
      expect(health.status).toBe(200);
      // The API answers only users: the demo operator logs in and uses the bearer token.
      const auth = await demoLogin(site, base, 'operator');
      expect((await fetch(`${base}api/v1/lines`)).status).toBe(401);
      const lines = (await (await fetch(`${base}api/v1/lines`, { headers: auth })).json()) as { siteId: string; lines: { id: string; phase: string; batch: { batchId: string; records: number } | null; stations: { units: { connected: boolean; state: string }[] }[] }[] };
      expect(lines.siteId).toBe('sig-site');
      expect(lines.lines[0]).toMatchObject({ id: 'sig-line', phase: 'running', batch: { batchId, records: 40 } });
      expect(lines.lines[0]!.stations.flatMap((s) => s.units).every((u) => u.connected)).toBe(true);
      const unknown = await fetch(`${base}api/v1/lines/no-such-line`, { headers: auth });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('lineId');

      serve.child.kill('SIGTERM');
      expect(await serve.exited, serve.output()).toBe(0);
      expect(serve.output()).toMatch(/SIGTERM: stopping/);
      const operator = await demoUser(site, 'operator');
      const shown = jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: { ...site.env, CARDLINE_USER: operator.name, CARDLINE_PASSWORD: operator.password } })).stdout);
      // Paused by the stop and held by no server: shown interrupted; nothing left in the line, nothing suspect.
      expect(shown).toMatchObject({ status: 'interrupted', cards: { inLine: 0 } });
      expect((shown as { records: { pending: number } }).records.pending).toBeGreaterThan(0);
    } finally {
      serve.kill();
    }
  }, 90_000);
});

/**
 * `cardline serve --demo` exposes GET /metrics at its root: with CARDLINE_METRICS_TOKEN set, only a
 * scraper with the bearer token gets them; after the demo batch its card counters equal the
 * batch's accounting through the API, and no batch id is in them. A token too short is refused
 * at start, naming the option.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline } from './helpers/cli.ts';
import { demoLogin, serveSite, startServe, type ServeSite } from './helpers/serve.ts';

const TOKEN = 'serve-metrics-token-0123456789';
let site: ServeSite;

beforeAll(async () => {
  site = await serveSite('Metrics test', 'met', { timeScale: 10, seed: 5, serialPrefix: 'M' });
});
afterAll(async () => {
  await site.cleanup();
});

function total(text: string, result: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^cardline_cards_total\\{line="met-line",station="[^"]+",result="${result}",reason="[^"]+"\\} (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

describe('cardline serve and GET /metrics', () => {
  it('serves the metrics to the token holder; after the demo batch the card counters equal its accounting', async () => {
    const serve = startServe(site, ['--demo', '--demo-count', '20'], { CARDLINE_METRICS_TOKEN: TOKEN });
    try {
      await serve.waitFor(/^report: /m, 'the demo batch did not end');
      const base = serve.base();
      const out = serve.output();
      expect(out).toContain(`metrics at ${base}metrics (bearer token)`);
      const batchId = /imported as batch (\S+);/.exec(out)![1]!;
      const refused = await fetch(`${base}metrics`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { status: number; detail: string }).detail).toMatch(/metrics token/);
      const answer = await fetch(`${base}metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(answer.status).toBe(200);
      const text = await answer.text();
      expect(text).not.toContain(batchId);
      expect(text).toMatch(/^cardline_station_connected\{line="met-line",unit="feeder"\} 1$/m);

      const auth = await demoLogin(site, base, 'operator');
      const summary = (await (await fetch(`${base}api/v1/batches/${batchId}`, { headers: auth })).json()) as { cards: { good: number; spoiled: number } };
      expect(summary.cards.good).toBeGreaterThanOrEqual(20);
      expect({ good: total(text, 'good'), spoiled: total(text, 'spoiled') }).toEqual({ good: summary.cards.good, spoiled: summary.cards.spoiled });

      serve.child.kill('SIGTERM');
      expect(await serve.exited, serve.output()).toBe(0);
    } finally {
      serve.kill();
    }
  }, 90_000);

  it('refuses a metrics token shorter than 16 characters, naming the option', async () => {
    const run = await cardline(['serve', '--site', site.siteFile, '--port', '0', '--metrics-token', 'short'], { env: site.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--metrics-token \(or CARDLINE_METRICS_TOKEN\) must have at least 16 characters/);
  });
});

/**
 * Blank stock through a served line's life: a lot loaded through the API (POST
 * /api/v1/lines/{id}/stock) goes into the simulated feeder's magazine as well as the store; after a
 * planned stop (SIGTERM) the blanks the store counts as used equal the blanks the feeder fed (the
 * simulator's ledger); a server started again finds the store and the magazine agreeing (no
 * `stock:` mismatch warning) and completes the resumed batch, which balances.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { LineStore } from '../src/store/line-store.ts';
import { ledgerFile, readLedger } from '../simulators/ledger.ts';
import { demoLogin, serveSite, startServe, type ServeProcess, type ServeSite } from './helpers/serve.ts';

let site: ServeSite;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  site = await serveSite('stock restart', 'sr', { timeScale: 4, seed: 21, serialPrefix: 'Q' });
});
afterAll(async () => {
  for (const s of servers) s.kill();
  await site.cleanup();
});

/** Blanks the store counts as used on the line and available, and what the simulator's ledger says was loaded and fed. */
async function stockNow(): Promise<{ counted: number; available: number; fed: number; loadedLots: { lot: string; count: number }[] }> {
  const dataDir = path.join(site.dir, 'data');
  const ledger = await readLedger(ledgerFile(dataDir));
  const ctx = await openContext({ ...process.env, ...site.env });
  try {
    const stock = await new LineStore(ctx.db, 'sr-line').stock();
    return {
      counted: stock.consumed,
      available: stock.available,
      fed: ledger.filter((e) => e.ev === 'fed').length,
      loadedLots: ledger.flatMap((e) => (e.ev === 'loaded' ? [{ lot: e.lot, count: e.count }] : [])),
    };
  } finally {
    await ctx.close();
  }
}

describe('blank stock of a served simulated line', () => {
  it('an API stock load reaches the simulated feeder; a planned restart leaves store and magazine agreeing', async () => {
    const first = startServe(site, ['--demo', '--demo-count', '30']);
    servers.push(first);
    await first.waitFor(/line sr-line: 20 % — /, 'the demo batch did not get going', 90_000);
    const batchId = /imported as batch (\S+);/.exec(first.output())![1]!;
    const auth = await demoLogin(site, first.base(), 'operator');
    const load = await fetch(`${first.base()}api/v1/lines/sr-line/stock`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ count: 25, lot: 'LOT-API-1' }) });
    expect(load.status, await load.clone().text()).toBe(201);
    expect(await load.json()).toMatchObject({ outcome: 'loaded', lots: expect.arrayContaining([expect.objectContaining({ lot: 'LOT-API-1', count: 25 })]) });
    // The same lot again changes nothing, in the store or the magazine.
    const again = await fetch(`${first.base()}api/v1/lines/sr-line/stock`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ count: 25, lot: 'LOT-API-1' }) });
    expect(await again.json()).toMatchObject({ outcome: 'already-loaded' });

    first.child.kill('SIGTERM');
    expect(await first.exited, first.output()).toBe(0);
    const stopped = await stockNow();
    expect(stopped.loadedLots.filter((l) => l.lot === 'LOT-API-1')).toStrictEqual([{ lot: 'LOT-API-1', count: 25 }]);
    expect(stopped.counted, 'blanks counted after the planned stop = blanks the feeder fed').toBe(stopped.fed);
    const magazine = stopped.loadedLots.reduce((n, l) => n + l.count, 0) - stopped.fed;
    expect(stopped.available, 'the store holds what the magazine holds').toBe(magazine);

    const second = startServe(site, []);
    servers.push(second);
    await second.waitFor(/line sr-line: idle/, 'the server did not start again');
    const auth2 = await demoLogin(site, second.base(), 'operator');
    const start = await fetch(`${second.base()}api/v1/lines/sr-line/start`, { method: 'POST', headers: { ...auth2, 'content-type': 'application/json' }, body: JSON.stringify({ batchId, resume: true }) });
    expect(start.status, await start.clone().text()).toBe(202);
    await second.waitFor(new RegExp(`batch ${batchId} on line sr-line: completed`), 'the resumed batch did not complete', 90_000);
    expect(second.output()).not.toMatch(/stock: the store holds/);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const done = await stockNow();
    expect(done.counted).toBe(done.fed);
  }, 240_000);
});

/**
 * Issue 16 item 6, whole-site answers: two `cardline serve` of one site on one PostgreSQL database
 * (the site file's `database: ${…}`), the line named for server A only. Server B drives nothing,
 * yet its event stream carries every card A stacks (relayed through LISTEN/NOTIFY) and its
 * /lines/{id} shows the line as A runs it: A's batch and progress, the stations' last states. After
 * A ends and releases the lease, B still does not take the line: it is not named for it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCliLine } from './helpers/cli.ts';
import { createTempPgDatabase, type TempPgDatabase } from './helpers/pg.ts';
import { demoLogin, readEventStream, startServe, type ServeProcess, type ServeSite } from './helpers/serve.ts';
import { openContext } from '../src/cli/context.ts';
import { LineStore } from '../src/store/line-store.ts';

let pg: TempPgDatabase;
let site: ServeSite;
const servers: ServeProcess[] = [];

beforeAll(async () => {
  pg = await createTempPgDatabase();
  const dir = await mkdtemp(path.join(tmpdir(), 'cardline-relay-serve-'));
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'rl-line', timeScale: 4, seed: 31, initialBlanks: 80, serialPrefix: 'R', cycleMs: 200 });
  const siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: rl-site\nname: Relay test\ndatabase: ${RELAY_TEST_DB}\nlines:\n  - { id: rl-line, file: line.yaml, active: server-a }\n');
  site = {
    dir,
    siteFile,
    // CARDLINE_DB_URL empty: the database is the site file's.
    env: { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', RELAY_TEST_DB: pg.url, CARDLINE_USER: '', CARDLINE_PASSWORD: '' },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}, 30_000);
afterAll(async () => {
  for (const s of servers) s.kill();
  await site?.cleanup();
  await pg?.drop();
});

describe('a server that drives no line answers for the whole site', () => {
  it("B streams the cards A stacks and shows A's line from the database; B never takes a line it is not named for", async () => {
    // B first: it relays everything A publishes from A's first event on.
    const b = startServe(site, ['--name', 'server-b']);
    servers.push(b);
    await b.waitFor(/line rl-line: remote/, 'server B did not start');
    expect(b.output()).toMatch(/line rl-line: the site file names server-a to drive it, not this server/);

    const a = startServe(site, ['--name', 'server-a', '--demo', '--demo-count', '30', '--exit-when-done']);
    servers.push(a);
    await a.waitFor(/imported as batch (\S+);/, 'server A did not start its demo batch', 90_000);
    const batchId = /imported as batch (\S+);/.exec(a.output())![1]!;
    const auth = await demoLogin(site, b.base(), 'operator');

    // While A runs the batch, B's view of the line comes from the lease and the journal.
    const lineUrl = `${b.base()}api/v1/lines/rl-line`;
    let view: { phase: string; drivenBy: string | null; batch: { batchId: string; records: number; good: number } | null; stations: { units: { state: string; connected: boolean }[] }[] };
    for (;;) {
      const r = await fetch(lineUrl, { headers: auth });
      expect(r.status).toBe(200);
      view = (await r.json()) as typeof view;
      if (view.batch && view.batch.good > 0) break;
      if (a.child.exitCode !== null) throw new Error(`server A ended before B saw a good card:\n${a.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(view.phase).toBe('remote');
    expect(view.drivenBy).toMatch(new RegExp(`process ${a.child.pid}\\b`));
    expect(view.batch).toMatchObject({ batchId, records: 30 });
    const units = view.stations.flatMap((s) => s.units);
    expect(units.some((u) => u.state !== 'unknown' && u.connected)).toBe(true);
    const listed = (await (await fetch(`${b.base()}api/v1/lines`, { headers: auth })).json()) as { lines: { id: string; phase: string }[] };
    expect(listed.lines).toStrictEqual([expect.objectContaining({ id: 'rl-line', phase: 'remote' })]);

    // B's stream, from its first event: A's cards, relayed, up to the batch's completion.
    const events = await readEventStream(`${b.base()}api/v1/events`, auth, (seen) => seen.some((e) => e.type === 'batch' && e.batchId === batchId && e.status === 'completed'));
    expect(await a.exited).toBe(0);
    const stacked = events.filter((e) => e.type === 'card' && e.step === 'stacked');
    expect(stacked.every((e) => e.relayedFrom === `server-a:${a.child.pid}`)).toBe(true);

    const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(site.dir, 'data'), CARDLINE_DB_URL: pg.url });
    try {
      const good = (await new LineStore(ctx.db, 'rl-line').batchCards(batchId)).filter((c) => c.status === 'good').map((c) => c.cardSerial);
      expect(good.length).toBeGreaterThanOrEqual(30);
      expect(stacked.map((e) => e.cardSerial).sort()).toStrictEqual([...good].sort());
    } finally {
      await ctx.close();
    }

    // A released the lease on exit; a server named for the line would take it within 2 s. B is not.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const after = (await (await fetch(lineUrl, { headers: auth })).json()) as typeof view;
    expect(after).toMatchObject({ phase: 'remote', drivenBy: null, batch: null });
    expect(b.output()).not.toMatch(/line rl-line: taken over|this server drives line/);
    const start = await fetch(`${lineUrl}/start`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(start.status).toBe(409);
    expect(((await start.json()) as { detail: string }).detail).toMatch(/line rl-line is driven only by server-a .* not by this server \(server-b\)/);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 240_000);
});

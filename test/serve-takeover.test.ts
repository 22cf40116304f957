/**
 * Issue 16 item 6: two `cardline serve` for one line on one PostgreSQL database, the site file naming
 * srv-a the line's active server and srv-b its standby. The standby stands by while the active drives the line; the first is killed (-9) mid-batch; the standby takes the
 * lease within 20 s, resumes the batch (the cards left inside are suspect, as after a crash) and
 * completes it; the batch balances.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, cardline, jsonLine, writeCliLine } from './helpers/cli.ts';
import { createTempPgDatabase, type TempPgDatabase } from './helpers/pg.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let siteFile: string;
let pg: TempPgDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  pg = await createTempPgDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-takeover-'));
  env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: pg.url, CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'tk-line', timeScale: 4, seed: 12, initialBlanks: 120, serialPrefix: 'K', cycleMs: 200 });
  siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: tk-site\nname: Takeover test\nlines:\n  - { id: tk-line, file: line.yaml, active: srv-a, standby: [srv-b] }\n');
}, 30_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
  await pg.drop();
});

function serve(args: string[]): { child: ChildProcess; output: () => string; waitFor: (re: RegExp, ms: number) => Promise<void> } {
  const child = spawn(process.execPath, [CARDLINE_BIN, 'serve', '--site', siteFile, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    child,
    output: () => out,
    waitFor: async (re, ms) => {
      const deadline = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`timed out waiting for ${String(re)}:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

describe('a standby server takes over a line', () => {
  it('kill -9 the active server mid-batch: the standby takes the lease within 20 s and completes the batch', async () => {
    const active = serve(['--name', 'srv-a', '--demo', '--demo-count', '40']);
    await active.waitFor(/line tk-line: 10 % — /, 90_000);
    const batchId = /imported as batch (\S+);/.exec(active.output())![1]!;
    const standby = serve(['--name', 'srv-b']);
    await standby.waitFor(/line tk-line: remote/, 60_000);
    expect(standby.output()).toMatch(/line tk-line is being run by process \d+ .*this server stands by/);

    active.child.kill('SIGKILL');
    const killedAt = Date.now();
    await standby.waitFor(/line tk-line: taken over; resuming batch/, 20_000);
    const takeoverMs = Date.now() - killedAt;
    console.log(`BENCH serve_takeover_ms ${takeoverMs}`);
    expect(takeoverMs).toBeLessThan(20_000);
    await standby.waitFor(new RegExp(`batch ${batchId} on line tk-line: completed`), 90_000);
    const exited = new Promise<number | null>((resolve) => standby.child.on('close', (code) => resolve(code)));
    standby.child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const users = JSON.parse((await import('node:fs')).readFileSync(path.join(dir, 'data', 'demo-users.json'), 'utf8')) as { users: { role: string; name: string; password: string }[] };
    const op = users.users.find((u) => u.role === 'operator')!;
    const shown = jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: { ...env, CARDLINE_USER: op.name, CARDLINE_PASSWORD: op.password } })).stdout);
    expect(shown).toMatchObject({ records: { total: 40, pending: 0 }, cards: { inLine: 0 } });
    const cards = shown.cards as { blanksConsumed: number; good: number; spoiled: number };
    expect(cards.blanksConsumed).toBe(cards.good + cards.spoiled);
  }, 240_000);
});

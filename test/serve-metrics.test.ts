/**
 * `cardline serve --demo` exposes GET /metrics at its root: with CARDLINE_METRICS_TOKEN set, only a
 * scraper with the bearer token gets them; after the demo batch its card counters equal the
 * batch's accounting through the API, and no batch id is in them. A token too short is refused
 * at start, naming the option.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, cardline, writeCliLine } from './helpers/cli.ts';

const TOKEN = 'serve-metrics-token-0123456789';
let dir: string;
let env: NodeJS.ProcessEnv;
let siteFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-serve-metrics-'));
  env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'met-line', timeScale: 10, seed: 5, initialBlanks: 80, serialPrefix: 'M', cycleMs: 200 });
  siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: met-site\nname: Metrics test\nlines:\n  - { id: met-line, file: line.yaml }\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function total(text: string, result: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^cardline_cards_total\\{line="met-line",station="[^"]+",result="${result}",reason="[^"]+"\\} (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

describe('cardline serve and GET /metrics', () => {
  it('serves the metrics to the token holder; after the demo batch the card counters equal its accounting', async () => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'serve', '--site', siteFile, '--port', '0', '--demo', '--demo-count', '20'], { env: { ...process.env, ...env, CARDLINE_METRICS_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/^report: /m.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo batch did not end:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const base = /serving at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
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

      const saved = JSON.parse(await readFile(path.join(dir, 'data', 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
      const operator = saved.users.find((u) => u.role === 'operator')!;
      const login = await fetch(`${base}api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: operator.name, password: operator.password }) });
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      const summary = (await (await fetch(`${base}api/v1/batches/${batchId}`, { headers: auth })).json()) as { cards: { good: number; spoiled: number } };
      expect(summary.cards.good).toBeGreaterThanOrEqual(20);
      expect({ good: total(text, 'good'), spoiled: total(text, 'spoiled') }).toEqual({ good: summary.cards.good, spoiled: summary.cards.spoiled });

      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses a metrics token shorter than 16 characters, naming the option', async () => {
    const run = await cardline(['serve', '--site', siteFile, '--port', '0', '--metrics-token', 'short'], { env });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--metrics-token \(or CARDLINE_METRICS_TOKEN\) must have at least 16 characters/);
  });
});

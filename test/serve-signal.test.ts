/**
 * `cardline serve` answers for its lines over real HTTP while a batch runs, and SIGTERM is a
 * planned stop: the line drains and pauses at a safe point, the lease is released, exit 0; the
 * batch is left paused (shown interrupted: no server holds it) with no card in the line.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, cardline, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let siteFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-serve-sig-'));
  env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'sig-line', timeScale: 4, seed: 8, initialBlanks: 80, serialPrefix: 'G', cycleMs: 200 });
  siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: sig-site\nname: Signal test\nlines:\n  - { id: sig-line, file: line.yaml }\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cardline serve and SIGTERM', () => {
  it('serves the line over HTTP while the demo batch runs; SIGTERM pauses it with no card inside and exits 0', async () => {
    const child = spawn(process.execPath, [CARDLINE_BIN, 'serve', '--site', siteFile, '--port', '0', '--demo', '--demo-count', '40'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/line sig-line: 20 % — /.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo batch did not reach 20 %:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const base = /serving at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const batchId = /imported as batch (\S+);/.exec(out)![1]!;
      const health = await fetch(`${base}healthz`);
      expect(health.status).toBe(200);
      // The API answers only users: the demo operator logs in and uses the bearer token.
      const operator = await demoOperator();
      const login = await fetch(`${base}api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: operator.CARDLINE_USER, password: operator.CARDLINE_PASSWORD }) });
      expect(login.status).toBe(200);
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      expect((await fetch(`${base}api/v1/lines`)).status).toBe(401);
      const lines = (await (await fetch(`${base}api/v1/lines`, { headers: auth })).json()) as { siteId: string; lines: { id: string; phase: string; batch: { batchId: string; records: number } | null; stations: { units: { connected: boolean; state: string }[] }[] }[] };
      expect(lines.siteId).toBe('sig-site');
      expect(lines.lines[0]).toMatchObject({ id: 'sig-line', phase: 'running', batch: { batchId, records: 40 } });
      expect(lines.lines[0]!.stations.flatMap((s) => s.units).every((u) => u.connected)).toBe(true);
      const unknown = await fetch(`${base}api/v1/lines/no-such-line`, { headers: auth });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('lineId');

      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
      expect(out).toMatch(/SIGTERM: stopping/);
      const shown = jsonLine((await cardline(['batch', 'show', batchId, '--json'], { env: { ...env, ...(await demoOperator()) } })).stdout);
      // Paused by the stop and held by no server: shown interrupted; nothing left in the line, nothing suspect.
      expect(shown).toMatchObject({ status: 'interrupted', cards: { inLine: 0 } });
      expect((shown as { records: { pending: number } }).records.pending).toBeGreaterThan(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

async function demoOperator(): Promise<NodeJS.ProcessEnv> {
  const { readFile } = await import('node:fs/promises');
  const saved = JSON.parse(await readFile(path.join(dir, 'data', 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
  const op = saved.users.find((u) => u.role === 'operator')!;
  return { CARDLINE_USER: op.name, CARDLINE_PASSWORD: op.password };
}

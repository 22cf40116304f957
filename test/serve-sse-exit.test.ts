/**
 * `cardline serve --demo --exit-when-done` ends after its batch even while Server-Sent Events
 * clients are connected to GET /api/v1/events (the load bench found the server waiting for them for
 * ever); the client's stream ends with the server.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, writeCliLine } from './helpers/cli.ts';

let dir: string;
let siteFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-serve-sse-exit-'));
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'sse-line', timeScale: 4, seed: 9, initialBlanks: 80, serialPrefix: 'H', cycleMs: 200 });
  siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: sse-site\nname: SSE exit test\nlines:\n  - { id: sse-line, file: line.yaml }\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cardline serve with event-stream clients', () => {
  it('exits 0 after the demo batch with two SSE clients still connected, and their streams end', async () => {
    const env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
    const child = spawn(process.execPath, [CARDLINE_BIN, 'serve', '--site', siteFile, '--port', '0', '--demo', '--demo-count', '30', '--exit-when-done'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/imported as batch/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo batch did not start:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const base = /serving at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!;
      const saved = JSON.parse(await readFile(path.join(dir, 'data', 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
      const operator = saved.users.find((u) => u.role === 'operator')!;
      const login = await fetch(`${base}api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: operator.name, password: operator.password }) });
      expect(login.status).toBe(200);
      const token = ((await login.json()) as { token: string }).token;
      const streams = await Promise.all([1, 2].map(() => fetch(`${base}api/v1/events`, { headers: { authorization: `Bearer ${token}` } })));
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      // Read each stream to its end: it ends when the server exits (an error: the socket was closed).
      const ended = streams.map(async (s) => {
        let ids = 0;
        try {
          for await (const chunk of s.body!) ids += (Buffer.from(chunk as Uint8Array).toString('utf8').match(/^id: /gm) ?? []).length;
        } catch {
          // the server closed the connection
        }
        return ids;
      });
      expect(await exited, out).toBe(0);
      expect(out).toMatch(/sse-line: 100 %/);
      const received = await Promise.all(ended);
      expect(received.every((n) => n > 0)).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

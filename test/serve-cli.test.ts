/**
 * `cardline serve --demo --exit-when-done` (what `npm start` and the CI run), through the real CLI
 * on a small simulated site: the URL, the demo users' one-time passwords printed once, a sample
 * imported and started, one log line per 10 %, the summary, exit 0; a non-loopback address without
 * TLS is refused.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardline, jsonLine, writeCliLine } from './helpers/cli.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let siteFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-serve-'));
  env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
  await writeCliLine(path.join(dir, 'line.yaml'), { id: 'serve-line', timeScale: 20, seed: 5, initialBlanks: 50, serialPrefix: 'V', cycleMs: 200 });
  siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, 'id: serve-site\nname: Serve test\nlines:\n  - { id: serve-line, file: line.yaml }\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cardline serve', () => {
  it('--demo --exit-when-done: users printed once, the sample made with a line per 10 %, the summary, exit 0', async () => {
    const first = await cardline(['serve', '--site', siteFile, '--port', '0', '--demo', '--demo-count', '10', '--exit-when-done'], { env });
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect(first.stdout).toMatch(/site serve-site \(Serve test\) serving at http:\/\/127\.0\.0\.1:\d+\/ — the screens there \(open it in a browser\), the API at http:\/\/127\.0\.0\.1:\d+\/api\/v1\//);
    expect(first.stdout).toMatch(/demo-operator\s+operator\s+\S{12,}/);
    const batchId = /demo: 10 synthetic citizens imported as batch (\S+); started on line serve-line as demo-operator/.exec(first.stdout)?.[1];
    expect(batchId, first.stdout).toBeDefined();
    const tenths = [...first.stderr.matchAll(/line serve-line: (\d+) % — /g)].map((m) => Number(m[1]));
    expect(tenths).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(first.stdout).toMatch(new RegExp(`batch ${batchId} on line serve-line: completed in \\S+ — batch reconciled`));
    expect(first.stdout).toMatch(/records: 10 — 10 produced/);
    // No personal data in what the server says: neither the sample's names nor its PIDs.
    const samples = path.join(dir, 'data', 'samples');
    const [sampleDir] = await readdir(samples);
    const records = (await readFile(path.join(samples, sampleDir!, 'batch.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { fullName: string; pid: string });
    expect(records).toHaveLength(10);
    for (const r of records) {
      expect(first.stdout + first.stderr).not.toContain(r.fullName);
      expect(first.stdout + first.stderr).not.toContain(r.pid);
    }

    // The batch is the store's: batch show agrees.
    const shown = await cardline(['batch', 'show', batchId!, '--json'], { env: { ...env, ...(await demoOperator()) } });
    expect(jsonLine(shown.stdout)).toMatchObject({ status: 'reconciled', records: { total: 10, pending: 0 } });

  }, 90_000);

  it('refuses a non-loopback address without TLS, and --exit-when-done without --demo', async () => {
    const open = await cardline(['serve', '--site', siteFile, '--host', '0.0.0.0'], { env });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/--host 0\.0\.0\.0 is not a loopback address: serving it needs TLS \(--tls-cert FILE --tls-key FILE\), or --insecure-http/);
    const half = await cardline(['serve', '--site', siteFile, '--tls-cert', 'x.pem'], { env });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
    const exit = await cardline(['serve', '--site', siteFile, '--exit-when-done'], { env });
    expect(exit.code).toBe(2);
  }, 60_000);
});

/** The demo operator's credentials, from the 0600 file the demo wrote. */
async function demoOperator(): Promise<NodeJS.ProcessEnv> {
  const saved = JSON.parse(await readFile(path.join(dir, 'data', 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
  const op = saved.users.find((u) => u.role === 'operator')!;
  return { CARDLINE_USER: op.name, CARDLINE_PASSWORD: op.password };
}

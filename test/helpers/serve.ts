// Test support: a one-line site in a fresh data directory, a `cardline serve` child process on it
// with its output collected, and a login as one of the demo users `serve --demo` created.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CARDLINE_BIN, writeCliLine } from './cli.ts';
import { sseFrames } from './sse-frames.ts';

export interface ServeSite {
  readonly dir: string;
  readonly siteFile: string;
  /** The environment of a process on this site's store (no user). */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

/** A site `name` of one simulated line `<prefix>-line` (writeCliLine's test line, 80 blanks unless `initialBlanks`) in a fresh directory; `siteYaml`: more keys of the site file. */
export async function serveSite(name: string, prefix: string, line: { timeScale: number; seed: number; serialPrefix: string; initialBlanks?: number }, siteYaml = ''): Promise<ServeSite> {
  const dir = await mkdtemp(path.join(tmpdir(), `cardline-${name}-`));
  await writeCliLine(path.join(dir, 'line.yaml'), { id: `${prefix}-line`, initialBlanks: 80, cycleMs: 200, ...line });
  const siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, `id: ${prefix}-site\nname: ${name}\n${siteYaml}lines:\n  - { id: ${prefix}-line, file: line.yaml }\n`);
  return {
    dir,
    siteFile,
    env: { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  readonly exited: Promise<number | null>;
  /** Waits until its output matches `pattern`; throws with the output when it exits or `ms` pass first. */
  waitFor(pattern: RegExp, what: string, ms?: number): Promise<void>;
  /** The `http://127.0.0.1:PORT/` it printed. */
  base(): string;
  /** Kills it (SIGKILL) if it still runs: for `finally`. */
  kill(): void;
}

/** `cardline serve --site SITE --port 0 ARGS…` as a child process (in `cwd`: where its KPI routes find config/site.yaml and config/lines). */
export function startServe(site: ServeSite, args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): ServeProcess {
  const child = spawn(process.execPath, [CARDLINE_BIN, 'serve', '--site', site.siteFile, '--port', '0', ...args], { env: { ...process.env, ...site.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    async waitFor(pattern, what, ms = 60_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what}:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    base: () => /serving at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]!,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** The name and one-time password of the demo user of `role` that `serve --demo` saved in the data directory. */
export async function demoUser(site: ServeSite, role: string): Promise<{ name: string; password: string }> {
  const saved = JSON.parse(await readFile(path.join(site.dir, 'data', 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
  const user = saved.users.find((u) => u.role === role);
  if (!user) throw new Error(`no demo user with role ${role}`);
  return { name: user.name, password: user.password };
}

/** Logs the demo user of `role` in over the API; returns the Authorization header of its bearer token. */
export async function demoLogin(site: ServeSite, base: string, role: string): Promise<{ authorization: string }> {
  const user = await demoUser(site, role);
  const login = await fetch(`${base}api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: user.name, password: user.password }) });
  if (login.status !== 200) throw new Error(`login of ${user.name} answered ${login.status}`);
  return { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
}

export interface StreamEvent {
  readonly id: number;
  readonly type: string;
  readonly step?: string;
  readonly cardSerial?: string;
  readonly batchId?: string;
  readonly status?: string;
  readonly relayedFrom?: string;
}

/** Reads an SSE stream from the first event kept (Last-Event-ID 0) until `until` says stop. */
export async function readEventStream(url: string, headers: Record<string, string>, until: (events: readonly StreamEvent[]) => boolean): Promise<StreamEvent[]> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { ...headers, 'last-event-id': '0' }, signal: controller.signal });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const events: StreamEvent[] = [];
  try {
    for await (const frame of sseFrames(response.body as unknown as AsyncIterable<Uint8Array>)) {
      events.push(JSON.parse(frame.data) as StreamEvent);
      if (until(events)) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

/**
 * Issue 16's load figure: `cardline serve --demo --exit-when-done` as a child process, a batch on
 * demo-mixed (config/lines/demo-mixed.yaml with faults off, fixed cycle times, free ports and a
 * raised time scale so the whole bench takes about 3 minutes), run twice in this bench:
 *   A. with no client at all;
 *   B. with 50 Server-Sent Events clients on GET /api/v1/events and 20 API requests a second
 *      (GET lines, batches and alarms in turn, bearer token of the demo operator) for the batch's
 *      whole duration.
 * line_efficiency is bench/line-efficiency.bench.ts's definition: good cards 50 to 250 a second ÷
 * the ideal (time scale ÷ the bottleneck's cycle, the largest cycle ÷ units of any station). The
 * times are the server's own: each good card's last good Done (the packer's) in the ledger, read
 * after the server exited, so the measurement adds no client of its own.
 * Memory: the serve process's peak RSS (VmHWM of /proc/PID/status) under load B, against the peak
 * RSS of `cardline demo` (the same line file and batch size) in the same bench run.
 * Events: each SSE client reconnects with Last-Event-ID when cut off, as a browser does; a client
 * misses an event when an id between its first and the last id any client saw never reached it.
 * BENCH_SERVE_TIMESCALE and BENCH_SERVE_CARDS change the set-up for analysis.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { openContext } from '../src/cli/context.ts';
import { loadLineConfig } from '../src/config/line-config.ts';
import { LineStore } from '../src/store/line-store.ts';
import { bench, info } from './report.ts';

const SSE_CLIENTS = 50;
const REQUESTS_PER_S = 20;
const FROM = 50;
const TO = 250;
const CARDS = Number(process.env.BENCH_SERVE_CARDS ?? 300);
const TIME_SCALE = Number(process.env.BENCH_SERVE_TIMESCALE ?? 10);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/cardline.js');
const LINE_FILE = path.join(ROOT, 'config/lines/demo-mixed.yaml');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** demo-mixed with faults off, fixed cycles, free ports, enough blanks and the bench's time scale. */
async function writeBenchLine(file: string): Promise<void> {
  const line = parse(await readFile(LINE_FILE, 'utf8')) as {
    simulation: Record<string, unknown>;
    stations: { id: string; cycle: Record<string, unknown>; failures: Record<string, number>; modbus?: { port: number } }[];
  };
  line.simulation.timeScale = TIME_SCALE;
  line.simulation.initialBlanks = CARDS * 2 + 50;
  line.simulation.opcua = { host: '127.0.0.1', port: await freePort() };
  delete line.simulation.controlPort;
  for (const s of line.stations) {
    s.cycle = { ...s.cycle, sdMs: 0, distribution: 'fixed' };
    s.failures = Object.fromEntries(Object.keys(s.failures).map((k) => [k, 0]));
    if (s.modbus) s.modbus = { ...s.modbus, port: await freePort() };
  }
  await writeFile(file, stringify(line));
}

/**
 * Peak RSS of a running process: VmHWM of /proc/PID/status, sampled until it exits (MB); and, for
 * analysis, the largest VmRSS sampled since mark() (what stays resident, not a transient peak). A
 * password hash's 128 MiB is not in either: it runs in a child process (src/auth/scrypt-process.ts).
 */
function watchPeakRss(pid: number): { mark: () => void; stop: () => { peakMb: number; residentMb: number } } {
  let peakKb = 0;
  let residentKb = 0;
  let marked = false;
  const sample = (): void => {
    void readFile(`/proc/${pid}/status`, 'utf8')
      .then((text) => {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(text)?.[1] ?? 0));
        if (marked) residentKb = Math.max(residentKb, Number(/VmRSS:\s+(\d+) kB/.exec(text)?.[1] ?? 0));
      })
      .catch(() => undefined);
  };
  const timer = setInterval(sample, 250);
  sample();
  return {
    mark: () => (marked = true),
    stop: () => {
      clearInterval(timer);
      return { peakMb: peakKb / 1024, residentMb: residentKb / 1024 };
    },
  };
}

interface Child {
  readonly pid: number;
  output: () => string;
  readonly exited: Promise<number | null>;
  kill: () => void;
}

function startCli(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { pid: child.pid!, output: () => out, exited, kill: () => child.kill('SIGKILL') };
}

async function waitFor(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(child.output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One SSE client: every event id it received; reconnects with Last-Event-ID while the server lives. */
class SseClient {
  readonly ids = new Set<number>();
  reconnects = 0;
  resets = 0;
  private lastId: number | undefined;
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly alive: () => boolean,
  ) {
    this.done = this.loop();
  }

  close(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    while (this.alive() && !this.abort.signal.aborted) {
      try {
        await this.stream();
      } catch {
        // the connection ended: a browser reconnects after the retry delay
      }
      if (!this.alive() || this.abort.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async stream(): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'text/event-stream' };
    if (this.lastId !== undefined) headers['last-event-id'] = String(this.lastId);
    const response = await fetch(this.url, { headers, signal: this.abort.signal });
    if (response.status !== 200 || !response.body) throw new Error(`GET /events: ${response.status}`);
    if (this.lastId !== undefined) this.reconnects += 1;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(frame);
        if (!id) continue;
        if (/^event: reset$/m.test(frame)) this.resets += 1;
        else this.ids.add(Number(id[1]));
        this.lastId = Number(id[1]);
      }
    }
  }
}

interface RunResult {
  readonly efficiency: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly residentMb: number;
  readonly batchId: string;
}

/** Good cards FROM..TO a second, from the ledger's times of their last station's Done, ÷ the ideal. */
async function efficiencyOf(dataDir: string, lineId: string, batchId: string, idealPerS: number): Promise<number> {
  const ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' });
  try {
    const store = new LineStore(ctx.db, lineId);
    const produced = (await store.records(batchId)).filter((r) => r.status === 'produced' && r.cardSerial);
    if (produced.length < TO) throw new Error(`${produced.length} good cards of ${CARDS}: fewer than ${TO}`);
    const ended: number[] = [];
    for (const r of produced) {
      // The last station's good Done (the packer's, on demo-mixed): where the controller counts the card good.
      const event = (await store.cardEvents(r.cardSerial!)).filter((e) => e.event.endsWith('.done') && e.reason === null).at(-1);
      if (!event) throw new Error(`good card ${r.cardSerial} has no good Done in the ledger`);
      ended.push(Date.parse(event.at));
    }
    ended.sort((a, b) => a - b);
    const perS = ((TO - FROM) / (ended[TO - 1]! - ended[FROM - 1]!)) * 1000;
    return perS / idealPerS;
  } finally {
    await ctx.close();
  }
}

async function serveRun(dir: string, siteFile: string, lineId: string, idealPerS: number, load: boolean): Promise<RunResult & { missed?: number[]; requests?: Map<number, number>; reconnects?: number; resets?: number }> {
  const dataDir = path.join(dir, load ? 'data-load' : 'data-quiet');
  await mkdir(dataDir, { recursive: true });
  const env = { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' };
  const child = startCli(['serve', '--site', siteFile, '--port', '0', '--demo', '--demo-count', String(CARDS), '--exit-when-done'], env);
  const rss = watchPeakRss(child.pid);
  let alive = true;
  void child.exited.then(() => (alive = false));
  const clients: SseClient[] = [];
  const requests = new Map<number, number>();
  let pacer: NodeJS.Timeout | undefined;
  let firstFailure: number | undefined;
  let batchEnded: number | undefined;
  try {
    const base = (await waitFor(child, /serving at (http:\/\/127\.0\.0\.1:\d+\/)/, 120_000))[1]!;
    const batchId = (await waitFor(child, /imported as batch (\S+);/, 120_000))[1]!;
    const started = performance.now();
    rss.mark();
    void waitFor(child, /: 100 % — /, 600_000)
      .then(() => (batchEnded = (performance.now() - started) / 1000))
      .catch(() => undefined);
    if (load) {
      const saved = JSON.parse(await readFile(path.join(dataDir, 'demo-users.json'), 'utf8')) as { users: { name: string; role: string; password: string }[] };
      const operator = saved.users.find((u) => u.role === 'operator')!;
      const login = await fetch(`${base}api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: operator.name, password: operator.password }) });
      if (login.status !== 200) throw new Error(`login as the demo operator: ${login.status} ${await login.text()}`);
      const token = ((await login.json()) as { token: string }).token;
      for (let i = 0; i < SSE_CLIENTS; i++) clients.push(new SseClient(`${base}api/v1/events`, token, () => alive));
      const paths = ['api/v1/lines', 'api/v1/batches', 'api/v1/alarms'];
      let n = 0;
      pacer = setInterval(() => {
        const url = `${base}${paths[n++ % paths.length]}`;
        void fetch(url, { headers: { authorization: `Bearer ${token}` } })
          .then(async (r) => {
            await r.arrayBuffer();
            requests.set(r.status, (requests.get(r.status) ?? 0) + 1);
          })
          .catch(() => {
            requests.set(0, (requests.get(0) ?? 0) + 1);
            firstFailure ??= (performance.now() - started) / 1000;
          });
      }, 1000 / REQUESTS_PER_S);
    }
    const code = await child.exited;
    const seconds = (performance.now() - started) / 1000;
    if (pacer) clearInterval(pacer);
    const { peakMb: peakRssMb, residentMb } = rss.stop();
    if (code !== 0) throw new Error(`cardline serve exited ${code}:\n${child.output()}`);
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => c.done));
    const efficiency = await efficiencyOf(dataDir, lineId, batchId, idealPerS);
    if (load) info(`the batch's last record ended at ${batchEnded?.toFixed(1) ?? '?'} s, the first API request failed at ${firstFailure?.toFixed(1) ?? 'none'} s, the server exited at ${seconds.toFixed(1)} s`);
    if (!load) return { efficiency, seconds, peakRssMb, residentMb, batchId };
    const lastId = Math.max(...clients.flatMap((c) => [...c.ids]));
    const missed = clients.map((c) => {
      const first = Math.min(...c.ids);
      return c.ids.size === 0 ? lastId : lastId - first + 1 - c.ids.size;
    });
    return {
      efficiency,
      seconds,
      peakRssMb,
      residentMb,
      batchId,
      missed,
      requests,
      reconnects: clients.reduce((a, c) => a + c.reconnects, 0),
      resets: clients.reduce((a, c) => a + c.resets, 0),
    };
  } finally {
    if (pacer) clearInterval(pacer);
    rss.stop();
    for (const c of clients) c.close();
    if (alive) child.kill();
  }
}

async function demoRss(dir: string, lineFile: string): Promise<{ peakRssMb: number; residentMb: number; seconds: number }> {
  const dataDir = path.join(dir, 'data-demo');
  const started = performance.now();
  const child = startCli(['demo', '--count', String(CARDS), '--line', lineFile], { CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '', CARDLINE_USER: '', CARDLINE_PASSWORD: '' });
  const rss = watchPeakRss(child.pid);
  await waitFor(child, /running batch /, 120_000);
  rss.mark();
  const code = await child.exited;
  const { peakMb: peakRssMb, residentMb } = rss.stop();
  if (code !== 0) throw new Error(`cardline demo exited ${code}:\n${child.output()}`);
  return { peakRssMb, residentMb, seconds: (performance.now() - started) / 1000 };
}

const dir = await mkdtemp(path.join(tmpdir(), 'cardline-bench-serve-'));
try {
  const lineFile = path.join(dir, 'bench-line.yaml');
  await writeBenchLine(lineFile);
  const line = await loadLineConfig(lineFile);
  const siteFile = path.join(dir, 'site.yaml');
  await writeFile(siteFile, stringify({ id: 'bench-site', name: 'Serve load bench', lines: [{ id: line.id, file: 'bench-line.yaml' }] }));
  const bottleneck = line.stations.reduce((worst, s) => (s.cycle.meanMs / (s.heads ?? 1) > worst.ms ? { id: s.id, ms: s.cycle.meanMs / (s.heads ?? 1) } : worst), { id: '', ms: 0 });
  const idealPerS = TIME_SCALE / (bottleneck.ms / 1000);
  info(`${line.id}, faults off, fixed cycles, time scale ${TIME_SCALE}, ${CARDS} records, bottleneck ${bottleneck.id} ${bottleneck.ms} ms (ideal ${idealPerS.toFixed(3)} cards/s)`);

  const quiet = await serveRun(dir, siteFile, line.id, idealPerS, false);
  info(`serve without clients: batch in ${quiet.seconds.toFixed(1)} s, line_efficiency ${quiet.efficiency.toFixed(4)}, peak RSS ${quiet.peakRssMb.toFixed(0)} MB (largest VmRSS during the batch ${quiet.residentMb.toFixed(0)} MB)`);
  const loaded = await serveRun(dir, siteFile, line.id, idealPerS, true);
  const statuses = [...loaded.requests!].map(([status, count]) => `${count}× ${status === 0 ? 'failed' : status}`).join(', ');
  info(
    `serve with ${SSE_CLIENTS} SSE clients and ${REQUESTS_PER_S} requests/s for ${loaded.seconds.toFixed(1)} s (${statuses}; ${loaded.reconnects} reconnects, ${loaded.resets} resets): ` +
      `line_efficiency ${loaded.efficiency.toFixed(4)}, peak RSS ${loaded.peakRssMb.toFixed(0)} MB (largest VmRSS during the batch ${loaded.residentMb.toFixed(0)} MB)`,
  );
  const demo = await demoRss(dir, lineFile);
  info(`cardline demo (same line, ${CARDS} records): ${demo.seconds.toFixed(1)} s, peak RSS ${demo.peakRssMb.toFixed(0)} MB (largest VmRSS during the batch ${demo.residentMb.toFixed(0)} MB)`);

  bench('serve_line_efficiency_ratio', loaded.efficiency / quiet.efficiency, 'ratio');
  bench('serve_rss_mb', loaded.peakRssMb, 'MB');
  bench('serve_rss_vs_demo_ratio', loaded.peakRssMb / demo.peakRssMb, 'ratio');
  bench('serve_sse_missed_events', loaded.missed!.reduce((a, b) => a + b, 0), 'events');
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);

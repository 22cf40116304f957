/**
 * GET /metrics of a real API server over a real site (a simulated line over OPC UA loopback,
 * SQLite), checked by Prometheus's own tools: a real `prometheus` (Debian's package, .ci/run
 * installs it) scrapes it every second with the bearer token while a batch runs, and its HTTP API's
 * `cardline_cards_total` equals the API's accounting of the batch (good, spoiled, spoiled by
 * reason, with defective blanks and failed chip writes injected); `promtool check metrics` passes on the text of the answer. Without the binaries the
 * test fails: it does not skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SiteAlarmBoard } from '../src/alarms/alarm-board.ts';
import { openLineSession } from '../src/app/run-line.ts';
import type { AuthUser } from '../src/auth/session.ts';
import { EventBus } from '../src/events/event-bus.ts';
import { createLineEventsObserver } from '../src/events/line-events-observer.ts';
import { openApiSession } from '../src/http/auth/api-session.ts';
import { lineRoutes } from '../src/http/routes/lines.ts';
import { buildApiServer } from '../src/http/server.ts';
import { registerMetricsRoute } from '../src/metrics/metrics-route.ts';
import { createSiteMetrics, type SiteMetrics } from '../src/metrics/site-metrics.ts';
import type { RunEnd } from '../src/site/line-agent.ts';
import type { LineObserver } from '../src/site/runtime.ts';
import { loadSiteConfig } from '../src/site/site-config.ts';
import { Site } from '../src/site/site.ts';
import { AlarmStore } from '../src/store/alarm-store.ts';
import { UserStore } from '../src/store/user-store.ts';
import { freePort } from '../simulators/modbus/modbus-server.ts';
import { siteFixture, until, type SiteFixture } from './helpers/site.ts';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';
const TOKEN = 'scrape-token-0123456789abcdef';
const op: AuthUser = { name: 'op-metrics', role: 'operator' };

let fx: SiteFixture;
let site: Site;
let metrics: SiteMetrics;
let app: FastifyInstance;
let base: string;
let promDir: string;
let prom: ChildProcess | undefined;
let promLog = '';
let promBase: string;
const ends: RunEnd[] = [];
/** The journal's durable commits as a second observer of the line hears them, to check the histogram against. */
const commits: number[] = [];
const commitWatcher: LineObserver = { attach: (line) => line.onCommitted((_ops, c) => void (c.synced && commits.push(c.seconds))) };

beforeAll(async () => {
  // The binaries first: a machine without them fails here, naming the package.
  for (const bin of [PROMTOOL, PROMETHEUS]) if (!existsSync(bin)) throw new Error(`${bin} is missing: install Debian's prometheus package (.ci/run does)`);
  fx = await siteFixture('metrics', { timeScale: 4, cycleMs: 200 });
  // Defective blanks and failed chip writes: spoiled cards with two reason codes.
  const lineFile = path.join(fx.dir, 'line.yaml');
  const line = parse(await readFile(lineFile, 'utf8')) as { stations: { kind: string; failures?: Record<string, number> }[] };
  for (const station of line.stations) {
    if (station.kind === 'feeder') station.failures = { blankDefect: 0.12 };
    if (station.kind === 'encoder') station.failures = { chipWriteFailure: 0.12 };
  }
  await writeFile(lineFile, stringify(line));
  const siteConfig = await loadSiteConfig(fx.siteFile);
  const bus = new EventBus();
  const alarms = new SiteAlarmBoard(new AlarmStore(fx.ctx.db), bus);
  metrics = createSiteMetrics({ events: bus, alarms, lines: () => site.lines() });
  site = new Site({ config: siteConfig, ctx: fx.ctx, openSession: openLineSession, events: bus, alarms, observers: [createLineEventsObserver(bus), alarms, metrics.observer, commitWatcher], onRunEnded: (_l, end) => ends.push(end), recoverAfterMs: 100, retryMs: 300 });
  app = await buildApiServer({ dataDir: fx.ctx.dataDir, db: fx.ctx.db, keys: fx.ctx.keys, batches: fx.ctx.batches, site, siteRoutes: [lineRoutes] });
  registerMetricsRoute(app, metrics, { token: TOKEN });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await site.open();

  promDir = await mkdtemp(path.join(tmpdir(), 'cardline-prom-'));
  const config = path.join(promDir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: cardline',
      `    authorization: { type: Bearer, credentials: ${TOKEN} }`,
      `    static_configs: [ { targets: ['${base.slice('http://'.length)}'] } ]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  promBase = `http://127.0.0.1:${port}`;
  prom = spawn(PROMETHEUS, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout!.on('data', (d: Buffer) => (promLog += d.toString()));
  prom.stderr!.on('data', (d: Buffer) => (promLog += d.toString()));
  // Scraping: the target is up (the token accepted) before the batch starts.
  await until(`prometheus scraping the server (log: ${promLog.slice(-500)})`, async () => (await promQuery('up{job="cardline"}').catch(() => []))[0]?.value[1] === '1', 30_000);
}, 90_000);

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((resolve) => prom!.once('exit', resolve));
    prom.kill('SIGTERM');
    await exited;
  }
  await site?.stop();
  metrics?.close();
  await app?.close();
  await fx?.cleanup();
  if (promDir) await rm(promDir, { recursive: true, force: true });
}, 60_000);

interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function promQuery(query: string): Promise<PromSample[]> {
  const response = await fetch(`${promBase}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; data: { resultType: string; result: PromSample[] } };
  if (body.status !== 'success') throw new Error(`prometheus query ${query} failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

function sumOf(text: string, name: string, where: Record<string, string>, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const row of text.split('\n')) {
    const m = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(row);
    if (!m) continue;
    const labels = new Map([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (!Object.entries(where).every(([k, v]) => labels.get(k) === v)) continue;
    const key = by ? labels.get(by)! : '';
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

describe('GET /metrics scraped by a real Prometheus', () => {
  it('answers only the bearer token, passes promtool, and Prometheus counts the cards the API accounts', async () => {
    const batchId = await fx.importSample(40, 'metrics-a');
    const lineId = 'metrics-line';
    await site.enqueue(lineId, batchId, op);
    await site.start(lineId, { batchId }, op);
    await until('the batch ended', () => ends.length === 1, 60_000);
    expect(ends[0]).toMatchObject({ batchId, outcome: 'completed' });
    const endedAt = Date.now() / 1000;

    // The token: none or a wrong one → 401 problem details; the right one → the exposition text.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    // Station reports may still commit after the batch: the scrape saw the commits heard before it, perhaps a few more.
    const commitsBefore = commits.length;
    const answer = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await answer.text();
    const commitsAfter = commits.length;

    // Prometheus's own linter on the real answer.
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({ status: 0, out: '' });

    // The API's accounting of the batch (GET /api/v1/batches/:id, as an operator).
    await new UserStore(fx.ctx.db).add({ name: op.name, role: op.role, passwordHash: 'x', by: 'test-setup' });
    const session = (await openApiSession(fx.ctx.db, op, '127.0.0.1')).token;
    const summary = (await (await fetch(`${base}/api/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${session}` } })).json()) as { cards: { good: number; spoiled: number }; spoiledByReason: Record<string, number> };
    expect(summary.cards.good).toBeGreaterThan(0);
    expect(Object.keys(summary.spoiledByReason).sort()).toEqual(['BLANK_DEFECT', 'CHIP_WRITE_FAILED']);

    // The exposition agrees with it …
    expect(sumOf(text, 'cardline_cards_total', { line: lineId, result: 'good' }).get('') ?? 0).toBe(summary.cards.good);
    expect(sumOf(text, 'cardline_cards_total', { line: lineId, result: 'spoiled' }).get('') ?? 0).toBe(summary.cards.spoiled);
    expect(Object.fromEntries(sumOf(text, 'cardline_cards_total', { line: lineId, result: 'spoiled' }, 'reason'))).toEqual(summary.spoiledByReason);
    expect(text).not.toContain(batchId);
    // The handshake timings: every engraved card was a good laser job, acknowledged after its card came.
    const engraved = sumOf(text, 'cardline_card_steps_total', { line: lineId, step: 'engraved' }).get('')!;
    expect(engraved).toBeGreaterThanOrEqual(summary.cards.good);
    expect(sumOf(text, 'cardline_job_seconds_count', { line: lineId, unit: 'laser', result: 'good' }).get('')).toBe(engraved);
    expect(sumOf(text, 'cardline_job_ack_seconds_count', { line: lineId, unit: 'laser' }).get('')).toBe(engraved);
    // Failed chip writes are failed encoder jobs, defective blanks failed feeder jobs.
    expect(sumOf(text, 'cardline_job_seconds_count', { line: lineId, unit: 'encoder.1', result: 'failed' }).get('')).toBe(summary.spoiledByReason.CHIP_WRITE_FAILED);
    expect(sumOf(text, 'cardline_job_seconds_count', { line: lineId, unit: 'feeder', result: 'failed' }).get('')).toBe(summary.spoiledByReason.BLANK_DEFECT);
    expect(text).not.toMatch(/station="unknown",result="(good|spoiled)"/);
    // Every durable journal commit the line's observers heard is in the commit histogram, their times summed.
    const commitCount = sumOf(text, 'cardline_journal_commit_duration_seconds_count', { line: lineId }).get('')!;
    expect(commitCount).toBeGreaterThanOrEqual(Math.max(1, commitsBefore));
    expect(commitCount).toBeLessThanOrEqual(commitsAfter);
    expect(sumOf(text, 'cardline_journal_commit_duration_seconds_sum', { line: lineId }).get('')).toBeCloseTo(commits.slice(0, commitCount).reduce((a, b) => a + b, 0), 6);
    expect(sumOf(text, 'cardline_journal_commit_duration_seconds_bucket', { line: lineId, le: '+Inf' }).get('')).toBe(commitCount);

    // … and so does Prometheus, from a scrape after the batch ended.
    let byResult: PromSample[] = [];
    await until('a scrape after the batch ended', async () => {
      byResult = await promQuery(`sum by (result) (cardline_cards_total{line="${lineId}"}) and on() (timestamp(up{job="cardline"}) > ${endedAt.toFixed(3)})`);
      return byResult.length > 0;
    }, 20_000);
    const promCount = (result: string): number => Number(byResult.find((s) => s.metric.result === result)?.value[1] ?? '0');
    expect(promCount('good')).toBe(summary.cards.good);
    expect(promCount('spoiled')).toBe(summary.cards.spoiled);
    const byReason = await promQuery(`sum by (reason) (cardline_cards_total{line="${lineId}",result="spoiled"})`);
    expect(Object.fromEntries(byReason.map((s) => [s.metric.reason!, Number(s.value[1])]))).toEqual(summary.spoiledByReason);
    // It scraped during the batch too: the line was seen running, and fewer good cards than at the end.
    expect((await promQuery(`max_over_time(cardline_line_running{line="${lineId}"}[5m])`))[0]?.value[1]).toBe('1');
    const least = await promQuery(`min_over_time(sum(cardline_cards_total{line="${lineId}",result="good"})[5m:1s])`);
    expect(Number(least[0]?.value[1] ?? 'NaN')).toBeLessThan(summary.cards.good);
    // Every unit's state was exported with exactly one current state.
    const states = await promQuery(`sum by (unit) (cardline_station_state{line="${lineId}"})`);
    expect(states.length).toBeGreaterThanOrEqual(5);
    for (const s of states) expect(s.value[1]).toBe('1');

    // The Grafana dashboard's queries run on this Prometheus; its cards/h and reject Pareto show this line.
    const dash = JSON.parse(await readFile('docs/grafana/cardline.json', 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const answers = new Map<string, PromSample[]>();
    for (const panel of dash.panels) for (const t of panel.targets) answers.set(panel.title, await promQuery(t.expr.replaceAll('$line', lineId).replaceAll('$__range', '5m')));
    expect(answers.get('Good cards / h per line')?.map((s) => s.metric.line)).toEqual([lineId]);
    expect(Number(answers.get('Good cards / h per line')![0]!.value[1])).toBeGreaterThan(0);
    expect(answers.get('Rejects by reason (last $__range)')?.map((s) => s.metric.reason).sort()).toEqual(Object.keys(summary.spoiledByReason).sort());
    expect(answers.get('Station states')?.length).toBe(states.length);
  }, 120_000);
});

/**
 * `cardline serve`: the site's lines as a long-lived server with the HTTP API (src/http). Lines
 * start idle; operators start batches through the API. `--demo` (`npm start`): the site's lines
 * simulated in process, a TEST PKI, the demo users created on first start (their one-time passwords
 * printed once), a fresh 200-citizen sample imported and started on the first line, one log line
 * per 10 % of progress; `--exit-when-done` ends after that batch with its summary. SIGINT/SIGTERM:
 * a planned stop (every line drained and paused at a safe point, leases released), exit 0.
 */
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_USERS_FILE, demoOperatorEnv } from '../../auth/demo-users.ts';
import type { AuthUser } from '../../auth/session.ts';
import { ConfigError } from '../../config/line-config.ts';
import { SiteAlarmBoard } from '../../alarms/alarm-board.ts';
import { EventBus } from '../../events/event-bus.ts';
import { createLineEventsObserver } from '../../events/line-events-observer.ts';
import { startPgRelay } from '../../events/pg-relay.ts';
import { BindPolicyError, checkBind } from '../../http/bind-policy.ts';
import { alarmRoutes } from '../../http/routes/alarms.ts';
import { engineeringRoutes } from '../../http/routes/engineering.ts';
import { eventRoutes } from '../../http/routes/events.ts';
import { kpiRoutesWith } from '../../http/routes/kpi.ts';
import { reportRoutesWith } from '../../http/routes/reports.ts';
import { linePlan } from '../../kpi/line-plan.ts';
import { lineRoutes } from '../../http/routes/lines.ts';
import { registerMetricsRoute } from '../../metrics/metrics-route.ts';
import { createSiteMetrics } from '../../metrics/site-metrics.ts';
import { AlarmStore } from '../../store/alarm-store.ts';
import { importBatch } from '../../import/importer.ts';
import type { Progress } from '../../line/controller.ts';
import { DEFAULT_SITE_FILE, loadSiteConfig, SERVER_NAME, type SiteConfig } from '../../site/site-config.ts';
import { DB_URL_ENV } from '../../store/db.ts';
import { dialectOf } from '../../store/sql.ts';
import type { RunEnd } from '../../site/line-agent.ts';
import type { Site } from '../../site/site.ts';
import { LineStore } from '../../store/line-store.ts';
import { openContext, type AppContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeError, writeLine, writeWarning } from '../io.ts';
import { runFigures, writeRunReport } from '../run-report.ts';
import { printSummary } from './run.ts';
import { newSeed, runSample } from './sample.ts';

export interface ServeOptions {
  site?: string;
  host?: string;
  port?: string;
  demo?: boolean;
  exitWhenDone?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  /** Records in the demo's sample batch (tests use fewer). */
  demoCount?: string;
  /** A bearer token GET /metrics requires (else CARDLINE_METRICS_TOKEN; neither: public). */
  metricsToken?: string;
  /** This server's name in the site file's `active`/`standby` (default: the host name). */
  name?: string;
}


function portOf(text: string | undefined): number {
  const port = Number(text ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number 0–65535, got '${text}'`);
  return port;
}

async function siteFile(file: string, env: NodeJS.ProcessEnv): Promise<SiteConfig> {
  try {
    return await loadSiteConfig(path.resolve(file), env);
  } catch (error) {
    throw error instanceof ConfigError ? new CliError(error.message) : error;
  }
}

/** Logs a run's progress once per 10 % of its records ended. */
function tenths(log: (m: string) => void): (lineId: string, p: Progress) => void {
  const last = new Map<string, number>();
  return (lineId, p) => {
    if (p.total === 0) return;
    const ended = p.produced + p.failed + p.cancelled;
    const tenth = Math.floor((ended * 10) / p.total);
    if (tenth <= (last.get(lineId) ?? 0)) return;
    last.set(lineId, tenth);
    log(`line ${lineId}: ${tenth * 10} % — ${ended}/${p.total} records ended, ${p.good} good, ${p.spoiled} spoiled, ${p.inLine} in the line`);
  };
}

/** The demo users' one-time passwords, printed once: when they were created by this start. */
async function printDemoUsers(dataDir: string): Promise<void> {
  const file = path.join(dataDir, DEMO_USERS_FILE);
  const saved = JSON.parse(await readFile(file, 'utf8')) as { users: { name: string; role: string; password: string }[] };
  writeLine('demo users created; their one-time passwords (shown once; also in the 0600 file below):');
  for (const u of saved.users) writeLine(`  ${u.name.padEnd(15)} ${u.role.padEnd(9)} ${u.password}`);
  writeLine(`  (${file})`);
}

export async function serveCommand(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const host = options.host ?? '127.0.0.1';
  const port = portOf(options.port);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together: give both, or neither');
  const tls = options.tlsCert !== undefined;
  try {
    const { warning } = checkBind({ host, tls, insecureHttp: options.insecureHttp === true });
    if (warning) writeWarning(`cardline: WARNING: ${warning}`);
  } catch (error) {
    throw error instanceof BindPolicyError ? new CliError(error.message) : error;
  }
  if (options.exitWhenDone && !options.demo) throw new CliError('--exit-when-done ends the demo batch: it goes with --demo');
  // A long-lived server keeps its heap near what is live: tuned for throughput, V8 lets the old
  // generation grow to several times its live size between full collections, and for a line
  // server (about 100 MB live) that slack was a quarter of its resident memory. V8 reads this flag at
  // every collection, so setting it now (before the lines' modules load) takes effect.
  setFlagsFromString('--optimize-for-size');
  const serverName = options.name ?? hostname();
  if (!SERVER_NAME.test(serverName)) throw new CliError(`--name must be a server name (letters, digits, dots, dashes, underscores; at most 63), got '${serverName}'${options.name === undefined ? ' (the host name): give one with --name' : ''}`);
  const config = await siteFile(options.site ?? DEFAULT_SITE_FILE, env);
  // The KPIs and reports read this site's shifts and its lines' planned run times, wherever the site file is.
  const kpiSources = {
    siteFile: options.site ?? DEFAULT_SITE_FILE,
    linePlan: (lineId: string) => {
      const line = config.lines.find((l) => l.id === lineId);
      return Promise.resolve(line ? linePlan(line.config) : undefined);
    },
  };
  if (options.demo && !config.lines.some((l) => l.config.simulation)) throw new CliError(`--demo runs a simulated line, and site ${config.id} (${config.source}) has none`);
  const metricsToken = options.metricsToken ?? (env.CARDLINE_METRICS_TOKEN || undefined);
  if (metricsToken !== undefined && metricsToken.length < 16) throw new CliError('--metrics-token (or CARDLINE_METRICS_TOKEN) must have at least 16 characters');
  const cert = tls ? await readFile(options.tlsCert!) : undefined;
  const key = tls ? await readFile(options.tlsKey!) : undefined;

  // The site file's database, unless CARDLINE_DB_URL names one (it wins).
  const ctx: AppContext = await openContext(config.database !== undefined && !env[DB_URL_ENV] ? { ...env, [DB_URL_ENV]: config.database } : env);
  const { openLineSession } = await import('../../app/run-line.ts');
  const { Site: SiteClass } = await import('../../site/site.ts');
  const { buildApiServer, DEFAULT_LOGIN_LIMITS } = await import('../../http/server.ts');
  const { ensureWebBuild } = await import('../../http/web-app.ts');
  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  let demoBatch: string | undefined;
  const onRunEnded = (lineId: string, end: RunEnd): void => {
    if (end.outcome === 'stopped') return;
    if (end.result) {
      const result = end.result;
      void (async () => {
        const report = await writeRunReport(ctx, result);
        const after = await ctx.batches.getBatch(result.batchId);
        printSummary(result, await new LineStore(ctx.db, lineId).accounting(result.batchId), after?.status ?? '?', runFigures(result));
        writeLine(`report: ${report.file}`);
        if (options.exitWhenDone && end.batchId === demoBatch) finished(result.status === 'completed' ? EXIT.ok : EXIT.invalid);
      })().catch((error: unknown) => writeError(`cardline: the report of batch ${end.batchId} was not written: ${(error as Error).message}`));
    } else if (options.exitWhenDone && end.batchId === demoBatch) {
      writeError(`cardline: batch ${end.batchId} did not finish: ${end.error?.message ?? 'unknown error'}`);
      finished(EXIT.invalid);
    }
  };
  const log = (m: string): void => writeError(`cardline: ${m}`);
  const events = new EventBus();
  const alarms = new SiteAlarmBoard(new AlarmStore(ctx.db), events, { onError: (error) => writeWarning(`cardline: WARNING: an alarm was not recorded: ${(error as Error).message}`) });
  // Subscribed before the site opens, so every card event of this server's life is counted.
  const metrics = createSiteMetrics({ events, alarms, lines: () => site.lines() });
  // On PostgreSQL every server of the site relays its events to the others: a client of any server
  // sees the whole site, the lines this server does not drive included.
  const relay =
    dialectOf(ctx.db) === 'postgres'
      ? await startPgRelay(ctx.db, events, { serverId: `${serverName}:${process.pid}`, onError: (error) => writeWarning(`cardline: WARNING: the event relay: ${(error as Error).message}`) })
      : undefined;
  const site = new SiteClass({
    config,
    ctx,
    serverName,
    openSession: openLineSession,
    events,
    alarms,
    observers: [createLineEventsObserver(events), alarms, metrics.observer],
    log,
    warn: (m) => writeWarning(`cardline: WARNING: ${m}`),
    onRunEnded,
    onProgress: tenths(log),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await site.stop();
    })();
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping — every line drains and pauses at a safe point; a paused batch continues with start (resume) after the next start`);
    void stop().then(() => finished(EXIT.ok));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const app = await buildApiServer({
    dataDir: ctx.dataDir,
    db: ctx.db,
    keys: ctx.keys,
    batches: ctx.batches,
    site,
    secureCookies: tls,
    extraRoutes: [kpiRoutesWith(kpiSources), reportRoutesWith(kpiSources)],
    siteRoutes: [lineRoutes, eventRoutes, alarmRoutes, engineeringRoutes],
    webApp: await ensureWebBuild(),
    loginLimits: { ...DEFAULT_LOGIN_LIMITS, perIp: { max: config.ui.loginAttemptsPerMinute, windowMs: 60_000 } },
  });
  registerMetricsRoute(app, metrics, { token: metricsToken });
  try {
    await site.open();
    let url: string;
    if (tls) {
      const server = createHttpsServer({ cert: cert!, key: key! }, (req, res) => app.routing(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      app.addHook('onClose', (_i, next) => {
        server.close(() => next());
        // The event streams never end by themselves: closing waits for no client.
        server.closeAllConnections();
      });
      url = `https://${host}:${(server.address() as AddressInfo).port}/`;
    } else {
      await app.listen({ host, port });
      url = `http://${host}:${(app.server.address() as AddressInfo).port}/`;
    }
    writeLine(`cardline: server ${serverName} of site ${config.id} (${config.name}) serving at ${url} — the screens there (open it in a browser), the API at ${url}api/v1/, health at ${url}healthz, metrics at ${url}metrics${metricsToken ? ' (bearer token)' : ''}`);
    for (const line of await site.lines()) writeLine(`  line ${line.id}: ${line.phase}${line.simulated ? ' (simulated in process)' : ''}`);
    if (options.demo) demoBatch = await startDemo(ctx, config, site, Number(options.demoCount ?? '200'));
    const code = await done;
    await stop();
    return code;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} on ${host} is in use: choose another with --port`, EXIT.environment);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop().catch(() => undefined);
    metrics.close();
    await relay?.close().catch(() => undefined);
    await app.close();
    await ctx.close();
  }
}

/** The demo: users on first start, a fresh sample imported, queued and started on the first simulated line. */
async function startDemo(ctx: AppContext, config: SiteConfig, site: Site, count: number): Promise<string> {
  const demo = await demoOperatorEnv(ctx.db, ctx.dataDir, {});
  if (demo.created) await printDemoUsers(ctx.dataDir);
  const operatorName = demo.env.CARDLINE_USER;
  if (!operatorName) throw new CliError(`--demo acts as the demo operator, but this store has other users and no ${DEMO_USERS_FILE}: start without --demo and use the API as a user`);
  const operator: AuthUser = { name: operatorName, role: 'operator' };
  const line = config.lines.find((l) => l.config.simulation)!;
  const seed = newSeed();
  const sample = await runSample({ count: Math.max(1, count), seed, outDir: path.join(ctx.dataDir, 'samples', seed) });
  const imported = await importBatch({ file: sample.batchFile, store: ctx.batches, reportDir: ctx.reportDir, actor: operator.name, name: `demo ${seed}` });
  if (imported.accepted === 0) throw new CliError(`the demo sample ${sample.batchFile} had no record accepted: see ${imported.reportPath}`, EXIT.nothingAccepted);
  writeLine(`demo: ${imported.accepted} synthetic citizens imported as batch ${imported.batchId}; started on line ${line.id} as ${operator.name}`);
  await site.enqueue(line.id, imported.batchId, operator);
  // Blanks for every record and its likely re-makes; a stacker without room emptied.
  await site.start(line.id, { batchId: imported.batchId }, operator, { ensureBlanks: Math.ceil(imported.accepted * 1.25) + 20 });
  return imported.batchId;
}

export function registerServe(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('serve')
    .description("run a site's lines as a server with the HTTP API (npm start: serve --demo)")
    .option('--site <file>', 'the site file (default config/site.yaml)')
    .option('--host <address>', 'the address to listen on (default 127.0.0.1; anything else needs TLS or --insecure-http)', '127.0.0.1')
    .option('--port <n>', 'the port (default 8080; 0 picks a free one)', '8080')
    .option('--demo', "the demo: a fresh 200-citizen sample batch imported and started on the site's simulated line, demo users created on first start")
    .option('--demo-count <n>', 'records in the demo batch', '200')
    .option('--exit-when-done', 'with --demo: exit once the demo batch has ended, after its summary (0 when it completed)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--metrics-token <token>', 'GET /metrics answers only a scraper sending Authorization: Bearer <token> (default: env CARDLINE_METRICS_TOKEN; neither: public)')
    .option('--name <name>', "this server's name, as the site file's lines name it in active and standby (default: the host name)")
    .option('--insecure-http', 'allow plain HTTP on an address other than loopback (passwords cross the network in clear)')
    .addHelpText('after', '\nSIGINT/SIGTERM: a planned stop — each line stops feeding, lets the cards inside finish, pauses and releases its lease; exit 0.\nA paused batch continues after the next start: POST /api/v1/lines/LINE/start with {"resume": true}.')
    .action((options: ServeOptions) => run(() => serveCommand(options)));
}

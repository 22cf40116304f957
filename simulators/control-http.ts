/**
 * The control surface over HTTP (JSON, loopback only): what an engineer or a test in another
 * process uses to load blanks, inject faults and read the status and the ledger.
 *
 *   GET  /status                                     units, magazine, stackers, servers
 *   GET  /ledger                                     the ledger summary
 *   POST /blanks            {count, lot?}            load blanks into the feeder magazine
 *   POST /stacker/empty     {station?}               unload the stacker(s)
 *   POST /packs/unload      {}                       take every delivery pack out of the packers' pockets
 *   POST /connections/drop  {target?}                cut client connections
 *   POST /answering         {answering, target?}     stop / resume answering requests
 *   POST /heartbeat         {target, frozen}         freeze / unfreeze the PLC heartbeat
 *   POST /estop             {target}                 emergency stop (Aborting → Aborted)
 *   POST /command           {target, command}        a PackML command from the operator panel
 *   POST /slow              {target, factor}         multiply cycle times
 *   POST /failures          {station?, <mode>: p…}   set failure probabilities
 *
 * Errors answer {error} with 400 (bad request), 404 (no such unit or station) or 409.
 *
 * Every request must carry `Authorization: Bearer <token>`: the token is made at start, printed,
 * and kept in `<data dir>/sim/control-token` (0600), so only whoever may read the data directory
 * can drive the simulator (401 otherwise). A web page cannot reach the API either: a Host header
 * that names a host other than localhost or an IP address (DNS rebinding: evil.example resolving
 * to 127.0.0.1) is refused with 421, and any request with an Origin header (browsers send it,
 * command-line clients do not) with 403.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ControlError, FAILURE_NAMES, type SimControl } from './control.ts';

export interface RunningControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const target = z.string().min(1).max(64);
const Bodies = {
  blanks: z.strictObject({ count: z.number().int().positive(), lot: z.string().min(1).max(64).optional() }),
  stacker: z.strictObject({ station: target.optional() }),
  drop: z.strictObject({ target: target.optional() }),
  answering: z.strictObject({ answering: z.boolean(), target: target.optional() }),
  heartbeat: z.strictObject({ target, frozen: z.boolean() }),
  estop: z.strictObject({ target }),
  command: z.strictObject({ target, command: z.string().min(1) }),
  slow: z.strictObject({ target, factor: z.number().nonnegative() }),
  failures: z.strictObject({ station: target.optional(), ...Object.fromEntries(FAILURE_NAMES.map((n) => [n, z.number().min(0).max(1).optional()])) }),
};

function parse<T>(schema: z.ZodType<T>, body: unknown, route: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ControlError(`${route}: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Where a simulator keeps its control token: `<data dir>/sim/control-token`. */
export function controlTokenFile(dataDir: string): string {
  return path.join(dataDir, 'sim', 'control-token');
}

/** A new random token, written to the data directory (0600 in a 0700 folder) for local clients. */
export function writeControlToken(dataDir: string): string {
  const token = randomBytes(32).toString('base64url');
  const file = controlTokenFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** A Host header a browser can only send for a page served by us: localhost or an IP literal. */
function trustedHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase() === 'localhost' || isIP(name) !== 0;
}

function sameToken(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given);
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

export function buildControlApp(control: SimControl, token: string): FastifyInstance {
  const app = Fastify({ logger: false });
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (request, reply) => {
    if (!trustedHost(request.headers.host)) {
      return reply.code(421).send({ error: `Host ${JSON.stringify(request.headers.host ?? '')} is not served here: use localhost or the IP address` });
    }
    if (request.headers.origin !== undefined) {
      return reply.code(403).send({ error: 'requests from web pages (with an Origin header) are refused' });
    }
    const auth = request.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !sameToken(auth.slice(7), expected)) {
      return reply.code(401).send({ error: 'the control API needs Authorization: Bearer <token> (the token is in <data dir>/sim/control-token)' });
    }
    return undefined;
  });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ControlError) return reply.code(error.status).send({ error: error.message });
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: (error as Error).message });
    return reply.code(500).send({ error: (error as Error).message });
  });

  app.get('/status', () => control.status());
  app.get('/ledger', () => control.ledger());
  app.post('/blanks', (req) => {
    const b = parse(Bodies.blanks, req.body, 'POST /blanks');
    return control.loadBlanks(b.count, b.lot);
  });
  app.post('/stacker/empty', (req) => ({ emptied: control.emptyStacker(parse(Bodies.stacker, req.body, 'POST /stacker/empty').station) }));
  app.post('/packs/unload', () => control.unloadPacks());
  app.post('/connections/drop', (req) => control.dropConnections(parse(Bodies.drop, req.body, 'POST /connections/drop').target));
  app.post('/answering', (req) => {
    const b = parse(Bodies.answering, req.body, 'POST /answering');
    return control.setAnswering(b.answering, b.target);
  });
  app.post('/heartbeat', (req) => {
    const b = parse(Bodies.heartbeat, req.body, 'POST /heartbeat');
    return control.freezeHeartbeat(b.target, b.frozen);
  });
  app.post('/estop', (req) => control.eStop(parse(Bodies.estop, req.body, 'POST /estop').target));
  app.post('/command', (req) => {
    const b = parse(Bodies.command, req.body, 'POST /command');
    return { results: control.command(b.target, b.command) };
  });
  app.post('/slow', (req) => {
    const b = parse(Bodies.slow, req.body, 'POST /slow');
    return control.slow(b.target, b.factor);
  });
  app.post('/failures', (req) => {
    const { station, ...changes } = parse(Bodies.failures, req.body, 'POST /failures');
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Record<string, number>;
    return { stations: control.setFailures(defined, station) };
  });
  return app;
}

/** Serves the control surface on 127.0.0.1:`port` (0: a free port), for holders of `token`. */
export async function startControlServer(control: SimControl, port: number, token: string): Promise<RunningControlServer> {
  const app = buildControlApp(control, token);
  try {
    await app.listen({ host: '127.0.0.1', port });
  } catch (error) {
    await app.close();
    throw new Error(`cannot serve the simulator control API on 127.0.0.1:${port}: ${(error as Error).message}`, { cause: error });
  }
  const address = app.server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return { url: `http://127.0.0.1:${actual}`, port: actual, close: () => app.close() };
}

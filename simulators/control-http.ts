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
 */
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

export function buildControlApp(control: SimControl): FastifyInstance {
  const app = Fastify({ logger: false });
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

/** Serves the control surface on 127.0.0.1:`port` (0: a free port). */
export async function startControlServer(control: SimControl, port: number): Promise<RunningControlServer> {
  const app = buildControlApp(control);
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

/**
 * The API server of `cardline serve`: every route declaration (route-spec.ts) registered under
 * /api/v1 behind the guard (auth/guard.ts: 401, CSRF, 403 by role), its params, query and body
 * parsed with the declared zod schemas, every error answered as RFC 9457 problem details
 * (problem.ts), the OpenAPI 3.1 document at /api/v1/openapi.json (openapi.ts) and /healthz.
 * It composes nothing of the line: the site (src/site) is handed in through deps.site.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { guard } from './auth/guard.ts';
import { LoginThrottle, type ThrottleLimit } from './auth/login-throttle.ts';
import { API_PREFIX, openApiDocument, type MountedRoute } from './openapi.ts';
import { fieldErrors, HttpProblem, PROBLEM_MEDIA_TYPE, problemFrom, RequestValidationError } from './problem.ts';
import type { ApiDeps, RouteFactory, RouteSpec } from './route-spec.ts';
import { auditRoutes } from './routes/audit.ts';
import { authRoutes } from './routes/auth.ts';
import { batchRoutes } from './routes/batches.ts';
import { cardRoutes } from './routes/cards.ts';
import { qaRoutes } from './routes/qa.ts';
import { stockRoutes } from './routes/stock.ts';
import { userRoutes } from './routes/users.ts';
import { healthRoutes, openApiRoute } from './routes/meta.ts';
import { registerWebApp } from './web-app.ts';

export interface LoginLimits {
  /** Login attempts per client address (any outcome). */
  readonly perIp: ThrottleLimit;
  /** Failed logins per user name, from any address. */
  readonly perUser: ThrottleLimit;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perIp: { max: 10, windowMs: 60_000 },
  perUser: { max: 5, windowMs: 15 * 60_000 },
};

export interface ApiServerOptions extends ApiDeps {
  /** A pino-compatible logger; none when absent. Request bodies are never logged. */
  readonly log?: FastifyBaseLogger;
  /** Mark the session cookie Secure (the server, or the proxy in front of it, speaks TLS); default: when `https` is given. */
  readonly secureCookies?: boolean;
  readonly https?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Route files of other concepts (lines, events, alarms) registered beside the data routes. */
  readonly extraRoutes?: readonly RouteFactory[];
  /** Route files that need the running site: registered only when deps.site is given. */
  readonly siteRoutes?: readonly RouteFactory[];
  readonly loginLimits?: LoginLimits;
  /** The version the OpenAPI document states (package.json's). */
  readonly version?: string;
  /**
   * Check every JSON answer against the route's declared response schema (a mismatch is a 500):
   * the tests turn it on, so the OpenAPI document cannot drift from what the routes answer.
   */
  readonly checkResponses?: boolean;
  /** Serve the browser screens from this built directory (src/http/web-app.ts) under `/`. */
  readonly webApp?: string;
}

/** The data routes of this folder, in the order the OpenAPI document lists them. */
export function dataRouteFactories(throttle: LoginThrottle, limits: LoginLimits, secureCookies: boolean): RouteFactory[] {
  return [authRoutes({ throttle, perIp: limits.perIp, secureCookies }), batchRoutes, stockRoutes, qaRoutes, cardRoutes, auditRoutes, userRoutes];
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: 'params' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RequestValidationError(fieldErrors(part, parsed.error));
  return parsed.data;
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?')[0]!;
}

export async function buildApiServer(options: ApiServerOptions): Promise<FastifyInstance> {
  const deps: ApiDeps = { dataDir: options.dataDir, db: options.db, keys: options.keys, batches: options.batches, site: options.site };
  const limits = options.loginLimits ?? DEFAULT_LOGIN_LIMITS;
  const throttle = new LoginThrottle(limits.perUser);
  const app: FastifyInstance = Fastify({
    ...(options.log ? { loggerInstance: options.log } : { logger: false }),
    ...(options.https ? { https: { cert: options.https.cert, key: options.https.key } } : {}),
    // Behind a TLS proxy the client address is in X-Forwarded-For only when the operator says so: not by default.
    trustProxy: false,
    // Closing ends every connection, the open event streams too: with the default (idle ones only) a
    // Server-Sent Events client kept `serve --exit-when-done` and a SIGTERM stop waiting for ever.
    forceCloseConnections: true,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new HttpProblem(429, `too many login attempts from this address: try again in ${Math.ceil(context.ttl / 1000)} s`, { extensions: { retryAfterSeconds: Math.ceil(context.ttl / 1000) } }),
  });

  // Raw bodies (batch uploads) arrive as buffers; only routes that declare `upload` take them.
  for (const type of ['application/zip', 'application/x-ndjson', 'application/jsonl', 'text/csv', 'application/octet-stream']) {
    app.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  }

  app.setErrorHandler((error, request, reply) => {
    const { problem, internal } = problemFrom(error, pathOf(request));
    if (internal) request.log.error({ err: error }, 'request failed');
    if (problem.status === 429 && typeof problem.retryAfterSeconds === 'number') void reply.header('retry-after', String(problem.retryAfterSeconds));
    return reply.code(problem.status).type(PROBLEM_MEDIA_TYPE).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const { problem } = problemFrom(new HttpProblem(404, `no route ${request.method} ${pathOf(request)} (GET ${API_PREFIX}/openapi.json lists them)`), pathOf(request));
    return reply.code(404).type(PROBLEM_MEDIA_TYPE).send(problem);
  });

  const factories = [
    ...dataRouteFactories(throttle, limits, options.secureCookies ?? options.https !== undefined),
    ...(options.extraRoutes ?? []),
    ...(options.site ? (options.siteRoutes ?? []) : []),
  ];
  const mounted: MountedRoute[] = [
    ...healthRoutes(deps).map((spec) => ({ path: spec.url, spec })),
    ...factories.flatMap((f) => f(deps)).map((spec) => ({ path: API_PREFIX + spec.url, spec })),
  ];
  let document: Record<string, unknown> | undefined;
  const openApi = openApiRoute(() => (document ??= openApiDocument([...mounted, { path: `${API_PREFIX}/openapi.json`, spec: openApi }], { title: 'cardline site API', version: options.version ?? '0.1.0' })));
  mounted.push({ path: `${API_PREFIX}/openapi.json`, spec: openApi });

  // Closing ends the connections at once (forceCloseConnections) but not the handlers still running:
  // close waits for them, so the caller closes the store only after their last query. A handler
  // left waiting for a pool being destroyed waited out its 60 s acquire timeout (serve's slow exit).
  const inFlight = new Set<Promise<unknown>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...inFlight]);
  });
  for (const { path, spec } of mounted) register(app, deps, path, spec, options.checkResponses ?? false, inFlight);
  if (options.webApp !== undefined) registerWebApp(app, options.webApp);
  return app;
}

function register(app: FastifyInstance, deps: ApiDeps, path: string, spec: RouteSpec, checkResponses: boolean, inFlight: Set<Promise<unknown>>): void {
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const user = await guard(deps.db, spec, request);
    const raw = Buffer.isBuffer(request.body);
    if (raw !== Boolean(spec.upload) && request.body !== undefined) {
      throw new HttpProblem(415, spec.upload ? `send the upload as one of ${spec.upload.mediaTypes.join(', ')}` : 'send the body as application/json', {
        field: 'header.Content-Type',
      });
    }
    const params = parsePart(spec.params, request.params, 'params');
    const query = parsePart(spec.query, request.query, 'query');
    const body = spec.upload ? request.body : parsePart(spec.body, request.body, 'body');
    const result = await spec.handler({ params, query, body, user, request, reply });
    if (spec.status === 204) return reply.code(204).send();
    // A stream (the event stream) is sent by its handler, which returns nothing.
    if (reply.sent || result === undefined) return reply;
    if (checkResponses && spec.response && !Buffer.isBuffer(result)) {
      const checked = spec.response.safeParse(result);
      if (!checked.success) {
        throw new HttpProblem(500, `the answer of ${spec.method} ${spec.url} does not match its declared schema at ${checked.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`);
      }
    }
    void reply.code(spec.status ?? 200);
    return result;
  };
  app.route({
    method: spec.method,
    url: path,
    ...(spec.upload ? { bodyLimit: spec.upload.maxBytes } : {}),
    ...(spec.rateLimit ? { config: { rateLimit: { max: spec.rateLimit.max, timeWindow: spec.rateLimit.windowMs } } } : {}),
    handler: (request: FastifyRequest, reply: FastifyReply) => {
      const running = handle(request, reply);
      inFlight.add(running);
      void running.then(
        () => inFlight.delete(running),
        () => inFlight.delete(running),
      );
      return running;
    },
  });
}

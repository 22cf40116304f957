/**
 * PLACEHOLDER of the site server's HTTP layer, only so that `cardline serve` compiles and runs on
 * this branch: the "http" part of issue 16 (auth, CSRF, rate-limited login, problem details,
 * OpenAPI) replaces this file at merge with the same signature. It registers the route factories
 * under /api/v1 with their zod schemas and no authentication (every handler sees no user).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { lineRoutes } from './routes/lines.ts';
import type { ApiDeps, RouteFactory } from './route-spec.ts';
import { SiteRequestError } from '../site/runtime.ts';

export async function buildApiServer(deps: ApiDeps & { log?: boolean; secureCookies?: boolean; extraRoutes?: RouteFactory[] }): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.log ?? false });
  const factories: RouteFactory[] = [...(deps.site ? [lineRoutes] : []), ...(deps.extraRoutes ?? [])];
  app.get('/healthz', () => ({ ok: true }));
  for (const spec of factories.flatMap((f) => f(deps))) {
    app.route({
      method: spec.method,
      url: `/api/v1${spec.url}`,
      handler: async (request, reply) => {
        try {
          const params = spec.params ? spec.params.parse(request.params) : request.params;
          const query = spec.query ? spec.query.parse(request.query) : request.query;
          const body = spec.body ? spec.body.parse(request.body) : request.body;
          const result = await spec.handler({ params, query, body, user: undefined, request, reply });
          reply.code(spec.status ?? 200);
          return spec.status === 204 ? reply.send() : reply.send(result ?? null);
        } catch (error) {
          if (error instanceof SiteRequestError) return reply.code(error.status).type('application/problem+json').send({ title: error.message, status: error.status, ...(error.field ? { errors: [{ field: error.field, message: error.message }] } : {}) });
          if (error instanceof ZodError) return reply.code(400).type('application/problem+json').send({ title: 'invalid request', status: 400, errors: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
          throw error;
        }
      },
    });
  }
  await app.ready();
  return app;
}

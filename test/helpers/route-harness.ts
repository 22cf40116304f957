// Test support: serves RouteSpecs (src/http/route-spec.ts) on a real fastify at 127.0.0.1:0 the way
// the API server does in outline — under /api/v1, zod-checked params/query/body, the route's
// permission against the role of the user the request names (header `x-test-user: name:role`; the
// real server authenticates with sessions and tokens), SiteRequestError → its status — so route
// files can be tested over real HTTP before and apart from src/http/server.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { isRole, mayDo } from '../../src/auth/roles.ts';
import type { AuthUser } from '../../src/auth/session.ts';
import type { RouteSpec } from '../../src/http/route-spec.ts';
import { SiteRequestError } from '../../src/site/runtime.ts';

export interface Harness {
  readonly app: FastifyInstance;
  readonly base: string;
  close(): Promise<void>;
}

function userOf(header: string | string[] | undefined): AuthUser | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const [name, role] = value.split(':');
  if (!name || !role || !isRole(role)) return undefined;
  return { name, role };
}

export async function serveRoutes(specs: readonly RouteSpec[]): Promise<Harness> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  for (const spec of specs) {
    app.route({
      method: spec.method,
      url: `/api/v1${spec.url}`,
      handler: async (request, reply) => {
        try {
          const user = userOf(request.headers['x-test-user']);
          if (spec.permission !== 'public') {
            if (!user) return await reply.code(401).send({ status: 401, title: 'authentication required' });
            if (spec.permission !== 'authenticated' && !mayDo(user.role, spec.permission)) return await reply.code(403).send({ status: 403, title: `${spec.permission} needed` });
          }
          const params = spec.params ? spec.params.parse(request.params) : request.params;
          const query = spec.query ? spec.query.parse(request.query) : request.query;
          const body = spec.body ? spec.body.parse(request.body) : request.body;
          const result = await spec.handler({ params, query, body, user, request, reply });
          if (reply.sent) return reply;
          const checked = spec.response ? spec.response.parse(result) : result;
          return await reply.code(spec.status ?? 200).send(checked);
        } catch (error) {
          if (error instanceof SiteRequestError) return reply.code(error.status).send({ status: error.status, detail: error.message, errors: error.field ? [{ field: error.field, message: error.message }] : [] });
          if (error instanceof ZodError) return reply.code(400).send({ status: 400, errors: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
          throw error;
        }
      },
    });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the harness has no TCP address');
  return { app, base: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

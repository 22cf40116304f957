/** The public routes that describe the server: its health and its OpenAPI document. */
import { z } from 'zod';
import { pingDatabase } from '../../store/db.ts';
import { HttpProblem } from '../problem.ts';
import { route, type RouteFactory, type RouteSpec } from '../route-spec.ts';

/** GET /healthz (at the root, not under /api/v1): the process answers and its database does. */
export const healthRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/healthz',
    permission: 'public',
    summary: 'Health: the server answers and reaches its database',
    tags: ['meta'],
    response: z.object({ status: z.literal('ok'), site: z.string().nullable() }),
    // 503 (problem details) when the database does not answer.
    handler: async () => {
      try {
        await pingDatabase(deps.db);
      } catch {
        throw new HttpProblem(503, 'the database does not answer');
      }
      return { status: 'ok' as const, site: deps.site?.siteId ?? null };
    },
  }),
];

export function openApiRoute(document: () => Record<string, unknown>): RouteSpec {
  return route({
    method: 'GET',
    url: '/openapi.json',
    permission: 'public',
    summary: 'This OpenAPI 3.1 document',
    tags: ['meta'],
    response: z.record(z.string(), z.unknown()),
    handler: () => Promise.resolve(document()),
  });
}

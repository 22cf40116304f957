/**
 * `GET /metrics` at the server's root (where Prometheus looks by default, outside the /api/v1
 * document): public, or, with a token (`cardline serve --metrics-token`, CARDLINE_METRICS_TOKEN),
 * only for a scraper that sends `Authorization: Bearer <token>` (Prometheus: `authorization:
 * { credentials_file: … }` in its scrape config).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../http/problem.ts';
import type { SiteMetrics } from './site-metrics.ts';

export const METRICS_PATH = '/metrics';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether the Authorization header carries the token (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

export function registerMetricsRoute(app: FastifyInstance, metrics: SiteMetrics, options: { readonly token?: string | undefined } = {}): void {
  const token = options.token;
  if (token !== undefined && token.length < 16) throw new Error('the metrics token must have at least 16 characters');
  app.get(METRICS_PATH, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      void reply.header('www-authenticate', 'Bearer realm="cardline metrics"');
      throw new HttpProblem(401, 'GET /metrics needs the metrics token: Authorization: Bearer <token>');
    }
    const text = await metrics.text();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
  });
}

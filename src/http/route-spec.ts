/**
 * How an API route is declared, once: method, path, the permission it needs (src/auth/roles.ts;
 * 'public' for login, health, the OpenAPI document and /metrics), its zod schemas and its handler.
 * The server registers these with fastify, the OpenAPI 3.1 document is generated from them, and the
 * role-matrix test calls every one of them without credentials and with each role.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthUser } from '../auth/session.ts';
import type { Permission } from '../auth/roles.ts';
import type { Knex } from 'knex';
import type { BatchStore } from '../store/batch-store.ts';
import type { DataKeys } from '../store/keys.ts';
import type { SiteRuntime } from '../site/runtime.ts';

/** What route factories get from the server (src/http/server.ts builds it once). */
export interface ApiDeps {
  readonly dataDir: string;
  readonly db: Knex;
  readonly keys: DataKeys;
  readonly batches: BatchStore;
  /** The site's running lines; absent in a server that hosts no lines (tests of the data routes). */
  readonly site?: SiteRuntime | undefined;
}

/** A route file exports one of these: `export const batchRoutes: RouteFactory = (deps) => [route({...}), ...]`. */
export type RouteFactory = (deps: ApiDeps) => readonly RouteSpec[];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The authenticated user; undefined only on public routes. */
  readonly user: AuthUser | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown, R = unknown> {
  readonly method: HttpMethod;
  /** fastify path under /api/v1, e.g. '/lines/:lineId/start'. */
  readonly url: string;
  readonly permission: Permission | 'public' | 'authenticated';
  readonly summary: string;
  readonly tags: readonly string[];
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** The 2xx response body (omitted for streams and 204). */
  readonly response?: z.ZodType<R>;
  readonly status?: 200 | 201 | 202 | 204;
  /** A raw request body instead of JSON (a batch upload): its media types and the largest accepted. */
  readonly upload?: { readonly mediaTypes: readonly string[]; readonly maxBytes: number; readonly description: string };
  /** The media types of a non-JSON 2xx body (a PNG or PDF preview), described instead of `response`. */
  readonly produces?: readonly string[];
  /** Requests one client address may make in a window (the login). */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** A state-changing route audited with the user (the handler writes the audit row). */
  readonly handler: (ctx: RouteContext<P, Q, B>) => Promise<R | undefined>;
}

/** Erases a spec's type parameters so a route file can export a list of differently typed routes. */
export function route<P, Q, B, R>(spec: RouteSpec<P, Q, B, R>): RouteSpec {
  return spec as unknown as RouteSpec;
}

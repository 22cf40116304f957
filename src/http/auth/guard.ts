/**
 * The check every API route passes before its handler: credentials (401 without a live session),
 * CSRF for cookie-authenticated state changes (403 naming the header), then the route's permission
 * against the user's role (403 naming the roles that hold it).
 */
import type { FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { mayDo, PERMISSIONS } from '../../auth/roles.ts';
import type { AuthUser } from '../../auth/session.ts';
import { HttpProblem } from '../problem.ts';
import type { RouteSpec } from '../route-spec.ts';
import { credentialsOf, csrfMatches, CSRF_HEADER, sessionUser, type SessionCredentials } from './api-session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const sessions = new WeakMap<FastifyRequest, SessionCredentials>();

/** The credentials the request was authenticated with (logout and /me need the token). */
export function sessionOf(request: FastifyRequest): SessionCredentials | undefined {
  return sessions.get(request);
}

export async function guard(db: Knex, spec: RouteSpec, request: FastifyRequest): Promise<AuthUser | undefined> {
  if (spec.permission === 'public') return undefined;
  const credentials = credentialsOf(request.headers, request.cookies);
  if (!credentials) {
    throw new HttpProblem(401, 'log in first (POST /api/v1/auth/login), then send the session cookie or an Authorization: Bearer token', { slug: 'unauthenticated' });
  }
  const user = await sessionUser(db, credentials.token);
  if (!user) throw new HttpProblem(401, 'the session has expired or was closed, or its user is disabled: log in again', { slug: 'unauthenticated' });
  if (credentials.via === 'cookie' && !SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (!csrfMatches(credentials.token, typeof sent === 'string' ? sent : undefined)) {
      throw new HttpProblem(403, 'a request with the session cookie that changes something must send the X-CSRF-Token header GET /api/v1/auth/me returns', {
        field: 'header.X-CSRF-Token',
        slug: 'csrf',
      });
    }
  }
  if (spec.permission !== 'authenticated' && !mayDo(user.role, spec.permission)) {
    const roles = (PERMISSIONS[spec.permission] as readonly string[]).join(' or ');
    throw new HttpProblem(403, `${user.name} (${user.role}) may not ${spec.method} ${spec.url}: it needs the permission ${spec.permission}, held by the role ${roles}`, {
      extensions: { permission: spec.permission },
    });
  }
  sessions.set(request, credentials);
  return { name: user.name, role: user.role };
}

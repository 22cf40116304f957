/**
 * API sessions: a random token, given to a browser as an HttpOnly cookie and to a script as a
 * bearer token; the database keeps only its SHA-256 (src/store/api-session-store.ts). The CSRF token
 * is derived from the session token (an HMAC-like hash with its own label), so it needs no storage,
 * changes with every session, and cannot be computed by a page that cannot read the HttpOnly cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { isRole } from '../../auth/roles.ts';
import type { AuthUser } from '../../auth/session.ts';
import { ApiSessionStore } from '../../store/api-session-store.ts';

export const SESSION_COOKIE = 'cardline_session';
export const CSRF_HEADER = 'x-csrf-token';
/** An API session lasts a shift; a script logs in again. */
export const API_SESSION_HOURS = 8;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('cardline-csrf-v1\0', 'utf8').update(sessionToken, 'utf8').digest('base64url');
}

/** Constant-time comparison of a sent CSRF token with the session's. */
export function csrfMatches(sessionToken: string, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface OpenedApiSession {
  readonly token: string;
  readonly expiresAt: Date;
  readonly csrfToken: string;
}

/** Opens a session for an authenticated user (audited as user.login via api). */
export async function openApiSession(db: Knex, user: AuthUser, ip: string, now: Date = new Date()): Promise<OpenedApiSession> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + API_SESSION_HOURS * 3_600_000);
  await new ApiSessionStore(db).open(user.name, tokenHash(token), expiresAt, { ip });
  return { token, expiresAt, csrfToken: csrfTokenFor(token) };
}

export async function closeApiSession(db: Knex, token: string): Promise<string | undefined> {
  return new ApiSessionStore(db).close(tokenHash(token));
}

export interface SessionCredentials {
  readonly token: string;
  /** A cookie comes with every request the browser makes, so it needs CSRF protection; a bearer token does not. */
  readonly via: 'cookie' | 'bearer';
}

/** The credentials a request carries: an `Authorization: Bearer` header first, else the session cookie. */
export function credentialsOf(headers: { readonly authorization?: string | undefined }, cookies: Record<string, string | undefined>): SessionCredentials | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+([A-Za-z0-9_-]{20,200})\s*$/i.exec(auth);
    return match ? { token: match[1]!, via: 'bearer' } : undefined;
  }
  const cookie = cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

/** The user of a live session, or undefined (unknown, expired or closed token; disabled user; unknown role). */
export async function sessionUser(db: Knex, token: string): Promise<(AuthUser & { readonly expiresAt: Date }) | undefined> {
  const found = await new ApiSessionStore(db).user(tokenHash(token));
  if (!found || !isRole(found.role)) return undefined;
  return { name: found.name, role: found.role, expiresAt: found.expiresAt };
}

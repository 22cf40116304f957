/**
 * Login, logout and who am I. A login opens a server-side session (auth/api-session.ts): the token
 * goes to a browser as an HttpOnly, SameSite=Strict cookie (Secure behind TLS) and to a script in
 * the answer, for `Authorization: Bearer`. Logins are limited per client address (@fastify/rate-limit)
 * and failed ones per user name (auth/login-throttle.ts); both answer 429.
 */
import { z } from 'zod';
import { AuthError, changePassword, checkPassword, mustChangeFirst, PasswordRuleError } from '../../auth/session.ts';
import { ROLES } from '../../auth/roles.ts';
import { closeApiSession, csrfTokenFor, openApiSession, SESSION_COOKIE, sessionUser } from '../auth/api-session.ts';
import { sessionOf } from '../auth/guard.ts';
import type { LoginThrottle, ThrottleLimit } from '../auth/login-throttle.ts';
import { HttpProblem } from '../problem.ts';
import { route, type RouteFactory } from '../route-spec.ts';

const loginBody = z.object({
  user: z.string().min(1).max(64).describe('login name'),
  password: z.string().min(1).max(1024),
});

const passwordBody = loginBody.extend({ newPassword: z.string().min(1).max(1024).describe('the password the user chooses') });

const sessionView = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  csrfToken: z.string().describe('send it as X-CSRF-Token with every state-changing request that uses the session cookie'),
  expiresAt: z.string(),
});

export function authRoutes(options: { readonly throttle: LoginThrottle; readonly perIp: ThrottleLimit; readonly secureCookies: boolean }): RouteFactory {
  const { throttle, secureCookies } = options;
  return (deps) => [
    route({
      method: 'POST',
      url: '/auth/login',
      permission: 'public',
      summary: 'Log in: opens a session (cookie, and a bearer token for scripts)',
      tags: ['auth'],
      body: loginBody,
      response: sessionView.extend({ token: z.string().describe('the bearer token: Authorization: Bearer TOKEN') }),
      rateLimit: { max: options.perIp.max, windowMs: options.perIp.windowMs },
      handler: async ({ body, request, reply }) => {
        const wait = throttle.retryAfterMs(body.user);
        if (wait > 0) {
          void reply.header('retry-after', String(Math.ceil(wait / 1000)));
          throw new HttpProblem(429, `too many failed logins for ${body.user}: try again in ${Math.ceil(wait / 1000)} s`, { field: 'body.user' });
        }
        let user;
        try {
          user = await checkPassword(deps.db, body.user, body.password);
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          throttle.fail(body.user);
          // One answer for an unknown name, a wrong password and a disabled user.
          throw new HttpProblem(401, 'login failed: unknown user, wrong password or disabled user', { field: 'body.password', slug: 'login-failed' });
        }
        throttle.succeed(body.user);
        // A one-time password opens nothing but its own change (POST /auth/password).
        if (user.mustChangePassword) throw new HttpProblem(403, `${mustChangeFirst(user.name).message}, or POST /api/v1/auth/password`, { field: 'body.password', slug: 'password-change-required' });
        const session = await openApiSession(deps.db, { name: user.name, role: user.role }, request.ip);
        void reply.setCookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'strict', secure: secureCookies, path: '/', expires: session.expiresAt });
        return { name: user.name, role: user.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString(), token: session.token };
      },
    }),
    route({
      method: 'POST',
      url: '/auth/password',
      permission: 'public',
      summary: 'Change one’s own password (the old one proves who asks; a one-time password must be changed so before any login)',
      tags: ['auth'],
      body: passwordBody,
      status: 204,
      rateLimit: { max: options.perIp.max, windowMs: options.perIp.windowMs },
      handler: async ({ body, reply }) => {
        const wait = throttle.retryAfterMs(body.user);
        if (wait > 0) {
          void reply.header('retry-after', String(Math.ceil(wait / 1000)));
          throw new HttpProblem(429, `too many failed logins for ${body.user}: try again in ${Math.ceil(wait / 1000)} s`, { field: 'body.user' });
        }
        try {
          await changePassword(deps.db, body.user, body.password, body.newPassword);
        } catch (error) {
          if (error instanceof PasswordRuleError) throw new HttpProblem(422, error.message, { field: 'body.newPassword' });
          if (!(error instanceof AuthError)) throw error;
          throttle.fail(body.user);
          throw new HttpProblem(401, 'password change failed: unknown user, wrong password or disabled user', { field: 'body.password', slug: 'login-failed' });
        }
        throttle.succeed(body.user);
        return undefined;
      },
    }),
    route({
      method: 'POST',
      url: '/auth/logout',
      permission: 'authenticated',
      summary: 'Log out: closes this session',
      tags: ['auth'],
      status: 204,
      handler: async ({ request, reply }) => {
        const session = sessionOf(request)!;
        await closeApiSession(deps.db, session.token);
        void reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: secureCookies });
        return undefined;
      },
    }),
    route({
      method: 'GET',
      url: '/auth/me',
      permission: 'authenticated',
      summary: 'Who is logged in: name, role and the CSRF token of the session',
      tags: ['auth'],
      response: sessionView,
      handler: async ({ request }) => {
        const session = sessionOf(request)!;
        const user = await sessionUser(deps.db, session.token);
        if (!user) throw new HttpProblem(401, 'the session has ended', { slug: 'unauthenticated' });
        return { name: user.name, role: user.role, csrfToken: csrfTokenFor(session.token), expiresAt: user.expiresAt.toISOString() };
      },
    }),
  ];
}

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
import { UserStore } from '../../store/user-store.ts';
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

/** The screens' languages; Vietnamese is the default. */
export const LOCALES = ['vi', 'en'] as const;
const DEFAULT_IDLE_LOGOUT_MINUTES = 5;

const meView = sessionView.extend({
  locale: z.enum(LOCALES).describe('the language the user chose for the screens (vi by default)'),
  idleLogoutMinutes: z.number().int().describe("a touch panel logs its user out after this many idle minutes (the site file's ui.idleLogoutMinutes)"),
  site: z.object({ name: z.string(), timeZone: z.string(), shifts: z.array(z.object({ name: z.string(), start: z.string(), end: z.string() })).optional() }).nullable().describe('the site this server runs (null: a server without lines), with its shifts (the operator panel shows the cards an hour of the shift now)'),
});

function localeOf(value: string | undefined): (typeof LOCALES)[number] {
  return value === 'en' ? 'en' : 'vi';
}

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
      summary: 'Who is logged in: name, role, language and the CSRF token of the session; the idle logout of the screens',
      tags: ['auth'],
      response: meView,
      handler: async ({ request }) => {
        const session = sessionOf(request)!;
        const user = await sessionUser(deps.db, session.token);
        if (!user) throw new HttpProblem(401, 'the session has ended', { slug: 'unauthenticated' });
        const settings = deps.site?.settings;
        return {
          name: user.name,
          role: user.role,
          csrfToken: csrfTokenFor(session.token),
          expiresAt: user.expiresAt.toISOString(),
          locale: localeOf(await new UserStore(deps.db).locale(user.name)),
          idleLogoutMinutes: settings?.idleLogoutMinutes ?? DEFAULT_IDLE_LOGOUT_MINUTES,
          site: settings ? { name: settings.name, timeZone: settings.timeZone, shifts: settings.shifts.map((x) => ({ name: x.name, start: x.start, end: x.end })) } : null,
        };
      },
    }),
    route({
      method: 'PUT',
      url: '/auth/me/locale',
      permission: 'authenticated',
      summary: 'Remember the language of the screens for this user (vi or en)',
      tags: ['auth'],
      body: z.object({ locale: z.enum(LOCALES) }),
      status: 204,
      handler: async ({ body, user }) => {
        await new UserStore(deps.db).setLocale(user!.name, body.locale);
        return undefined;
      },
    }),
  ];
}

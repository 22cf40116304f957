/**
 * Users (docs/security.md, "Users and roles"): list (manager, admin), add with a one-time password
 * shown once in the answer, disable (admin; ends their sessions), reset a password to a new
 * one-time one (admin; ends their sessions) — what `cardline user add|list|disable|reset` do, for
 * the users screen. A one-time password must be changed at the user's first login. Audited by the
 * store with the admin.
 */
import { z } from 'zod';
import { hashPassword, newOneTimePassword } from '../../auth/password.ts';
import { ROLES } from '../../auth/roles.ts';
import { UserStore, USER_NAME, type User } from '../../store/user-store.ts';
import { HttpProblem, notFound } from '../problem.ts';
import { route, type RouteFactory } from '../route-spec.ts';

const userName = z.string().regex(USER_NAME, "2–64 letters, digits, '.', '_' or '-', starting with a letter or digit");

const userView = z.object({ name: z.string(), role: z.string(), disabled: z.boolean(), mustChangePassword: z.boolean(), createdAt: z.string(), createdBy: z.string() });

function viewOf(u: User): z.infer<typeof userView> {
  return { name: u.name, role: u.role, disabled: u.disabled, mustChangePassword: u.mustChangePassword, createdAt: u.createdAt.toISOString(), createdBy: u.createdBy };
}

export const userRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/users',
    permission: 'user.list',
    summary: 'Every user with role and state',
    tags: ['users'],
    response: z.array(userView),
    handler: async () => (await new UserStore(deps.db).list()).map(viewOf),
  }),
  route({
    method: 'POST',
    url: '/users',
    permission: 'user.manage',
    summary: 'Add a user; the answer carries their one-time password, shown only this once',
    tags: ['users'],
    body: z.object({ name: userName, role: z.enum(ROLES) }),
    status: 201,
    response: z.object({ name: z.string(), role: z.enum(ROLES), oneTimePassword: z.string() }),
    handler: async ({ body, user, reply }) => {
      const password = newOneTimePassword();
      // One-time, as `cardline user add` makes it: someone else saw it, so the user chooses their own at first login.
      await new UserStore(deps.db).add({ name: body.name, role: body.role, passwordHash: await hashPassword(password), by: user!.name, mustChangePassword: true });
      void reply.header('cache-control', 'no-store');
      return { name: body.name, role: body.role, oneTimePassword: password };
    },
  }),
  route({
    method: 'POST',
    url: '/users/:name/disable',
    permission: 'user.manage',
    summary: 'Disable a user and end their sessions',
    tags: ['users'],
    params: z.object({ name: userName }),
    response: userView,
    handler: async ({ params, user }) => {
      if (params.name === user!.name) throw new HttpProblem(409, 'an admin does not disable themselves: another admin does', { field: 'params.name' });
      const users = new UserStore(deps.db);
      if (!(await users.get(params.name))) throw notFound(`user ${params.name} does not exist`, 'params.name');
      await users.disable(params.name, user!.name);
      return viewOf((await users.get(params.name))!);
    },
  }),
  route({
    method: 'POST',
    url: '/users/:name/password-reset',
    permission: 'user.manage',
    summary: "Give a user a new one-time password (shown only in this answer), ending their sessions; they choose their own at their next login",
    tags: ['users'],
    params: z.object({ name: userName }),
    response: z.object({ name: z.string(), oneTimePassword: z.string() }),
    handler: async ({ params, user, reply }) => {
      if (params.name === user!.name) throw new HttpProblem(409, 'an admin changes their own password (POST /auth/password), not by a reset', { field: 'params.name' });
      const users = new UserStore(deps.db);
      if (!(await users.get(params.name))) throw notFound(`user ${params.name} does not exist`, 'params.name');
      const password = newOneTimePassword();
      await users.resetPassword(params.name, await hashPassword(password), user!.name);
      void reply.header('cache-control', 'no-store');
      return { name: params.name, oneTimePassword: password };
    },
  }),
];

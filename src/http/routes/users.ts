/**
 * Users (docs/security.md, "Users and roles"): list (manager, admin), add with a one-time password
 * shown once in the answer, disable (admin; ends their sessions). Audited by the store with the admin.
 */
import { z } from 'zod';
import { hashPassword, newOneTimePassword } from '../../auth/password.ts';
import { ROLES } from '../../auth/roles.ts';
import { UserStore, USER_NAME } from '../../store/user-store.ts';
import { HttpProblem, notFound } from '../problem.ts';
import { route, type RouteFactory } from '../route-spec.ts';

const userName = z.string().regex(USER_NAME, "2–64 letters, digits, '.', '_' or '-', starting with a letter or digit");

const userView = z.object({ name: z.string(), role: z.string(), disabled: z.boolean(), createdAt: z.string(), createdBy: z.string() });

export const userRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/users',
    permission: 'user.list',
    summary: 'Every user with role and state',
    tags: ['users'],
    response: z.array(userView),
    handler: async () => (await new UserStore(deps.db).list()).map((u) => ({ ...u, createdAt: u.createdAt.toISOString() })),
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
      await new UserStore(deps.db).add({ name: body.name, role: body.role, passwordHash: await hashPassword(password), by: user!.name });
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
      const u = (await users.get(params.name))!;
      return { name: u.name, role: u.role, disabled: u.disabled, createdAt: u.createdAt.toISOString(), createdBy: u.createdBy };
    },
  }),
];

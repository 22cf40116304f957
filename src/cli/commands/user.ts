/**
 * `cardline user add|list|disable|bootstrap`, `cardline login` and `cardline logout`: the people who
 * may act on the store (docs/security.md, "Users and roles").
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { hashPassword, newOneTimePassword } from '../../auth/password.ts';
import { isRole, ROLES } from '../../auth/roles.ts';
import { AuthError, login, logout, PASSWORD_ENV, SESSION_MINUTES } from '../../auth/session.ts';
import { UserStore, UserStoreError } from '../../store/user-store.ts';
import { notAllowed, openContext, withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeError, writeLine } from '../io.ts';

function checkRole(role: string): string {
  if (!isRole(role)) throw new CliError(`--role must be one of ${ROLES.join(', ')}, got '${role}'`);
  return role;
}

/** The first user, an admin: only on a store with no users, only by the OS owner of the data directory. */
export async function bootstrapUser(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const ctx = await openContext(env);
  try {
    const owner = (await stat(ctx.dataDir)).uid;
    const me = process.getuid?.();
    if (me !== undefined && me !== owner) {
      throw notAllowed(`only the owner of the data directory ${ctx.dataDir} (uid ${owner}) may bootstrap its first user; this is uid ${me}`);
    }
    const password = newOneTimePassword();
    await asCliError(UserStoreError, async () => {
      await new UserStore(ctx.db).add({ name, role: 'admin', passwordHash: await hashPassword(password), by: `process:${me ?? 'unknown'}`, onlyIfNone: true });
    });
    return password;
  } finally {
    await ctx.close();
  }
}

/** Reads a password: CARDLINE_PASSWORD, else a line typed at the terminal without echo, else the first line of standard input. */
async function readPassword(prompt: string): Promise<string> {
  const fromEnv = process.env[PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) {
      text += (chunk as Buffer).toString('utf8');
      if (text.includes('\n')) break;
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (data: Buffer): void => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            input.off('data', onData);
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (ch === '\u0003') {
            input.off('data', onData);
            reject(new CliError('login interrupted'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}

export function registerUser(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const user = program.command('user').description('the people who may act on the store, each with a role (docs/security.md)');
  user
    .command('add')
    .description('add a user (role admin); prints their one-time password, which is shown only this once')
    .argument('<name>', 'login name: letters, digits, ".", "_", "-"')
    .requiredOption('--role <role>', ROLES.join('|'))
    .action((name: string, o: { role: string }) =>
      run(() =>
        withContext({ permissions: ['user.manage'], what: 'add users' }, (ctx) =>
          asCliError(UserStoreError, async () => {
            const role = checkRole(o.role);
            const password = newOneTimePassword();
            await new UserStore(ctx.db).add({ name, role, passwordHash: await hashPassword(password), by: ctx.actor });
            writeLine(`user ${name} (${role}) added; one-time password: ${password}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  user
    .command('list')
    .description('every user with role and state (roles manager, admin)')
    .option('--json', 'print [{"name","role","disabled","createdAt","createdBy"}]')
    .action((o: { json?: boolean }) =>
      run(() =>
        withContext({ permissions: ['user.list'], what: 'list users' }, async (ctx) => {
          const users = await new UserStore(ctx.db).list();
          if (o.json) writeLine(JSON.stringify(users));
          else for (const u of users) writeLine(`${u.name.padEnd(24)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : 'active  '}  added ${u.createdAt.toISOString().slice(0, 10)} by ${u.createdBy}`);
          return EXIT.ok;
        }),
      ),
    );
  user
    .command('disable')
    .description('disable a user and end their sessions (role admin; audited)')
    .argument('<name>', 'login name')
    .action((name: string) =>
      run(() =>
        withContext({ permissions: ['user.manage'], what: 'disable users' }, (ctx) =>
          asCliError(UserStoreError, async () => {
            if (name === ctx.actor) throw new CliError('an admin does not disable themselves: another admin does');
            await new UserStore(ctx.db).disable(name, ctx.actor);
            writeLine(`user ${name} disabled`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  user
    .command('bootstrap')
    .description('create the first user, an admin: only on a store with no users, only by the OS owner of the data directory')
    .argument('<name>', 'login name')
    .action((name: string) =>
      run(async () => {
        const password = await bootstrapUser(name);
        writeLine(`user ${name} (admin) created; one-time password: ${password}`);
        return EXIT.ok;
      }),
    );

  program
    .command('login')
    .description(`log in: the token lasts ${SESSION_MINUTES} minutes, kept in <data dir>/session.json (0600). Scripts set CARDLINE_USER and CARDLINE_PASSWORD instead`)
    .argument('<name>', 'login name')
    .action((name: string) =>
      run(async () => {
        const ctx = await openContext();
        try {
          const password = await readPassword(`password for ${name}: `);
          const session = await login(ctx.db, ctx.dataDir, name, password).catch((error: unknown) => {
            throw error instanceof AuthError ? new CliError(error.message, EXIT.notAllowed) : error;
          });
          writeLine(`logged in as ${session.user.name} (${session.user.role}) until ${session.expiresAt.toISOString().slice(11, 16)} UTC`);
          return EXIT.ok;
        } finally {
          await ctx.close();
        }
      }),
    );
  program
    .command('logout')
    .description('end the session of cardline login')
    .action(() =>
      run(async () => {
        const ctx = await openContext();
        try {
          const who = await logout(ctx.db, ctx.dataDir);
          if (who) writeLine(`${who} logged out`);
          else writeError('not logged in');
          return EXIT.ok;
        } finally {
          await ctx.close();
        }
      }),
    );
}

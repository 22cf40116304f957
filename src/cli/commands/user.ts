/**
 * `cardline user add|list|disable|reset|passwd|bootstrap`, `cardline login` and `cardline logout`:
 * the people who may act on the store (docs/security.md, "Users and roles").
 */
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { hashPassword, newOneTimePassword } from '../../auth/password.ts';
import { isRole, ROLES } from '../../auth/roles.ts';
import { AuthError, changePassword, login, logout, NEW_PASSWORD_ENV, PASSWORD_ENV, PasswordRuleError, SESSION_MINUTES, sessionFileUser, USER_ENV } from '../../auth/session.ts';
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
      await new UserStore(ctx.db).add({ name, role: 'admin', passwordHash: await hashPassword(password), by: `process:${me ?? 'unknown'}`, onlyIfNone: true, mustChangePassword: true });
    });
    return password;
  } finally {
    await ctx.close();
  }
}

/**
 * Standard input that is not a terminal, read a line at a time and shared by every question of one
 * command (`user passwd` takes the old password from its first line and the new one from its second).
 */
const piped: { text: string; ended: boolean; iterator: AsyncIterator<unknown> | undefined; taken: number } = { text: '', ended: false, iterator: undefined, taken: 0 };

async function nextPipedLine(): Promise<string> {
  piped.iterator ??= process.stdin[Symbol.asyncIterator]();
  const lines = (): string[] => piped.text.split(/\r?\n/);
  while (!piped.ended && lines().length <= piped.taken + 1) {
    const next = await piped.iterator.next();
    if (next.done) piped.ended = true;
    else piped.text += (next.value as Buffer).toString('utf8');
  }
  return lines()[piped.taken++] ?? '';
}

/** Lets standard input go once the secrets are read: an open pipe would keep the process alive. */
async function releasePipedInput(): Promise<void> {
  const iterator = piped.iterator;
  piped.iterator = undefined;
  await iterator?.return?.();
}

/** A line typed at the terminal without echo. */
async function typedSecret(prompt: string): Promise<string> {
  const input = process.stdin;
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
            reject(new CliError('interrupted'));
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

/** A secret from the environment variable when set, else typed at the terminal without echo, else the next line of standard input. */
async function readSecret(prompt: string, fromEnv: string | undefined): Promise<string> {
  if (fromEnv) return fromEnv;
  return process.stdin.isTTY ? typedSecret(prompt) : nextPipedLine();
}

/** Reads a password: CARDLINE_PASSWORD, else a line typed at the terminal without echo, else the first line of standard input. */
function readPassword(prompt: string): Promise<string> {
  return readSecret(prompt, process.env[PASSWORD_ENV]);
}

/** The new password: CARDLINE_NEW_PASSWORD, else typed twice at the terminal, else the next line of standard input. */
async function readNewPassword(): Promise<string> {
  const fromEnv = process.env[NEW_PASSWORD_ENV];
  if (fromEnv || !process.stdin.isTTY) return readSecret('', fromEnv);
  const first = await typedSecret(`new password (at least 12 characters): `);
  const again = await typedSecret('the new password again: ');
  if (first !== again) throw new CliError('the two new passwords differ: nothing was changed');
  return first;
}

/**
 * `cardline user passwd [NAME]`: the user named (else CARDLINE_USER, else the one logged in)
 * chooses their own password, proving the old one. The one command a user with a one-time
 * password may run.
 */
async function passwd(nameArg: string | undefined): Promise<number> {
  const ctx = await openContext();
  try {
    const name = nameArg ?? (process.env[USER_ENV]?.trim() || (await sessionFileUser(ctx.dataDir)));
    if (!name) throw new CliError(`whose password? give the user name (cardline user passwd NAME), or set ${USER_ENV}`);
    const old = await readPassword(`current password for ${name}: `);
    const fresh = await readNewPassword();
    await changePassword(ctx.db, name, old, fresh).catch((error: unknown) => {
      if (error instanceof AuthError) throw new CliError(error.message, EXIT.notAllowed);
      if (error instanceof PasswordRuleError || error instanceof UserStoreError) throw new CliError(error.message);
      throw error;
    });
    writeLine(`password of ${name} changed; every session of ${name} has ended (cardline login ${name}, or ${PASSWORD_ENV} with the new password for a script)`);
    return EXIT.ok;
  } finally {
    await releasePipedInput();
    await ctx.close();
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
            await new UserStore(ctx.db).add({ name, role, passwordHash: await hashPassword(password), by: ctx.actor, mustChangePassword: true });
            writeLine(`user ${name} (${role}) added; one-time password: ${password}`);
            writeLine(`${name} chooses their own at first use: cardline user passwd ${name}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  user
    .command('list')
    .description('every user with role and state (roles manager, admin)')
    .option('--json', 'print [{"name","role","disabled","createdAt","createdBy","mustChangePassword"}]')
    .action((o: { json?: boolean }) =>
      run(() =>
        withContext({ permissions: ['user.list'], what: 'list users' }, async (ctx) => {
          const users = await new UserStore(ctx.db).list();
          if (o.json) writeLine(JSON.stringify(users));
          else for (const u of users) writeLine(`${u.name.padEnd(24)} ${u.role.padEnd(9)} ${u.disabled ? 'disabled' : u.mustChangePassword ? 'one-time' : 'active  '}  added ${u.createdAt.toISOString().slice(0, 10)} by ${u.createdBy}`);
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
    .command('reset')
    .description('give a user a new one-time password, ending their sessions; they choose their own at first use (role admin; audited)')
    .argument('<name>', 'login name')
    .action((name: string) =>
      run(() =>
        withContext({ permissions: ['user.manage'], what: 'reset passwords' }, (ctx) =>
          asCliError(UserStoreError, async () => {
            if (name === ctx.actor) throw new CliError('an admin changes their own password with cardline user passwd, not reset');
            const password = newOneTimePassword();
            await new UserStore(ctx.db).resetPassword(name, await hashPassword(password), ctx.actor);
            writeLine(`user ${name}: one-time password: ${password}`);
            writeLine(`${name} chooses their own at first use: cardline user passwd ${name}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  user
    .command('passwd')
    .description(`change your own password, giving the old one (also the one-time password of a new user). Scripts: ${USER_ENV}, ${PASSWORD_ENV} (old) and ${NEW_PASSWORD_ENV}; else standard input, old then new, a line each`)
    .argument('[name]', `login name (default ${USER_ENV}, else the user logged in)`)
    .action((name: string | undefined) => run(() => passwd(name)));
  user
    .command('bootstrap')
    .description('create the first user, an admin: only on a store with no users, only by the OS owner of the data directory')
    .argument('<name>', 'login name')
    .action((name: string) =>
      run(async () => {
        const password = await bootstrapUser(name);
        writeLine(`user ${name} (admin) created; one-time password: ${password}`);
        writeLine(`${name} chooses their own at first use: cardline user passwd ${name}`);
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
          await releasePipedInput();
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

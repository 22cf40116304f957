/**
 * Who is at the terminal. A script names itself with CARDLINE_USER and CARDLINE_PASSWORD; a person
 * runs `cardline login` once, which keeps a short-lived token in `<data dir>/session.json` (0600):
 * the database holds only the token's SHA-256, so a copy of the database opens no session.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { UserStore } from '../store/user-store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { isRole, mayDo, PERMISSIONS, type Permission, type Role } from './roles.ts';

export const USER_ENV = 'CARDLINE_USER';
export const PASSWORD_ENV = 'CARDLINE_PASSWORD';
/** The new password of `cardline user passwd` for a script (else the second line of standard input, or asked at the terminal). */
export const NEW_PASSWORD_ENV = 'CARDLINE_NEW_PASSWORD';
/** Shortest password a user may choose (one-time passwords are 20 characters). */
export const MIN_PASSWORD_LENGTH = 12;
export const SESSION_FILE = 'session.json';
/** How long a `cardline login` lasts: one sitting at the terminal, not a shift. */
export const SESSION_MINUTES = 60;

/** Not authenticated, or not allowed: exit code 4. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export interface AuthUser {
  readonly name: string;
  readonly role: Role;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

// Checked against when the user does not exist, so a wrong name costs as long as a wrong password.
let decoyHash: Promise<string> | undefined;

/**
 * The user whose password this is; one message for an unknown name and a wrong password. A
 * one-time password is accepted here (it is how `user passwd` proves the old one); `authenticate`
 * and `login` refuse it.
 */
export async function checkPassword(db: Knex, name: string, password: string): Promise<AuthUser & { readonly mustChangePassword: boolean }> {
  const user = await new UserStore(db).get(name);
  if (!user) {
    decoyHash ??= hashPassword('decoy');
    await verifyPassword(password, await decoyHash);
    throw new AuthError(`login failed: unknown user or wrong password for ${name}`);
  }
  if (!(await verifyPassword(password, user.passwordHash))) throw new AuthError(`login failed: unknown user or wrong password for ${name}`);
  return { ...activeUser(user), mustChangePassword: user.mustChangePassword };
}

/** The refusal of every command but `user passwd` while a user's one-time password is unchanged. */
export function mustChangeFirst(name: string): AuthError {
  return new AuthError(
    `${name} still has a one-time password: choose your own first with cardline user passwd ${name} ` +
      `(a script sets ${USER_ENV}, ${PASSWORD_ENV} and ${NEW_PASSWORD_ENV})`,
  );
}

function changed(user: AuthUser & { readonly mustChangePassword: boolean }): AuthUser {
  if (user.mustChangePassword) throw mustChangeFirst(user.name);
  return { name: user.name, role: user.role };
}

/**
 * A user chooses their own password, proving the old one (a one-time password included). Every
 * session of theirs ends. Throws AuthError for a wrong old password, PasswordRuleError for a new
 * one that is too weak.
 */
export async function changePassword(db: Knex, name: string, oldPassword: string, newPassword: string): Promise<AuthUser> {
  const user = await checkPassword(db, name, oldPassword);
  checkNewPassword(name, oldPassword, newPassword);
  await new UserStore(db).changePassword(user.name, await hashPassword(newPassword));
  return { name: user.name, role: user.role };
}

/** A new password the user chose breaks a rule: exit code 2. */
export class PasswordRuleError extends Error {
  override name = 'PasswordRuleError';
}

function checkNewPassword(name: string, oldPassword: string, newPassword: string): void {
  if ([...newPassword.normalize('NFC')].length < MIN_PASSWORD_LENGTH) throw new PasswordRuleError(`the new password is too short: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (newPassword.normalize('NFC') === oldPassword.normalize('NFC')) throw new PasswordRuleError('the new password is the old one: choose another');
  if (newPassword.toLowerCase().includes(name.toLowerCase())) throw new PasswordRuleError('the new password contains the user name: choose another');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(newPassword)) throw new PasswordRuleError('the new password holds a control character (a line break or tab): it could not be typed again');
}

function activeUser(user: { name: string; role: string; disabled: boolean }): AuthUser {
  if (user.disabled) throw new AuthError(`user ${user.name} is disabled`);
  if (!isRole(user.role)) throw new AuthError(`user ${user.name} has role '${user.role}', which this version of cardline does not know`);
  return { name: user.name, role: user.role };
}

/**
 * The authenticated user: CARDLINE_USER + CARDLINE_PASSWORD when set, else the session of
 * `cardline login`. Throws AuthError naming what to do.
 */
export async function authenticate(db: Knex, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AuthUser> {
  const name = env[USER_ENV]?.trim();
  if (name) {
    const password = env[PASSWORD_ENV];
    if (!password) throw new AuthError(`${USER_ENV} is set but ${PASSWORD_ENV} is not`);
    return changed(await checkPassword(db, name, password));
  }
  const session = await readSessionFile(dataDir);
  const users = new UserStore(db);
  const who = session ? await users.sessionUser(tokenHash(session.token)) : undefined;
  if (!who) {
    throw new AuthError(
      `not logged in${session ? ' (the session has expired or was closed)' : ''}: run cardline login NAME, or set ${USER_ENV} and ${PASSWORD_ENV} for a script`,
    );
  }
  const user = await users.get(who);
  if (!user) throw new AuthError(`the session's user ${who} does not exist`);
  // A reset ends the user's sessions, so this is only a belt to those braces.
  return changed({ ...activeUser(user), mustChangePassword: user.mustChangePassword });
}

/** Throws AuthError when the user's role does not hold the permission. */
export function authorize(user: AuthUser, permission: Permission, what: string): void {
  if (mayDo(user.role, permission)) return;
  throw new AuthError(`${user.name} (${user.role}) may not ${what}: it needs the role ${(PERMISSIONS[permission] as readonly string[]).join(' or ')}`);
}

/** Opens a session and writes its token to `<data dir>/session.json` (0600), replacing any other. */
export async function login(db: Knex, dataDir: string, name: string, password: string, now: Date = new Date()): Promise<{ user: AuthUser; expiresAt: Date }> {
  const user = changed(await checkPassword(db, name, password));
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_MINUTES * 60_000);
  await logout(db, dataDir);
  await new UserStore(db).openSession(user.name, tokenHash(token), expiresAt);
  const file = path.join(dataDir, SESSION_FILE);
  await writeFile(file, `${JSON.stringify({ user: user.name, token, expiresAt: expiresAt.toISOString() })}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file.
  await chmod(file, 0o600);
  return { user, expiresAt };
}

/** Closes the session of the session file, if any; returns its user. */
export async function logout(db: Knex, dataDir: string): Promise<string | undefined> {
  const session = await readSessionFile(dataDir);
  if (!session) return undefined;
  const who = await new UserStore(db).closeSession(tokenHash(session.token));
  await rm(path.join(dataDir, SESSION_FILE), { force: true });
  return who;
}

/** The user named in the session file (not checked: `user passwd` then proves the password), if any. */
export async function sessionFileUser(dataDir: string): Promise<string | undefined> {
  return (await readSessionFile(dataDir))?.user;
}

async function readSessionFile(dataDir: string): Promise<{ token: string; user: string | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, SESSION_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { token?: unknown; user?: unknown };
    return typeof parsed.token === 'string' ? { token: parsed.token, user: typeof parsed.user === 'string' ? parsed.user : undefined } : undefined;
  } catch {
    return undefined;
  }
}

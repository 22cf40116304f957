// Repository of users and their login sessions. Stores password hashes and token hashes only; the
// hashing itself is src/auth's (this store takes and returns the hash strings). Every change is
// audited in its own transaction.
import type { Knex } from 'knex';
import { appendAudit } from './audit.ts';
import { toDate } from './sql.ts';

export interface User {
  readonly name: string;
  readonly role: string;
  readonly disabled: boolean;
  readonly createdAt: Date;
  readonly createdBy: string;
  /** A one-time password (handed over at add, bootstrap or reset) still in use: it must be changed before any other command. */
  readonly mustChangePassword: boolean;
}

interface UserRow {
  name: string;
  role: string;
  password_hash: string;
  disabled: boolean | number;
  created_at: Date | string;
  created_by: string;
  must_change_password: boolean | number;
}

export class UserStoreError extends Error {
  override name = 'UserStoreError';
}

/** Login names: letters, digits, `.`, `_`, `-`; they are the actor of every audit row. */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

export class UserStore {
  constructor(private readonly db: Knex) {}

  async count(): Promise<number> {
    const row: { n?: number | string } | undefined = await this.db('users').count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  /**
   * Adds a user. With `onlyIfNone`, refuses when any user exists (checked in the same transaction:
   * two bootstraps racing cannot both win). `mustChangePassword`: the password is a one-time one that
   * was shown to someone else (the CLI's user add, bootstrap and the demo set it).
   */
  async add(input: { name: string; role: string; passwordHash: string; by: string; onlyIfNone?: boolean; mustChangePassword?: boolean }): Promise<void> {
    if (!USER_NAME.test(input.name)) throw new UserStoreError(`user name '${input.name}' is not allowed: 2–64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    await this.db.transaction(async (trx) => {
      if (input.onlyIfNone) {
        const row: { n?: number | string } | undefined = await trx('users').count({ n: '*' }).first();
        if (Number(row?.n ?? 0) > 0) throw new UserStoreError('this store already has users: bootstrap only creates the first one (an admin adds the others: cardline user add)');
      }
      if (await trx('users').where({ name: input.name }).first('name')) throw new UserStoreError(`user ${input.name} already exists`);
      const at = new Date().toISOString();
      await trx('users').insert({ name: input.name, role: input.role, password_hash: input.passwordHash, disabled: false, created_at: at, created_by: input.by, must_change_password: input.mustChangePassword ?? false });
      await appendAudit(trx, { actor: input.by, action: input.onlyIfNone ? 'user.bootstrap' : 'user.add', subjectType: 'user', subjectId: input.name, details: { role: input.role, oneTimePassword: input.mustChangePassword ?? false } });
    });
  }

  async get(name: string): Promise<(User & { readonly passwordHash: string }) | undefined> {
    const row = await this.db<UserRow>('users').where({ name }).first();
    return row ? { ...rowToUser(row), passwordHash: row.password_hash } : undefined;
  }

  /** The language the user chose for the screens; undefined: not chosen (the site's default). */
  async locale(name: string): Promise<string | undefined> {
    const row: { locale: string | null } | undefined = await this.db('users').where({ name }).first('locale');
    return row?.locale ?? undefined;
  }

  /** A preference, not a security change: not audited. */
  async setLocale(name: string, locale: string): Promise<void> {
    const changed = await this.db('users').where({ name }).update({ locale });
    if (changed === 0) throw new UserStoreError(`no user ${name}`);
  }

  async list(): Promise<User[]> {
    const rows = await this.db<UserRow>('users').orderBy('name').select('*');
    return rows.map(rowToUser);
  }

  /** Disables a user and ends their sessions (the terminal's and the API's). */
  async disable(name: string, by: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const changed = await trx('users').where({ name, disabled: false }).update({ disabled: true, disabled_at: new Date().toISOString() });
      if (changed !== 1) {
        const exists = await trx<UserRow>('users').where({ name }).first('name');
        throw new UserStoreError(exists ? `user ${name} is already disabled` : `user ${name} does not exist (cardline user list shows the users)`);
      }
      await trx('sessions').where({ user_name: name }).delete();
      await trx('api_sessions').where({ user_name: name }).delete();
      await appendAudit(trx, { actor: by, action: 'user.disable', subjectType: 'user', subjectId: name });
    });
  }

  /**
   * The user chose their own password (the old one was checked by the caller): the one-time flag
   * goes, and every session of theirs ends (a session opened by whoever knew the old password).
   */
  async changePassword(name: string, passwordHash: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const at = new Date().toISOString();
      const changed = await trx('users').where({ name, disabled: false }).update({ password_hash: passwordHash, must_change_password: false, password_changed_at: at });
      if (changed !== 1) throw new UserStoreError(`user ${name} does not exist or is disabled`);
      await trx('sessions').where({ user_name: name }).delete();
      await trx('api_sessions').where({ user_name: name }).delete();
      await appendAudit(trx, { actor: name, action: 'user.password-changed', subjectType: 'user', subjectId: name });
    });
  }

  /** An admin hands a user a new one-time password: it must be changed at first use; their sessions end. */
  async resetPassword(name: string, passwordHash: string, by: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const changed = await trx('users').where({ name }).update({ password_hash: passwordHash, must_change_password: true });
      if (changed !== 1) throw new UserStoreError(`user ${name} does not exist (cardline user list shows the users)`);
      await trx('sessions').where({ user_name: name }).delete();
      await trx('api_sessions').where({ user_name: name }).delete();
      await appendAudit(trx, { actor: by, action: 'user.password-reset', subjectType: 'user', subjectId: name });
    });
  }

  async openSession(name: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await this.db.transaction(async (trx) => {
      const now = new Date().toISOString();
      // Expired sessions of anyone go with each new login: the table never grows without bound.
      await trx('sessions').where('expires_at', '<', now).delete();
      await trx('sessions').insert({ token_hash: tokenHash, user_name: name, created_at: now, expires_at: expiresAt.toISOString() });
      await appendAudit(trx, { actor: name, action: 'user.login', subjectType: 'user', subjectId: name, details: { expiresAt: expiresAt.toISOString() } });
    });
  }

  /** The user of a live session, or undefined when the token is unknown or expired. */
  async sessionUser(tokenHash: string, now: Date = new Date()): Promise<string | undefined> {
    const row = await this.db<{ token_hash: string; user_name: string; expires_at: Date | string }>('sessions').where({ token_hash: tokenHash }).first('user_name', 'expires_at');
    if (!row || toDate(row.expires_at, 'session expires_at') <= now) return undefined;
    return row.user_name;
  }

  async closeSession(tokenHash: string): Promise<string | undefined> {
    return this.db.transaction(async (trx) => {
      const row: { user_name: string } | undefined = await trx('sessions').where({ token_hash: tokenHash }).first('user_name');
      if (!row) return undefined;
      await trx('sessions').where({ token_hash: tokenHash }).delete();
      await appendAudit(trx, { actor: row.user_name, action: 'user.logout', subjectType: 'user', subjectId: row.user_name });
      return row.user_name;
    });
  }
}

function rowToUser(row: UserRow): User {
  return {
    name: row.name,
    role: row.role,
    disabled: Boolean(row.disabled),
    createdAt: toDate(row.created_at, `user ${row.name} created_at`),
    createdBy: row.created_by,
    mustChangePassword: Boolean(row.must_change_password),
  };
}

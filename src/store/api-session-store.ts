// Repository of the HTTP API's sessions (migration 20261207180200_api_sessions). It keeps token hashes
// only; the tokens are made and hashed by src/http/auth. Opening and closing a session is audited
// with the user; a lookup answers only for a live session of an enabled user, so disabling a user
// (UserStore.disable) ends their API sessions at once, whatever is left in this table.
import type { Knex } from 'knex';
import { appendAudit } from './audit.ts';
import { toDate } from './sql.ts';

export interface ApiSessionUser {
  readonly name: string;
  readonly role: string;
  readonly expiresAt: Date;
}

interface SessionJoinRow {
  name: string;
  role: string;
  disabled: boolean | number;
  expires_at: Date | string;
}

export class ApiSessionStore {
  constructor(private readonly db: Knex) {}

  /** Stores a new session (expired ones of anyone are dropped in the same transaction); audited. */
  async open(userName: string, tokenHash: string, expiresAt: Date, via: { readonly ip: string }): Promise<void> {
    await this.db.transaction(async (trx) => {
      const now = new Date().toISOString();
      await trx('api_sessions').where('expires_at', '<', now).delete();
      await trx('api_sessions').insert({ token_hash: tokenHash, user_name: userName, created_at: now, expires_at: expiresAt.toISOString() });
      await appendAudit(trx, { actor: userName, action: 'user.login', subjectType: 'user', subjectId: userName, details: { via: 'api', ip: via.ip, expiresAt: expiresAt.toISOString() } });
    });
  }

  /** The user of a live session of an enabled user; undefined otherwise. */
  async user(tokenHash: string, now: Date = new Date()): Promise<ApiSessionUser | undefined> {
    const row: SessionJoinRow | undefined = await this.db('api_sessions as s')
      .join('users as u', 'u.name', 's.user_name')
      .where('s.token_hash', tokenHash)
      .first('u.name as name', 'u.role as role', 'u.disabled as disabled', 's.expires_at as expires_at');
    if (!row || Boolean(row.disabled)) return undefined;
    const expiresAt = toDate(row.expires_at, 'api session expires_at');
    if (expiresAt <= now) return undefined;
    return { name: row.name, role: row.role, expiresAt };
  }

  /** Ends a session; audited. Returns its user, or undefined for an unknown token. */
  async close(tokenHash: string): Promise<string | undefined> {
    return this.db.transaction(async (trx) => {
      const row: { user_name: string } | undefined = await trx('api_sessions').where({ token_hash: tokenHash }).first('user_name');
      if (!row) return undefined;
      await trx('api_sessions').where({ token_hash: tokenHash }).delete();
      await appendAudit(trx, { actor: row.user_name, action: 'user.logout', subjectType: 'user', subjectId: row.user_name, details: { via: 'api' } });
      return row.user_name;
    });
  }
}

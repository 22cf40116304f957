// Sessions of the HTTP API (issue 16, `cardline serve`): a browser's cookie or a script's bearer token.
// Kept apart from `sessions` (the terminal's `cardline login`): an API session is opened and closed
// over the network, lasts a shift, and is looked up on every request. The token itself is never
// stored, only its SHA-256, so a copy of the database opens no session.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_sessions', (t) => {
    t.string('token_hash', 64).primary();
    t.string('user_name', 64).notNullable().references('name').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['user_name'], 'api_sessions_user_idx');
    t.index(['expires_at'], 'api_sessions_expires_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_sessions');
}

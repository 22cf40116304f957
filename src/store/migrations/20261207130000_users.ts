// Identities and the two-person rule (issue 15): users with roles and password hashes, the sessions
// `cardline login` opens, approval requests (a release or an unscheduled purge asked for by one
// person and approved by another), and on each batch when it was released, when its personal data
// falls due for purge and when it was purged. `batch_outputs` lists the folders of files with
// personal data that cardline wrote for a batch (renders, proof sheets, chip images), so the purge
// can find them again.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    // The login name, which is also the actor every audit row carries.
    t.string('name', 64).primary();
    // operator | qa | engineer | manager | admin (src/auth/roles.ts); checked by the code, not a CHECK,
    // as for batch statuses.
    t.string('role', 16).notNullable();
    // `scrypt$N$r$p$<salt b64>$<hash b64>`: the parameters travel with the hash, so they can be raised
    // later without invalidating existing passwords.
    t.text('password_hash').notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('created_by', 64).notNullable();
    t.timestamp('disabled_at', { useTz: true }).nullable();
  });

  await knex.schema.createTable('sessions', (t) => {
    // SHA-256 of the token: the token itself lives only in the 0600 session file.
    t.string('token_hash', 64).primary();
    t.string('user_name', 64).notNullable().references('name').inTable('users');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('approval_requests', (t) => {
    t.string('id', 32).primary();
    // release | purge
    t.string('kind', 16).notNullable();
    t.string('batch_id', 32).notNullable().references('id').inTable('batches');
    t.string('requested_by', 64).notNullable();
    t.timestamp('requested_at', { useTz: true }).notNullable();
    // pending | approved | withdrawn (a newer request of the same kind replaced it)
    t.string('status', 16).notNullable();
    t.string('approved_by', 64).nullable();
    t.timestamp('approved_at', { useTz: true }).nullable();
    t.index(['batch_id'], 'approval_requests_batch_idx');
  });

  await knex.schema.alterTable('batches', (t) => {
    t.timestamp('released_at', { useTz: true }).nullable();
    // Fixed when the release is approved: released_at + the retention period.
    t.timestamp('purge_due_at', { useTz: true }).nullable();
    t.timestamp('purged_at', { useTz: true }).nullable();
  });

  await knex.schema.createTable('batch_outputs', (t) => {
    t.increments('id');
    t.string('batch_id', 32).notNullable().references('id').inTable('batches');
    // render | proof | chip
    t.string('kind', 16).notNullable();
    t.text('dir').notNullable();
    // JSON array of the file names cardline wrote there for this batch.
    t.text('files').notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    t.index(['batch_id'], 'batch_outputs_batch_idx');
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the users migration is not reversible: it would drop who approved what'));
}

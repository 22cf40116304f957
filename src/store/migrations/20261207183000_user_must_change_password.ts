// One-time passwords (issue 15): a user whose password was handed over — created by `user add`,
// `user bootstrap` or the demo, or reset by an admin — must choose their own before any other
// command. Users that existed before this migration keep working (false): nobody can tell now
// whether their password was ever changed; an admin who doubts it runs `cardline user reset`.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('must_change_password').notNullable().defaultTo(false);
    // When the user last chose their own password (null: never, or before this migration).
    t.timestamp('password_changed_at', { useTz: true }).nullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the one-time password migration is not reversible: it would let handed-over passwords live on'));
}

// The store pins the data key it is written with, and the audit log becomes a keyed hash chain.
// store_keys: one row per data key the store has had (fingerprint, state) with the store's long-lived
// secrets (PID lookup key, audit-chain key) sealed under that data key (src/store/keys.ts). Opening
// the store with another key is refused before anything is read or written (src/store/open-store.ts).
// audit_log gains prev_hash and hash: each row's hash is an HMAC over its canonical encoding and the
// previous row's hash (src/store/audit.ts); rows written before this migration keep null and are
// covered, as a whole, by the first chained row. audit_head holds the last row's id and hash with a
// MAC of its own, so deleting the newest rows is seen too.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('store_keys', (t) => {
    t.integer('version').primary();
    // 8 hex digits of a hash of the data key (keys.ts dataKeyFingerprint): not secret.
    t.string('fingerprint', 16).notNullable();
    // active: the key the store is written with; next: a rotation to it is under way; retired.
    t.string('status', 16).notNullable();
    // The store secrets encrypted under this data key, AAD `store-secrets:v<version>`.
    t.binary('sealed_secrets').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('retired_at', { useTz: true }).nullable();
  });

  await knex.schema.alterTable('audit_log', (t) => {
    t.string('prev_hash', 64).nullable();
    t.string('hash', 64).nullable();
  });

  await knex.schema.createTable('audit_head', (t) => {
    // Always 1: a single row.
    t.integer('id').primary();
    t.bigInteger('last_id').notNullable();
    t.string('hash', 64).notNullable();
    t.string('mac', 64).notNullable();
  });
}

export function down(): Promise<void> {
  return Promise.reject(new Error('the store-keys-audit-chain migration is not reversible: it would drop the audit chain'));
}

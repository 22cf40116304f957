// PostgreSQL privileges of the runtime role. Migrations run as the owner role (`cardline db migrate`
// with the owner's URL); the line controllers connect as a runtime role that may read and write the
// operational tables but only INSERT and SELECT on audit_log: it cannot update, delete or truncate
// rows, and, not owning the table, cannot ALTER it (drop or disable its triggers). docs/security.md.
import type { Knex } from 'knex';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Grants `role` what a line controller needs, as the owner of the schema; run after every migration. */
export async function grantRuntimeRole(db: Knex, role: string): Promise<void> {
  if (!ROLE_NAME.test(role)) {
    throw new Error(`--grant-to: "${role}" is not a plain PostgreSQL role name (lower-case letters, digits and _, starting with a letter or _)`);
  }
  const schemaRow = (await db.raw<{ rows: { schema: string }[] }>('select current_schema() as schema')).rows[0];
  if (!schemaRow?.schema) throw new Error('the connection has no current schema');
  const schema = `"${schemaRow.schema}"`;
  const r = `"${role}"`;
  await db.transaction(async (trx) => {
    await trx.raw(`grant usage on schema ${schema} to ${r}`);
    await trx.raw(`grant select, insert, update, delete on all tables in schema ${schema} to ${r}`);
    await trx.raw(`grant usage, select on all sequences in schema ${schema} to ${r}`);
    // The audit log is append-only for the runtime role; its chain head and the key table are updated
    // in place but never deleted; the migration bookkeeping is the owner's.
    await trx.raw(`revoke update, delete, truncate on audit_log from ${r}`);
    await trx.raw(`revoke delete, truncate on audit_head, store_keys from ${r}`);
    await trx.raw(`revoke insert, update, delete, truncate on knex_migrations, knex_migrations_lock from ${r}`);
  });
}

// Initial schema: batches, their records (personal fields encrypted), portraits, the index of PIDs in
// open batches, and the append-only audit log. Column types are chosen to mean the same on SQLite and
// PostgreSQL: binary is BLOB / bytea, timestamps are written by the app as ISO-8601 UTC.
// Never edit this file once released; add a new timestamped migration instead.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('batches', (t) => {
    // `YYYYMMDD-xxxxxx` (UTC date + 6 random hex): short enough to read out over a radio on the floor.
    t.string('id', 32).primary();
    t.string('name', 200).notNullable();
    // The path as the operator gave it, for the report; not resolved, the import may run elsewhere.
    t.text('source_file').notNullable();
    // No CHECK on the value set: later issues add statuses, and SQLite cannot alter a CHECK without
    // rebuilding the table. The repository validates statuses when it maps rows.
    t.string('status', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.integer('accepted_count').notNullable().defaultTo(0);
    t.integer('quarantined_count').notNullable().defaultTo(0);
    t.text('report_path').nullable();
    // Null: the site's default retention applies.
    t.integer('retention_days').nullable();
    // Why an import failed, for the dashboard; the audit log has the same text with who and when.
    t.text('failure_reason').nullable();
    t.index(['status'], 'batches_status_idx');
  });

  await knex.schema.createTable('records', (t) => {
    t.string('batch_id', 32).notNullable().references('id').inTable('batches');
    // Order of acceptance in the batch; may have gaps where a candidate was a duplicate (see BatchStore).
    t.integer('seq').notNullable();
    t.integer('line_no').notNullable();
    // HMAC of the personal ID number: lookups without storing or decrypting the PID.
    t.string('pid_hash', 64).notNullable();
    // Encrypted JSON of the personal fields, AAD `record:<batch_id>:<seq>`.
    t.binary('payload').notNullable();
    t.boolean('has_portrait').notNullable();
    t.string('card_variant', 64).notNullable();
    t.string('status', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['batch_id', 'seq']);
    t.index(['pid_hash'], 'records_pid_hash_idx');
  });

  // Portraits (several KiB each) live apart so that scans of `records` do not drag them through the
  // page cache. Cascade: a purge of a record must take its portrait with it.
  await knex.schema.createTable('record_portraits', (t) => {
    t.string('batch_id', 32).notNullable();
    t.integer('seq').notNullable();
    // Encrypted JPEG, AAD `portrait:<batch_id>:<seq>`.
    t.binary('data').notNullable();
    t.primary(['batch_id', 'seq']);
    t.foreign(['batch_id', 'seq']).references(['batch_id', 'seq']).inTable('records').onDelete('CASCADE');
  });

  // PIDs of batches not yet released or aborted: duplicate detection is one index lookup per PID
  // instead of decrypting records. The primary key is also the last line of defence when two
  // imports race on the same PID.
  await knex.schema.createTable('open_pids', (t) => {
    t.string('pid_hash', 64).primary();
    t.string('batch_id', 32).notNullable();
    t.integer('seq').notNullable();
    t.foreign(['batch_id', 'seq']).references(['batch_id', 'seq']).inTable('records');
    t.index(['batch_id'], 'open_pids_batch_idx');
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.timestamp('at', { useTz: true }).notNullable();
    t.string('actor', 200).notNullable();
    t.string('action', 100).notNullable();
    t.string('subject_type', 50).notNullable();
    t.string('subject_id', 100).nullable();
    // JSON text. Never personal data: the audit log outlives the retention period.
    t.text('details').nullable();
    t.index(['subject_id'], 'audit_log_subject_idx');
  });

  // Append-only is enforced by the database, not only by the code: the audit log is evidence, and an
  // operator with a SQL console must not be able to quietly rewrite it either.
  if ((knex.client as Knex.Client).dialect === 'postgresql') {
    await knex.raw(`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only: % is not allowed', tg_op
          using errcode = 'insufficient_privilege';
      end
      $$`);
    await knex.raw(`
      create trigger audit_log_no_update_delete before update or delete on audit_log
      for each row execute function audit_log_append_only()`);
    await knex.raw(`
      create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function audit_log_append_only()`);
  } else {
    await knex.raw(`
      create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only: UPDATE is not allowed'); end`);
    await knex.raw(`
      create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only: DELETE is not allowed'); end`);
  }
}

/**
 * Refused on purpose: rolling back the initial schema would drop the audit log and every batch. A
 * development database is reset by deleting it (SQLite file or PostgreSQL database) instead.
 */
export function down(): Promise<void> {
  return Promise.reject(
    new Error(
      'the initial cardline migration cannot be rolled back: it would destroy the audit log. ' +
        'To reset a development database, delete the SQLite file or drop the PostgreSQL database.',
    ),
  );
}

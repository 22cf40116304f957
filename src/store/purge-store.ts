// The store's side of retention (docs/security.md, "Retention and purge"): which folders of files
// with personal data cardline wrote for a batch, which released batches are due, and the purge of a
// batch's personal data from the database. What accountability needs stays: the batch, its records'
// sequence numbers, statuses, reason codes and HMAC of the PID (duplicate detection), the cards and
// their serials, the spoil log and the audit log. What goes: the encrypted personal fields (replaced
// by an empty value) and the portraits.
import type { Knex } from 'knex';
import { appendAudit } from './audit.ts';
import { dialectOf, toDate } from './sql.ts';

export interface BatchOutput {
  readonly kind: string;
  readonly dir: string;
  readonly files: readonly string[];
}

export class PurgeStore {
  constructor(private readonly db: Knex) {}

  /** Remembers files with personal data written for a batch, so its purge finds them. */
  async recordOutput(batchId: string, kind: 'render' | 'proof' | 'chip', dir: string, files: readonly string[]): Promise<void> {
    if (files.length === 0) return;
    await this.db('batch_outputs').insert({ batch_id: batchId, kind, dir, files: JSON.stringify(files), at: new Date().toISOString() });
  }

  async outputsOf(batchId: string): Promise<BatchOutput[]> {
    const rows: { kind: string; dir: string; files: string }[] = await this.db('batch_outputs').where({ batch_id: batchId }).orderBy('id').select('kind', 'dir', 'files');
    return rows.map((r) => ({ kind: r.kind, dir: r.dir, files: JSON.parse(r.files) as string[] }));
  }

  /** Released batches whose approved retention date has passed and whose data is still there. */
  async due(now: Date = new Date()): Promise<{ id: string; purgeDueAt: Date }[]> {
    const rows: { id: string; purge_due_at: Date | string }[] = await this.db('batches')
      .where({ status: 'released' })
      .whereNull('purged_at')
      .whereNotNull('purge_due_at')
      .where('purge_due_at', '<=', now.toISOString())
      .orderBy('purge_due_at')
      .select('id', 'purge_due_at');
    return rows.map((r) => ({ id: r.id, purgeDueAt: toDate(r.purge_due_at, `batch ${r.id} purge_due_at`) }));
  }

  /** Every Modbus job folder a run has used, with its line. */
  async jobFolders(): Promise<{ dir: string; lineId: string }[]> {
    const rows: { dir: string; line_id: string }[] = await this.db('job_folders').orderBy('dir').select('dir', 'line_id');
    return rows.map((r) => ({ dir: r.dir, lineId: r.line_id }));
  }

  /** The blocks of job ids a line's runs reserved, each with its batch. */
  async jobIdBlocks(lineId: string): Promise<{ firstId: number; count: number; batchId: string }[]> {
    const rows: { first_id: number | string; count: number | string; batch_id: string }[] = await this.db('job_id_blocks').where({ line_id: lineId }).orderBy('first_id').select('first_id', 'count', 'batch_id');
    return rows.map((r) => ({ firstId: Number(r.first_id), count: Number(r.count), batchId: r.batch_id }));
  }

  /** Audits the removal of a line's job files a crash left behind (counts, folders and batches; no content). */
  async recordJobFilesPurged(actor: string, lineId: string, details: { files: number; folders: readonly string[]; batches: readonly string[]; olderThanRetention: number }): Promise<void> {
    await this.db.transaction((trx) => appendAudit(trx, { actor, action: 'jobs.purged', subjectType: 'line', subjectId: lineId, details }));
  }

  async purgedAt(batchId: string): Promise<Date | undefined> {
    const row: { purged_at: Date | string | null } | undefined = await this.db('batches').where({ id: batchId }).first('purged_at');
    return row?.purged_at ? toDate(row.purged_at, `batch ${batchId} purged_at`) : undefined;
  }

  /**
   * Empties the batch's personal data in the database and marks it purged, audited, in one
   * transaction (`trx` when the caller's approval must commit with it). On SQLite, secure_delete
   * makes the freed pages zeros rather than leaving the old ciphertext in free space.
   */
  async purgeRecords(batchId: string, actor: string, details: Record<string, unknown>, trx?: Knex.Transaction): Promise<{ records: number; portraits: number }> {
    const work = async (t: Knex.Transaction): Promise<{ records: number; portraits: number }> => {
      if (dialectOf(this.db) === 'sqlite') await t.raw('PRAGMA secure_delete = ON');
      const at = new Date().toISOString();
      const changed = await t('batches').where({ id: batchId }).whereNull('purged_at').update({ purged_at: at, updated_at: at });
      if (changed !== 1) throw new Error(`batch ${batchId} is already purged or does not exist`);
      const portraits = await t('record_portraits').where({ batch_id: batchId }).delete();
      const records = await t('records').where({ batch_id: batchId }).update({ payload: Buffer.alloc(0), has_portrait: false });
      await t('open_pids').where({ batch_id: batchId }).delete();
      await appendAudit(t, { actor, action: 'batch.purged', subjectType: 'batch', subjectId: batchId, details: { ...details, records, portraits } });
      return { records, portraits };
    };
    return trx ? work(trx) : this.db.transaction(work);
  }
}

// Repository of batches and their records. Maps rows to Batch objects, encrypts personal data on the
// way in (AAD binds each ciphertext to its row, so a value copied to another row does not decrypt),
// and changes batch status only by compare-and-set inside a transaction, audited in the same one.
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { appendAudit, auditHead, bindAuditKeys, type AuditHead } from './audit.ts';
import {
  BATCH_STATUSES,
  RECORD_STATUS_QUEUED,
  type AddResult,
  type Batch,
  type BatchStatus,
  type DuplicateRecord,
  type NewRecord,
} from './batch.ts';
import { migrateToLatest } from './db.ts';
import type { DataKeys } from './keys.ts';
import { inSlices, insertRows, isTransientConflict, isUniqueViolation, toDate } from './sql.ts';

export type { AddResult, Batch, BatchStatus, DuplicateRecord, NewRecord } from './batch.ts';

interface BatchRow {
  id: string;
  name: string;
  source_file: string;
  status: string;
  created_at: Date | string;
  updated_at: Date | string;
  accepted_count: number | string;
  quarantined_count: number | string;
  report_path: string | null;
  retention_days: number | string | null;
  failure_reason: string | null;
  released_at?: Date | string | null;
  purge_due_at?: Date | string | null;
  purged_at?: Date | string | null;
  line_retention_days?: number | string | null;
  retention_line_id?: string | null;
}

interface PreparedRecord {
  readonly input: NewRecord;
  readonly pidHash: string;
  readonly payload: Buffer;
  readonly portrait: Buffer | undefined;
}

const RECORD_COLUMNS = [
  'batch_id',
  'seq',
  'line_no',
  'pid_hash',
  'payload',
  'has_portrait',
  'card_variant',
  'status',
  'created_at',
  'delivery_office',
] as const;

// Two imports into different batches can race on the same PID (lines sharing one PostgreSQL). The
// open_pids primary key makes one of them fail (or PostgreSQL reports a deadlock when the chunks hold
// shared PIDs in different orders); re-running the chunk then sees the other's PIDs and reports them
// as duplicates. More than a few rounds would mean something else is wrong.
const MAX_CHUNK_ATTEMPTS = 5;

export class BatchStore {
  /** `db` must have the latest schema: open it with openDatabase, or use BatchStore.create. */
  constructor(
    private readonly db: Knex,
    private readonly keys: DataKeys,
  ) {}

  /** Brings the schema up to date (idempotent), gives `db` the audit chain's key, then returns the store. */
  static async create(db: Knex, keys: DataKeys): Promise<BatchStore> {
    await migrateToLatest(db);
    bindAuditKeys(db, keys);
    return new BatchStore(db, keys);
  }

  /** Creates a batch in status `importing`. */
  async createBatch(input: {
    name: string;
    sourceFile: string;
    actor: string;
    retentionDays?: number;
  }): Promise<Batch> {
    if (input.name.trim() === '') throw new Error('createBatch: the batch name is empty; give the batch a name');
    const retentionDays = input.retentionDays;
    if (retentionDays !== undefined && (!Number.isInteger(retentionDays) || retentionDays < 1)) {
      throw new Error(`createBatch: retentionDays must be a whole number of days ≥ 1, got ${retentionDays}`);
    }
    // 16 million ids a day: a collision is rare, and then simply another draw.
    for (let attempt = 1; ; attempt++) {
      const now = new Date();
      const row: BatchRow = {
        id: newBatchId(now),
        name: input.name,
        source_file: input.sourceFile,
        status: 'importing',
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        accepted_count: 0,
        quarantined_count: 0,
        report_path: null,
        retention_days: retentionDays ?? null,
        failure_reason: null,
      };
      try {
        await this.db.transaction(async (trx) => {
          await trx('batches').insert(row);
          await appendAudit(trx, {
            actor: input.actor,
            action: 'batch.created',
            subjectType: 'batch',
            subjectId: row.id,
            details: { name: input.name, sourceFile: input.sourceFile, retentionDays: retentionDays ?? null },
          });
        });
        return rowToBatch(row);
      } catch (err) {
        if (attempt >= 5 || !isUniqueViolation(err, 'batches')) throw err;
      }
    }
  }

  /**
   * Stores one chunk of records of an `importing` batch in one transaction. Duplicate PIDs are
   * rejected, not stored: against other open batches, earlier chunks of this batch, and earlier
   * records of this chunk (the later occurrence is the duplicate).
   *
   * Sequence numbers: the importer assigns candidate seqs in source order before it knows which
   * records are duplicates, and the store renumbers nothing. Accepted seqs are therefore increasing
   * but may have gaps where a duplicate was rejected. Renumbering here would either have to happen
   * before encryption (the AAD binds the ciphertext to the seq) or leave the importer's report
   * pointing at seqs that mean something else; counting is done with `acceptedCount`, never max(seq).
   *
   * Encryption runs before the transaction, so an importer may start the next call before the
   * previous one resolves and overlap its encryption with that commit. On SQLite (one connection)
   * chunks still commit in call order; on PostgreSQL concurrent chunks of one batch serialize on the
   * batch row but in no guaranteed order, so await each call when "the later line is the duplicate"
   * must follow file order exactly.
   */
  async addRecords(batchId: string, records: readonly NewRecord[]): Promise<AddResult> {
    checkNewRecords(batchId, records);
    // Hashing and encryption happen before the transaction, to hold the write lock only for the SQL.
    const prepared = records.map((record) => this.prepare(batchId, record));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((trx) => storeChunk(trx, batchId, prepared));
      } catch (err) {
        const retry = isUniqueViolation(err, 'open_pids') || isTransientConflict(err);
        if (retry && attempt < MAX_CHUNK_ATTEMPTS) continue;
        if (isUniqueViolation(err, 'records')) {
          throw new Error(
            `addRecords(batch ${batchId}): one of the seqs ${records[0]?.seq}..${records.at(-1)?.seq} is ` +
              'already stored in this batch; the importer must pass seqs not used before in the batch',
            { cause: err },
          );
        }
        throw err;
      }
    }
  }

  /** Compare-and-set importing → imported. `accepted` must equal the number of records stored. */
  async finishImport(
    batchId: string,
    result: { accepted: number; quarantined: number; reportPath: string; actor: string },
  ): Promise<Batch> {
    for (const [field, value] of [
      ['accepted', result.accepted],
      ['quarantined', result.quarantined],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new Error(`finishImport(batch ${batchId}): ${field} must be a whole number ≥ 0, got ${value}`);
      }
    }
    return this.db.transaction(async (trx) => {
      const changed = await trx('batches').where({ id: batchId, status: 'importing' }).update({
        status: 'imported',
        accepted_count: result.accepted,
        quarantined_count: result.quarantined,
        report_path: result.reportPath,
        updated_at: new Date().toISOString(),
      });
      if (changed === 0) await throwWrongStatus(trx, batchId, 'importing', 'finish the import of');
      // "Nothing silently dropped": the count the importer reports must be what is actually stored.
      const stored = await countRecords(trx, batchId);
      if (stored !== result.accepted) {
        throw new Error(
          `finishImport(batch ${batchId}): the importer reports ${result.accepted} accepted records but ` +
            `the store holds ${stored}; the import is inconsistent, fail it and import the file again`,
        );
      }
      await appendAudit(trx, {
        actor: result.actor,
        action: 'batch.imported',
        subjectType: 'batch',
        subjectId: batchId,
        details: { accepted: result.accepted, quarantined: result.quarantined, reportPath: result.reportPath },
      });
      return mustGetBatch(trx, batchId);
    });
  }

  /**
   * Compare-and-set importing → failed. Also releases the batch's PIDs: a failed import will be
   * corrected and imported again, and must not then find all its records "already in open batch".
   * `reason` goes to the audit log and the dashboard: describe the failure, never a record's content.
   */
  async failImport(batchId: string, reason: string, actor: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const changed = await trx('batches')
        .where({ id: batchId, status: 'importing' })
        .update({ status: 'failed', failure_reason: reason, updated_at: new Date().toISOString() });
      if (changed === 0) await throwWrongStatus(trx, batchId, 'importing', 'fail the import of');
      const releasedPids = await trx('open_pids').where({ batch_id: batchId }).delete();
      await appendAudit(trx, {
        actor,
        action: 'batch.import-failed',
        subjectType: 'batch',
        subjectId: batchId,
        details: { reason, releasedPids },
      });
    });
  }

  /**
   * A run of the batch starts on a line: the line file's retention period (undefined: it sets none)
   * becomes the batch's, below the batch's own. The run that starts last decides; a change is
   * audited, since it moves the date the citizens' data is deleted.
   */
  async setLineRetention(batchId: string, lineId: string, days: number | undefined, actor: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const row: { line_retention_days: number | string | null; retention_line_id: string | null } | undefined = await trx('batches').where({ id: batchId }).first('line_retention_days', 'retention_line_id');
      if (!row) throw new Error(`setLineRetention: batch ${batchId} does not exist`);
      const before = row.line_retention_days === null ? undefined : Number(row.line_retention_days);
      if (before === days && (days === undefined || row.retention_line_id === lineId)) return;
      await trx('batches').where({ id: batchId }).update({ line_retention_days: days ?? null, retention_line_id: days === undefined ? null : lineId });
      await appendAudit(trx, { actor, action: 'batch.line-retention', subjectType: 'batch', subjectId: batchId, details: { line: lineId, retentionDays: days ?? null, before: before ?? null } });
    });
  }

  async getBatch(id: string): Promise<Batch | undefined> {
    const row = await this.db<BatchRow>('batches').where({ id }).first();
    return row ? rowToBatch(row) : undefined;
  }

  /** All batches, newest first. */
  async listBatches(): Promise<Batch[]> {
    const rows: BatchRow[] = await this.db<BatchRow>('batches')
      .select('*')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(rowToBatch);
  }

  /** The audit chain's head (its newest row): printed in reports so a paper copy anchors the log. */
  auditHead(): Promise<AuditHead | undefined> {
    return auditHead(this.db);
  }

  /** Where a record came from (its line in the import file) and its card variant; undefined for a record that does not exist. */
  async recordSource(batchId: string, seq: number): Promise<{ lineNo: number; cardVariant: string } | undefined> {
    const row: { line_no: number | string; card_variant: string } | undefined = await this.db('records').where({ batch_id: batchId, seq }).first('line_no', 'card_variant');
    return row ? { lineNo: Number(row.line_no), cardVariant: row.card_variant } : undefined;
  }

  /** The decrypted personal fields of a record, including `pid`. */
  async recordPersonal(batchId: string, seq: number): Promise<Record<string, unknown>> {
    const row = await this.db<{ batch_id: string; seq: number; payload: Buffer }>('records')
      .select('payload')
      .where({ batch_id: batchId, seq })
      .first();
    if (!row) throw new Error(`record ${seq} of batch ${batchId} does not exist`);
    const plain = this.keys.decrypt(row.payload, recordAad(batchId, seq));
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  }

  /** The decrypted portrait JPEG, or undefined for a record without one. */
  async recordPortrait(batchId: string, seq: number): Promise<Buffer | undefined> {
    const row = await this.db<{ batch_id: string; seq: number; data: Buffer }>('record_portraits')
      .select('data')
      .where({ batch_id: batchId, seq })
      .first();
    return row ? this.keys.decrypt(row.data, portraitAad(batchId, seq)) : undefined;
  }

  /**
   * Every record of a batch in seq order, decrypted: the personal fields (including `pid`) and the
   * portrait JPEG (undefined for a record without one). Reads a page of `pageSize` records at a time,
   * so a whole batch is never held in memory at once.
   */
  async *batchRecords(
    batchId: string,
    pageSize = 200,
  ): AsyncGenerator<{ seq: number; personal: Record<string, unknown>; portrait: Buffer | undefined }> {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error(`batchRecords: pageSize must be a whole number ≥ 1, got ${pageSize}`);
    let after = 0;
    for (;;) {
      const rows: { seq: number | string; payload: Buffer; portrait: Buffer | null }[] = await this.db('records as r')
        .leftJoin('record_portraits as p', function joinPortrait() {
          this.on('p.batch_id', '=', 'r.batch_id').andOn('p.seq', '=', 'r.seq');
        })
        .where('r.batch_id', batchId)
        .andWhere('r.seq', '>', after)
        .orderBy('r.seq')
        .limit(pageSize)
        .select('r.seq', 'r.payload', 'p.data as portrait');
      for (const row of rows) {
        const seq = Number(row.seq);
        const personal = JSON.parse(this.keys.decrypt(row.payload, recordAad(batchId, seq)).toString('utf8')) as Record<string, unknown>;
        const portrait = row.portrait ? this.keys.decrypt(row.portrait, portraitAad(batchId, seq)) : undefined;
        yield { seq, personal, portrait };
        after = seq;
      }
      if (rows.length < pageSize) return;
    }
  }

  /**
   * Removes the batch's PIDs from duplicate detection (on release or abort) and returns how many.
   * Not audited here: the release or abort that calls it is the audited action.
   */
  async releasePids(batchId: string): Promise<number> {
    return this.db('open_pids').where({ batch_id: batchId }).delete();
  }

  private prepare(batchId: string, record: NewRecord): PreparedRecord {
    // The PID goes into the encrypted payload too: the card needs it in clear text at production.
    const personal = { ...record.personal, pid: record.pid };
    return {
      input: record,
      pidHash: this.keys.pidHash(record.pid),
      payload: this.keys.encrypt(Buffer.from(JSON.stringify(personal), 'utf8'), recordAad(batchId, record.seq)),
      portrait: record.portrait && this.keys.encrypt(record.portrait, portraitAad(batchId, record.seq)),
    };
  }
}

async function storeChunk(trx: Knex.Transaction, batchId: string, prepared: readonly PreparedRecord[]): Promise<AddResult> {
  const now = new Date().toISOString();
  // Writing first takes the batch row lock (PostgreSQL) or the write lock (SQLite) before anything is
  // read, so a concurrent finishImport cannot slip in between and SQLite never has to upgrade a read
  // transaction (which fails at once with SQLITE_BUSY instead of waiting).
  const touched = await trx('batches').where({ id: batchId, status: 'importing' }).update({ updated_at: now });
  if (touched === 0) await throwWrongStatus(trx, batchId, 'importing', 'add records to');

  const open = await findOpenPids(trx, [...new Set(prepared.map((p) => p.pidHash))]);
  const firstInChunk = new Map<string, number>();
  const accepted: PreparedRecord[] = [];
  const duplicates: DuplicateRecord[] = [];
  for (const record of prepared) {
    const { seq, lineNo } = record.input;
    const owner = open.get(record.pidHash);
    const earlierLine = owner?.batchId === batchId ? owner.lineNo : firstInChunk.get(record.pidHash);
    if (owner && owner.batchId !== batchId) {
      duplicates.push({
        seq,
        lineNo,
        reason: `duplicate personal ID: already in open batch ${owner.batchId} (line ${owner.lineNo} of its file)`,
      });
    } else if (earlierLine !== undefined) {
      duplicates.push({ seq, lineNo, reason: `duplicate personal ID: same as line ${earlierLine} of this batch` });
    } else {
      firstInChunk.set(record.pidHash, lineNo);
      accepted.push(record);
    }
  }

  await insertRows(
    trx,
    'records',
    RECORD_COLUMNS,
    accepted.map((p) => [
      batchId,
      p.input.seq,
      p.input.lineNo,
      p.pidHash,
      p.payload,
      p.portrait !== undefined,
      p.input.cardVariant,
      RECORD_STATUS_QUEUED,
      now,
      p.input.deliveryOffice ?? null,
    ]),
  );
  await insertRows(
    trx,
    'record_portraits',
    ['batch_id', 'seq', 'data'],
    accepted.flatMap((p) => (p.portrait ? [[batchId, p.input.seq, p.portrait]] : [])),
  );
  await insertRows(
    trx,
    'open_pids',
    ['pid_hash', 'batch_id', 'seq'],
    accepted.map((p) => [p.pidHash, batchId, p.input.seq]),
  );
  return { accepted: accepted.map((p) => p.input.seq), duplicates };
}

async function findOpenPids(
  trx: Knex.Transaction,
  hashes: readonly string[],
): Promise<Map<string, { batchId: string; lineNo: number }>> {
  const found = new Map<string, { batchId: string; lineNo: number }>();
  for (const slice of inSlices(trx, hashes)) {
    const rows: { pid_hash: string; batch_id: string; line_no: number }[] = await trx('open_pids as o')
      .join('records as r', function joinRecord() {
        this.on('r.batch_id', '=', 'o.batch_id').andOn('r.seq', '=', 'o.seq');
      })
      .whereIn('o.pid_hash', slice)
      .select('o.pid_hash', 'o.batch_id', 'r.line_no');
    for (const row of rows) found.set(row.pid_hash, { batchId: row.batch_id, lineNo: Number(row.line_no) });
  }
  return found;
}

async function countRecords(trx: Knex.Transaction, batchId: string): Promise<number> {
  const row = await trx('records').where({ batch_id: batchId }).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

async function mustGetBatch(trx: Knex.Transaction, id: string): Promise<Batch> {
  const row = await trx<BatchRow>('batches').where({ id }).first();
  if (!row) throw new Error(`batch ${id} does not exist`);
  return rowToBatch(row);
}

/** Explains a compare-and-set that changed nothing: no such batch, or the batch is in another status. */
async function throwWrongStatus(
  trx: Knex.Transaction,
  batchId: string,
  expected: BatchStatus,
  doing: string,
): Promise<never> {
  const row = await trx<BatchRow>('batches').select('status').where({ id: batchId }).first();
  if (!row) throw new Error(`cannot ${doing} batch ${batchId}: no such batch; check the batch id`);
  throw new Error(
    `cannot ${doing} batch ${batchId}: it is ${row.status}, and this is only possible while it is ${expected}`,
  );
}

function checkNewRecords(batchId: string, records: readonly NewRecord[]): void {
  const seqs = new Set<number>();
  records.forEach((record, index) => {
    const where = `addRecords(batch ${batchId}): record #${index} (line ${record.lineNo})`;
    if (!Number.isInteger(record.seq) || record.seq < 1) throw new Error(`${where}: seq must be an integer ≥ 1, got ${record.seq}`);
    if (seqs.has(record.seq)) throw new Error(`${where}: seq ${record.seq} appears twice in the chunk`);
    seqs.add(record.seq);
    if (!Number.isInteger(record.lineNo) || record.lineNo < 1) throw new Error(`${where}: lineNo must be an integer ≥ 1`);
    if (typeof record.pid !== 'string' || record.pid === '') throw new Error(`${where}: pid is empty`);
    if (record.cardVariant === '') throw new Error(`${where}: cardVariant is empty`);
    const office = record.deliveryOffice;
    if (office !== undefined && (office.trim() === '' || office.length > 100)) throw new Error(`${where}: deliveryOffice must be 1–100 characters, got ${office.length}`);
    if ('pid' in record.personal && record.personal.pid !== record.pid) {
      // Checked without printing either value: both are personal data.
      throw new Error(`${where}: personal.pid differs from pid; pass the PID once, in pid`);
    }
  });
}

function rowToBatch(row: BatchRow): Batch {
  if (!(BATCH_STATUSES as readonly string[]).includes(row.status)) {
    throw new Error(
      `batch ${row.id} has status "${row.status}", which this version of cardline does not know; ` +
        'the database was probably written by a newer version',
    );
  }
  return {
    id: row.id,
    name: row.name,
    sourceFile: row.source_file,
    status: row.status as BatchStatus,
    createdAt: toDate(row.created_at, `batch ${row.id} created_at`),
    updatedAt: toDate(row.updated_at, `batch ${row.id} updated_at`),
    acceptedCount: Number(row.accepted_count),
    quarantinedCount: Number(row.quarantined_count),
    reportPath: row.report_path ?? undefined,
    retentionDays: row.retention_days === null ? undefined : Number(row.retention_days),
    failureReason: row.failure_reason ?? undefined,
    // Only when set: a batch that was never released compares equal to one built before these existed.
    ...(row.released_at ? { releasedAt: toDate(row.released_at, `batch ${row.id} released_at`) } : {}),
    ...(row.purge_due_at ? { purgeDueAt: toDate(row.purge_due_at, `batch ${row.id} purge_due_at`) } : {}),
    ...(row.purged_at ? { purgedAt: toDate(row.purged_at, `batch ${row.id} purged_at`) } : {}),
    ...(row.line_retention_days !== null && row.line_retention_days !== undefined && row.retention_line_id
      ? { lineRetention: { lineId: row.retention_line_id, days: Number(row.line_retention_days) } }
      : {}),
  };
}

function newBatchId(now: Date): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `${date}-${randomBytes(3).toString('hex')}`;
}

export function recordAad(batchId: string, seq: number): string {
  return `record:${batchId}:${seq}`;
}

export function portraitAad(batchId: string, seq: number): string {
  return `portrait:${batchId}:${seq}`;
}

// Repository of the two-person rule's requests (docs/security.md, "Two-person rule"): one person asks
// for a release or an unscheduled purge, another approves it. The rule itself (who may ask, who may
// approve) is src/auth/two-person.ts; this file keeps the requests, finds who operated a batch, and
// carries out an approved release in one transaction with its audit rows.
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { appendAudit } from './audit.ts';
import { toDate } from './sql.ts';

export const REQUEST_KINDS = ['release', 'purge'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export interface ApprovalRequest {
  readonly id: string;
  readonly kind: RequestKind;
  readonly batchId: string;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly status: 'pending' | 'approved' | 'withdrawn';
  readonly approvedBy: string | undefined;
  readonly approvedAt: Date | undefined;
}

interface RequestRow {
  id: string;
  kind: string;
  batch_id: string;
  requested_by: string;
  requested_at: Date | string;
  status: string;
  approved_by: string | null;
  approved_at: Date | string | null;
}

export class ApprovalError extends Error {
  override name = 'ApprovalError';
}

/**
 * Audit actions on a batch that are not operating it: the release, the purge, the requests for
 * them and their approvals. Whoever wrote any other `batch.*` row about a batch (imported it, ran
 * it, paused or aborted it, reconciled it) operated it.
 */
// An export (render --batch, a proof) reads the batch for QA's own checks: it is audited, but it runs nothing.
const NOT_OPERATING = ['batch.released', 'batch.purged', 'batch.reissued', 'batch.exported'];

export class ApprovalStore {
  constructor(private readonly db: Knex) {}

  /** Files a request; a pending request of the same kind for the same batch is withdrawn by it. */
  async request(kind: RequestKind, batchId: string, by: string): Promise<ApprovalRequest> {
    const id = `R-${randomBytes(4).toString('hex')}`;
    const at = new Date().toISOString();
    await this.db.transaction(async (trx) => {
      const earlier: { id: string }[] = await trx('approval_requests').where({ kind, batch_id: batchId, status: 'pending' }).select('id');
      if (earlier.length > 0) await trx('approval_requests').whereIn('id', earlier.map((r) => r.id)).update({ status: 'withdrawn' });
      await trx('approval_requests').insert({ id, kind, batch_id: batchId, requested_by: by, requested_at: at, status: 'pending' });
      await appendAudit(trx, { actor: by, action: `approval.requested`, subjectType: 'batch', subjectId: batchId, details: { request: id, kind, withdrawn: earlier.map((r) => r.id) } });
    });
    return (await this.get(id))!;
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    const row = await this.db<RequestRow>('approval_requests').where({ id }).first();
    return row ? rowToRequest(row) : undefined;
  }

  async pending(): Promise<ApprovalRequest[]> {
    const rows = await this.db<RequestRow>('approval_requests').where({ status: 'pending' }).orderBy('requested_at').select('*');
    return rows.map(rowToRequest);
  }

  /** Who operated the batch: the actors of its audit rows other than release, purge and approvals. */
  async operatorsOf(batchId: string): Promise<string[]> {
    const rows: { actor: string }[] = await this.db('audit_log')
      .where({ subject_type: 'batch', subject_id: batchId })
      .andWhere('action', 'like', 'batch.%')
      .whereNotIn('action', NOT_OPERATING)
      .distinct('actor');
    return rows.map((r) => r.actor).sort();
  }

  /**
   * Marks a pending request approved (compare-and-set: two approvers racing, one wins) and runs
   * `effect` in the same transaction, so the approval and what it approves commit together.
   */
  async approve<T>(id: string, by: string, effect: (trx: Knex.Transaction, request: ApprovalRequest, at: Date) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      const at = new Date();
      const changed = await trx('approval_requests').where({ id, status: 'pending' }).update({ status: 'approved', approved_by: by, approved_at: at.toISOString() });
      if (changed !== 1) throw new ApprovalError(`request ${id} is no longer pending`);
      const row = await trx<RequestRow>('approval_requests').where({ id }).first();
      const request = rowToRequest(row!);
      await appendAudit(trx, { actor: by, action: 'approval.approved', subjectType: 'batch', subjectId: request.batchId, details: { request: id, kind: request.kind, requestedBy: request.requestedBy } });
      return effect(trx, request, at);
    });
  }
}

/**
 * The release itself, inside the approval's transaction: reconciled → released (compare-and-set),
 * the PIDs leave duplicate detection, and the retention clock starts: the personal data falls due
 * for purge `retentionDays` after the release.
 */
/**
 * The batch machine's step for a release, given the batch's stored status (src/line/batch-status.ts
 * `releaseStep`): the status it goes to and the machine's snapshot, or why the machine refuses.
 * Passed in, so the store carries out the machine's decision without deciding itself.
 */
export type ReleaseStep = (status: string) => { readonly ok: true; readonly status: string; readonly snapshot: { readonly version: number; readonly state: unknown } } | { readonly ok: false; readonly reason: string };

/**
 * Carries out an approved release in the approval's transaction: the batch machine's step from the
 * stored status (refused with the machine's reason), written by compare-and-set on that status with
 * the machine's snapshot, the batch's PIDs freed for new batches, the audit entry.
 */
export async function releaseInTransaction(trx: Knex.Transaction, request: ApprovalRequest, at: Date, retentionDays: number, release: ReleaseStep, retentionFrom?: string): Promise<Date> {
  const purgeDue = new Date(at.getTime() + retentionDays * 86_400_000);
  const row: { status: string } | undefined = await trx('batches').where({ id: request.batchId }).first('status');
  if (!row) throw new ApprovalError(`batch ${request.batchId} is gone: there is nothing to release`);
  const step = release(row.status);
  if (!step.ok) throw new ApprovalError(`${step.reason}; only a reconciled batch can be released (it changed since the request; ask again once it is reconciled)`);
  const changed = await trx('batches')
    .where({ id: request.batchId, status: row.status })
    .update({ status: step.status, updated_at: at.toISOString(), released_at: at.toISOString(), purge_due_at: purgeDue.toISOString() });
  if (changed !== 1) throw new ApprovalError(`batch ${request.batchId} changed while it was being released: ask again`);
  const key = `batch:${request.batchId}`;
  const state = JSON.stringify(step.snapshot.state);
  const updated = await trx('snapshots').where({ key }).update({ version: step.snapshot.version, state, at: at.toISOString() });
  if (updated === 0) await trx('snapshots').insert({ key, version: step.snapshot.version, state, at: at.toISOString() });
  const pids = await trx('open_pids').where({ batch_id: request.batchId }).delete();
  await appendAudit(trx, {
    actor: request.approvedBy!,
    action: 'batch.released',
    subjectType: 'batch',
    subjectId: request.batchId,
    details: { request: request.id, requestedBy: request.requestedBy, approvedBy: request.approvedBy, retentionDays, ...(retentionFrom ? { retentionFrom } : {}), purgeDueAt: purgeDue.toISOString(), pidsReleased: pids },
  });
  return purgeDue;
}

function rowToRequest(row: RequestRow): ApprovalRequest {
  if (!(REQUEST_KINDS as readonly string[]).includes(row.kind)) throw new Error(`request ${row.id} has kind "${row.kind}", which this version of cardline does not know`);
  return {
    id: row.id,
    kind: row.kind as RequestKind,
    batchId: row.batch_id,
    requestedBy: row.requested_by,
    requestedAt: toDate(row.requested_at, `request ${row.id} requested_at`),
    status: row.status as ApprovalRequest['status'],
    approvedBy: row.approved_by ?? undefined,
    approvedAt: row.approved_at === null ? undefined : toDate(row.approved_at, `request ${row.id} approved_at`),
  };
}

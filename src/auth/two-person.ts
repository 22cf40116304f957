/**
 * The two-person rule (docs/security.md, "Two-person rule"): a release, and a purge outside the
 * schedule, are asked for by one user and approved by a second, different one. Nobody who operated
 * the batch (imported, ran, paused, aborted or reconciled it: src/store/approval-store.ts) may ask
 * for its release or approve anything about it. Approving a release fixes its retention date, so
 * `purge --due` later runs unattended; approving a purge carries it out.
 */
import type { Knex } from 'knex';
import type { Batch } from '../store/batch.ts';
import { ApprovalError, ApprovalStore, releaseInTransaction, type ApprovalRequest } from '../store/approval-store.ts';
import { batchTakes, releaseStep } from '../line/batch-status.ts';
import { purgeBatch, retentionPeriod, type PurgeResult } from '../retention/purge.ts';
import { authorize, type AuthUser } from './session.ts';

/** The rule forbids it: exit code 4. */
export class TwoPersonError extends Error {
  override name = 'TwoPersonError';
}

/** The request cannot go ahead because of the batch's state: exit code 2. */
export { ApprovalError };

async function refuseOperator(approvals: ApprovalStore, user: AuthUser, batchId: string, act: string): Promise<void> {
  const operators = await approvals.operatorsOf(batchId);
  if (operators.includes(user.name)) {
    throw new TwoPersonError(`${user.name} operated batch ${batchId} (imported, ran or reconciled it) and so may not ${act}: a second person who did not operate it must`);
  }
}

/** What to do before a batch of this status can be released. */
const RELEASE_NEXT_STEP: Partial<Record<string, (id: string) => string>> = {
  imported: (id) => `it has records to make: cardline run ${id}`,
  ready: (id) => `it has records to make: cardline run ${id}`,
  running: () => 'its run has not finished',
  paused: () => 'its run is paused: resume it and let it finish',
  aborted: (id) => `its run was aborted: cardline run ${id} --resume finishes it, or cardline batch close ${id} reconciles it`,
  completed: (id) => `cardline batch close ${id} first`,
  importing: () => 'its import has not finished',
  failed: () => 'its import accepted no record: there is nothing to release',
};

/** The next step that makes a batch of `status` releasable, for the refusal's message. */
export function releaseNextStep(status: string, batchId: string): string {
  return RELEASE_NEXT_STEP[status]?.(batchId) ?? `cardline batch close ${batchId} first`;
}

/** A QA user asks for the release of a reconciled batch. */
export async function requestRelease(db: Knex, user: AuthUser, batch: Batch): Promise<ApprovalRequest> {
  authorize(user, 'qa.release', 'ask for a release');
  if (batch.status === 'released') throw new ApprovalError(`batch ${batch.id} is already released: a released batch is final`);
  if (!batchTakes(batch.status, 'batch.release')) throw new ApprovalError(`batch ${batch.id} is ${batch.status}: only a reconciled batch can be released (${releaseNextStep(batch.status, batch.id)})`);
  const approvals = new ApprovalStore(db);
  await refuseOperator(approvals, user, batch.id, 'ask for its release');
  return approvals.request('release', batch.id, user.name);
}

/** A manager asks for a purge of a released batch before its retention date. */
export async function requestPurge(db: Knex, user: AuthUser, batch: Batch & { purgedAt?: Date | undefined }): Promise<ApprovalRequest> {
  authorize(user, 'purge.request', 'ask for a purge');
  if (batch.status !== 'released' && batch.status !== 'failed') {
    throw new ApprovalError(`batch ${batch.id} is ${batch.status}: only a released batch (or a failed import) is purged; its cards are not final yet`);
  }
  return new ApprovalStore(db).request('purge', batch.id, user.name);
}

export type Approved =
  | { readonly kind: 'release'; readonly request: ApprovalRequest; readonly purgeDueAt: Date; readonly retentionDays: number; readonly retentionFrom: string }
  | { readonly kind: 'purge'; readonly request: ApprovalRequest; readonly purged: PurgeResult };

/**
 * A second user approves a pending request: not the one who asked, not one who operated the
 * batch, role qa or manager. The approval and what it approves commit together.
 */
export async function approveRequest(
  db: Knex,
  dataDir: string,
  user: AuthUser,
  requestId: string,
  getBatch: (id: string) => Promise<Batch | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Approved> {
  authorize(user, 'approve', 'approve a request');
  const approvals = new ApprovalStore(db);
  const request = await approvals.get(requestId);
  if (!request) throw new ApprovalError(`request ${requestId} does not exist (cardline approve --list shows the pending ones)`);
  if (request.status !== 'pending') throw new ApprovalError(`request ${requestId} is ${request.status}${request.approvedBy ? ` (by ${request.approvedBy})` : ''}`);
  if (request.requestedBy === user.name) throw new TwoPersonError(`${user.name} asked for ${requestId} and so may not approve it: a second person must`);
  await refuseOperator(approvals, user, request.batchId, `approve its ${request.kind}`);
  const batch = await getBatch(request.batchId);
  if (!batch) throw new ApprovalError(`request ${requestId} names batch ${request.batchId}, which does not exist`);
  if (request.kind === 'release') {
    const period = retentionPeriod(batch, env);
    return approvals.approve(requestId, user.name, async (trx, approved, at) => {
      const purgeDueAt = await releaseInTransaction(trx, approved, at, period.days, releaseStep(approved.batchId, user.name), period.from);
      return { kind: 'release', request: approved, purgeDueAt, retentionDays: period.days, retentionFrom: period.from };
    });
  }
  return approvals.approve(requestId, user.name, async (trx, approved) => {
    const purged = await purgeBatch(db, dataDir, batch, user.name, { request: approved.id, requestedBy: approved.requestedBy, approvedBy: user.name, schedule: 'on request' }, trx);
    return { kind: 'purge', request: approved, purged };
  });
}

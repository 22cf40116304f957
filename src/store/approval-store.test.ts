// The two-person rule's store on both backends: requests, who operated a batch, an approval that
// commits with its release or not at all, two approvers racing (one wins), the purge that keeps the
// accounting, and users with their sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type StoreFixture } from '../../test/helpers/store-backends.ts';
import { releaseStep } from '../line/batch-status.ts';
import { ApprovalError, ApprovalStore, releaseInTransaction } from './approval-store.ts';
import { listAudit } from './audit.ts';
import { BatchStore } from './batch-store.ts';
import { LineStore } from './line-store.ts';
import { PurgeStore } from './purge-store.ts';
import { UserStore, UserStoreError } from './user-store.ts';

describe.each(BACKENDS)('approvals, purge and users on $name', (backend) => {
  let fx: StoreFixture;
  let batches: BatchStore;
  beforeAll(async () => {
    fx = await backend.setup();
    batches = new BatchStore(fx.db, fx.keys);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  let pids = 0;
  const pid = (): string => `0010900${String(++pids).padStart(5, '0')}`;

  async function reconciledBatch(operator: string): Promise<string> {
    const batch = await batches.createBatch({ name: 'b', sourceFile: 'b.jsonl', actor: operator });
    await batches.addRecords(batch.id, [
      { seq: 1, lineNo: 1, pid: pid(), cardVariant: 'with-portrait', personal: { fullName: 'Nguyễn Văn An' }, portrait: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
      { seq: 2, lineNo: 2, pid: pid(), cardVariant: 'without-portrait', personal: { fullName: 'Trần Thị Bình' } },
    ]);
    await batches.finishImport(batch.id, { accepted: 2, quarantined: 0, reportPath: 'r', actor: operator });
    await new LineStore(fx.db, 'L1').journal.append({ op: 'batch.status', batchId: batch.id, status: 'reconciled', actor: `${operator}-closer` });
    return batch.id;
  }

  it('names who operated a batch, and releases it only with the approval, in one transaction', async () => {
    const id = await reconciledBatch('op-1');
    const approvals = new ApprovalStore(fx.db);
    expect(await approvals.operatorsOf(id)).toStrictEqual(['op-1', 'op-1-closer']);
    const first = await approvals.request('release', id, 'qa-1');
    const second = await approvals.request('release', id, 'qa-2');
    expect(await approvals.get(first.id)).toMatchObject({ status: 'withdrawn' });
    expect((await approvals.pending()).map((r) => r.id)).toStrictEqual([second.id]);
    await expect(approvals.approve(first.id, 'qa-3', () => Promise.resolve())).rejects.toThrow(/is no longer pending/);

    // Two approvers at once: exactly one releases the batch.
    const outcomes = await Promise.allSettled(
      ['qa-3', 'mgr-4'].map((who) => approvals.approve(second.id, who, (trx, request, at) => releaseInTransaction(trx, request, at, 10, releaseStep(request.batchId, who)))),
    );
    expect(outcomes.map((o) => o.status).sort()).toStrictEqual(['fulfilled', 'rejected']);
    const batch = (await batches.getBatch(id))!;
    expect(batch.status).toBe('released');
    expect(batch.purgeDueAt!.getTime() - batch.releasedAt!.getTime()).toBe(10 * 86_400_000);
    // The batch machine took the step: its stored snapshot is released, by the approver who won.
    const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
    const machine = await new LineStore(fx.db, 'L1').getSnapshot(`batch:${id}`);
    expect(machine?.state).toMatchObject({ value: 'released', context: { batchId: id, releasedBy: ['qa-3', 'mgr-4'][winner] } });
    expect(await fx.db('open_pids').where({ batch_id: id })).toStrictEqual([]);
    // The release is not operating: the approver does not become one of the batch's operators.
    expect(await approvals.operatorsOf(id)).toStrictEqual(['op-1', 'op-1-closer']);
    const released = (await listAudit(fx.db, { subjectId: id })).find((e) => e.action === 'batch.released')!;
    expect(released.details).toMatchObject({ request: second.id, requestedBy: 'qa-2', retentionDays: 10, pidsReleased: 2 });
  });

  it('an approval whose release cannot happen is rolled back with it', async () => {
    const id = await reconciledBatch('op-5');
    const approvals = new ApprovalStore(fx.db);
    const request = await approvals.request('release', id, 'qa-1');
    await new LineStore(fx.db, 'L1').journal.append({ op: 'batch.status', batchId: id, status: 'ready', actor: 'qa-1' });
    const attempt = approvals.approve(request.id, 'qa-2', (trx, r, at) => releaseInTransaction(trx, r, at, 30, releaseStep(r.batchId, 'qa-2')));
    await expect(attempt).rejects.toBeInstanceOf(ApprovalError);
    // Refused by the batch machine, with its reason: a ready batch does not take batch.release.
    await expect(attempt).rejects.toThrow(/is ready: batch\.release is not a step a ready batch takes \(it takes batch\.start\); only a reconciled batch can be released/);
    expect(await approvals.get(request.id)).toMatchObject({ status: 'pending', approvedBy: undefined });
    expect((await listAudit(fx.db, { subjectId: id })).map((e) => e.action)).not.toContain('approval.approved');
  });

  it('purges personal fields and portraits, keeps PID hashes and counts, once', async () => {
    const id = await reconciledBatch('op-6');
    const before: { seq: number; pid_hash: string }[] = await fx.db('records').where({ batch_id: id }).orderBy('seq').select('seq', 'pid_hash');
    const purge = new PurgeStore(fx.db);
    await purge.recordOutput(id, 'render', '/tmp/out', ['seq-000001-front.pdf']);
    expect(await purge.outputsOf(id)).toStrictEqual([{ kind: 'render', dir: '/tmp/out', files: ['seq-000001-front.pdf'] }]);
    expect(await purge.purgeRecords(id, 'mgr-1', { schedule: 'test' })).toStrictEqual({ records: 2, portraits: 1 });
    const after: { seq: number; pid_hash: string; payload: Buffer }[] = await fx.db('records').where({ batch_id: id }).orderBy('seq').select('seq', 'pid_hash', 'payload');
    expect(after.map(({ seq, pid_hash }) => ({ seq, pid_hash }))).toStrictEqual(before);
    expect(after.map((r) => r.payload.length)).toStrictEqual([0, 0]);
    expect(await fx.db('record_portraits').where({ batch_id: id })).toStrictEqual([]);
    expect((await batches.getBatch(id))!.purgedAt).toBeInstanceOf(Date);
    await expect(purge.purgeRecords(id, 'mgr-1', {})).rejects.toThrow(/already purged/);
    expect((await listAudit(fx.db, { subjectId: id })).filter((e) => e.action === 'batch.purged')).toHaveLength(1);
  });

  it('lists the released batches past their retention date, and no other', async () => {
    const due = await reconciledBatch('op-7');
    const notYet = await reconciledBatch('op-8');
    const approvals = new ApprovalStore(fx.db);
    for (const [id, days] of [[due, 0], [notYet, 5]] as const) {
      const r = await approvals.request('release', id, 'qa-1');
      await approvals.approve(r.id, 'qa-2', (trx, req, at) => releaseInTransaction(trx, req, at, days, releaseStep(req.batchId, 'qa-2')));
    }
    const ids = (await new PurgeStore(fx.db).due(new Date(Date.now() + 1000))).map((d) => d.id);
    expect(ids).toContain(due);
    expect(ids).not.toContain(notYet);
  });

  it('users: added once, listed, disabled with their sessions; sessions expire', async () => {
    const users = new UserStore(fx.db);
    await users.add({ name: 'ada', role: 'admin', passwordHash: 'scrypt$x', by: 'setup', onlyIfNone: true });
    await expect(users.add({ name: 'eve', role: 'admin', passwordHash: 'h', by: 'setup', onlyIfNone: true })).rejects.toThrow(/already has users/);
    await expect(users.add({ name: 'ada', role: 'qa', passwordHash: 'h', by: 'ada' })).rejects.toBeInstanceOf(UserStoreError);
    await expect(users.add({ name: 'a b', role: 'qa', passwordHash: 'h', by: 'ada' })).rejects.toThrow(/user name 'a b' is not allowed/);
    await users.add({ name: 'bao', role: 'qa', passwordHash: 'h', by: 'ada' });
    expect((await users.list()).map((u) => [u.name, u.role, u.disabled, u.createdBy])).toStrictEqual([
      ['ada', 'admin', false, 'setup'],
      ['bao', 'qa', false, 'ada'],
    ]);
    const now = new Date();
    await users.openSession('bao', 'a'.repeat(64), new Date(now.getTime() + 60_000));
    expect(await users.sessionUser('a'.repeat(64), now)).toBe('bao');
    expect(await users.sessionUser('a'.repeat(64), new Date(now.getTime() + 61_000))).toBeUndefined();
    await users.disable('bao', 'ada');
    expect(await users.sessionUser('a'.repeat(64), now)).toBeUndefined();
    expect((await users.get('bao'))!.disabled).toBe(true);
    await expect(users.disable('bao', 'ada')).rejects.toThrow(/already disabled/);
    await expect(users.disable('nobody', 'ada')).rejects.toThrow(/does not exist/);
  });

  it('one-time passwords: flagged at add and reset, cleared by the user\'s own change; each ends the sessions, audited', async () => {
    const users = new UserStore(fx.db);
    await users.add({ name: 'cuong', role: 'operator', passwordHash: 'one-time', by: 'ada', mustChangePassword: true });
    await users.add({ name: 'dung', role: 'operator', passwordHash: 'h', by: 'test-setup' });
    expect([(await users.get('cuong'))!.mustChangePassword, (await users.get('dung'))!.mustChangePassword]).toStrictEqual([true, false]);
    const now = new Date();
    await users.openSession('cuong', 'c'.repeat(64), new Date(now.getTime() + 60_000));
    await users.changePassword('cuong', 'own');
    expect(await users.get('cuong')).toMatchObject({ mustChangePassword: false, passwordHash: 'own' });
    expect(await users.sessionUser('c'.repeat(64), now)).toBeUndefined();
    await users.openSession('cuong', 'd'.repeat(64), new Date(now.getTime() + 60_000));
    await users.resetPassword('cuong', 'new-one-time', 'ada');
    expect(await users.get('cuong')).toMatchObject({ mustChangePassword: true, passwordHash: 'new-one-time' });
    expect(await users.sessionUser('d'.repeat(64), now)).toBeUndefined();
    await expect(users.resetPassword('nobody', 'x', 'ada')).rejects.toThrow(/user nobody does not exist/);
    await users.disable('dung', 'ada');
    await expect(users.changePassword('dung', 'x')).rejects.toThrow(/does not exist or is disabled/);
    const audit = (await listAudit(fx.db, { subjectId: 'cuong' })).map((e) => [e.action, e.actor, e.details]);
    expect(audit).toStrictEqual([
      ['user.add', 'ada', { role: 'operator', oneTimePassword: true }],
      ['user.login', 'cuong', expect.anything()],
      ['user.password-changed', 'cuong', undefined],
      ['user.login', 'cuong', expect.anything()],
      ['user.password-reset', 'ada', undefined],
    ]);
  });

  it('a line file\'s retention goes with the batch when a run starts; a change is audited, the same value is not', async () => {
    const id = await reconciledBatch('op-10');
    expect((await batches.getBatch(id))!.lineRetention).toBeUndefined();
    await batches.setLineRetention(id, 'L-ret', 7, 'op-10');
    await batches.setLineRetention(id, 'L-ret', 7, 'op-10');
    expect((await batches.getBatch(id))!.lineRetention).toStrictEqual({ lineId: 'L-ret', days: 7 });
    await batches.setLineRetention(id, 'L-plain', undefined, 'op-11');
    expect((await batches.getBatch(id))!.lineRetention).toBeUndefined();
    const audit = (await listAudit(fx.db, { subjectId: id })).filter((e) => e.action === 'batch.line-retention').map((e) => [e.actor, e.details]);
    expect(audit).toStrictEqual([
      ['op-10', { line: 'L-ret', retentionDays: 7, before: null }],
      ['op-11', { line: 'L-plain', retentionDays: null, before: 7 }],
    ]);
  });

  it('job id blocks name their batch; job folders are remembered once, with their last use', async () => {
    const id = await reconciledBatch('op-9');
    const line = new LineStore(fx.db, 'L-jobs');
    const first = await line.allocateJobIds(100, id);
    const anonymous = await line.allocateJobIds(50);
    const second = await line.allocateJobIds(100, id);
    expect([anonymous, second]).toStrictEqual([first + 100, first + 150]);
    const purge = new PurgeStore(fx.db);
    expect(await purge.jobIdBlocks('L-jobs')).toStrictEqual([
      { firstId: first, count: 100, batchId: id },
      { firstId: second, count: 100, batchId: id },
    ]);
    await line.rememberJobFolders(['/share/a/u1', '/share/b/u1']);
    await new LineStore(fx.db, 'L-other').rememberJobFolders(['/share/b/u1']);
    expect(await purge.jobFolders()).toStrictEqual([
      { dir: '/share/a/u1', lineId: 'L-jobs' },
      { dir: '/share/b/u1', lineId: 'L-other' },
    ]);
  });
});

/**
 * Modbus job files a crash left behind (issue 15, "Retention and purge"): job and result files are
 * named by job id only, with BAC keys, chip images and card PDFs in them. `cardline purge --due`
 * finds them through the job id blocks each run records with its batch and the job folders runs
 * remember (and the default folders under <data dir>/jobs/): every file of a batch it purges goes;
 * any other file goes once older than its retention period, unless a controller drives its line;
 * files of other names are left alone. The batches' states are set up in process through the store,
 * the purge runs through the real CLI.
 */
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext, type AppContext } from '../src/cli/context.ts';
import { ApprovalStore, releaseInTransaction } from '../src/store/approval-store.ts';
import { releaseStep } from '../src/line/batch-status.ts';
import { listAudit } from '../src/store/audit.ts';
import { LineLease } from '../src/store/line-lease.ts';
import { LineStore } from '../src/store/line-store.ts';
import { cardline, cliUsers } from './helpers/cli.ts';

const DAY = 86_400_000;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-jobfiles-'));
  env = { CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '', CARDLINE_RETENTION_DAYS: '' };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A batch taken to reconciled, then released (retention `days`) unless `days` is undefined. */
async function batchIn(ctx: AppContext, name: string, days: number | undefined): Promise<string> {
  const batch = await ctx.batches.createBatch({ name, sourceFile: `${name}.jsonl`, actor: 'op-x' });
  await ctx.batches.addRecords(batch.id, [{ seq: 1, lineNo: 1, pid: `0019${String(name.length).padStart(2, '0')}${String(name.charCodeAt(0)).padStart(6, '0')}`, cardVariant: 'without-portrait', personal: { fullName: 'Lê Thị Hoa' } }]);
  await ctx.batches.finishImport(batch.id, { accepted: 1, quarantined: 0, reportPath: 'r', actor: 'op-x' });
  if (days === undefined) return batch.id;
  await new LineStore(ctx.db, 'mb-line').journal.append({ op: 'batch.status', batchId: batch.id, status: 'reconciled', actor: 'op-x' });
  const approvals = new ApprovalStore(ctx.db);
  const request = await approvals.request('release', batch.id, 'qa-1');
  await approvals.approve(request.id, 'qa-2', (trx, r, at) => releaseInTransaction(trx, r, at, days, releaseStep(batch.id, 'qa-2')));
  return batch.id;
}

async function leave(file: string, ageDays = 0): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, 'BAC key and chip image of one citizen', { mode: 0o640 });
  const at = new Date(Date.now() - ageDays * DAY);
  await utimes(file, at, at);
  return file;
}

describe('purge --due and the job files a crash left behind', () => {
  it('removes those of purged batches and those older than the retention period, keeps the rest', async () => {
    const manager = (await cliUsers(env, { 'mgr-j': 'manager' }))['mgr-j'];
    const ctx = await openContext({ ...process.env, ...env });
    let lease: LineLease | undefined;
    try {
      const due = await batchIn(ctx, 'due-now', 0);
      const kept = await batchIn(ctx, 'kept-30-days', 30);
      const open = await batchIn(ctx, 'in-production', undefined);
      const line = new LineStore(ctx.db, 'mb-line');
      const ids = { due: await line.allocateJobIds(10, due), kept: await line.allocateJobIds(10, kept), open: await line.allocateJobIds(10, open) };
      // A job share outside the data directory, as a line file's modbus.jobDir gives it; the
      // default folder under <data dir>/jobs/ is found without being remembered.
      const share = path.join(dir, 'share', 'encoder', 'u1');
      await line.rememberJobFolders([share]);
      const local = path.join(env.CARDLINE_DATA_DIR!, 'jobs', 'mb-line', 'laser', 'u1');

      const gone = [
        await leave(path.join(share, 'jobs', `${ids.due}.job`)),
        await leave(path.join(share, 'outbox', `${ids.due + 1}.result`)),
        await leave(path.join(local, 'jobs', `.${ids.due + 2}.job.4242-0a1b2c3d.tmp`)),
        // Older than its batch's 30 days, the batch not yet purged.
        await leave(path.join(local, 'jobs', `${ids.kept + 1}.job`), 31),
        // No block knows this id (written before blocks were recorded): the site's 30 days.
        await leave(path.join(local, 'outbox', '990007.result'), 31),
      ];
      const stay = [
        await leave(path.join(share, 'outbox', `${ids.kept}.result`), 29),
        await leave(path.join(local, 'jobs', `${ids.open}.job`)),
        await leave(path.join(local, 'jobs', '990008.job'), 29),
        // Not a file cardline writes: the station's own.
        await leave(path.join(share, 'jobs', 'station-notes.txt'), 400),
      ];
      // A line a controller drives now: even old files are its jobs in flight.
      const busy = new LineStore(ctx.db, 'busy-line');
      const busyId = await busy.allocateJobIds(10, open);
      const busyDir = path.join(env.CARDLINE_DATA_DIR!, 'jobs', 'busy-line', 'encoder', 'u2');
      stay.push(await leave(path.join(busyDir, 'jobs', `${busyId}.job`), 90));
      lease = await LineLease.acquire(ctx.db, 'busy-line', { batchId: open });

      const r = await cardline(['purge', '--due'], { env: manager });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^batch ${due} purged: 1 records`, 'm'));
      expect(r.stdout).toMatch(/^5 Modbus job files left behind removed \(3 of purged batches, 2 older than the retention period\)$/m);
      expect(Object.fromEntries(await Promise.all([...gone, ...stay].map(async (f) => [path.relative(dir, f), await exists(f)])))).toStrictEqual(
        Object.fromEntries([...gone.map((f) => [path.relative(dir, f), false]), ...stay.map((f) => [path.relative(dir, f), true])]),
      );
      const audit = (await listAudit(ctx.db, { subjectId: 'mb-line' })).filter((e) => e.action === 'jobs.purged');
      expect(audit.map((e) => ({ actor: e.actor, details: e.details }))).toStrictEqual([
        { actor: 'mgr-j', details: { files: 5, olderThanRetention: 2, folders: [share, local], batches: [due, kept] } },
      ]);
      expect(JSON.stringify(audit)).not.toMatch(/BAC key|Lê Thị Hoa/);

      // Run again: nothing left to find, nothing audited.
      const again = await cardline(['purge', '--due'], { env: manager });
      expect(again).toMatchObject({ code: 0, stdout: 'no batch is due for purge\n' });
      expect(await readFile(stay[0]!, 'utf8')).toBe('BAC key and chip image of one citizen');
    } finally {
      await lease?.release();
      await ctx.close();
    }
  }, 120_000);
});

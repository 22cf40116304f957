/**
 * `cardline approve REQUEST_ID` and `cardline purge`: the second person of the two-person rule,
 * and retention (docs/security.md, "Two-person rule" and "Retention and purge").
 */
import type { Command } from 'commander';
import { approveRequest, requestPurge } from '../../auth/two-person.ts';
import { purgeJobFiles } from '../../retention/job-files.ts';
import { purgeBatch, RetentionError } from '../../retention/purge.ts';
import { ApprovalStore } from '../../store/approval-store.ts';
import { PurgeStore } from '../../store/purge-store.ts';
import { withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { asTwoPerson } from './qa.ts';

/** Where the retention period came from, in the approval's words. */
function retentionSource(from: string): string {
  if (from === 'batch') return "the batch's own";
  if (from === 'default') return 'the default';
  if (from.startsWith('line ')) return `retentionDays of ${from}`;
  return from;
}

async function approve(requestId: string): Promise<number> {
  return withContext({ permissions: ['approve'], what: 'approve a request' }, (ctx) =>
    asCliError(RetentionError, () =>
      asTwoPerson(async () => {
        const done = await approveRequest(ctx.db, ctx.dataDir, ctx.user, requestId, (id) => ctx.batches.getBatch(id));
        const r = done.request;
        if (done.kind === 'release') {
          writeLine(`batch ${r.batchId} released: asked for by ${r.requestedBy}, approved by ${ctx.actor}`);
          writeLine(`its personal data is purged after ${done.retentionDays} days (${retentionSource(done.retentionFrom)}), from ${done.purgeDueAt.toISOString().slice(0, 10)} (cardline purge --due)`);
        } else {
          // Modbus job files of the batch a crash left behind; after the commit, so a crash here leaves them to purge --due.
          const jobs = await purgeJobFiles(ctx.db, ctx.dataDir, ctx.actor, { getBatch: (id) => ctx.batches.getBatch(id), sweep: false, purgedNow: [r.batchId] });
          writeLine(`batch ${r.batchId} purged: asked for by ${r.requestedBy}, approved by ${ctx.actor}; ${done.purged.records} records and ${done.purged.portraits} portraits emptied, ${done.purged.files + jobs.files} files removed`);
        }
        return EXIT.ok;
      }),
    ),
  );
}

async function listPending(): Promise<number> {
  return withContext({ permissions: ['approve'], what: 'see requests' }, async (ctx) => {
    const pending = await new ApprovalStore(ctx.db).pending();
    if (pending.length === 0) writeLine('no pending requests');
    for (const p of pending) writeLine(`${p.id}  ${p.kind.padEnd(7)}  batch ${p.batchId}  asked for by ${p.requestedBy} at ${p.requestedAt.toISOString().slice(0, 16).replace('T', ' ')}`);
    return EXIT.ok;
  });
}

async function purgeDue(): Promise<number> {
  return withContext({ permissions: ['purge.due'], what: 'run the scheduled purge' }, (ctx) =>
    asCliError(RetentionError, async () => {
      const due = await new PurgeStore(ctx.db).due();
      if (due.length === 0) writeLine('no batch is due for purge');
      for (const { id } of due) {
        const batch = (await ctx.batches.getBatch(id))!;
        const r = await purgeBatch(ctx.db, ctx.dataDir, batch, ctx.actor, { schedule: 'retention', purgeDueAt: batch.purgeDueAt?.toISOString() ?? null });
        writeLine(`batch ${id} purged: ${r.records} records and ${r.portraits} portraits emptied, ${r.files} files removed`);
      }
      // Modbus job files a crash left behind: those of purged batches, and any older than the retention period.
      const jobs = await purgeJobFiles(ctx.db, ctx.dataDir, ctx.actor, { getBatch: (id) => ctx.batches.getBatch(id), sweep: true, purgedNow: due.map((d) => d.id) });
      if (jobs.files > 0) writeLine(`${jobs.files} Modbus job files left behind removed (${jobs.files - jobs.olderThanRetention} of purged batches, ${jobs.olderThanRetention} older than the retention period)`);
      return EXIT.ok;
    }),
  );
}

async function purgeRequest(batchId: string): Promise<number> {
  return withContext({ permissions: ['purge.request'], what: 'ask for a purge' }, (ctx) =>
    asTwoPerson(async () => {
      const batch = await ctx.batches.getBatch(batchId);
      if (!batch) throw new CliError(`batch ${batchId} does not exist (cardline batch list shows the batches)`);
      if (batch.purgedAt) throw new CliError(`batch ${batchId} is already purged`);
      const request = await requestPurge(ctx.db, ctx.user, batch);
      writeLine(`purge of batch ${batchId} asked for by ${ctx.actor}: request ${request.id}`);
      writeLine(`a second person (role qa or manager, who did not operate the batch) approves it: cardline approve ${request.id}`);
      return EXIT.ok;
    }),
  );
}

export function registerApprove(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('approve')
    .description('approve a release or purge request as the second person (role qa or manager; not the one who asked, not one who operated the batch)')
    .argument('[request]', 'the request id that qa release or purge --batch printed')
    .option('--list', 'list the pending requests')
    .action((request: string | undefined, o: { list?: boolean }) =>
      run(() => {
        if (o.list) return listPending();
        if (!request) throw new CliError('give the request id (cardline approve --list shows the pending ones)');
        return approve(request);
      }),
    );
  program
    .command('purge')
    .description('purge the personal data of released batches: --due those whose retention date has passed (unattended), or --batch ID before it (asks for a second person’s approval)')
    .option('--due', 'purge every released batch whose approved retention date has passed (roles manager, admin)')
    .option('--batch <id>', 'ask for the purge of one released batch now (role manager); a second person approves it')
    .action((o: { due?: boolean; batch?: string }) =>
      run(() => {
        if (Boolean(o.due) === (o.batch !== undefined)) throw new CliError('give exactly one of --due and --batch ID');
        if (o.due) return purgeDue();
        return purgeRequest(o.batch!);
      }),
    );
}

import type { Command } from 'commander';
import { BatchActionError, closeBatch } from '../../line/batch-actions.ts';
import { batchListEntry, batchSummary, shownStatus } from '../../line/batch-summary.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

const READ = { permissions: ['batch.read'], what: 'see batches' } as const;

async function list(json: boolean | undefined): Promise<number> {
  return withContext(READ, async (ctx) => {
    const batches = await ctx.batches.listBatches();
    if (json) {
      for (const b of batches) writeLine(JSON.stringify(await batchListEntry(ctx.db, b)));
      return EXIT.ok;
    }
    if (batches.length === 0) writeLine('no batches');
    for (const b of batches) {
      writeLine(`${b.id}  ${(await shownStatus(ctx.db, b)).padEnd(15)}  ${String(b.acceptedCount).padStart(7)} records  ${b.createdAt.toISOString().slice(0, 16).replace('T', ' ')}  ${b.name}`);
    }
    return EXIT.ok;
  });
}

async function show(id: string, json: boolean | undefined): Promise<number> {
  return withContext(READ, async (ctx) => {
    const summary = await batchSummary(ctx.db, ctx.batches, id);
    if (!summary) throw new CliError(`batch ${id} does not exist (cardline batch list shows the batches)`);
    if (json) {
      writeLine(JSON.stringify(summary));
      return EXIT.ok;
    }
    const { status, records: r, cards: c, spoiledByReason: byReason, auditHead: head } = summary;
    writeLine(`batch ${summary.id} "${summary.name}": ${status}${status === 'interrupted' ? ` (its run stopped without ending; cardline run ${summary.id} --resume continues it)` : ''}`);
    writeLine(`records: ${r.total} — ${r.produced} produced, ${r.failed} failed, ${r.cancelled} cancelled, ${r.pending} pending`);
    writeLine(`cards:   ${c.blanksConsumed} blanks consumed — ${c.good} good, ${c.spoiled} spoiled, ${c.inLine} still in the line`);
    for (const [reason, n] of Object.entries(byReason).sort((a, b) => b[1] - a[1])) writeLine(`  spoiled ${String(n).padStart(5)}  ${reason}`);
    if (head) writeLine(`audit chain head: row ${head.id} ${head.hash}`);
    return EXIT.ok;
  });
}

async function close(id: string): Promise<number> {
  return withContext({ permissions: ['batch.close'], what: 'close (reconcile) a batch' }, (ctx) =>
    asCliError(BatchActionError, async () => {
      const result = await closeBatch(ctx.batches, new LineStore(ctx.db, ''), id, ctx.actor);
      if (result.closed) {
        writeLine(`batch ${id} reconciled: ${result.blanksConsumed} blanks consumed = ${result.good} good + ${result.spoiled} spoiled`);
        return EXIT.ok;
      }
      writeLine(`batch ${id} does not reconcile: ${result.blanksConsumed} blanks consumed, ${result.good} good + ${result.spoiled} spoiled`);
      writeLine(`unaccounted cards (${result.unaccounted.length}): ${result.unaccounted.join(' ')}`);
      if (result.unaccounted.length > 0) {
        writeLine(`a card still in the line is accounted for when a run brings it out (cardline run ${id} --resume); one that is no longer there is written off: cardline card write-off SERIAL`);
      }
      return EXIT.invalid;
    }),
  );
}

export function registerBatch(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const batch = program.command('batch').description('batches: list, show their accounting, close (reconcile) them');
  batch
    .command('list')
    .description('every batch, newest first; an import that accepted no record shows as quarantine only')
    .option('--json', 'one JSON object a batch: {"id","name","status","quarantineOnly","accepted","quarantined","createdAt"}')
    .action((o: { json?: boolean }) => run(() => list(o.json)));
  batch
    .command('show')
    .description('records and cards of a batch: produced/failed/cancelled/pending, blanks consumed = good + spoiled + in the line')
    .argument('<id>', 'batch id')
    .option('--json', 'print {"records":{"total","produced","failed","cancelled","pending"},"cards":{"blanksConsumed","good","spoiled","inLine"},…}')
    .action((id: string, options: { json?: boolean }) => run(() => show(id, options.json)));
  batch
    .command('close')
    .description('reconcile a completed or aborted batch; refuses (exit 1) and lists the unaccounted cards when it does not balance')
    .argument('<id>', 'batch id')
    .action((id: string) => run(() => close(id)));
}

import type { Command } from 'commander';
import { BatchActionError, inspectorReject, releaseBatch } from '../../line/batch-actions.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { dropStaleProof } from '../run-report.ts';

async function list(batchId: string, json: boolean | undefined): Promise<number> {
  return withContext(async (ctx) => {
    if (!(await ctx.batches.getBatch(batchId))) throw new CliError(`batch ${batchId} does not exist (cardline batch list shows the batches)`);
    const cards = await new LineStore(ctx.db, '').batchCards(batchId);
    if (json) {
      for (const c of cards) {
        writeLine(JSON.stringify({ cardSerial: c.cardSerial, seq: c.seq, attempt: c.attempt, status: c.status, position: c.position, reason: c.reason, unit: c.unit, suspect: c.suspect }));
      }
      return EXIT.ok;
    }
    writeLine(`card serial   record  attempt  status   stacker  reason / last unit`);
    for (const c of cards) {
      writeLine(`${c.cardSerial.padEnd(12)}  ${String(c.seq).padStart(6)}  ${String(c.attempt).padStart(7)}  ${c.status.padEnd(7)}  ${String(c.position ?? '').padStart(7)}  ${c.reason ?? c.unit ?? ''}`);
    }
    return EXIT.ok;
  });
}

export function registerQa(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const qa = program.command('qa').description('quality assurance: list a batch’s cards, reject a card after output, release a reconciled batch');
  qa
    .command('list')
    .description('the cards of a batch: good ones with their stacker position, spoiled ones with the reason')
    .argument('<batch>', 'batch id')
    .option('--json', 'one JSON object a card: {"cardSerial","seq","attempt","status","position","reason","unit","suspect"}')
    .action((b: string, o: { json?: boolean }) => run(() => list(b, o.json)));
  qa
    .command('reject')
    .description('an inspector rejects a card the vision system passed: spoil log, its record re-made at top priority, audited')
    .argument('<cardSerial>', 'the card serial (cardline qa list shows them)')
    .requiredOption('--reason <code>', 'reason code (docs/line-control.md), e.g. INSPECTOR_REJECT')
    .requiredOption('--by <name>', 'the inspector')
    .option('--note <text>', 'what the inspector saw (no personal data)')
    .action((serial: string, o: { reason: string; by: string; note?: string }) =>
      run(() =>
        withContext((ctx) =>
          asCliError(BatchActionError, async () => {
            const r = await inspectorReject(new LineStore(ctx.db, ''), serial, { reason: o.reason, by: o.by, ...(o.note ? { note: o.note } : {}) });
            writeLine(`card ${serial} rejected by ${o.by}: record ${r.seq} of batch ${r.batchId} ${r.record}`);
            const stale = await dropStaleProof(ctx.reportDir, r.batchId, serial);
            if (stale) writeLine(`proof ${stale} removed: it showed this card (the next run with --proof writes a new one)`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  qa
    .command('release')
    .description('release a reconciled batch (audited)')
    .argument('<batch>', 'batch id')
    .requiredOption('--by <name>', 'the person releasing it')
    .action((b: string, o: { by: string }) =>
      run(() =>
        withContext((ctx) =>
          asCliError(BatchActionError, async () => {
            await releaseBatch(ctx.batches, new LineStore(ctx.db, ''), b, o.by);
            writeLine(`batch ${b} released by ${o.by}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
}

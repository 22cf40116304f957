import type { Command } from 'commander';
import { ApprovalError, requestRelease, TwoPersonError } from '../../auth/two-person.ts';
import { BatchActionError, inspectorReject, reissueRecord } from '../../line/batch-actions.ts';
import { LineStore } from '../../store/line-store.ts';
import { notAllowed, withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { dropStaleProof } from '../run-report.ts';

async function list(batchId: string, json: boolean | undefined): Promise<number> {
  return withContext({ permissions: ['batch.read'], what: 'see batches' }, async (ctx) => {
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

/** The two-person rule's refusals are exit 4 (not allowed); a batch in the wrong state is exit 2. */
export async function asTwoPerson<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof TwoPersonError) throw notAllowed(error.message);
    if (error instanceof ApprovalError) throw new CliError(error.message);
    throw error;
  }
}

export function registerQa(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const qa = program.command('qa').description('quality assurance: list a batch’s cards, reject a card after output, ask for the release of a reconciled batch, recall a released card');
  qa
    .command('list')
    .description('the cards of a batch: good ones with their stacker position, spoiled ones with the reason')
    .argument('<batch>', 'batch id')
    .option('--json', 'one JSON object a card: {"cardSerial","seq","attempt","status","position","reason","unit","suspect"}')
    .action((b: string, o: { json?: boolean }) => run(() => list(b, o.json)));
  qa
    .command('reject')
    .description('an inspector (role qa) rejects a card the vision system passed: spoil log, its record re-made at top priority, audited. Refused once the batch is released (see qa recall)')
    .argument('<cardSerial>', 'the card serial (cardline qa list shows them)')
    .requiredOption('--reason <code>', 'reason code (docs/line-control.md), e.g. INSPECTOR_REJECT')
    .option('--note <text>', 'what the inspector saw (no personal data)')
    .action((serial: string, o: { reason: string; note?: string }) =>
      run(() =>
        withContext({ permissions: ['qa.reject'], what: 'reject a card' }, (ctx) =>
          asCliError(BatchActionError, async () => {
            const r = await inspectorReject(new LineStore(ctx.db, ''), serial, { reason: o.reason, by: ctx.actor, ...(o.note ? { note: o.note } : {}) });
            writeLine(`card ${serial} rejected by ${ctx.actor}: record ${r.seq} of batch ${r.batchId} ${r.record}`);
            const stale = await dropStaleProof(ctx.reportDir, r.batchId, serial);
            if (stale) writeLine(`proof ${stale} removed: it showed this card (the next run with --proof writes a new one)`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  qa
    .command('release')
    .description('ask for the release of a reconciled batch (role qa, not one who operated it); a second person approves it: cardline approve REQUEST_ID')
    .argument('<batch>', 'batch id')
    .action((b: string) =>
      run(() =>
        withContext({ permissions: ['qa.release'], what: 'ask for a release' }, (ctx) =>
          asTwoPerson(async () => {
            const batch = await ctx.batches.getBatch(b);
            if (!batch) throw new CliError(`batch ${b} does not exist (cardline batch list shows the batches)`);
            const request = await requestRelease(ctx.db, ctx.user, batch);
            writeLine(`release of batch ${b} asked for by ${ctx.actor}: request ${request.id}`);
            writeLine(`a second person (role qa or manager, who did not operate the batch) approves it: cardline approve ${request.id}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
  qa
    .command('recall')
    .description('a card of a released batch found defective: the batch stays final, the card’s record is re-issued as a new batch of one record (audited)')
    .argument('<cardSerial>', 'the card serial')
    .requiredOption('--reason <code>', 'reason code (docs/line-control.md), e.g. INSPECTOR_REJECT')
    .option('--note <text>', 'what was found (no personal data)')
    .action((serial: string, o: { reason: string; note?: string }) =>
      run(() =>
        withContext({ permissions: ['qa.recall'], what: 'recall a card' }, (ctx) =>
          asCliError(BatchActionError, async () => {
            const r = await reissueRecord(ctx.batches, new LineStore(ctx.db, ''), serial, { reason: o.reason, by: ctx.actor, ...(o.note ? { note: o.note } : {}) });
            writeLine(`card ${serial} recalled by ${ctx.actor}: record ${r.seq} of batch ${r.batchId} re-issued as batch ${r.newBatchId} (cardline run ${r.newBatchId})`);
            return EXIT.ok;
          }),
        ),
      ),
    );
}

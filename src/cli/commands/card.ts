import type { Command } from 'commander';
import { BatchActionError, writeOffCard } from '../../line/batch-actions.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { asCliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

export function registerCard(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const card = program.command('card').description('one physical card: write off a card the records hold in the line but that is gone');
  card
    .command('write-off')
    .description(
      'a supervisor writes off a card the records hold in the line but that is no longer there (taken out by hand, lost): ' +
        'spoil log, its record re-made at top priority, audited. With no run under way on the line: stop the run, write the card off, then run --resume',
    )
    .argument('<cardSerial>', 'the card serial (cardline batch close and the run’s stall message name the cards still in the line)')
    .option('--reason <code>', 'reason code (docs/line-control.md)', 'WRITTEN_OFF')
    .option('--note <text>', 'what happened to the card (no personal data)')
    .action((serial: string, o: { reason: string; note?: string }) =>
      run(() =>
        withContext({ permissions: ['card.write-off'], what: 'write off a card' }, (ctx) =>
          asCliError(BatchActionError, async () => {
            const r = await writeOffCard(new LineStore(ctx.db, ''), serial, { reason: o.reason, by: ctx.actor, ...(o.note ? { note: o.note } : {}) });
            writeLine(`card ${serial} written off by ${ctx.actor} (${o.reason}): record ${r.seq} of batch ${r.batchId} ${r.record}`);
            return EXIT.ok;
          }),
        ),
      ),
    );
}

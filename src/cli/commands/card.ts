import type { Command } from 'commander';
import { BatchActionError, writeOffCard } from '../../line/batch-actions.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { asCliError, CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

async function show(serial: string, json: boolean | undefined): Promise<number> {
  return withContext({ permissions: ['batch.read'], what: 'see cards' }, async (ctx) => {
    const lines = new LineStore(ctx.db, '');
    const card = await lines.card(serial);
    if (!card) throw new CliError(`card ${serial} is not known (cardline qa list BATCH shows the cards of a batch)`);
    const events = await lines.cardEvents(serial);
    if (json) {
      writeLine(JSON.stringify({ ...card, events }));
      return EXIT.ok;
    }
    writeLine(`card ${card.cardSerial}: ${card.status}${card.reason ? ` (${card.reason})` : ''} — record ${card.seq} of batch ${card.batchId}, attempt ${card.attempt}, line ${card.lineId}`);
    if (card.position !== null) writeLine(`stacker position ${card.position}`);
    for (const e of events) writeLine(`  ${e.at.slice(0, 19).replace('T', ' ')}  ${(e.unit ?? '').padEnd(10)}  ${e.event}${e.reason ? ` ${e.reason}` : ''}`);
    return EXIT.ok;
  });
}

export function registerCard(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const card = program.command('card').description('one physical card: show what happened to it; write off a card the records hold in the line but that is gone');
  card
    .command('show')
    .description('a card: its status, record, stacker position or reason, and its events unit by unit')
    .argument('<cardSerial>', 'the card serial (cardline qa list shows them)')
    .option('--json', 'print {"cardSerial","batchId","seq","attempt","status","position","reason",…,"events":[{"at","unit","event","reason","detail"}]}')
    .action((serial: string, o: { json?: boolean }) => run(() => show(serial, o.json)));
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

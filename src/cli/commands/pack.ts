/**
 * `cardline pack`: the delivery packs a packer made of a batch, each pack's manifest (audited: it
 * carries names) and its label. The PDF writers (pdfkit, bwip-js) are loaded by the two commands
 * that write one, not on every `cardline` start.
 */
import type { Command } from 'commander';
import path from 'node:path';
import type { Holder } from '../../packing/manifest.ts';
import { appendAudit } from '../../store/audit.ts';
import { PackStore } from '../../store/pack-store.ts';
import { withContext, type AppContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

async function list(batchId: string, json: boolean | undefined): Promise<number> {
  return withContext({ permissions: ['batch.read'], what: 'see packs' }, async (ctx) => {
    if (!(await ctx.batches.getBatch(batchId))) throw new CliError(`batch ${batchId} does not exist; cardline batch list shows the batches`);
    const packs = await new PackStore(ctx.db, '').packs(batchId);
    if (json) {
      writeLine(JSON.stringify(packs.map((p) => ({ packId: p.packId, deliveryOffice: p.office, cardSerials: p.cards.map((c) => c.cardSerial), closed: p.closed, remainder: p.remainder }))));
      return EXIT.ok;
    }
    writeLine(`pack id                    cards  status     manifest  delivery office`);
    for (const p of packs) {
      const status = `${p.closed ? 'closed' : 'open'}${p.remainder ? ' R' : ''}`;
      writeLine(`${p.packId.padEnd(25)}  ${String(p.cards.length).padStart(5)}  ${status.padEnd(9)}  ${`v${p.manifestVersion}`.padStart(8)}  ${p.office}`);
    }
    writeLine(`${packs.length} packs, ${packs.reduce((n, p) => n + p.cards.length, 0)} cards (R: remainder pack, closed before full)`);
    return EXIT.ok;
  });
}

async function mustGetPack(ctx: AppContext, packId: string) {
  const pack = await new PackStore(ctx.db, '').pack(packId);
  if (!pack) throw new CliError(`pack ${packId} does not exist; cardline pack list BATCH shows the packs of a batch`);
  return pack;
}

function pdfPath(out: string): string {
  if (path.extname(out).toLowerCase() !== '.pdf') throw new CliError(`--out ${out}: give a file name ending in .pdf`);
  return out;
}

async function manifest(packId: string, out: string): Promise<number> {
  const file = pdfPath(out);
  return withContext({ permissions: ['pack.manifest'], what: 'issue a pack manifest (it carries names)' }, async (ctx) => {
    const pack = await mustGetPack(ctx, packId);
    const holderOf = async (seq: number): Promise<Holder | undefined> => {
      const personal = await ctx.batches.recordPersonal(pack.batchId, seq).catch(() => undefined);
      return personal && typeof personal.fullName === 'string' && typeof personal.pid === 'string' ? { fullName: personal.fullName, pid: personal.pid } : undefined;
    };
    const { manifestPdf, writePrivateFile } = await import('../../packing/manifest.ts');
    const pdf = await manifestPdf(pack, holderOf, new Date());
    await writePrivateFile(file, pdf);
    // The manifest carries names: who took one, of which version, is on record.
    await appendAudit(ctx.db, {
      actor: ctx.actor,
      action: 'pack.manifest-issued',
      subjectType: 'pack',
      subjectId: pack.packId,
      details: { batchId: pack.batchId, manifestVersion: pack.manifestVersion, cards: pack.cards.length, closed: pack.closed, file: path.resolve(file) },
    });
    writeLine(`manifest v${pack.manifestVersion} of pack ${pack.packId} (${pack.cards.length} cards, ${pack.office}) written to ${file}`);
    return EXIT.ok;
  });
}

async function label(packId: string, out: string): Promise<number> {
  const file = pdfPath(out);
  return withContext({ permissions: ['batch.read'], what: 'print a pack label' }, async (ctx) => {
    const pack = await mustGetPack(ctx, packId);
    const [{ packLabelPdf }, { writePrivateFile }] = await Promise.all([import('../../packing/label.ts'), import('../../packing/manifest.ts')]);
    await writePrivateFile(file, await packLabelPdf(pack));
    writeLine(`label of pack ${pack.packId} written to ${file}`);
    return EXIT.ok;
  });
}

export function registerPack(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const pack = program.command('pack').description('delivery packs made by a packer: list them, print a manifest or a label');
  pack
    .command('list')
    .description('the packs of a batch: pack id, cards, open or closed, remainder, manifest version, delivery office')
    .argument('<batch>', 'batch id')
    .option('--json', 'print [{"packId","deliveryOffice","cardSerials":[…],"closed","remainder"}]')
    .action((b: string, o: { json?: boolean }) => run(() => list(b, o.json)));
  pack
    .command('manifest')
    .description('the manifest PDF of a pack (card serials, record seqs, name and last 4 ID digits), mode 0600, audited')
    .argument('<packId>', 'pack id (cardline pack list shows them)')
    .requiredOption('--out <file>', 'the PDF to write')
    .action((id: string, o: { out: string }) => run(() => manifest(id, o.out)));
  pack
    .command('label')
    .description('the pack label PDF: 100 × 50 mm, Code 128 of the pack id, office and count')
    .argument('<packId>', 'pack id')
    .requiredOption('--out <file>', 'the PDF to write')
    .action((id: string, o: { out: string }) => run(() => label(id, o.out)));
}

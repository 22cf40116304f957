import type { Command } from 'commander';
import { importBatch, ImportFileError, type ImportSummary } from '../../import/importer.ts';
import { withContext, type AppContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { progressLine } from '../progress.ts';

export interface ImportCommandOptions {
  name?: string;
  json?: boolean;
}

export async function runImport(file: string, options: ImportCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ImportSummary> {
  return withContext({ permissions: ['import'], what: 'import a batch' }, (ctx) => importInto(ctx, file, options), env);
}

/** The import itself, in an open context whose user may import. */
export async function importInto(ctx: AppContext, file: string, options: ImportCommandOptions): Promise<ImportSummary> {
  const progress = progressLine('import');
  try {
    return await importBatch({
      file,
      store: ctx.batches,
      reportDir: ctx.reportDir,
      actor: ctx.actor,
      ...(options.name ? { name: options.name } : {}),
      onProgress: (p) => progress.update(`${p.read} read, ${p.accepted} accepted, ${p.quarantined} quarantined`),
    });
  } catch (error) {
    if (error instanceof ImportFileError) throw new CliError(error.message);
    throw error;
  } finally {
    progress.done();
  }
}

export function printImportSummary(summary: ImportSummary, json: boolean | undefined): void {
  if (json) {
    const { batchId, accepted, quarantined, reportPath } = summary;
    writeLine(JSON.stringify({ batchId, accepted, quarantined, reportPath }));
    return;
  }
  writeLine(`batch ${summary.batchId}: ${summary.accepted} record(s) accepted, ${summary.quarantined} quarantined`);
  if (summary.namesShortened > 0) {
    writeLine(`  ${summary.namesShortened} name(s) shortened for the MRZ (initials or cut): see the report's warnings`);
  }
  writeLine(`  quarantine report: ${summary.reportTextPath}`);
  writeLine(`                    ${summary.reportPath}`);
  if (summary.accepted === 0) writeLine('  no record was accepted: the batch is marked failed');
}

export function registerImport(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('import')
    .description('validate a batch file (JSON Lines or CSV, docs/record-format.md) and import its valid records into a new batch')
    .argument('<file>', 'batch file; portraits are looked up relative to it')
    .option('--name <name>', 'batch name (default: the file name)')
    .option('--json', 'print {"batchId","accepted","quarantined","reportPath"}')
    .addHelpText(
      'after',
      '\nInvalid records go to the quarantine report (line, field, reason) in <data dir>/reports/.\n' +
        'Exit codes: 0 at least one record accepted; 3 none accepted; 2 the file cannot be read or its CSV header is wrong.',
    )
    .action((file: string, options: ImportCommandOptions) =>
      run(async () => {
        const summary = await runImport(file, options);
        printImportSummary(summary, options.json);
        return summary.accepted > 0 ? EXIT.ok : EXIT.nothingAccepted;
      }),
    );
}

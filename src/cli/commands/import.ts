import type { Command } from 'commander';
import { importBatch, ImportFileError, type ImportSummary } from '../../import/importer.ts';
import { readFile } from 'node:fs/promises';
import { withContext, type AppContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { requireFile, writeLine } from '../io.ts';
import { progressLine } from '../progress.ts';

export interface ImportCommandOptions {
  name?: string;
  json?: boolean;
}

export async function runImport(file: string, options: ImportCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<ImportSummary> {
  // Who may import is checked first: a refusal says nothing about the server's files.
  return withContext(
    { permissions: ['import'], what: 'import a batch' },
    (ctx) => {
      requireFile(file);
      return importInto(ctx, file, options);
    },
    env,
  );
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

/**
 * Why no record was accepted, from the quarantine report (field names and reasons, never values):
 * the most frequent reasons with their counts, or that the file has no record at all.
 */
export async function whyNothingAccepted(summary: ImportSummary): Promise<string> {
  if (summary.quarantined === 0) return 'the file holds no record';
  let entries: { kind: string; issues: { field: string; message: string }[] }[] = [];
  try {
    entries = (JSON.parse(await readFile(summary.reportPath, 'utf8')) as { entries: typeof entries }).entries;
  } catch {
    return `all ${summary.quarantined} record(s) quarantined (see the report)`;
  }
  const counts = new Map<string, number>();
  for (const e of entries) {
    if (e.kind !== 'rejected') continue;
    // Line numbers and batch ids inside a reason would make every reason its own.
    const reasons = new Set(e.issues.map((i) => `${i.field}: ${i.message.replace(/\b(line|seq) \d+/g, '$1 …')}`));
    for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return `all ${summary.quarantined} record(s) quarantined; most often: ${top.map(([r, n]) => `${r} (${n})`).join('; ')}`;
}

export async function printImportSummary(summary: ImportSummary, json: boolean | undefined): Promise<void> {
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
  if (summary.accepted === 0) {
    writeLine(`  no record was accepted: ${await whyNothingAccepted(summary)}`);
    writeLine(`  nothing to produce: ${summary.batchId} holds only this quarantine report (batch list shows it as quarantine only)`);
  }
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
        await printImportSummary(summary, options.json);
        return summary.accepted > 0 ? EXIT.ok : EXIT.nothingAccepted;
      }),
    );
}

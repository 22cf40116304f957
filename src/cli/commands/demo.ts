import path from 'node:path';
import type { Command } from 'commander';
import { demoOperatorEnv } from '../../auth/demo-users.ts';
import { resolveDataDir } from '../../store/data-dir.ts';
import { openContext } from '../context.ts';
import { EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { loadLineConfig } from '../../config/line-config.ts';
import { lineFileOf } from '../../site/line-ref.ts';
import { printImportSummary, runImport } from './import.ts';
import { DEFAULT_LINE, runCommand } from './run.ts';
import { newSeed, runSample } from './sample.ts';

/**
 * `npm start`: the whole product on its embedded defaults. A fresh synthetic batch (a new seed each
 * run, so runs never clash on PIDs) across all age groups is imported, then produced on the demo
 * line with its simulator in this process: a TEST PKI is created if there is none, blank stock is
 * loaded, faults happen at the line file's rates; the summary, a JSON report and the proof PDF
 * end it.
 */
export function registerDemo(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('the demo behind `npm start`: a fresh synthetic batch imported and produced on the simulated demo line (data in ./data or CARDLINE_DATA_DIR)')
    .option('--count <n>', 'records in the sample batch', '200')
    .option('--line <id|file>', 'the demo line: a line of config/site.yaml by its id (demo-mixed), or a line file (default config/lines/demo-opcua.yaml; demo-modbus runs the same way)')
    .action((options: { count: string; line?: string }) =>
      run(async () => {
        // The line file first: a wrong --line must not leave a sample and an imported batch behind.
        const lineFile = options.line !== undefined ? await lineFileOf(options.line) : DEFAULT_LINE;
        await loadLineConfig(lineFile);
        const seed = newSeed();
        const outDir = path.join(resolveDataDir(), 'samples', seed);
        const count = Math.max(1, Number.parseInt(options.count, 10) || 200);
        const ctx = await openContext();
        const demo = await demoOperatorEnv(ctx.db, ctx.dataDir).finally(() => ctx.close());
        if (demo.created) writeLine(`demo users created (admin, operator, qa, manager): their one-time passwords are in ${demo.file}; each chooses their own at first use (cardline user passwd NAME)`);
        const sample = await runSample({ count, seed, outDir });
        writeLine(`sample: ${sample.records} synthetic citizens (seed ${seed}) in ${sample.batchFile}`);
        const summary = await runImport(sample.batchFile, { name: `demo ${seed}` }, demo.env);
        await printImportSummary(summary, false);
        if (summary.accepted === 0) return EXIT.nothingAccepted;
        writeLine(`running batch ${summary.batchId} on ${path.relative(process.cwd(), lineFile) || lineFile}`);
        // Blanks for every record and its likely re-makes; the stacker emptied when it could not take the batch.
        return runCommand(summary.batchId, { proof: true, ensureBlanks: Math.ceil(summary.accepted * 1.25) + 20, ...(options.line ? { line: lineFile } : {}) }, undefined, demo.env);
      }),
    );
}

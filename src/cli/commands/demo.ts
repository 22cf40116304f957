import path from 'node:path';
import type { Command } from 'commander';
import { resolveDataDir } from '../../store/data-dir.ts';
import { EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { printImportSummary, runImport } from './import.ts';
import { newSeed, runSample } from './sample.ts';

/**
 * `npm start`: the whole product on its embedded defaults. For now: a fresh synthetic batch
 * (a new seed each run, so runs never clash on PIDs) imported into the store.
 */
export function registerDemo(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('demo')
    .description('the demo behind `npm start`: generate a fresh synthetic batch and import it (data in ./data or CARDLINE_DATA_DIR)')
    .option('--count <n>', 'records in the sample batch', '200')
    .action((options: { count: string }) =>
      run(async () => {
        const seed = newSeed();
        const outDir = path.join(resolveDataDir(), 'samples', seed);
        const count = Math.max(1, Number.parseInt(options.count, 10) || 200);
        const sample = await runSample({ count, seed, outDir });
        writeLine(`sample: ${sample.records} synthetic citizens (seed ${seed}) in ${sample.batchFile}`);
        const summary = await runImport(sample.batchFile, { name: `demo ${seed}` });
        printImportSummary(summary, false);
        return summary.accepted > 0 ? EXIT.ok : EXIT.nothingAccepted;
      }),
    );
}

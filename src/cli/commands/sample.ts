import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { writeSample, type WriteSampleResult } from '../../sample/generate.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { progressLine } from '../progress.ts';

export interface SampleCommandOptions {
  count: string;
  seed?: string;
  out: string;
  portraitPool?: string;
  force?: boolean;
}

/**
 * An earlier sample in `outDir` is refused, or with `force` removed first: its portraits would
 * otherwise stay beside the new batch.jsonl, which names other ones.
 */
async function clearEarlierSample(outDir: string, force: boolean | undefined): Promise<void> {
  const batchFile = path.join(outDir, 'batch.jsonl');
  const portraits = path.join(outDir, 'portraits');
  if (!existsSync(batchFile) && !existsSync(portraits)) return;
  if (!force) throw new CliError(`${outDir} holds a sample already (batch.jsonl, portraits/): choose another --out, or --force to replace it`);
  await rm(batchFile, { force: true });
  await rm(portraits, { recursive: true, force: true });
}

function positiveInt(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`${option} must be a whole number ≥ 1, got '${value}'`);
  return Number(value);
}

/** A fresh seed for runs that must not repeat an earlier sample (npm start). */
export function newSeed(): string {
  return randomBytes(6).toString('hex');
}

export async function runSample(opts: { count: number; seed: string; outDir: string; portraitPool?: number }): Promise<WriteSampleResult> {
  const progress = progressLine('sample');
  try {
    return await writeSample({
      count: opts.count,
      seed: opts.seed,
      outDir: opts.outDir,
      ...(opts.portraitPool ? { portraitPool: opts.portraitPool } : {}),
      onProgress: (n) => progress.update(`${n} / ${opts.count} records`),
    });
  } finally {
    progress.done();
  }
}

export function registerSample(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('sample')
    .description(
      'write a deterministic synthetic batch (batch.jsonl + portraits/) of realistic Vietnamese citizens: every age group, ' +
        'all provinces, births abroad, 29 February and year-only births, names too long for the MRZ; portraits are drawn, never real people',
    )
    .requiredOption('--count <n>', 'number of records')
    .option('--seed <seed>', 'seed: the same seed gives the same batch (default: a new random seed, printed)')
    .requiredOption('--out <dir>', 'output folder (created); an earlier sample there is refused unless --force')
    .option('--force', 'replace a sample already in --out (its batch.jsonl and portraits/)')
    .option('--portrait-pool <n>', 'draw only N distinct portraits and share them (capacity studies with 100,000s of records)')
    .action((options: SampleCommandOptions) =>
      run(async () => {
        const count = positiveInt(options.count, '--count');
        const portraitPool = options.portraitPool === undefined ? undefined : positiveInt(options.portraitPool, '--portrait-pool');
        const seed = options.seed ?? newSeed();
        await clearEarlierSample(options.out, options.force);
        const result = await runSample({ count, seed, outDir: options.out, ...(portraitPool ? { portraitPool } : {}) });
        writeLine(`wrote ${result.records} records (seed ${seed}) to ${result.batchFile} with ${result.portraits} portraits in ${path.join(options.out, 'portraits')}`);
        return EXIT.ok;
      }),
    );
}

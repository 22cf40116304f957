/**
 * Import speed and memory: 200,000 sampled records (65 % with a portrait) imported into SQLite,
 * measured in a child process (its peak RSS is the figure), then the same rows inserted by the
 * leanest code possible — one prepared statement per row, a commit per 1,000 records — into the
 * same SQLite file, in the same run. The ratio of the two is what our layers (streaming, validation,
 * encryption, duplicate detection, reports) cost.
 *
 * The sample is generated once and cached in .bench/ (BENCH_IMPORT_COUNT changes its size). It uses
 * a pool of 500 portrait files, shared between records: drawing 130,000 JPEGs would take longer
 * than the import itself, and the importer reads, checks and encrypts each record's portrait all
 * the same.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeSample } from '../src/sample/generate.ts';
import { bench, info } from './report.ts';

const COUNT = Number(process.env.BENCH_IMPORT_COUNT ?? 200_000);
const root = path.resolve(import.meta.dirname, '..');
const work = path.join(root, '.bench');
const sampleDir = path.join(work, `sample-${COUNT}`);
const batchFile = path.join(sampleDir, 'batch.jsonl');
const dataDir = path.join(work, 'import-data');
const runner = path.join(root, 'bin/run-ts.js');

if (!existsSync(path.join(sampleDir, 'complete'))) {
  rmSync(sampleDir, { recursive: true, force: true });
  const t0 = performance.now();
  await writeSample({ count: COUNT, seed: 'bench-import', outDir: sampleDir, portraitPool: 500 });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(sampleDir, 'complete'), '');
  info(`generated ${COUNT} sample records in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in ${path.relative(root, sampleDir)})`);
}

function child(script: string, args: string[]): Record<string, number> {
  const r = spawnSync(process.execPath, [runner, path.join(import.meta.dirname, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CARDLINE_DATA_DIR: dataDir, CARDLINE_DB_URL: '' },
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

rmSync(dataDir, { recursive: true, force: true });
const ours = child('import-child.ts', [batchFile]);
info(`import: ${ours.accepted} records in ${(ours.ms! / 1000).toFixed(1)} s, peak RSS ${ours.peakRssMb!.toFixed(0)} MB`);
if (ours.accepted !== COUNT) throw new Error(`the import accepted ${ours.accepted} of ${COUNT} records`);
const raw = child('raw-insert-child.ts', [path.join(dataDir, 'cardline.sqlite')]);
info(`bare prepared-statement insert of the same rows: ${raw.records} records in ${(raw.ms! / 1000).toFixed(1)} s`);

const oursRate = (ours.accepted / ours.ms!) * 1000;
const rawRate = (raw.records! / raw.ms!) * 1000;
bench('import_records_per_s', oursRate, 'records/s');
bench('import_peak_rss_mb', ours.peakRssMb!, 'MB');
bench('import_raw_insert_records_per_s', rawRate, 'records/s');
bench('import_vs_raw_insert_ratio', oursRate / rawRate, 'ratio');
rmSync(dataDir, { recursive: true, force: true });

/**
 * Retention and purge (docs/security.md, "Retention and purge"): once a batch is released and its
 * retention period has run out (or a manager's purge request was approved by a second person), its
 * personal data goes: the encrypted fields and portraits in the store (src/store/purge-store.ts),
 * and the files cardline wrote with it — rendered laser jobs and previews, proof sheets, chip
 * images, and a batch file cardline itself wrote into the data directory (the demo's samples).
 * What accountability needs stays, so `batch show` still balances.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Batch } from '../store/batch.ts';
import { PurgeStore } from '../store/purge-store.ts';

export const RETENTION_ENV = 'CARDLINE_RETENTION_DAYS';
/** The site's retention period when neither the batch nor CARDLINE_RETENTION_DAYS sets one. */
export const DEFAULT_RETENTION_DAYS = 30;

export class RetentionError extends Error {
  override name = 'RetentionError';
}

/** A retention period and where it was set, for the approval's message and its audit row. */
export interface RetentionPeriod {
  readonly days: number;
  /** `batch`, `line <id>` (its line file's retentionDays), `CARDLINE_RETENTION_DAYS` or `default`. */
  readonly from: string;
}

/**
 * The retention period of a batch, first set wins: the batch's own value; the line file's
 * `retentionDays` of the line its last run started on; the site's CARDLINE_RETENTION_DAYS; 30 days.
 * The site file (another engineer's work, src/site) plugs in here, between the line and the
 * environment variable: pass its `retentionDays` as `site` and name it `site` in `from`.
 */
export function retentionPeriod(batch: Pick<Batch, 'retentionDays' | 'lineRetention'>, env: NodeJS.ProcessEnv = process.env): RetentionPeriod {
  if (batch.retentionDays !== undefined) return { days: batch.retentionDays, from: 'batch' };
  if (batch.lineRetention) return { days: batch.lineRetention.days, from: `line ${batch.lineRetention.lineId}` };
  const text = env[RETENTION_ENV]?.trim();
  if (!text) return { days: DEFAULT_RETENTION_DAYS, from: 'default' };
  const days = Number(text);
  if (!Number.isInteger(days) || days < 0 || days > 36_500) throw new RetentionError(`${RETENTION_ENV} must be a whole number of days from 0 to 36500, got '${text}'`);
  return { days, from: RETENTION_ENV };
}

/** The days of retentionPeriod. */
export function retentionDaysFor(batch: Pick<Batch, 'retentionDays' | 'lineRetention'>, env: NodeJS.ProcessEnv = process.env): number {
  return retentionPeriod(batch, env).days;
}

export interface PurgeResult {
  readonly records: number;
  readonly portraits: number;
  readonly files: number;
}

/**
 * Purges one batch: files first (a purge interrupted after them is simply run again), then the
 * database, audited as `batch.purged` by `actor`. Inside `trx` when an approval commits with it.
 */
export async function purgeBatch(db: Knex, dataDir: string, batch: Batch, actor: string, details: Record<string, unknown>, trx?: Knex.Transaction): Promise<PurgeResult> {
  if (batch.status !== 'released' && batch.status !== 'failed') {
    throw new RetentionError(`batch ${batch.id} is ${batch.status}: only a released batch (or a failed import) is purged; its cards are not final yet`);
  }
  const store = new PurgeStore(trx ?? db);
  if (await store.purgedAt(batch.id)) throw new RetentionError(`batch ${batch.id} is already purged`);
  let files = 0;
  for (const output of await store.outputsOf(batch.id)) {
    for (const name of output.files) files += await removeFile(path.join(output.dir, path.basename(name)));
    await removeDirIfEmpty(output.dir);
  }
  // The proof sheet `cardline run --proof` writes beside the batch report.
  files += await removeFile(path.join(dataDir, 'reports', batch.id, 'proof.pdf'));
  files += await removeOwnSource(dataDir, batch.sourceFile);
  const removed = await store.purgeRecords(batch.id, actor, { ...details, files }, trx);
  return { ...removed, files };
}

async function removeFile(file: string): Promise<number> {
  try {
    await rm(file);
    return 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function removeDirIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}

/**
 * A batch file cardline wrote into its own data directory (`cardline demo` puts its samples in
 * `<data dir>/samples/<seed>/`, with the portraits) goes with the batch. A file anywhere else is
 * the bureau's input, which cardline does not own and does not delete.
 */
async function removeOwnSource(dataDir: string, sourceFile: string): Promise<number> {
  const samples = path.join(path.resolve(dataDir), 'samples');
  const source = path.resolve(sourceFile);
  const relative = path.relative(samples, source);
  if (relative.startsWith('..') || path.isAbsolute(relative) || relative === '') return 0;
  const folder = path.join(samples, relative.split(path.sep)[0]!);
  if (folder === source) return removeFile(source);
  let count: number;
  try {
    count = (await readdir(folder, { recursive: true })).length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  await rm(folder, { recursive: true, force: true });
  return count;
}

/**
 * Modbus job files a crash left behind (docs/security.md, "Retention and purge"). The controller
 * deletes a job file once the station has taken it and a result file once it has acknowledged it
 * (src/plc/modbus/job-folder.ts); a controller killed in between leaves the file — a BAC key, a
 * chip image, a card PDF — named by job id only. Each block of job ids a run reserves records its
 * batch (job_id_blocks), and each unit folder a run used is remembered (job_folders), so the purge
 * finds these files again:
 * - a file of a purged batch goes, always;
 * - any other file goes once it is older than the retention period (its batch's, else the site's)
 *   and no controller drives its line (a running line's files are its jobs in flight).
 * Files of other names (the station's own) are left alone.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { jobsFolder, outboxFolder } from '../plc/modbus/job-folder.ts';
import type { Batch } from '../store/batch.ts';
import { LineLease } from '../store/line-lease.ts';
import { PurgeStore } from '../store/purge-store.ts';
import { retentionPeriod } from './purge.ts';

/** `<id>.job`, `<id>.result`, and their temporaries `.<id>.job.<pid>-<hex>.tmp` (job-folder.ts). */
const JOB_FILE = /^(?:(\d+)\.(?:job|result)|\.(\d+)\.(?:job|result)\.[^/]*\.tmp)$/;

export interface JobFilesPurged {
  readonly files: number;
  /** Files removed because they were older than the retention period (not of a purged batch). */
  readonly olderThanRetention: number;
}

interface Folder {
  readonly dir: string;
  readonly lineId: string;
}

/**
 * The unit folders to look in: those runs remembered, and those under `<data dir>/jobs/<line>/`
 * (the default place, also for runs from before folders were remembered).
 */
async function foldersToScan(store: PurgeStore, dataDir: string): Promise<Folder[]> {
  const folders = new Map<string, Folder>();
  for (const f of await store.jobFolders()) folders.set(path.resolve(f.dir), { dir: path.resolve(f.dir), lineId: f.lineId });
  const root = path.resolve(dataDir, 'jobs');
  for (const lineId of await names(root)) {
    for (const station of await names(path.join(root, lineId))) {
      for (const unit of await names(path.join(root, lineId, station))) {
        const dir = path.join(root, lineId, station, unit);
        if (!folders.has(dir)) folders.set(dir, { dir, lineId });
      }
    }
  }
  return [...folders.values()];
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

async function jobFilesIn(dir: string): Promise<{ file: string; jobId: number }[]> {
  const found = [];
  for (const sub of [jobsFolder(dir), outboxFolder(dir)]) {
    let entries;
    try {
      entries = await readdir(sub, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const e of entries) {
      const m = e.isFile() ? JOB_FILE.exec(e.name) : null;
      if (m) found.push({ file: path.join(sub, e.name), jobId: Number(m[1] ?? m[2]) });
    }
  }
  return found;
}

/**
 * Removes the job files left behind: every file of a batch in `onlyBatches` (the batches purged
 * now, or already), else — when `sweep` — every file that is older than its retention period on a
 * line no controller drives. Audits one `jobs.purged` row a line that lost files.
 */
export async function purgeJobFiles(
  db: Knex,
  dataDir: string,
  actor: string,
  options: { readonly getBatch: (id: string) => Promise<Batch | undefined>; readonly sweep: boolean; readonly purgedNow?: readonly string[]; readonly now?: Date; readonly env?: NodeJS.ProcessEnv },
): Promise<JobFilesPurged> {
  const store = new PurgeStore(db);
  const now = options.now ?? new Date();
  const purgedNow = new Set(options.purgedNow ?? []);
  const batches = new Map<string, Batch | undefined>();
  const batchOf = async (id: string): Promise<Batch | undefined> => {
    if (!batches.has(id)) batches.set(id, await options.getBatch(id));
    return batches.get(id);
  };
  const byLine = new Map<string, { files: number; olderThanRetention: number; folders: Set<string>; batches: Set<string> }>();
  const lineBusy = new Map<string, boolean>();
  let files = 0;
  let older = 0;
  for (const folder of await foldersToScan(store, dataDir)) {
    const found = await jobFilesIn(folder.dir);
    if (found.length === 0) continue;
    const blocks = await store.jobIdBlocks(folder.lineId);
    for (const { file, jobId } of found) {
      const batchId = blocks.find((b) => jobId >= b.firstId && jobId < b.firstId + b.count)?.batchId;
      const batch = batchId === undefined ? undefined : await batchOf(batchId);
      let remove = batchId !== undefined && (purgedNow.has(batchId) || batch?.purgedAt !== undefined);
      let aged = false;
      if (!remove && options.sweep) {
        if (!lineBusy.has(folder.lineId)) lineBusy.set(folder.lineId, (await LineLease.holder(db, folder.lineId)) !== undefined);
        if (!lineBusy.get(folder.lineId)) {
          const days = retentionPeriod(batch ?? { retentionDays: undefined }, options.env).days;
          const modified = await stat(file).then((s) => s.mtimeMs, () => undefined);
          aged = modified !== undefined && modified < now.getTime() - days * 86_400_000;
          remove = aged;
        }
      }
      if (!remove) continue;
      await rm(file, { force: true });
      files++;
      if (aged) older++;
      const line = byLine.get(folder.lineId) ?? { files: 0, olderThanRetention: 0, folders: new Set<string>(), batches: new Set<string>() };
      line.files++;
      if (aged) line.olderThanRetention++;
      line.folders.add(folder.dir);
      if (batchId !== undefined) line.batches.add(batchId);
      byLine.set(folder.lineId, line);
    }
  }
  for (const [lineId, l] of byLine) {
    await store.recordJobFilesPurged(actor, lineId, { files: l.files, olderThanRetention: l.olderThanRetention, folders: [...l.folders], batches: [...l.batches] });
  }
  return { files, olderThanRetention: older };
}

/**
 * Who may read a Modbus station's job folder. The folder is often a network share between the
 * controller and the station, and its files carry BAC keys, chip images and card images: it must
 * belong to the controller's user and give nothing to others — mode 0700, or 0770 when the
 * station reaches it through a group of its own. Checked once when a line starts, before any job
 * is written; a missing folder is created 0700.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { stationUnits, unitAddress, type LineConfig } from '../../config/line-config.ts';
import { jobsFolder, outboxFolder } from './job-folder.ts';

export class JobFolderAccessError extends Error {
  override name = 'JobFolderAccessError';
}

/** Every folder a Modbus unit of `line` uses: the station's folder, the unit's, its jobs and outbox. */
export function jobFolders(line: LineConfig, dataDir: string): string[] {
  const folders = new Set<string>();
  for (const unit of stationUnits(line)) {
    const address = unitAddress(line, unit, dataDir);
    if (address.transport !== 'modbus') continue;
    for (const f of [path.dirname(address.jobDir), address.jobDir, jobsFolder(address.jobDir), outboxFolder(address.jobDir)]) folders.add(f);
  }
  return [...folders];
}

/** The folder of each Modbus unit of `line` (holding its jobs/ and outbox/). */
export function unitJobFolders(line: LineConfig, dataDir: string): string[] {
  const folders = new Set<string>();
  for (const unit of stationUnits(line)) {
    const address = unitAddress(line, unit, dataDir);
    if (address.transport === 'modbus') folders.add(path.resolve(address.jobDir));
  }
  return [...folders];
}

/**
 * Checks (and creates, 0700) the job folders of `line`. A folder that others may read or that
 * belongs to another user is refused with the fix to apply; on a simulated line, whose folders
 * live in the data directory, a folder of ours that others may read is tightened instead.
 */
export function checkJobFolders(line: LineConfig, dataDir: string, uid: number | undefined = process.getuid?.()): void {
  const problems: string[] = [];
  for (const folder of jobFolders(line, dataDir)) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const st = statSync(folder);
    const mode = st.mode & 0o777;
    if (uid !== undefined && st.uid !== uid) {
      problems.push(`${folder} belongs to uid ${st.uid}, not to the controller's user (uid ${uid}): chown it to the controller's user`);
      continue;
    }
    if ((mode & 0o007) === 0) continue;
    if (line.simulation) {
      chmodSync(folder, mode & ~0o007);
      continue;
    }
    problems.push(
      `${folder} is mode 0${mode.toString(8)}, open to every user: make it 0700 (chmod 700), or 0770 with the station's group (chgrp <station group>; chmod 770)`,
    );
  }
  if (problems.length > 0) {
    throw new JobFolderAccessError(
      `line ${line.id} (${line.source}): the Modbus job folders carry BAC keys, chip images and card images, and must be the controller's alone:\n  ${problems.join('\n  ')}`,
    );
  }
}

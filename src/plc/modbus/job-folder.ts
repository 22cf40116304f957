/**
 * The job folder of a Modbus station unit: bulk data never goes through registers (DESIGN.md,
 * "The station link"); it goes through files named by job id, as laser and encoder controllers
 * take jobs from a hot folder.
 *
 *   <jobDir>/jobs/<JobId>.job             written by the host, read by the station at JobReady
 *   <jobDir>/outbox/<ResultJobId>.result  written by the station before it sets Done, read by the host
 *
 * Both sides write a temporary file in the same folder and rename it into place, so the other side
 * never sees half a file. Temporary names start with `.` and end in `.tmp`, and nobody reads them.
 * Job ids are unique on a line, so the heads of an encoder may share one folder.
 *
 * Life cycle: the host deletes a job file once the PLC echoes its id in JobAck (the station has
 * taken the data by then) and a result file once it has acknowledged the result with DoneAck=1
 * (the controller persisted it first, so a crash in between can still re-read it). The station
 * never relies on a file still being there after it has read it.
 *
 * Permissions: job and result files carry personal data (chip images, laser jobs, BAC keys). The
 * folders are created 0770 and the files 0640: the station's controller reads them through a
 * station group that owns the folder (docs/security.md); nobody else may, whatever the umask.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

export function jobsFolder(jobDir: string): string {
  return path.join(jobDir, 'jobs');
}

export function outboxFolder(jobDir: string): string {
  return path.join(jobDir, 'outbox');
}

export function jobFilePath(jobDir: string, jobId: number): string {
  return path.join(jobsFolder(jobDir), `${jobId}.job`);
}

export function resultFilePath(jobDir: string, jobId: number): string {
  return path.join(outboxFolder(jobDir), `${jobId}.result`);
}

function temporaryPath(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` to `target` through a temporary file and a rename (the host side). */
export const JOB_FOLDER_MODE = 0o770;
export const JOB_FILE_MODE = 0o640;

export async function writeFileAtomically(target: string, data: Buffer): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true, mode: JOB_FOLDER_MODE });
  const temporary = temporaryPath(target);
  try {
    await writeFile(temporary, data, { mode: JOB_FILE_MODE });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * The same, synchronously: the simulated station writes its result file inside the TagStore
 * listener, so the file is complete before any poll can see Done.
 */
export function writeFileAtomicallySync(target: string, data: Buffer): void {
  mkdirSync(path.dirname(target), { recursive: true, mode: JOB_FOLDER_MODE });
  const temporary = temporaryPath(target);
  try {
    writeFileSync(temporary, data, { mode: JOB_FILE_MODE });
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

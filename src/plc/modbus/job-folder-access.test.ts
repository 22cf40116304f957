/**
 * Job folders are the controller's alone (issue 15 finding 5): checked when a line starts — owned
 * by the controller's user, nothing for others (0700, or 0770 with a station group); created 0700
 * when missing; a simulated line's folders in the data directory are tightened instead of refused.
 */
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLine } from '../../../simulators/testing/test-line.ts';
import type { LineConfig } from '../../config/line-config.ts';
import { checkJobFolders, JobFolderAccessError, jobFolders } from './job-folder-access.ts';

let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-jobfolders-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const simulated = (): LineConfig => testLine({ id: 'jobs', transports: { laser: 'modbus', output: 'modbus' }, modbusPorts: { laser: 5021, output: 5022 } });
const production = (): LineConfig => ({ ...simulated(), simulation: undefined });
const modeOf = async (dir: string) => (await stat(dir)).mode & 0o777;

describe('checkJobFolders', () => {
  it('creates missing job folders 0700: station, unit, jobs and outbox', async () => {
    const dataDir = path.join(work, `d${++n}`);
    const line = production();
    checkJobFolders(line, dataDir);
    const folders = jobFolders(line, dataDir);
    expect(folders).toStrictEqual(['laser', 'output'].flatMap((s) => {
      const station = path.join(dataDir, 'jobs', 'jobs', s);
      return [station, path.join(station, 'u1'), path.join(station, 'u1', 'jobs'), path.join(station, 'u1', 'outbox')];
    }));
    for (const f of folders) expect(await modeOf(f), f).toBe(0o700);
  });

  it('refuses, on a production line, a folder others may read, naming it and the fix', async () => {
    const dataDir = path.join(work, `d${++n}`);
    const line = production();
    checkJobFolders(line, dataDir);
    const laser = path.join(dataDir, 'jobs', 'jobs', 'laser');
    await chmod(laser, 0o755);
    expect(() => checkJobFolders(line, dataDir)).toThrow(
      new JobFolderAccessError(
        `line jobs (${line.source}): the Modbus job folders carry BAC keys, chip images and card images, and must be the controller's alone:\n` +
          `  ${laser} is mode 0755, open to every user: make it 0700 (chmod 700), or 0770 with the station's group (chgrp <station group>; chmod 770)`,
      ),
    );
    expect(await modeOf(laser)).toBe(0o755); // refused, not silently changed
    await chmod(laser, 0o770); // a station group
    expect(() => checkJobFolders(line, dataDir)).not.toThrow();
  });

  it("refuses a folder that belongs to another user", () => {
    const dataDir = path.join(work, `d${++n}`);
    const line = production();
    checkJobFolders(line, dataDir);
    const me = process.getuid!();
    expect(() => checkJobFolders(line, dataDir, me + 4242)).toThrow(
      `${path.join(dataDir, 'jobs', 'jobs', 'laser')} belongs to uid ${me}, not to the controller's user (uid ${me + 4242}): chown it to the controller's user`,
    );
  });

  it('tightens a simulated line’s folders in the data directory instead of refusing', async () => {
    const dataDir = path.join(work, `d${++n}`);
    const outbox = path.join(dataDir, 'jobs', 'jobs', 'output', 'u1', 'outbox');
    await mkdir(outbox, { recursive: true, mode: 0o755 });
    await chmod(outbox, 0o755);
    checkJobFolders(simulated(), dataDir);
    expect(await modeOf(outbox)).toBe(0o750);
  });
});

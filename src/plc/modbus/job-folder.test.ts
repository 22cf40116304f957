// Job and result files carry personal data (chip images, laser jobs): never world-readable, whatever
// the umask of the process that writes them (issue 15, docs/security.md "File permissions").
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobFilePath, resultFilePath, writeFileAtomically, writeFileAtomicallySync } from './job-folder.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('job folder permissions', () => {
  it.each([
    ['host job file (async)', (dir: string) => writeFileAtomically(jobFilePath(dir, 7), Buffer.from('job')), (dir: string) => jobFilePath(dir, 7)],
    ['station result file (sync)', (dir: string) => Promise.resolve(writeFileAtomicallySync(resultFilePath(dir, 7), Buffer.from('result'))), (dir: string) => resultFilePath(dir, 7)],
  ])('%s: file 0640, its folders 0770 at most, none world-accessible', async (_name, write, file) => {
    const root = await mkdtemp(path.join(tmpdir(), 'cardline-jobfolder-'));
    dirs.push(root);
    const jobDir = path.join(root, 'jobs', 'line', 'laser', 'u1');
    const previous = process.umask(0o000);
    try {
      await write(jobDir);
    } finally {
      process.umask(previous);
    }
    expect((await stat(file(jobDir))).mode & 0o777).toBe(0o640);
    for (let d = path.dirname(file(jobDir)); d !== root; d = path.dirname(d)) {
      expect({ d, mode: (await stat(d)).mode & 0o777 }).toStrictEqual({ d, mode: 0o770 });
    }
  });
});

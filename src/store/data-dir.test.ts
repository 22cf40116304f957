import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { tempDataDir } from '../../test/helpers/store-backends.ts';

describe('resolveDataDir', () => {
  it('defaults to ./data under the current directory', () => {
    expect(resolveDataDir({})).toBe(path.resolve('data'));
    expect(resolveDataDir({ CARDLINE_DATA_DIR: '  ' })).toBe(path.resolve('data'));
  });

  it('takes CARDLINE_DATA_DIR, made absolute', () => {
    expect(resolveDataDir({ CARDLINE_DATA_DIR: '/srv/cardline' })).toBe('/srv/cardline');
    expect(resolveDataDir({ CARDLINE_DATA_DIR: 'line-1/state' })).toBe(path.resolve('line-1/state'));
  });
});

describe('ensureDataDir', () => {
  it('creates missing directories with mode 0700', async () => {
    const base = await tempDataDir();
    try {
      const dir = path.join(base, 'a', 'b');
      expect(await ensureDataDir(dir)).toBe(dir);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      await ensureDataDir(dir); // existing: fine
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ageOn, earliestDate, parseCivilDate, parsePartialDate } from '../domain/dates.ts';
import { validateRecord } from '../domain/record.ts';
import { sampleRecords, writeSample } from './generate.ts';
import { probeJpeg } from '../domain/image/jpeg.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cardline-sample-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function lines(text: string): unknown[] {
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown);
}

describe('writeSample', () => {
  it('writes batch.jsonl and a portrait for every record 6 or over, none for younger ones', async () => {
    const outDir = join(root, 'a');
    const progress: number[] = [];
    const result = await writeSample({ count: 120, seed: 'disk', outDir, onProgress: (n) => progress.push(n) });
    expect(result.batchFile).toBe(join(outDir, 'batch.jsonl'));
    expect(result.records).toBe(120);
    expect(progress.at(-1)).toBe(120);

    const text = await readFile(result.batchFile, 'utf8');
    expect(text).toBe(text.normalize('NFC'));
    const records = lines(text);
    expect(records).toStrictEqual([...sampleRecords({ count: 120, seed: 'disk' })].map((s) => s.record));

    const files = await readdir(join(outDir, 'portraits'));
    let withPortrait = 0;
    for (const r of records as { portrait?: string; birthDate: string; issueDate: string }[]) {
      const age = ageOn(earliestDate(parsePartialDate(r.birthDate)!), parseCivilDate(r.issueDate)!);
      if (age < 6) {
        expect(r.portrait).toBeUndefined();
        continue;
      }
      withPortrait++;
      const jpeg = await readFile(join(outDir, r.portrait!));
      const size = probeJpeg(jpeg);
      expect(size.ok && size.width >= 300 && size.height >= 400).toBe(true);
      expect(validateRecord(r, { portraitRules: true, today: { year: 2026, month: 7, day: 1 } }).ok).toBe(true);
    }
    expect(result.portraits).toBe(withPortrait);
    expect(files).toHaveLength(withPortrait);
  });

  it('writes identical bytes for the same seed', async () => {
    const a = await writeSample({ count: 60, seed: 7, outDir: join(root, 'b1') });
    const b = await writeSample({ count: 60, seed: 7, outDir: join(root, 'b2') });
    const c = await writeSample({ count: 60, seed: 8, outDir: join(root, 'b3') });
    const bytesA = await readFile(a.batchFile);
    expect(Buffer.compare(bytesA, await readFile(b.batchFile))).toBe(0);
    expect(Buffer.compare(bytesA, await readFile(c.batchFile))).not.toBe(0);
    const portraits = await readdir(join(root, 'b1', 'portraits'));
    for (const name of portraits.slice(0, 5)) {
      const [pa, pb] = await Promise.all([readFile(join(root, 'b1', 'portraits', name)), readFile(join(root, 'b2', 'portraits', name))]);
      expect(Buffer.compare(pa, pb)).toBe(0);
    }
  });

  it('with a portrait pool draws only that many portraits and records share them', async () => {
    const outDir = join(root, 'pool');
    const result = await writeSample({ count: 300, seed: 'pool', outDir, portraitPool: 5 });
    expect(result.portraits).toBe(5);
    expect((await readdir(join(outDir, 'portraits'))).sort()).toStrictEqual([0, 1, 2, 3, 4].map((i) => `pool-00000${i}.jpg`));
    const records = lines(await readFile(result.batchFile, 'utf8')) as { portrait?: string }[];
    const used = new Set(records.flatMap((r) => (r.portrait === undefined ? [] : [r.portrait])));
    expect(used.size).toBeGreaterThan(1);
    for (const p of used) expect(p).toMatch(/^portraits\/pool-00000[0-4]\.jpg$/);
  });

  it('rejects a bad pool size or bad sample options before writing', async () => {
    const outDir = join(root, 'never');
    await expect(writeSample({ count: 1, seed: 1, outDir, portraitPool: 0 })).rejects.toThrow(/portraitPool must be a whole number/);
    await expect(writeSample({ count: -1, seed: 1, outDir })).rejects.toThrow(/count must be a whole number/);
    await expect(readdir(outDir)).rejects.toThrow(/ENOENT/);
  });
});

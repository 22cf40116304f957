/**
 * Test data for the LDS and PKI tests: sampled records (src/sample, seed-stable) picked to cover
 * every age group and the partial birth dates, with their synthetic portraits, and TEST PKIs.
 */
import { ageOn, earliestDate, parseCivilDate, parsePartialDate } from '../../src/domain/dates.ts';
import { cardChipData, LdsBuilder, type CardChipData, type LdsImage } from '../../src/domain/lds/index.ts';
import type { PersonalizationRecord } from '../../src/domain/record.ts';
import { createTestPki, FileSigner, type CreateTestPkiOptions, type TestPki } from '../../src/pki/index.ts';
import { AGE_GROUPS, drawPortrait, sampleRecords } from '../../src/sample/generate.ts';

export interface TestCard {
  readonly label: string;
  readonly record: PersonalizationRecord;
  readonly portrait?: Buffer;
  readonly data: CardChipData;
}

function ageOnIssue(record: PersonalizationRecord): number {
  return ageOn(earliestDate(parsePartialDate(record.birthDate)!), parseCivilDate(record.issueDate)!);
}

/**
 * One card per age group of AGE_GROUPS (0–5 without portrait, 6–13, 14–59, 60–79 with no expiry,
 * 80+), one with a year-only and one with a year-month birth date, from a 200-record sample
 * (seed 'lds-tests'; the edge scenarios sit in its first 100 records).
 */
export async function testCards(): Promise<TestCard[]> {
  const sample = [...sampleRecords({ count: 200, seed: 'lds-tests' })];
  const picks: { label: string; index: number }[] = [];
  for (const group of AGE_GROUPS) {
    const index = sample.findIndex((s) => {
      const age = ageOnIssue(s.record);
      return age >= group.min && age <= group.max && /^\d{4}-\d{2}-\d{2}$/.test(s.record.birthDate);
    });
    if (index < 0) throw new Error(`no sampled record aged ${group.min}–${group.max}`);
    picks.push({ label: `aged ${group.min}–${group.max}`, index });
  }
  const yearOnly = sample.findIndex((s) => /^\d{4}$/.test(s.record.birthDate));
  const yearMonth = sample.findIndex((s) => /^\d{4}-\d{2}$/.test(s.record.birthDate));
  if (yearOnly < 0 || yearMonth < 0) throw new Error('the sample lacks partial birth dates');
  picks.push({ label: 'year-only birth date', index: yearOnly }, { label: 'year-month birth date', index: yearMonth });
  const cards: TestCard[] = [];
  for (const { label, index } of picks) {
    const { record, portraitSeed } = sample[index]!;
    const portrait = portraitSeed === undefined ? undefined : await drawPortrait(portraitSeed);
    cards.push({ label, record, ...(portrait ? { portrait } : {}), data: cardChipData(record, portrait) });
  }
  return cards;
}

export interface TestSigner {
  readonly pki: TestPki;
  readonly signer: FileSigner;
  readonly builder: LdsBuilder;
}

export async function testSigner(options: CreateTestPkiOptions = {}): Promise<TestSigner> {
  const pki = await createTestPki(options);
  const signer = new FileSigner(pki.ds.certificate, pki.ds.privateKey);
  return { pki, signer, builder: await LdsBuilder.create(signer) };
}

export function fileOf(image: LdsImage, fid: string): Buffer {
  const file = image.files.find((f) => f.fid === fid);
  if (file === undefined) throw new Error(`no file ${fid} in the image`);
  return file.data;
}

/** A copy of the image with one file replaced (or removed when data is undefined). */
export function withFile(image: LdsImage, fid: string, data: Buffer | undefined): { fid: string; data: Buffer }[] {
  const files: { fid: string; data: Buffer }[] = image.files.filter((f) => f.fid !== fid).map((f) => ({ fid: f.fid, data: Buffer.from(f.data) }));
  if (data !== undefined) files.push({ fid, data });
  return files;
}

export function flipped(data: Buffer, index: number, mask = 0x01): Buffer {
  const copy = Buffer.from(data);
  copy[index] = copy[index]! ^ mask;
  return copy;
}

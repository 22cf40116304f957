/**
 * The encoder's personalization and QA's read-back through BAC (physics.ts): the chip QA reads
 * is the one the encoder locked, QA gets in only with the MRZ it read off the card, and a failed
 * personalization looks failed through the reader.
 */
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/plc/job-data.ts';
import { RESULT_CODES } from '../../src/plc/result-codes.ts';
import type { Rng } from '../../src/sample/rng.ts';
import { chipFiles, jobFor, syntheticMrz } from '../testing/jobs.ts';
import { Card } from './card.ts';
import { doWork, type OutputBins, type StationFailures } from './physics.ts';

const NONE: StationFailures = { jam: 0, blankDefect: 0, chipWriteFailure: 0, emptyChipWrite: 0, partialChipWrite: 0, misregistration: 0, ocrMismatch: 0 };
const noBins = {} as OutputBins;

/** Draws in the order doWork makes them; `chance(p)` is `next() < p`, as in Rng. */
function draws(...values: number[]): Rng {
  const queue = [...values];
  const next = (): number => {
    const v = queue.shift();
    if (v === undefined) throw new Error('doWork drew more than the test scripted');
    return v;
  };
  return { next, chance: (p: number) => next() < p } as unknown as Rng;
}

/** A card through the encoder (with `failures`) and the laser. */
function personalizedCard(failures: Partial<StationFailures> = {}, encoderDraws: number[] = [0.5, 0.5]): Card {
  const card = new Card('T00000001', 1, 'test', 'encoder.1');
  const chip = doWork('encoder', card, jobFor('encoder', 1), draws(0.99, ...encoderDraws), { ...NONE, ...failures }, noBins);
  expect(chip.result).toBe(RESULT_CODES.Good);
  doWork('laser', card, jobFor('laser', 1), draws(0.99, 0.99, 0.01), NONE, noBins);
  return card;
}

/** QA's result; `misreadAt` makes the OCR misread the MRZ character at that index (0–89). */
function inspect(card: Card, misreadAt?: number): Extract<JobResult, { kind: 'inspect' }> {
  const rng = misreadAt === undefined ? draws(0.99, 0.99, 0.5, 0, 0) : draws(0.99, 0, 0.5, (misreadAt + 0.5) / 90, 0.5);
  const out = doWork('qa', card, { v: 1, kind: 'inspect' }, rng, { ...NONE, ocrMismatch: misreadAt === undefined ? 0 : 1 }, noBins);
  if (out.data?.kind !== 'inspect') throw new Error('no QA result');
  return out.data;
}

describe('encoder personalization', () => {
  it('writes the files and the BAC keys, then locks: the chip requires BAC', () => {
    const card = personalizedCard();
    expect(card.chip.isLocked).toBe(true);
    expect(card.chip.requiresBac).toBe(true);
    expect(card.chip.contents()).toStrictEqual(chipFiles(syntheticMrz(1)).sort((a, b) => a.fid.localeCompare(b.fid)));
  });
});

describe('QA reads the chip through BAC with the MRZ it read', () => {
  it('reads every file back when the OCR is right', () => {
    const qa = inspect(personalizedCard());
    expect(qa.ocrMrz).toStrictEqual(syntheticMrz(1));
    expect(qa.chip).toStrictEqual({ files: chipFiles(syntheticMrz(1)).sort((a, b) => a.fid.localeCompare(b.fid)) });
  });

  it('gets nothing when the OCR misread a character of MRZ_information (BAC fails)', () => {
    // Index 7: a digit of the document number (line 1, positions 6–14).
    const qa = inspect(personalizedCard(), 7);
    expect(qa.ocrMrz?.[0]).not.toBe(syntheticMrz(1)[0]);
    expect(qa.chip).toBeNull();
  });

  it('still reads the chip when the misread is in the name (not part of MRZ_information)', () => {
    const qa = inspect(personalizedCard(), 70);
    expect(qa.ocrMrz?.[2]).not.toBe(syntheticMrz(1)[2]);
    expect(qa.chip?.files).toHaveLength(3);
  });

  it('an empty write: nothing answers', () => {
    expect(inspect(personalizedCard({ emptyChipWrite: 1 })).chip).toBeNull();
  });

  it('a partial write: BAC works, and only the files written come back', () => {
    // extra = 0 → 1 of the 3 files (EF.COM) written.
    const card = personalizedCard({ partialChipWrite: 1 }, [0.5, 0]);
    expect(card.chip.requiresBac).toBe(true);
    const qa = inspect(card);
    expect(qa.chip).toStrictEqual({ files: [chipFiles(syntheticMrz(1))[0]] });
  });
});

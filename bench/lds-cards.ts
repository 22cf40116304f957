/**
 * Bench input for the LDS benchmark: sampled records with their portraits. Drawing a portrait
 * takes milliseconds, so a few dozen are drawn and shared among the records that need one —
 * the builder's cost depends on the JPEG's size, not on whose face it is.
 */
import type { PersonalizationRecord } from '../src/domain/record.ts';
import { drawPortrait, sampleRecords } from '../src/sample/generate.ts';

export interface BenchCard {
  readonly record: PersonalizationRecord;
  readonly portrait?: Buffer;
}

const DISTINCT_PORTRAITS = 32;

export async function benchCards(count: number, seed: string): Promise<BenchCard[]> {
  const portraits: Buffer[] = [];
  for (let i = 0; i < DISTINCT_PORTRAITS; i++) portraits.push(await drawPortrait(i + 1));
  const cards: BenchCard[] = [];
  for (const { record, portraitSeed } of sampleRecords({ count, seed })) {
    cards.push(portraitSeed === undefined ? { record } : { record, portrait: portraits[portraitSeed % DISTINCT_PORTRAITS]! });
  }
  return cards;
}

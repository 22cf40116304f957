// The QA sample (src/qa/sample.ts): decided by the serial alone, and near its rate over serials that
// differ only in their last digits, as a line's serials do (a plain FNV-1a put none of 14 in a 50 % sample).
import { describe, expect, it } from 'vitest';
import { inQaSample } from './sample.ts';

const serials = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(8, '0')}`);

describe('inQaSample', () => {
  it('takes about the rate of consecutive serials', () => {
    for (const rate of [0.02, 0.1, 0.5]) {
      const taken = serials('E', 10_000).filter((s) => inQaSample(s, rate)).length;
      expect(Math.abs(taken / 10_000 - rate), `rate ${rate}: ${taken}`).toBeLessThan(0.01);
    }
  });

  it('gives the same answer every time, none at 0 and all at 1', () => {
    const some = serials('Q', 50);
    expect(some.map((s) => inQaSample(s, 0.3))).toStrictEqual(some.map((s) => inQaSample(s, 0.3)));
    expect(some.filter((s) => inQaSample(s, 0))).toStrictEqual([]);
    expect(some.filter((s) => inQaSample(s, 1))).toStrictEqual(some);
    // A card in a smaller sample is in every larger one.
    for (const s of some) if (inQaSample(s, 0.1)) expect(inQaSample(s, 0.3)).toBe(true);
  });
});

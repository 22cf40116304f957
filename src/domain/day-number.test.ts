import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { civilDate, dayNumber } from './dates.ts';

describe('civil day numbers', () => {
  it('agree with Date.UTC (the proleptic Gregorian calendar) and round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: dayNumber({ year: 1800, month: 1, day: 1 }), max: dayNumber({ year: 2300, month: 12, day: 31 }) }), (days) => {
        const date = civilDate(days);
        const d = new Date(days * 86_400_000);
        expect(date).toStrictEqual({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
        expect(dayNumber(date)).toBe(days);
      }),
      { numRuns: 2000 },
    );
  });

  it('knows the leap days (source: the Gregorian rule; 1900 is not leap, 2000 is)', () => {
    expect(dayNumber({ year: 1970, month: 1, day: 1 })).toBe(0);
    expect(civilDate(dayNumber({ year: 2024, month: 2, day: 28 }) + 1)).toStrictEqual({ year: 2024, month: 2, day: 29 });
    expect(civilDate(dayNumber({ year: 1900, month: 2, day: 28 }) + 1)).toStrictEqual({ year: 1900, month: 3, day: 1 });
    expect(civilDate(dayNumber({ year: 2000, month: 2, day: 28 }) + 1)).toStrictEqual({ year: 2000, month: 2, day: 29 });
  });
});

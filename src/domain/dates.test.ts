import { describe, expect, it } from 'vitest';
import { ageOn, anniversary, parseCivilDate, parsePartialDate } from './dates.ts';

describe('parsing', () => {
  it.each([
    ['2024-02-29', { year: 2024, month: 2, day: 29 }],
    ['2023-02-29', undefined],
    ['1900-02-29', undefined],
    ['2000-02-29', { year: 2000, month: 2, day: 29 }],
    ['2024-13-01', undefined],
    ['2024-1-01', undefined],
    ['20240101', undefined],
  ] as const)('parseCivilDate(%s)', (text, expected) => {
    expect(parseCivilDate(text)).toStrictEqual(expected);
  });

  it.each([
    ['1950', { year: 1950 }],
    ['1952-07', { year: 1952, month: 7 }],
    ['1952-00', undefined],
    ['1952-07-31', { year: 1952, month: 7, day: 31 }],
    ['1952-06-31', undefined],
    ['195', undefined],
  ] as const)('parsePartialDate(%s)', (text, expected) => {
    expect(parsePartialDate(text)).toStrictEqual(expected);
  });
});

describe('29 February (Civil Code 2015 art. 148: no corresponding day → last day of the month)', () => {
  it('anniversaries fall on 28 February in common years and on 29 February in leap years', () => {
    const born = { year: 2012, month: 2, day: 29 };
    expect(anniversary(born, 14)).toStrictEqual({ year: 2026, month: 2, day: 28 });
    expect(anniversary(born, 16)).toStrictEqual({ year: 2028, month: 2, day: 29 });
    expect(anniversary(born, 88)).toStrictEqual({ year: 2100, month: 2, day: 28 }); // 2100 is not a leap year
  });

  it.each([
    ['2026-02-27', 13],
    ['2026-02-28', 14],
    ['2026-03-01', 14],
    ['2028-02-28', 15],
    ['2028-02-29', 16],
  ] as const)('born 2012-02-29, age on %s is %i', (on, age) => {
    expect(ageOn({ year: 2012, month: 2, day: 29 }, parseCivilDate(on)!)).toBe(age);
  });
});

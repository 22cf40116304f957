/**
 * Card validity under the Law on Identification 2023 (26/2023/QH15) art. 21: renewal at 14, 25,
 * 40 and 60; a card issued within 2 years before one of those ages lasts to the next; from 60
 * (so issued at 58 or later) no expiry. 29 February: Civil Code 2015 art. 148 (a period ending
 * in a month without the corresponding day ends on that month's last day).
 */
import { describe, expect, it } from 'vitest';
import { formatCivilDate, parseCivilDate, parsePartialDate } from './dates.ts';
import { cardValidity, cardVariant } from './validity.ts';

const cases: { birth: string; issue: string; expiry: string | null; why: string }[] = [
  // Shared vectors VN-S1..S4 (issued 2024-08-01).
  { birth: '1990-01-15', issue: '2024-08-01', expiry: '2030-01-15', why: 'VN-S1: age 34 → 40' },
  { birth: '2005-06-30', issue: '2024-08-01', expiry: '2030-06-30', why: 'VN-S2: age 19 → 25' },
  { birth: '1955-03-10', issue: '2024-08-01', expiry: null, why: 'VN-S3: age 69 → no expiry' },
  { birth: '1988-12-01', issue: '2024-08-01', expiry: '2028-12-01', why: 'VN-S4: age 35 → 40' },
  // art. 21(1): the next renewal age after the issue date.
  { birth: '2020-03-10', issue: '2024-08-01', expiry: '2034-03-10', why: 'age 4 → 14' },
  { birth: '2012-09-01', issue: '2024-08-01', expiry: '2026-09-01', why: 'age 11, a month before the 2-year window → 14' },
  { birth: '2010-08-01', issue: '2024-08-01', expiry: '2035-08-01', why: 'issued on the 14th birthday → 25' },
  { birth: '1984-08-01', issue: '2024-08-01', expiry: '2044-08-01', why: 'issued on the 40th birthday → 60' },
  { birth: '1964-08-01', issue: '2024-08-01', expiry: null, why: 'issued on the 60th birthday → no expiry' },
  // art. 21(2): within 2 years before a renewal age → valid to the next one.
  { birth: '2012-08-01', issue: '2024-08-01', expiry: '2037-08-01', why: 'on the 12th birthday: first day of the window → 25' },
  { birth: '2012-08-02', issue: '2024-08-01', expiry: '2026-08-02', why: 'the day before the 12th birthday → 14' },
  { birth: '2010-08-02', issue: '2024-08-01', expiry: '2035-08-02', why: 'the day before the 14th birthday → 25' },
  { birth: '2000-01-01', issue: '2024-08-01', expiry: '2040-01-01', why: 'age 24 → 40' },
  { birth: '1985-12-31', issue: '2024-08-01', expiry: '2045-12-31', why: 'age 38 → 60' },
  { birth: '1966-08-01', issue: '2024-08-01', expiry: null, why: 'issued on the 58th birthday → no expiry' },
  { birth: '1966-08-02', issue: '2024-08-01', expiry: '2026-08-02', why: 'the day before the 58th birthday → 60' },
  // 29 February births: anniversaries in common years fall on 28 February.
  { birth: '2016-02-29', issue: '2024-08-01', expiry: '2030-02-28', why: '29 Feb, age 8 → 14 in a common year' },
  { birth: '2012-02-29', issue: '2024-08-01', expiry: '2037-02-28', why: '29 Feb, age 12 (window) → 25 in a common year' },
  { birth: '1988-02-29', issue: '2024-08-01', expiry: '2028-02-29', why: '29 Feb, age 36 → 40 in a leap year' },
  { birth: '2012-02-29', issue: '2026-02-28', expiry: '2037-02-28', why: '29 Feb: 14 is reached on 28 Feb 2026 → 25' },
  { birth: '2012-02-29', issue: '2026-02-27', expiry: '2037-02-28', why: '29 Feb: the day before, inside the window → 25' },
  // Birth dates without day or month: the earliest possible day.
  { birth: '1990', issue: '2024-08-01', expiry: '2030-01-01', why: 'year only → 1 January' },
  { birth: '2012-09', issue: '2024-08-01', expiry: '2026-09-01', why: 'year and month → the 1st' },
  { birth: '1966', issue: '2024-08-01', expiry: null, why: 'year only, taken as 1 January 1966: 58 → no expiry' },
];

describe('cardValidity', () => {
  it.each(cases)('$birth issued $issue → $expiry ($why)', ({ birth, issue, expiry }) => {
    const v = cardValidity(parsePartialDate(birth)!, parseCivilDate(issue)!);
    expect(v.expiry === null ? null : formatCivilDate(v.expiry)).toBe(expiry);
  });

  it('names the renewal age the card runs to', () => {
    expect(cardValidity(parsePartialDate('2012-08-01')!, parseCivilDate('2024-08-01')!)).toStrictEqual({
      expiry: { year: 2037, month: 8, day: 1 },
      renewalAge: 25,
    });
    expect(cardValidity(parsePartialDate('1950')!, parseCivilDate('2024-08-01')!)).toStrictEqual({ expiry: null, renewalAge: null });
  });
});

describe('cardVariant (under 6 on the issue date: no portrait)', () => {
  it.each([
    { birth: '2018-08-02', issue: '2024-08-01', variant: 'without-portrait', why: 'the day before the 6th birthday' },
    { birth: '2018-08-01', issue: '2024-08-01', variant: 'with-portrait', why: 'on the 6th birthday' },
    { birth: '2024-07-01', issue: '2024-08-01', variant: 'without-portrait', why: 'a newborn' },
    { birth: '2020-02-29', issue: '2026-02-28', variant: 'with-portrait', why: '29 Feb 2020 turns 6 on 28 Feb 2026' },
    { birth: '2020-02-29', issue: '2026-02-27', variant: 'without-portrait', why: '29 Feb 2020, the day before' },
    { birth: '1990', issue: '2024-08-01', variant: 'with-portrait', why: 'year-only adult' },
  ] as const)('$birth on $issue → $variant ($why)', ({ birth, issue, variant }) => {
    expect(cardVariant(parsePartialDate(birth)!, parseCivilDate(issue)!)).toBe(variant);
  });
});

/**
 * Shifts named DATE/NAME resolved to UTC in the site's time zone, across daylight-saving changes
 * (EU rule: clocks change on the last Sunday of March and October at 01:00 UTC — 29 March and
 * 25 October in 2026).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, recentShifts, resolveShift, timeZoneSchema } from './shifts.ts';

const iso = (i: { from: Date; to: Date }): [string, string] => [i.from.toISOString(), i.to.toISOString()];

describe('resolveShift', () => {
  it('the night shift of 7 December 2026 in Asia/Ho_Chi_Minh (UTC+7): 22:00 on the 7th to 06:00 on the 8th', () => {
    expect(iso(resolveShift('2026-12-07/night', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE))).toStrictEqual(['2026-12-07T15:00:00.000Z', '2026-12-07T23:00:00.000Z']);
    expect(iso(resolveShift('2026-12-07/morning', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE))).toStrictEqual(['2026-12-06T23:00:00.000Z', '2026-12-07T07:00:00.000Z']);
    expect(iso(resolveShift('2026-12-31/night', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE))).toStrictEqual(['2026-12-31T15:00:00.000Z', '2026-12-31T23:00:00.000Z']);
  });

  it('a night across the autumn change lasts 9 hours, one across the spring change 7 (Europe/Berlin)', () => {
    const autumn = resolveShift('2026-10-24/night', DEFAULT_SHIFTS, 'Europe/Berlin');
    expect(iso(autumn)).toStrictEqual(['2026-10-24T20:00:00.000Z', '2026-10-25T05:00:00.000Z']);
    const spring = resolveShift('2026-03-28/night', DEFAULT_SHIFTS, 'Europe/Berlin');
    expect(iso(spring)).toStrictEqual(['2026-03-28T21:00:00.000Z', '2026-03-29T04:00:00.000Z']);
    // A day shift after the change is in summer time: 06:00 CEST is 04:00 UTC.
    expect(iso(resolveShift('2026-03-29/morning', DEFAULT_SHIFTS, 'Europe/Berlin'))).toStrictEqual(['2026-03-29T04:00:00.000Z', '2026-03-29T12:00:00.000Z']);
  });

  it('says what is wrong with a shift name', () => {
    expect(() => resolveShift('2026-12-07/evening', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE)).toThrow("shift '2026-12-07/evening': the site has no shift 'evening'; its shifts: morning (06:00–14:00), afternoon (14:00–22:00), night (22:00–06:00)");
    expect(() => resolveShift('2026-02-30/night', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE)).toThrow("shift '2026-02-30/night': 2026-02-30 is not a date");
    expect(() => resolveShift('night', DEFAULT_SHIFTS, DEFAULT_TIME_ZONE)).toThrow(/expected DATE\/NAME such as 2026-12-07\/night/);
  });

  it('knows time zones by their IANA names', () => {
    expect(timeZoneSchema.safeParse('Asia/Ho_Chi_Minh').success).toBe(true);
    expect(timeZoneSchema.safeParse('Asia/Saigon_City').success).toBe(false);
  });
});

describe('recentShifts', () => {
  it('the shift under way first, then the ones before it, across midnight (Asia/Ho_Chi_Minh)', () => {
    // 02:30 on 8 December local time: the night that began on the 7th is under way.
    const now = new Date('2026-12-07T19:30:00Z');
    expect(recentShifts(now, DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, 4).map((s) => s.name)).toStrictEqual(['2026-12-07/night', '2026-12-07/afternoon', '2026-12-07/morning', '2026-12-06/night']);
    // 06:00 exactly: the morning of the 8th has begun.
    expect(recentShifts(new Date('2026-12-07T23:00:00Z'), DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, 1).map((s) => s.name)).toStrictEqual(['2026-12-08/morning']);
  });
});

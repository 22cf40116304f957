/**
 * The operator panel's "shift now" (web/src/screens/operator/shift.ts), named as the KPI API names a
 * shift (src/kpi/shifts.ts resolveShift): the site's default shifts (src/kpi/shifts.ts DEFAULT_SHIFTS:
 * morning 06:00–14:00, afternoon 14:00–22:00, night 22:00–06:00) in Asia/Ho_Chi_Minh (UTC+7, no DST).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SHIFTS, resolveShift } from '../src/kpi/shifts.ts';
import { currentShift } from '../web/src/screens/operator/shift.ts';

const SHIFTS = DEFAULT_SHIFTS;
const ZONE = 'Asia/Ho_Chi_Minh';

describe('the shift running now', () => {
  it('names the shift the KPI API resolves to an interval holding the instant, on both sides of midnight', () => {
    for (const at of ['2026-12-07T00:00:00Z', '2026-12-06T23:00:00Z', '2026-12-07T14:59:00Z', '2026-12-07T15:00:00Z', '2026-12-07T16:30:00Z', '2026-12-07T22:59:00Z', '2026-12-07T07:00:00Z']) {
      const now = currentShift(new Date(at), SHIFTS, ZONE);
      expect(now, at).not.toBeNull();
      const interval = resolveShift(`${now!.date}/${now!.name}`, SHIFTS, ZONE);
      expect(interval.from.getTime() <= Date.parse(at) && Date.parse(at) < interval.to.getTime(), `${at} in ${interval.name}`).toBe(true);
    }
  });

  it('gives the night shift its start date after midnight, and none when no shift covers the time', () => {
    // 2026-12-07T20:30Z is 03:30 local on 8 December: the night that began on the 7th.
    expect(currentShift(new Date('2026-12-07T20:30:00Z'), SHIFTS, ZONE)).toStrictEqual({ date: '2026-12-07', name: 'night' });
    // 15:00Z is 22:00 local: the night starts.
    expect(currentShift(new Date('2026-12-07T15:00:00Z'), SHIFTS, ZONE)).toStrictEqual({ date: '2026-12-07', name: 'night' });
    expect(currentShift(new Date('2026-12-07T14:59:00Z'), SHIFTS, ZONE)).toStrictEqual({ date: '2026-12-07', name: 'afternoon' });
    expect(currentShift(new Date('2026-12-07T04:00:00Z'), [{ name: 'day', start: '08:00', end: '10:00' }], ZONE)).toBeNull();
  });
});

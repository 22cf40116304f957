/**
 * A site's shifts (config/site.yaml `shifts:`): named local-time spans; a shift is named by its
 * start date and name (`2026-12-07/night` starts at 22:00 on 7 December). The site's time zone
 * defaults to Asia/Ho_Chi_Minh.
 */
import { z } from 'zod';
import { localToUtc } from './site-time.ts';

export { parseSiteTime } from './site-time.ts';

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time HH:MM');

export const shiftSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a short lower-case name such as morning, late or night'),
  start: clock,
  end: clock,
});
export type ShiftSpec = z.infer<typeof shiftSchema>;

export const shiftsSchema = z.array(shiftSchema).min(1);

export const DEFAULT_SHIFTS: readonly ShiftSpec[] = [
  { name: 'morning', start: '06:00', end: '14:00' },
  { name: 'afternoon', start: '14:00', end: '22:00' },
  { name: 'night', start: '22:00', end: '06:00' },
];

/** An IANA time zone name the runtime knows (Intl), e.g. Asia/Ho_Chi_Minh. */
export const timeZoneSchema = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'an IANA time zone such as Asia/Ho_Chi_Minh' },
);

/** A shift named by its start date and name, as UTC instants [from, to). */
export interface ShiftInterval {
  readonly name: string;
  readonly from: Date;
  readonly to: Date;
}

/** A shift name that names no shift of the site, or a date that does not exist. */
export class ShiftError extends Error {
  override name = 'ShiftError';
}

const SHIFT_ID = /^(\d{4})-(\d{2})-(\d{2})\/([a-z][a-z0-9-]{0,31})$/;

/**
 * `2026-12-07/night` → the UTC interval of that shift in the site's time zone: it starts at the
 * shift's start on that local date and ends at its end, on the next local day when the end is not
 * after the start (22:00–06:00). DST-safe: each local time is turned into UTC with the zone's offset
 * at that instant (Intl), so a shift across a clock change is an hour shorter or longer.
 */
export function resolveShift(id: string, shifts: readonly ShiftSpec[], timeZone: string): ShiftInterval {
  const m = SHIFT_ID.exec(id);
  if (!m) throw new ShiftError(`shift '${id}': expected DATE/NAME such as 2026-12-07/night (the shift's start date and its name)`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const name = m[4]!;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new ShiftError(`shift '${id}': ${m[1]}-${m[2]}-${m[3]} is not a date`);
  }
  const spec = shifts.find((s) => s.name === name);
  if (!spec) throw new ShiftError(`shift '${id}': the site has no shift '${name}'; its shifts: ${shifts.map((s) => `${s.name} (${s.start}–${s.end})`).join(', ')}`);
  const minutes = (clockText: string): number => Number(clockText.slice(0, 2)) * 60 + Number(clockText.slice(3, 5));
  const start = minutes(spec.start);
  const end = minutes(spec.end);
  const endDay = end <= start ? day + 1 : day;
  return {
    name: `${m[1]}-${m[2]}-${m[3]}/${name}`,
    from: new Date(localToUtc(year, month, day, start, timeZone)),
    to: new Date(localToUtc(year, month, endDay, end, timeZone)),
  };
}

/**
 * The site's shifts that have begun by `now`, newest first (the one under way, then the ones before
 * it): what a dashboard compares. Each is resolved with resolveShift, so its name is what the KPI
 * and report routes take.
 */
export function recentShifts(now: Date, shifts: readonly ShiftSpec[], timeZone: string, count: number): ShiftInterval[] {
  const localDate = (instant: number): string => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
  const found: ShiftInterval[] = [];
  // A shift that began on a local day: look back one day more than the count can need (a day holds at least one shift).
  for (let daysBack = 0; daysBack <= count + 1; daysBack++) {
    const date = localDate(now.getTime() - daysBack * 86_400_000);
    for (const spec of shifts) {
      const shift = resolveShift(`${date}/${spec.name}`, shifts, timeZone);
      if (shift.from.getTime() <= now.getTime() && !found.some((s) => s.name === shift.name)) found.push(shift);
    }
  }
  return found.sort((a, b) => b.from.getTime() - a.from.getTime()).slice(0, count);
}

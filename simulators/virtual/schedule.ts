/**
 * A shift pattern as the engine's planned stops (engine.ts `Schedule`): a day from local midnight,
 * the line stopped outside the shifts worked, for a break in the middle of each shift, and for the
 * handover at the start of each shift. Pure.
 */
import type { Schedule } from './engine.ts';

export interface ShiftTimes {
  readonly name: string;
  /** Local HH:MM. */
  readonly start: string;
  readonly end: string;
}

export interface ShiftPattern {
  /** The shifts worked (the first k of the site's). */
  readonly shifts: readonly ShiftTimes[];
  /** A break in the middle of each shift (minutes; 0: none). */
  readonly breakMinutes: number;
  /** The line stands at the start of each shift for the handover (minutes; 0: none). */
  readonly handoverMinutes: number;
}

const DAY_MIN = 1440;
const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** [from, to) minutes of the day, split at midnight, sorted and merged. */
function normalize(spans: readonly [number, number][]): [number, number][] {
  const split: [number, number][] = [];
  for (const [a0, b0] of spans) {
    const a = ((a0 % DAY_MIN) + DAY_MIN) % DAY_MIN;
    const len = Math.min(DAY_MIN, b0 - a0);
    if (len <= 0) continue;
    if (a + len <= DAY_MIN) split.push([a, a + len]);
    else split.push([a, DAY_MIN], [0, a + len - DAY_MIN]);
  }
  split.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const s of split) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** A shift's length in minutes (an end not after the start is on the next day: 22:00–06:00 is 480). */
export function shiftMinutes(s: ShiftTimes): number {
  const len = minutes(s.end) - minutes(s.start);
  return len > 0 ? len : len + DAY_MIN;
}

export function patternSchedule(pattern: ShiftPattern): Schedule {
  const worked = normalize(pattern.shifts.map((s) => [minutes(s.start), minutes(s.start) + shiftMinutes(s)]));
  const stops: [number, number][] = [];
  // Outside the shifts.
  let at = 0;
  for (const [a, b] of worked) {
    if (a > at) stops.push([at, a]);
    at = b;
  }
  if (at < DAY_MIN) stops.push([at, DAY_MIN]);
  for (const s of pattern.shifts) {
    const start = minutes(s.start);
    const len = shiftMinutes(s);
    if (pattern.handoverMinutes > 0) stops.push([start, start + Math.min(len, pattern.handoverMinutes)]);
    if (pattern.breakMinutes > 0) {
      const mid = start + len / 2;
      stops.push([mid - pattern.breakMinutes / 2, mid + pattern.breakMinutes / 2]);
    }
  }
  return { periodMs: DAY_MIN * 60_000, stops: normalize(stops).map(([a, b]) => ({ fromMs: a * 60_000, toMs: b * 60_000 })) };
}

/** Hours a day the line is planned to produce under `schedule`. */
export function plannedHours(schedule: Schedule): number {
  return (schedule.periodMs - schedule.stops.reduce((a, s) => a + s.toMs - s.fromMs, 0)) / 3_600_000;
}

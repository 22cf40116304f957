/**
 * The shift running now, named as the KPI API names shifts (`2026-12-07/night`: its start date and
 * name, in the site's time zone). A shift whose end is not after its start runs past midnight.
 */
export interface ShiftSpec {
  readonly name: string;
  readonly start: string;
  readonly end: string;
}

function minutes(clock: string): number {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

export function currentShift(now: Date, shifts: readonly ShiftSpec[], timeZone: string): { readonly date: string; readonly name: string } | null {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  const today = `${get('year')}-${get('month')}-${get('day')}`;
  const at = Number(get('hour')) * 60 + Number(get('minute'));
  const yesterday = new Date(Date.UTC(Number(get('year')), Number(get('month')) - 1, Number(get('day')) - 1)).toISOString().slice(0, 10);
  for (const shift of shifts) {
    const start = minutes(shift.start);
    const end = minutes(shift.end);
    if (start < end) {
      if (at >= start && at < end) return { date: today, name: shift.name };
    } else if (at >= start) {
      return { date: today, name: shift.name };
    } else if (at < end) {
      return { date: yesterday, name: shift.name };
    }
  }
  return null;
}

/**
 * Local wall-clock times of a site's time zone turned into UTC instants, with the zone's offset at
 * each instant (Intl), so they are right on both sides of a daylight-saving change. No imports: the
 * browser screens use it too (the audit view's time filters), without zod.
 */
/** The zone's offset from UTC at an instant (ms; Asia/Ho_Chi_Minh: +7 h). */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(instant));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(instant / 1000) * 1000;
}

/** A local wall-clock time (minutes after midnight of a day, which may overflow into the next) in UTC ms. */
export function localToUtc(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, 0, minutes);
  // The offset at the guess, then at the corrected instant: right on both sides of a clock change.
  const first = asUtc - zoneOffset(asUtc, timeZone);
  return asUtc - zoneOffset(first, timeZone);
}

/**
 * A time given on the command line or in a query: ISO 8601 with a zone (`2026-12-07T22:00+07:00`,
 * `…Z`) as it says, or a local date and time without one (`2026-12-07T22:00`, `2026-12-07 22:00`,
 * `2026-12-07`) in the site's time zone. Undefined when it is neither.
 */
export function parseSiteTime(text: string, timeZone: string): Date | undefined {
  const t = text.trim();
  if (/(Z|[+-]\d\d:?\d\d)$/i.test(t) && /^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return new Date(localToUtc(year, month, day, hour * 60 + minute, timeZone) + second * 1000);
}

/**
 * Civil (calendar) dates without time zones. Card validity, ages and MRZ dates are calendar
 * facts; going through `Date` would let the host time zone shift a birthday by a day.
 */

export interface CivilDate {
  readonly year: number;
  readonly month: number; // 1–12
  readonly day: number; // 1–31
}

/** A birth date from a civil record that may lack the day, or the day and the month. */
export interface PartialDate {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Parses `YYYY-MM-DD`; returns undefined for anything else, including 2023-02-29. */
export function parseCivilDate(text: string): CivilDate | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isRealDate(year, month, day) ? { year, month, day } : undefined;
}

/** Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY`. */
export function parsePartialDate(text: string): PartialDate | undefined {
  const m = PARTIAL_DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (m[2] === undefined) return { year };
  const month = Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  if (m[3] === undefined) return { year, month };
  const day = Number(m[3]);
  return isRealDate(year, month, day) ? { year, month, day } : undefined;
}

export function isCompleteDate(date: PartialDate): date is CivilDate {
  return date.month !== undefined && date.day !== undefined;
}

/**
 * The date used for age arithmetic when the record lacks parts of the birth date: the
 * earliest date the record allows (1 January, or the 1st of the month). See
 * docs/record-format.md ("Birth dates without day or month") for why.
 */
export function earliestDate(date: PartialDate): CivilDate {
  return { year: date.year, month: date.month ?? 1, day: date.day ?? 1 };
}

export function compareDates(a: CivilDate, b: CivilDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function formatCivilDate(date: CivilDate): string {
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

export function formatPartialDate(date: PartialDate): string {
  let text = pad(date.year, 4);
  if (date.month !== undefined) text += `-${pad(date.month, 2)}`;
  if (date.month !== undefined && date.day !== undefined) text += `-${pad(date.day, 2)}`;
  return text;
}

/**
 * The anniversary of `date` in year `date.year + years`. A 29 February anniversary in a
 * common year falls on 28 February: the Civil Code 2015 (art. 148) ends a period counted in
 * months or years on the last day of the final month when that month has no corresponding
 * day, and ending a card's validity a day early is the safe side for a security document.
 */
export function anniversary(date: CivilDate, years: number): CivilDate {
  const year = date.year + years;
  const day = Math.min(date.day, daysInMonth(year, date.month));
  return { year, month: date.month, day };
}

/** Completed years of age on `on` (a person born on 29 Feb turns a year older on 28 Feb in common years). */
export function ageOn(birth: CivilDate, on: CivilDate): number {
  let age = on.year - birth.year;
  if (compareDates(anniversary(birth, age), on) > 0) age -= 1;
  return age;
}

/** Today's date in UTC, the clock the CLI uses unless a test or option supplies another. */
export function todayUtc(now: Date = new Date()): CivilDate {
  return { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() };
}

/**
 * Civil dates as day numbers (days since 1970-01-01) with integer arithmetic only (Howard
 * Hinnant's days_from_civil / civil_from_days): date arithmetic and uniform draws between two dates
 * without Date objects or time zones.
 */
export function dayNumber(date: CivilDate): number {
  const y = date.month <= 2 ? date.year - 1 : date.year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (date.month + (date.month > 2 ? -3 : 9)) + 2) / 5) + date.day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilDate(days: number): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function addDays(date: CivilDate, days: number): CivilDate {
  return civilDate(dayNumber(date) + days);
}

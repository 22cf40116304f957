/**
 * Card validity and card variant under the Law on Identification 2023 (Luật Căn cước
 * 26/2023/QH15, in force 1 July 2024), art. 21:
 *  - a card is renewed when its holder reaches 14, 25, 40 and 60 years of age;
 *  - a card issued within 2 years before one of those ages stays valid until the next one;
 *  - from 60 the card has no expiry, so a card issued at 58 or later has none.
 * Under 6 no portrait or biometrics are captured (art. 19, 23), so the card has no portrait.
 * The rules are written down with worked examples in docs/card-validity.md.
 */
import { ageOn, anniversary, compareDates, earliestDate, type CivilDate, type PartialDate } from './dates.ts';

export const RENEWAL_AGES: readonly number[] = [14, 25, 40, 60];
/** A card issued this many years (or less) before a renewal age lasts to the following one. */
export const GRACE_YEARS = 2;
/** Below this age on the issue date the card carries no portrait. */
export const PORTRAIT_MIN_AGE = 6;
/** The first day the căn cước could be issued. */
export const LAW_IN_FORCE: CivilDate = { year: 2024, month: 7, day: 1 };

export type CardVariant = 'without-portrait' | 'with-portrait';

export interface Validity {
  /** The last day of validity (the holder's birthday at the renewal age), or null: no expiry. */
  readonly expiry: CivilDate | null;
  /** The renewal age the card runs to, or null for a card without expiry. */
  readonly renewalAge: number | null;
}

/**
 * The expiry of a card issued on `issue` to a holder born on `birth`. A renewal age counts
 * as "after the issue date" when its birthday is later than the issue date: a card issued on
 * the 14th birthday itself runs to 25. "Within 2 years before age A" means on or after the
 * birthday at A − 2. A birth date lacking day or month is taken at its earliest possible day
 * (see earliestDate), so the card never outlives the holder's real renewal birthday.
 */
export function cardValidity(birth: PartialDate, issue: CivilDate): Validity {
  const born = earliestDate(birth);
  for (const age of RENEWAL_AGES) {
    const renewal = anniversary(born, age);
    if (compareDates(renewal, issue) <= 0) continue;
    const graceStart = anniversary(born, age - GRACE_YEARS);
    if (compareDates(issue, graceStart) >= 0) continue;
    return { expiry: renewal, renewalAge: age };
  }
  return { expiry: null, renewalAge: null };
}

export function cardVariant(birth: PartialDate, issue: CivilDate): CardVariant {
  return ageOn(earliestDate(birth), issue) < PORTRAIT_MIN_AGE ? 'without-portrait' : 'with-portrait';
}

/**
 * The Vietnamese personal identification number (số định danh cá nhân): 12 digits.
 * Digits 1–3: province where the birth was registered, or 101–295 for births registered
 * abroad; digit 4: century and sex; digits 5–6: last two digits of the birth year; 7–12
 * random. Source: Decree 137/2015/NĐ-CP and Circular 07/2016/TT-BCA (Appendix I), as
 * tabulated in reference/vn-personal-id.json.
 */
import { z } from 'zod';
import reference from './reference/vn-personal-id.json' with { type: 'json' };

export type Sex = 'M' | 'F';

export interface PersonalIdFacts {
  /** Digits 1–3. */
  readonly placeCode: string;
  /** Province name from the table, or undefined when the birth was registered abroad. */
  readonly province?: string;
  readonly bornAbroad: boolean;
  /** First year of the century digit 4 encodes (1900, 2000, …). */
  readonly century: number;
  readonly sex: Sex;
  /** Digits 5–6. */
  readonly yearOfCentury: number;
  /** century + yearOfCentury. */
  readonly birthYear: number;
}

export interface PersonalIdIssue {
  readonly code:
    | 'pid.format'
    | 'pid.place'
    | 'pid.sex'
    | 'pid.century'
    | 'pid.birthYear';
  readonly message: string;
}

// The table is data; its shape is checked once at load so a bad edit fails loudly here.
const ReferenceSchema = z.object({
  bornAbroadRange: z.object({ from: z.number().int(), to: z.number().int() }),
  centuryAndSexDigit: z.record(z.string().regex(/^\d$/), z.tuple([z.number().int(), z.enum(['M', 'F'])])),
  provinces: z.record(z.string().regex(/^\d{3}$/), z.string().min(1)),
});
const table = ReferenceSchema.parse(reference);
const provinces: Readonly<Record<string, string>> = table.provinces;
const abroad = table.bornAbroadRange;
const centuryDigits: Readonly<Record<string, readonly [number, Sex]>> = table.centuryAndSexDigit;

export const PROVINCE_CODES: readonly string[] = Object.keys(provinces).sort();
export const BORN_ABROAD_RANGE = { from: abroad.from, to: abroad.to } as const;

export function provinceName(code: string): string | undefined {
  return provinces[code];
}

export function isPlaceCode(code: string): boolean {
  if (provinces[code] !== undefined) return true;
  const n = Number(code);
  return /^\d{3}$/.test(code) && n >= abroad.from && n <= abroad.to;
}

/** Decodes a well-formed number; undefined when it is not 12 digits or its place code is unknown. */
export function decodePersonalId(pid: string): PersonalIdFacts | undefined {
  if (!/^\d{12}$/.test(pid)) return undefined;
  const placeCode = pid.slice(0, 3);
  if (!isPlaceCode(placeCode)) return undefined;
  const digit = centuryDigits[pid[3]!];
  if (!digit) return undefined;
  const [century, sex] = digit;
  const yearOfCentury = Number(pid.slice(4, 6));
  const province = provinces[placeCode];
  return {
    placeCode,
    ...(province === undefined ? {} : { province }),
    bornAbroad: province === undefined,
    century,
    sex,
    yearOfCentury,
    birthYear: century + yearOfCentury,
  };
}

/** The century/sex digit (digit 4) for a birth year and sex: (century − 19) × 2, +1 for female. */
export function centurySexDigit(birthYear: number, sex: Sex): string {
  const centuryIndex = Math.floor(birthYear / 100) - 19;
  return String(centuryIndex * 2 + (sex === 'F' ? 1 : 0));
}

/**
 * Checks a personal ID number on its own and, when given, against the holder's sex and birth
 * year. Reports every problem; messages never repeat the number itself (they end up in
 * quarantine reports, which must not carry personal data).
 */
export function checkPersonalId(pid: string, holder?: { sex?: Sex; birthYear?: number }): PersonalIdIssue[] {
  if (!/^\d{12}$/.test(pid)) {
    return [{ code: 'pid.format', message: 'must be exactly 12 digits' }];
  }
  const issues: PersonalIdIssue[] = [];
  const placeCode = pid.slice(0, 3);
  if (!isPlaceCode(placeCode)) {
    issues.push({
      code: 'pid.place',
      message: `digits 1–3 must be a province code of the table or ${abroad.from}–${abroad.to} (birth registered abroad)`,
    });
  }
  const [century, digitSex] = centuryDigits[pid[3]!]!;
  if (holder?.sex !== undefined && holder.sex !== digitSex) {
    issues.push({
      code: 'pid.sex',
      message: `digit 4 encodes sex ${digitSex}, but the record's sex is ${holder.sex}`,
    });
  }
  if (holder?.birthYear !== undefined) {
    const birthCentury = Math.floor(holder.birthYear / 100) * 100;
    if (birthCentury !== century) {
      issues.push({
        code: 'pid.century',
        message: `digit 4 encodes a birth in the ${century}s, which does not match the birth date's century`,
      });
    }
    if (Number(pid.slice(4, 6)) !== holder.birthYear % 100) {
      issues.push({
        code: 'pid.birthYear',
        message: 'digits 5–6 must equal the last two digits of the birth year',
      });
    }
  }
  return issues;
}

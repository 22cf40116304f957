/**
 * The personalization record: what a batch file carries for one citizen (the import schema,
 * documented in docs/record-format.md). Validation reports every problem of a record with
 * the field it concerns; messages never repeat the personal values themselves, because they
 * are written to quarantine reports.
 */
import { z } from 'zod';
import {
  addDays,
  compareDates,
  earliestDate,
  parseCivilDate,
  parsePartialDate,
  todayUtc,
  type CivilDate,
  type PartialDate,
} from './dates.ts';
import { OFFICE_PATTERN } from './delivery-office.ts';
import { fromZodIssues, requiredOr, type FieldIssue } from './issues.ts';
import { vietnameseNameLine } from './mrz/name-line.ts';
import { checkPersonalId } from './personal-id.ts';
import { cardValidity, cardVariant, LAW_IN_FORCE, PORTRAIT_MIN_AGE, type CardVariant, type Validity } from './validity.ts';

export const PORTRAIT_MIN_WIDTH = 300;
export const PORTRAIT_MIN_HEIGHT = 400;
/** An issue date this far ahead of today is taken for a typo. */
export const MAX_ISSUE_DAYS_AHEAD = 366;

/**
 * What no text field may hold: C0/C1 controls, format characters (the bidirectional overrides and
 * isolates that make a name or address display otherwise than it is stored — "Trojan Source" —,
 * zero-width characters, the BOM, the soft hyphen), lone surrogates and private-use characters.
 */
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/u;

const CONTROL_NAMES: Readonly<Record<number, string>> = {
  0x061c: 'arabic letter mark, a bidirectional control',
  0x200e: 'left-to-right mark, a bidirectional control',
  0x200f: 'right-to-left mark, a bidirectional control',
  0x202a: 'left-to-right embedding, a bidirectional control',
  0x202b: 'right-to-left embedding, a bidirectional control',
  0x202c: 'pop directional formatting, a bidirectional control',
  0x202d: 'left-to-right override, a bidirectional control',
  0x202e: 'right-to-left override, a bidirectional control',
  0x2066: 'left-to-right isolate, a bidirectional control',
  0x2067: 'right-to-left isolate, a bidirectional control',
  0x2068: 'first strong isolate, a bidirectional control',
  0x2069: 'pop directional isolate, a bidirectional control',
  0x200b: 'zero width space',
  0x200c: 'zero width non-joiner',
  0x200d: 'zero width joiner',
  0x2060: 'word joiner',
  0xfeff: 'zero width no-break space (byte order mark)',
  0x00ad: 'soft hyphen',
};

/** Names the first control or formatting character of `value` (never the text around it). */
export function describeControlCharacter(value: string): string | undefined {
  const match = CONTROL.exec(value);
  if (match === null) return undefined;
  const cp = match[0].codePointAt(0)!;
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const kind = CONTROL_NAMES[cp]
    ?? (/\p{Cc}/u.test(match[0]) ? 'a control character'
      : /\p{Cf}/u.test(match[0]) ? 'an invisible formatting character'
        : /\p{Co}/u.test(match[0]) ? 'a private-use character' : 'a lone surrogate');
  const at = [...value.slice(0, match.index)].length + 1;
  return `${code} (${kind}) at character ${at}`;
}
/** Letters with their diacritics (precomposed or combining), spaces, hyphens and apostrophes. */
const NAME = /^[\p{L}\p{M}]+(?:[ \-'’][\p{L}\p{M}]*)*$/u;

/** NFC, trimmed, inner whitespace runs collapsed: the form stored and printed. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

function text(max: number) {
  return z
    .string({ error: requiredOr('must be text') })
    .transform(normalizeText)
    // abort: one precise message per field rather than a cascade of follow-on ones.
    .refine((v) => !CONTROL.test(v), {
      error: (issue) => `must not contain control or formatting characters: ${describeControlCharacter(String(issue.input))}`,
      abort: true,
    })
    .refine((v) => v.length > 0, { error: 'must not be empty', abort: true })
    .refine((v) => v.length <= max, { error: `must be at most ${max} characters`, abort: true });
}

function personName(max: number) {
  return text(max).refine((v) => NAME.test(v), {
    error: 'must hold letters (with their diacritics), spaces, hyphens and apostrophes only',
  });
}

/** Optional fields may be absent, null or empty (CSV leaves them empty). */
function optional<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === null || v === '' ? undefined : v), schema.optional());
}

export const RecordSchema = z.strictObject({
  pid: z.string({ error: requiredOr('must be a text of 12 digits (as a JSON number it would lose its leading zeros)') })
    .regex(/^\d{12}$/, { error: 'must be exactly 12 digits' }),
  fullName: personName(100),
  birthDate: z.string({ error: requiredOr('must be text: YYYY-MM-DD, or YYYY-MM / YYYY when the civil record lacks the day or month') })
    .refine((v) => parsePartialDate(v) !== undefined, {
      error: 'must be a real date written YYYY-MM-DD, or YYYY-MM / YYYY when the civil record lacks the day or month',
    }),
  sex: z.enum(['M', 'F'], { error: requiredOr('must be M or F') }),
  nationality: z.preprocess((v) => (v === undefined || v === null || v === '' ? 'VNM' : v),
    z.literal('VNM', { error: 'must be VNM: the căn cước is issued to Vietnamese citizens only' })),
  placeOfBirthRegistration: text(200),
  residence: text(300),
  issueDate: z.string({ error: requiredOr('must be text: a date written YYYY-MM-DD') })
    .refine((v) => parseCivilDate(v) !== undefined, { error: 'must be a real date written YYYY-MM-DD' }),
  portrait: optional(text(1024)),
  ethnicity: optional(text(100)),
  religion: optional(text(100)),
  placeOfOrigin: optional(text(300)),
  fatherName: optional(personName(100)),
  motherName: optional(personName(100)),
  spouseName: optional(personName(100)),
  previousIdNumber: optional(z.string({ error: requiredOr('must be text of 9 or 12 digits') })
    .regex(/^(\d{9}|\d{12})$/, { error: 'must be 9 digits (old identity card) or 12 digits' })),
  identifyingMarks: optional(text(300)),
  /** Where the card is delivered (docs/record-format.md); the importer resolves the default. */
  deliveryOffice: optional(text(100).refine((v) => OFFICE_PATTERN.test(v), {
    error: 'must hold letters, digits, spaces and . , - / ( ) \' & only, starting with a letter or digit',
  })),
});

export type PersonalizationRecord = z.output<typeof RecordSchema>;
export const RECORD_FIELDS = Object.keys(RecordSchema.shape) as readonly (keyof PersonalizationRecord)[];

/** What the rules derive from a valid record. */
export interface RecordFacts {
  readonly birthDate: PartialDate;
  readonly issueDate: CivilDate;
  readonly variant: CardVariant;
  readonly validity: Validity;
  /** The MRZ name line had to shorten the name (initials or cut): worth a warning. */
  readonly nameShortened: boolean;
}

export interface ValidatedRecord {
  readonly record: PersonalizationRecord;
  readonly facts: RecordFacts;
}

export type RecordValidation =
  | { readonly ok: true; readonly value: ValidatedRecord }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export interface RecordRuleOptions {
  /**
   * Check that a portrait is given from age 6 and absent below. Off where only the MRZ is
   * wanted (`cardline mrz compose`); the importer turns it on and checks the file itself.
   */
  readonly portraitRules: boolean;
  /** The day the record is checked on; defaults to today (UTC). */
  readonly today?: CivilDate;
}

/** Validates a record's shape, then the rules across fields. Reports every issue found. */
export function validateRecord(input: unknown, options: RecordRuleOptions): RecordValidation {
  const parsed = RecordSchema.safeParse(input);
  if (!parsed.success) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, issues: [{ field: '(record)', message: 'must be an object with the record fields' }] };
    }
    return { ok: false, issues: fromZodIssues(parsed.error.issues) };
  }
  const record = parsed.data;
  const issues: FieldIssue[] = [];
  const birthDate = parsePartialDate(record.birthDate)!;
  const issueDate = parseCivilDate(record.issueDate)!;
  const today = options.today ?? todayUtc();

  for (const issue of checkPersonalId(record.pid, { sex: record.sex, birthYear: birthDate.year })) {
    issues.push({ field: 'pid', message: issue.message });
  }
  if (compareDates(issueDate, LAW_IN_FORCE) < 0) {
    issues.push({ field: 'issueDate', message: 'must be on or after 2024-07-01, when the Law on Identification 2023 came into force' });
  }
  if (compareDates(issueDate, addDays(today, MAX_ISSUE_DAYS_AHEAD)) > 0) {
    issues.push({ field: 'issueDate', message: `must not be more than ${MAX_ISSUE_DAYS_AHEAD} days in the future` });
  }
  if (compareDates(earliestDate(birthDate), issueDate) > 0) {
    issues.push({ field: 'birthDate', message: 'must not be after the issue date' });
  }
  if (compareDates(earliestDate(birthDate), today) > 0) {
    issues.push({ field: 'birthDate', message: 'must not be in the future' });
  }
  const name = vietnameseNameLine(record.fullName);
  if (!name.ok) issues.push({ field: 'fullName', message: `cannot be written in the MRZ: ${name.message}` });

  const variant = cardVariant(birthDate, issueDate);
  if (options.portraitRules) {
    if (variant === 'with-portrait' && record.portrait === undefined) {
      issues.push({ field: 'portrait', message: `is required: the holder is ${PORTRAIT_MIN_AGE} or over on the issue date` });
    }
    if (variant === 'without-portrait' && record.portrait !== undefined) {
      issues.push({
        field: 'portrait',
        message: `is not allowed: the holder is under ${PORTRAIT_MIN_AGE} on the issue date and gets a card without portrait`,
      });
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      record,
      facts: {
        birthDate,
        issueDate,
        variant,
        validity: cardValidity(birthDate, issueDate),
        nameShortened: name.ok && (name.abbreviated || name.truncated),
      },
    },
  };
}

/**
 * The generic TD1 field set accepted by `cardline mrz compose` (see docs/mrz.md):
 * `{"format":"TD1","documentCode","issuingState","documentNumber","optionalData1","birthDate",
 *   "sex","expiryDate","nationality","optionalData2","primaryIdentifier","secondaryIdentifier"}`.
 */
import { z } from 'zod';
import { parseCivilDate, parsePartialDate } from '../dates.ts';
import { fromZodIssues, requiredOr, type FieldIssue } from '../issues.ts';
import { optionalData1Room, OPTIONAL_DATA_2_FIELD, type Td1Document } from './compose.ts';
import { transliterateName } from './transliterate.ts';

const MRZ_TEXT = /^[A-Z0-9<]*$/;

/** MRZ text as given: A–Z, 0–9 and '<' kept; a space becomes '<'. */
const mrzText = z
  .string({ error: requiredOr('must be text') })
  .transform((v) => v.replace(/ /g, '<'))
  .refine((v) => MRZ_TEXT.test(v), { error: "must hold A–Z, 0–9, '<' and spaces only" });

const stateCode = z
  .string({ error: requiredOr('must be text') })
  .regex(/^[A-Z]{1,3}<*$/, { error: "must be a code of 1–3 capital letters (padding '<' allowed)" })
  .refine((v) => v.length <= 3, { error: 'must be at most 3 characters' })
  .transform((v) => v.replace(/<+$/, ''));

const nameText = z.string({ error: requiredOr('must be text') });

export const Td1InputSchema = z.strictObject({
  format: z.literal('TD1', { error: requiredOr('must be "TD1"') }),
  documentCode: z
    .string({ error: requiredOr('must be text') })
    .regex(/^[ACI][A-Z<]?$/, { error: "must be 1–2 characters starting with A, C or I (e.g. 'I', 'ID')" }),
  issuingState: stateCode,
  documentNumber: z
    .string({ error: requiredOr('must be text') })
    .regex(/^[A-Z0-9]+$/, { error: 'must be capital letters and digits' })
    .refine((v) => v.length <= 23, { error: 'must be at most 23 characters (9 plus 14 overflowing into optional data 1)' }),
  optionalData1: z.preprocess((v) => v ?? '', mrzText),
  birthDate: z.string({ error: requiredOr('must be text') }).refine((v) => parsePartialDate(v) !== undefined, {
    error: 'must be a real date YYYY-MM-DD (YYYY-MM or YYYY when day or month are unknown)',
  }),
  sex: z.enum(['M', 'F', '<'], { error: requiredOr('must be M, F or <') }),
  expiryDate: z.union([z.null(), z.string()], { error: requiredOr('must be a date YYYY-MM-DD, or null for no expiry') })
    .refine((v) => v === null || parseCivilDate(v) !== undefined, { error: 'must be a real date YYYY-MM-DD, or null for no expiry' }),
  nationality: stateCode,
  optionalData2: z.preprocess((v) => v ?? '', mrzText.refine((v) => v.length <= OPTIONAL_DATA_2_FIELD, {
    error: `must be at most ${OPTIONAL_DATA_2_FIELD} characters`,
  })),
  primaryIdentifier: nameText,
  secondaryIdentifier: z.preprocess((v) => v ?? '', nameText),
});

function identifierWords(value: string, field: string, issues: FieldIssue[]): string[] {
  const words: string[] = [];
  for (const word of value.trim().split(/[\s<]+/u)) {
    if (word === '') continue;
    const t = transliterateName(word);
    if (!t.ok) {
      issues.push({ field, message: `character ${t.codePoint} has no MRZ transliteration` });
      return [];
    }
    // A hyphenated word transliterates with '<' inside: its parts are separate MRZ words.
    words.push(...t.text.split('<').filter((w) => w !== ''));
  }
  return words;
}

export type Td1InputResult =
  | { readonly ok: true; readonly value: Td1Document }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export function parseTd1Input(input: unknown): Td1InputResult {
  const parsed = Td1InputSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: fromZodIssues(parsed.error.issues) };
  const v = parsed.data;
  const issues: FieldIssue[] = [];
  const room = optionalData1Room(v.documentNumber.length);
  if (v.optionalData1.replace(/<+$/, '').length > room) {
    issues.push({
      field: 'optionalData1',
      message: `must be at most ${room} characters with a ${v.documentNumber.length}-character document number`,
    });
  }
  const primary = identifierWords(v.primaryIdentifier, 'primaryIdentifier', issues);
  const secondary = identifierWords(v.secondaryIdentifier, 'secondaryIdentifier', issues);
  if (primary.length === 0 && !issues.some((i) => i.field === 'primaryIdentifier')) {
    issues.push({ field: 'primaryIdentifier', message: 'must hold at least one letter' });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      documentCode: v.documentCode,
      issuingState: v.issuingState,
      documentNumber: v.documentNumber,
      optionalData1: v.optionalData1.replace(/<+$/, ''),
      birthDate: parsePartialDate(v.birthDate)!,
      sex: v.sex,
      expiryDate: v.expiryDate === null ? null : parseCivilDate(v.expiryDate)!,
      nationality: v.nationality,
      optionalData2: v.optionalData2.replace(/<+$/, ''),
      primaryIdentifier: primary,
      secondaryIdentifier: secondary,
    },
  };
}

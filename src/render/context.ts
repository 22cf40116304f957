/**
 * The render context: every value a template can place, computed once per card from the domain
 * (validation, card variant, validity, MRZ, QR payload) and formatted as the card prints it.
 * Templates refer to these values by name (docs/templates.md, "Fields").
 */
import { type CivilDate, type PartialDate } from '../domain/dates.ts';
import type { FieldIssue } from '../domain/issues.ts';
import { composeTd1, composeVietnameseMrz } from '../domain/mrz/compose.ts';
import { parseTd1Input } from '../domain/mrz/td1-input.ts';
import { validateRecord } from '../domain/record.ts';
import { probeJpeg } from '../domain/image/jpeg.ts';
import { encodeQrPayload, vnQrFields } from './qr-payload.ts';
import type { InputKind, Variant } from './template/schema.ts';

/** What a card is rendered from: the record (or TD1 field set) and the portrait's JPEG bytes. */
export interface CardInput {
  /**
   * For `vn-record` templates a personalization record (docs/record-format.md; a `portrait` path in
   * it is ignored), for `td1` templates the generic TD1 field set of `cardline mrz compose`.
   */
  readonly record: unknown;
  readonly portrait?: Buffer | undefined;
}

export interface RenderContext {
  readonly input: InputKind;
  readonly variant: Variant;
  /** Printable values by field name. */
  readonly text: Readonly<Record<string, string>>;
  readonly mrz: readonly string[];
  /** The QR payload, for templates with a QR code. */
  readonly qr: string | undefined;
  readonly portrait: Buffer | undefined;
}

/** Text fields per input kind (docs/templates.md documents their formats). */
export const TEXT_FIELDS: Readonly<Record<InputKind, readonly string[]>> = {
  'vn-record': [
    'pid',
    'fullName',
    'birthDate',
    'sex',
    'nationality',
    'placeOfBirthRegistration',
    'residence',
    'issueDate',
    'expiry',
    'previousIdNumber',
    'placeOfOrigin',
    'ethnicity',
    'religion',
    'fatherName',
    'motherName',
    'spouseName',
    'identifyingMarks',
    'mrz.line1',
    'mrz.line2',
    'mrz.line3',
  ],
  td1: [
    'documentCode',
    'issuingState',
    'documentNumber',
    'fullName',
    'primaryIdentifier',
    'secondaryIdentifier',
    'birthDate',
    'sex',
    'nationality',
    'expiry',
    'optionalData1',
    'optionalData2',
    'mrz.line1',
    'mrz.line2',
    'mrz.line3',
  ],
};

/** Fields that hold a QR payload or MRZ lines rather than text. */
export const QR_FIELD_NAMES: Readonly<Record<InputKind, readonly string[]>> = { 'vn-record': ['qr'], td1: [] };
export const MRZ_FIELD_NAMES: Readonly<Record<InputKind, readonly string[]>> = { 'vn-record': ['mrz'], td1: ['mrz'] };

/** As printed on the căn cước: "Không thời hạn" for a card without expiry (Law on Identification 2023). */
export const VN_NO_EXPIRY_TEXT = 'Không thời hạn';
export const TD1_NO_EXPIRY_TEXT = '—';

const pad = (n: number): string => String(n).padStart(2, '0');

/** dd/mm/yyyy as on the card; a date known only by year-month or year prints as mm/yyyy or yyyy. */
export function cardDate(date: PartialDate): string {
  const year = String(date.year).padStart(4, '0');
  if (date.month === undefined) return year;
  if (date.day === undefined) return `${pad(date.month)}/${year}`;
  return `${pad(date.day)}/${pad(date.month)}/${year}`;
}

export type ContextResult =
  | { readonly ok: true; readonly context: RenderContext }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export function buildContext(kind: InputKind, input: CardInput, today?: CivilDate): ContextResult {
  const portraitIssue = checkPortraitBytes(input.portrait);
  if (portraitIssue) return { ok: false, issues: [portraitIssue] };
  return kind === 'vn-record' ? vnContext(input, today) : td1Context(input);
}

function checkPortraitBytes(portrait: Buffer | undefined): FieldIssue | undefined {
  if (portrait === undefined) return undefined;
  const probe = probeJpeg(portrait);
  return probe.ok ? undefined : { field: 'portrait', message: `is not a usable JPEG: ${probe.reason}` };
}

function vnContext(input: CardInput, today?: CivilDate): ContextResult {
  const checked = validateRecord(input.record, { portraitRules: false, ...(today ? { today } : {}) });
  if (!checked.ok) return checked;
  const { record, facts } = checked.value;
  if (facts.variant === 'with-portrait' && input.portrait === undefined) {
    return {
      ok: false,
      issues: [{ field: 'portrait', message: 'is required: the holder is 6 or over on the issue date, and the card carries a portrait' }],
    };
  }
  if (facts.variant === 'without-portrait' && input.portrait !== undefined) {
    return {
      ok: false,
      issues: [{ field: 'portrait', message: 'is not allowed: the holder is under 6 on the issue date, and the card has no portrait' }],
    };
  }
  const mrz = composeVietnameseMrz({
    pid: record.pid,
    fullName: record.fullName,
    birthDate: facts.birthDate,
    sex: record.sex,
    issueDate: facts.issueDate,
  });
  const text: Record<string, string> = {
    pid: record.pid,
    fullName: record.fullName,
    birthDate: cardDate(facts.birthDate),
    sex: record.sex === 'M' ? 'Nam' : 'Nữ',
    nationality: 'Việt Nam',
    placeOfBirthRegistration: record.placeOfBirthRegistration,
    residence: record.residence,
    issueDate: cardDate(facts.issueDate),
    expiry: facts.validity.expiry === null ? VN_NO_EXPIRY_TEXT : cardDate(facts.validity.expiry),
    previousIdNumber: record.previousIdNumber ?? '',
    placeOfOrigin: record.placeOfOrigin ?? '',
    ethnicity: record.ethnicity ?? '',
    religion: record.religion ?? '',
    fatherName: record.fatherName ?? '',
    motherName: record.motherName ?? '',
    spouseName: record.spouseName ?? '',
    identifyingMarks: record.identifyingMarks ?? '',
    'mrz.line1': mrz.lines[0],
    'mrz.line2': mrz.lines[1],
    'mrz.line3': mrz.lines[2],
  };
  return {
    ok: true,
    context: {
      input: 'vn-record',
      variant: facts.variant,
      text,
      mrz: mrz.lines,
      qr: encodeQrPayload(vnQrFields(record, facts.birthDate, facts.issueDate)),
      portrait: input.portrait,
    },
  };
}

function td1Context(input: CardInput): ContextResult {
  const parsed = parseTd1Input(input.record);
  if (!parsed.ok) return parsed;
  const raw = input.record as { primaryIdentifier: string; secondaryIdentifier?: string | null };
  const doc = parsed.value;
  const composed = composeTd1(doc);
  // The visual zone prints the names as given (with their diacritics); the MRZ has the transliteration.
  const primary = raw.primaryIdentifier.normalize('NFC').trim().replace(/\s+/gu, ' ');
  const secondary = (raw.secondaryIdentifier ?? '').normalize('NFC').trim().replace(/\s+/gu, ' ');
  const text: Record<string, string> = {
    documentCode: doc.documentCode.replace(/<+$/, ''),
    issuingState: doc.issuingState,
    documentNumber: doc.documentNumber,
    // ICAO 9303-5 field 03/04 used as one field: primary identifier, comma and space, secondary.
    fullName: secondary === '' ? primary : `${primary}, ${secondary}`,
    primaryIdentifier: primary,
    secondaryIdentifier: secondary,
    birthDate: cardDate(doc.birthDate),
    sex: doc.sex === '<' ? 'X' : doc.sex,
    nationality: doc.nationality,
    expiry: doc.expiryDate === null ? TD1_NO_EXPIRY_TEXT : cardDate(doc.expiryDate),
    optionalData1: doc.optionalData1.replace(/</g, ' ').trim(),
    optionalData2: doc.optionalData2.replace(/</g, ' ').trim(),
    'mrz.line1': composed.lines[0],
    'mrz.line2': composed.lines[1],
    'mrz.line3': composed.lines[2],
  };
  return {
    ok: true,
    context: {
      input: 'td1',
      variant: input.portrait === undefined ? 'without-portrait' : 'with-portrait',
      text,
      mrz: composed.lines,
      qr: undefined,
      portrait: input.portrait,
    },
  };
}

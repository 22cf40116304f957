/**
 * The content of the căn cước QR code, version 1 (docs/qr-payload.md is the specification).
 *
 * Public readers of the chip-ID card describe the QR text as seven fields joined by '|': ID number,
 * previous ID number, full name, date of birth (ddmmyyyy), sex, residence, issue date (ddmmyyyy);
 * the 2024 card adds parents' names for minors. Version 1 keeps those seven fields in that order,
 * so existing readers keep working, then appends the father's and mother's names (minors only) and
 * a version marker as the last field.
 */
import { ageOn, earliestDate, type CivilDate, type PartialDate } from '../domain/dates.ts';
import type { PersonalizationRecord } from '../domain/record.ts';

export const QR_SEPARATOR = '|';
export const QR_VERSION_MARKER = 'v1';
export const QR_FIELD_COUNT = 10;
/**
 * Holders under this age on the issue date get their parents' names in the QR code. The Law on
 * Identification 2023 has cards for under-14s applied for by a legal representative; which
 * "minors" the card means is not published (REFERENCE.md: unconfirmed), so it is one constant.
 */
export const QR_MINOR_AGE = 14;

export const QR_FIELDS = [
  'pid',
  'previousIdNumber',
  'fullName',
  'birthDate',
  'sex',
  'residence',
  'issueDate',
  'fatherName',
  'motherName',
  'version',
] as const;
export type QrField = (typeof QR_FIELDS)[number];
export type QrFields = Readonly<Record<QrField, string>>;

const pad = (n: number): string => String(n).padStart(2, '0');

/** ddmmyyyy; a birth date known only as year-month or year gives mmyyyy or yyyy. */
export function qrDate(date: PartialDate): string {
  const year = String(date.year).padStart(4, '0');
  if (date.month === undefined) return year;
  if (date.day === undefined) return pad(date.month) + year;
  return pad(date.day) + pad(date.month) + year;
}

/** '\' and '|' inside a value are written '\\' and '\|', so the separator stays unambiguous. */
export function escapeQrValue(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`);
}

export function vnQrFields(record: PersonalizationRecord, birthDate: PartialDate, issueDate: CivilDate): QrFields {
  const minor = ageOn(earliestDate(birthDate), issueDate) < QR_MINOR_AGE;
  return {
    pid: record.pid,
    previousIdNumber: record.previousIdNumber ?? '',
    fullName: record.fullName.normalize('NFC'),
    birthDate: qrDate(birthDate),
    sex: record.sex === 'M' ? 'Nam' : 'Nữ',
    residence: record.residence.normalize('NFC'),
    issueDate: qrDate(issueDate),
    fatherName: minor ? (record.fatherName ?? '') : '',
    motherName: minor ? (record.motherName ?? '') : '',
    version: QR_VERSION_MARKER,
  };
}

/** The payload text (encoded as UTF-8 bytes in the symbol). */
export function encodeQrPayload(fields: QrFields): string {
  return QR_FIELDS.map((f) => escapeQrValue(fields[f])).join(QR_SEPARATOR);
}

/** Reads a version 1 payload back; throws when the text is not one. */
export function decodeQrPayload(text: string): QrFields {
  const values: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += text[++i]!;
    } else if (c === QR_SEPARATOR) {
      values.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  values.push(current);
  if (values.length !== QR_FIELD_COUNT || values[QR_FIELD_COUNT - 1] !== QR_VERSION_MARKER) {
    throw new Error(`not a version 1 căn cước QR payload: ${values.length} fields, last field is not "${QR_VERSION_MARKER}"`);
  }
  return Object.fromEntries(QR_FIELDS.map((f, i) => [f, values[i]!])) as QrFields;
}

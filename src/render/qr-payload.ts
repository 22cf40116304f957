/**
 * The content of the căn cước QR code (docs/qr-payload.md is the specification), in two layouts:
 *
 * - `vn-2024` (the default): what the press reported of Circular 16/2024/TT-BCA for the card issued
 *   from 1 July 2024 — personal ID number, the previous 9-digit ID (CMND), full name, birth date,
 *   sex, residence, issue date and, for minors, the father's and mother's names: 9 fields.
 * - `vn-2021`: the 7 fields that readers built for the 2021 chip-ID card split on `|` — 12-digit
 *   ID, old ID or empty, name, birth date ddmmyyyy, sex, residence, issue date ddmmyyyy — for
 *   bureaus whose verifiers still run those readers (a template option, `"layout"` of its `qr`).
 *
 * The official byte layout is not published (REFERENCE.md: unconfirmed): fields are joined by `|`,
 * and no version marker is written (an earlier cardline wrote `v1` as a 10th field; it was ours,
 * not the Circular's, and a reader expecting the card's fields would have read it as data).
 */
import { ageOn, earliestDate, type CivilDate, type PartialDate } from '../domain/dates.ts';
import type { PersonalizationRecord } from '../domain/record.ts';

export const QR_SEPARATOR = '|';
/**
 * Holders under this age on the issue date get their parents' names in the QR code. The Law on
 * Identification 2023 has cards for under-14s applied for by a legal representative; which
 * "minors" the card means is not published (REFERENCE.md: unconfirmed), so it is one constant.
 */
export const QR_MINOR_AGE = 14;

export const QR_LAYOUTS = ['vn-2024', 'vn-2021'] as const;
export type QrLayout = (typeof QR_LAYOUTS)[number];
export const DEFAULT_QR_LAYOUT: QrLayout = 'vn-2024';

/** The fields of each layout, in payload order. */
export const QR_LAYOUT_FIELDS = {
  'vn-2024': ['pid', 'previousIdNumber', 'fullName', 'birthDate', 'sex', 'residence', 'issueDate', 'fatherName', 'motherName'],
  'vn-2021': ['pid', 'previousIdNumber', 'fullName', 'birthDate', 'sex', 'residence', 'issueDate'],
} as const satisfies Record<QrLayout, readonly string[]>;

export type QrFieldsOf<L extends QrLayout> = Readonly<Record<(typeof QR_LAYOUT_FIELDS)[L][number], string>>;
/** A decoded payload: its layout and its fields. */
export type QrPayload = { readonly [L in QrLayout]: { readonly layout: L; readonly fields: QrFieldsOf<L> } }[QrLayout];

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * ddmmyyyy. A birth date the civil record knows only by year is written as the record has it,
 * `yyyy`, and one known by year and month as `mmyyyy`: no day or month is invented.
 */
export function qrDate(date: PartialDate): string {
  const year = String(date.year).padStart(4, '0');
  if (date.month === undefined) return year;
  if (date.day === undefined) return pad(date.month) + year;
  return pad(date.day) + pad(date.month) + year;
}

/** '\' and '|' inside a value are written '\\' and '\|', so the separator stays unambiguous (cardline's rule). */
export function escapeQrValue(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`);
}

/** The values of a record in a layout (birth and issue dates as the domain derived them). */
export function vnQrFields<L extends QrLayout>(layout: L, record: PersonalizationRecord, birthDate: PartialDate, issueDate: CivilDate): QrFieldsOf<L> {
  const previous = record.previousIdNumber ?? '';
  const common = {
    pid: record.pid,
    // The 2024 card's field is the 9-digit CMND; a 12-digit previous number is not one (some
    // reports name a "cancelled ID number" field for it — unconfirmed, so it is left out).
    previousIdNumber: layout === 'vn-2024' && previous.length !== 9 ? '' : previous,
    fullName: record.fullName.normalize('NFC'),
    birthDate: qrDate(birthDate),
    sex: record.sex === 'M' ? 'Nam' : 'Nữ',
    residence: record.residence.normalize('NFC'),
    issueDate: qrDate(issueDate),
  };
  if (layout === 'vn-2021') return common as QrFieldsOf<L>;
  const minor = ageOn(earliestDate(birthDate), issueDate) < QR_MINOR_AGE;
  return {
    ...common,
    fatherName: minor ? (record.fatherName ?? '').normalize('NFC') : '',
    motherName: minor ? (record.motherName ?? '').normalize('NFC') : '',
  } as QrFieldsOf<L>;
}

/** The payload text (encoded as UTF-8 bytes in the symbol). */
export function encodeQrPayload<L extends QrLayout>(layout: L, fields: QrFieldsOf<L>): string {
  const names = QR_LAYOUT_FIELDS[layout] as readonly (keyof QrFieldsOf<L>)[];
  return names.map((f) => escapeQrValue(fields[f])).join(QR_SEPARATOR);
}

/** Reads a payload back; the layout is told by the number of fields. Throws when the text is neither. */
export function decodeQrPayload(text: string): QrPayload {
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
  const layout = QR_LAYOUTS.find((l) => QR_LAYOUT_FIELDS[l].length === values.length);
  if (layout === undefined) {
    throw new Error(`not a căn cước QR payload: ${values.length} fields; the 2024 layout has ${QR_LAYOUT_FIELDS['vn-2024'].length}, the 2021 layout ${QR_LAYOUT_FIELDS['vn-2021'].length}`);
  }
  const fields = Object.fromEntries(QR_LAYOUT_FIELDS[layout].map((f, i) => [f, values[i]!]));
  return { layout, fields } as QrPayload;
}

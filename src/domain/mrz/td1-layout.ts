/**
 * The TD1 layout (ICAO 9303 Part 5, section 4.2.2) as data: three lines of 30 characters.
 * Positions are 1-based and inclusive, as in the specification and in error reports.
 */
export const TD1_LINE_LENGTH = 30;
export const TD1_LINE_COUNT = 3;

export type Td1FieldName =
  | 'documentCode'
  | 'issuingState'
  | 'documentNumber'
  | 'documentNumberCheckDigit'
  | 'optionalData1'
  | 'birthDate'
  | 'birthDateCheckDigit'
  | 'sex'
  | 'expiryDate'
  | 'expiryDateCheckDigit'
  | 'nationality'
  | 'optionalData2'
  | 'compositeCheckDigit'
  | 'name';

export interface Td1Field {
  readonly line: 1 | 2 | 3;
  readonly start: number;
  readonly end: number;
  readonly field: Td1FieldName;
}

export const TD1_FIELDS: readonly Td1Field[] = [
  { line: 1, start: 1, end: 2, field: 'documentCode' },
  { line: 1, start: 3, end: 5, field: 'issuingState' },
  { line: 1, start: 6, end: 14, field: 'documentNumber' },
  { line: 1, start: 15, end: 15, field: 'documentNumberCheckDigit' },
  { line: 1, start: 16, end: 30, field: 'optionalData1' },
  { line: 2, start: 1, end: 6, field: 'birthDate' },
  { line: 2, start: 7, end: 7, field: 'birthDateCheckDigit' },
  { line: 2, start: 8, end: 8, field: 'sex' },
  { line: 2, start: 9, end: 14, field: 'expiryDate' },
  { line: 2, start: 15, end: 15, field: 'expiryDateCheckDigit' },
  { line: 2, start: 16, end: 18, field: 'nationality' },
  { line: 2, start: 19, end: 29, field: 'optionalData2' },
  { line: 2, start: 30, end: 30, field: 'compositeCheckDigit' },
  { line: 3, start: 1, end: 30, field: 'name' },
];

/** The composite check digit covers line 1 positions 6–30 and line 2 positions 1–7, 9–15, 19–29. */
export const COMPOSITE_RANGES: readonly { line: 1 | 2; start: number; end: number }[] = [
  { line: 1, start: 6, end: 30 },
  { line: 2, start: 1, end: 7 },
  { line: 2, start: 9, end: 15 },
  { line: 2, start: 19, end: 29 },
];

export function td1Field(name: Td1FieldName): Td1Field {
  const field = TD1_FIELDS.find((f) => f.field === name);
  if (!field) throw new Error(`unknown TD1 field ${name}`);
  return field;
}

/** The field that holds a position, for error reports. */
export function td1FieldAt(line: number, position: number): Td1FieldName | undefined {
  return TD1_FIELDS.find((f) => f.line === line && position >= f.start && position <= f.end)?.field;
}

/** Text of a field: `slice(lines, 'birthDate')`. */
export function fieldText(lines: readonly string[], name: Td1FieldName): string {
  const f = td1Field(name);
  return (lines[f.line - 1] ?? '').slice(f.start - 1, f.end);
}

export function compositeText(line1: string, line2: string): string {
  const lines = [line1, line2];
  return COMPOSITE_RANGES.map((r) => lines[r.line - 1]!.slice(r.start - 1, r.end)).join('');
}

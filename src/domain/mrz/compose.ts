/**
 * TD1 composition (ICAO 9303 Part 5, section 4.2.2), generic and for the Vietnamese căn
 * cước profile. Inputs are already validated (td1-input.ts, record.ts); composing a field
 * that cannot be written is a programming error and throws.
 */
import type { CivilDate, PartialDate } from '../dates.ts';
import type { Sex } from '../personal-id.ts';
import { cardValidity, type Validity } from '../validity.ts';
import { checkDigit } from './check-digit.ts';
import { composeNameLine, vietnameseNameLine, type NameLine } from './name-line.ts';
import { TD1_LINE_LENGTH } from './td1-layout.ts';

export type Td1Lines = readonly [string, string, string];
export type MrzSex = Sex | '<';

/** Field values already in MRZ characters; lengths up to the field width. */
export interface EncodedTd1 {
  readonly documentCode: string; // 1–2
  readonly issuingState: string; // 1–3
  readonly documentNumber: string; // 1–23 (over 9 uses the overflow rule)
  readonly optionalData1: string;
  readonly birthDate: string; // 6, digits or '<'
  readonly sex: MrzSex;
  readonly expiryDate: string; // 6, digits or '<<<<<<'
  readonly nationality: string; // 1–3
  readonly optionalData2: string; // 0–11
  readonly nameLine: string; // 30
}

export const DOCUMENT_NUMBER_FIELD = 9;
export const OPTIONAL_DATA_1_FIELD = 15;
export const OPTIONAL_DATA_2_FIELD = 11;

function fill(text: string, width: number, what: string): string {
  if (text.length > width) throw new Error(`${what} is longer than ${width} characters`);
  return text.padEnd(width, '<');
}

/**
 * The document number and optional data 1 (positions 6–30 of line 1). A number longer than
 * 9 characters puts its first 9 in positions 6–14, a filler in 15, and the rest followed by
 * the check digit over the whole number at the start of 16–30 (Part 5, TD1 long document
 * numbers).
 */
export function documentNumberZone(documentNumber: string, optionalData1: string): string {
  if (documentNumber.length <= DOCUMENT_NUMBER_FIELD) {
    const field = fill(documentNumber, DOCUMENT_NUMBER_FIELD, 'document number');
    return field + checkDigit(field) + fill(optionalData1, OPTIONAL_DATA_1_FIELD, 'optional data 1');
  }
  const head = documentNumber.slice(0, DOCUMENT_NUMBER_FIELD);
  const overflow = documentNumber.slice(DOCUMENT_NUMBER_FIELD) + checkDigit(documentNumber);
  return `${head}<${fill(overflow + optionalData1, OPTIONAL_DATA_1_FIELD, 'document number overflow with optional data 1')}`;
}

/** Room left for optional data 1 after a document number of this length. */
export function optionalData1Room(documentNumberLength: number): number {
  if (documentNumberLength <= DOCUMENT_NUMBER_FIELD) return OPTIONAL_DATA_1_FIELD;
  return OPTIONAL_DATA_1_FIELD - (documentNumberLength - DOCUMENT_NUMBER_FIELD) - 1;
}

export function encodeTd1(f: EncodedTd1): Td1Lines {
  const line1 = fill(f.documentCode, 2, 'document code') + fill(f.issuingState, 3, 'issuing state') +
    documentNumberZone(f.documentNumber, f.optionalData1);
  const line2Head =
    f.birthDate + checkDigit(f.birthDate) + f.sex + f.expiryDate + checkDigit(f.expiryDate) +
    fill(f.nationality, 3, 'nationality') + fill(f.optionalData2, OPTIONAL_DATA_2_FIELD, 'optional data 2');
  const composite = checkDigit(
    line1.slice(5, 30) + line2Head.slice(0, 7) + line2Head.slice(8, 15) + line2Head.slice(18, 29),
  );
  const line2 = line2Head + composite;
  for (const line of [line1, line2, f.nameLine]) {
    if (line.length !== TD1_LINE_LENGTH) throw new Error(`composed MRZ line has ${line.length} characters`);
  }
  return [line1, line2, f.nameLine];
}

const two = (n: number): string => String(n % 100).padStart(2, '0');

/** YYMMDD with '<' for the parts a civil record lacks (ICAO 9303 Part 3: unknown date parts are fillers). */
export function mrzDate(date: PartialDate): string {
  return two(date.year) + (date.month === undefined ? '<<' : two(date.month)) +
    (date.month === undefined || date.day === undefined ? '<<' : two(date.day));
}

/** MRZ text from free text: upper case is the caller's job; spaces become fillers. */
export function mrzText(text: string): string {
  return text.replace(/ /g, '<');
}

// ---------------------------------------------------------------------------------------
// Generic TD1

export interface Td1Document {
  readonly documentCode: string;
  readonly issuingState: string;
  readonly documentNumber: string;
  readonly optionalData1: string;
  readonly birthDate: PartialDate;
  readonly sex: MrzSex;
  /** null: the document has no expiry, written as '<<<<<<' with check digit 0. */
  readonly expiryDate: CivilDate | null;
  readonly nationality: string;
  readonly optionalData2: string;
  /** MRZ words of each identifier (A–Z), e.g. ['CACADOR', 'DE', 'ARAUJO']. */
  readonly primaryIdentifier: readonly string[];
  readonly secondaryIdentifier: readonly string[];
}

export interface ComposedTd1 {
  readonly lines: Td1Lines;
  readonly name: NameLine;
}

export function composeTd1(doc: Td1Document): ComposedTd1 {
  const name = composeNameLine(doc.primaryIdentifier, doc.secondaryIdentifier);
  const lines = encodeTd1({
    documentCode: doc.documentCode,
    issuingState: doc.issuingState,
    documentNumber: doc.documentNumber,
    optionalData1: mrzText(doc.optionalData1),
    birthDate: mrzDate(doc.birthDate),
    sex: doc.sex,
    expiryDate: doc.expiryDate === null ? '<<<<<<' : mrzDate(doc.expiryDate),
    nationality: doc.nationality,
    optionalData2: mrzText(doc.optionalData2),
    nameLine: name.line,
  });
  return { lines, name };
}

// ---------------------------------------------------------------------------------------
// Vietnamese căn cước profile

export const VN_DOCUMENT_CODE = 'ID';
export const VN_STATE = 'VNM';
/** How the Vietnamese profile writes "no expiry" (observed on issued cards; see REFERENCE). */
export const VN_NO_EXPIRY = '991231';

export interface VietnameseHolder {
  readonly pid: string;
  readonly fullName: string;
  readonly birthDate: PartialDate;
  readonly sex: Sex;
  readonly issueDate: CivilDate;
}

export interface ComposedVietnameseMrz extends ComposedTd1 {
  readonly validity: Validity;
}

/**
 * Vietnamese profile: document code ID, issuer and nationality VNM, document number = the
 * last 9 digits of the PID, optional data 1 = the full 12-digit PID, '<<', and the PID's
 * check digit in position 30; no expiry is written as 991231.
 */
export function composeVietnameseMrz(holder: VietnameseHolder): ComposedVietnameseMrz {
  const name = vietnameseNameLine(holder.fullName);
  if (!name.ok) throw new Error(`fullName: ${name.message}`);
  const validity = cardValidity(holder.birthDate, holder.issueDate);
  const lines = encodeTd1({
    documentCode: VN_DOCUMENT_CODE,
    issuingState: VN_STATE,
    documentNumber: holder.pid.slice(3),
    optionalData1: `${holder.pid}<<${checkDigit(holder.pid)}`,
    birthDate: mrzDate(holder.birthDate),
    sex: holder.sex,
    expiryDate: validity.expiry === null ? VN_NO_EXPIRY : mrzDate(validity.expiry),
    nationality: VN_STATE,
    optionalData2: '',
    nameLine: name.line,
  });
  return { lines, name, validity };
}

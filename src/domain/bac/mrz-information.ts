/**
 * MRZ_information (ICAO 9303 Part 11, 9.7.2): document number + its check digit + date of
 * birth + its check digit + date of expiry + its check digit, as printed in the MRZ. From a TD1
 * MRZ, including the long-document-number rule of Part 5 (a number longer than 9 characters:
 * '<' in position 15, the rest and its check digit at the start of positions 16–30), or from
 * the three fields (the issuer's side, check digits computed).
 *
 * The fields are taken as printed: the inspection system derives the keys from what it read,
 * and only the chip can tell whether that was right.
 */
import { charValue, checkDigit } from '../mrz/check-digit.ts';
import { td1Field, TD1_LINE_COUNT, TD1_LINE_LENGTH, type Td1FieldName } from '../mrz/td1-layout.ts';

export interface MrzKeyFields {
  /** The full document number, without fillers beyond the 9-character field. */
  readonly documentNumber: string;
  readonly documentNumberCheckDigit: string;
  readonly birthDate: string;
  readonly birthDateCheckDigit: string;
  readonly expiryDate: string;
  readonly expiryDateCheckDigit: string;
}

export type MrzInformationResult =
  | { readonly ok: true; readonly mrzInformation: string; readonly fields: MrzKeyFields }
  | { readonly ok: false; readonly errors: readonly string[] };

/** A document number shorter than 9 characters is padded with '<' to the 9-character field. */
function numberField(documentNumber: string): string {
  return documentNumber.padEnd(9, '<');
}

export function mrzInformationOfFields(f: MrzKeyFields): string {
  return numberField(f.documentNumber) + f.documentNumberCheckDigit + f.birthDate + f.birthDateCheckDigit + f.expiryDate + f.expiryDateCheckDigit;
}

/**
 * MRZ_information from the three data fields, check digits computed (the check digit of a long
 * number covers the whole number; of a short one, the number with its fillers). Throws on
 * characters outside the MRZ alphabet or dates that are not 6 characters (misuse).
 */
export function mrzInformation(documentNumber: string, birthDate: string, expiryDate: string): string {
  if (birthDate.length !== 6 || expiryDate.length !== 6) throw new Error(`mrzInformation: dates are YYMMDD, got '${birthDate}' and '${expiryDate}'`);
  const number = numberField(documentNumber);
  return mrzInformationOfFields({
    documentNumber: number,
    documentNumberCheckDigit: checkDigit(number),
    birthDate,
    birthDateCheckDigit: checkDigit(birthDate),
    expiryDate,
    expiryDateCheckDigit: checkDigit(expiryDate),
  });
}

function slice(lines: readonly string[], name: Td1FieldName): string {
  const f = td1Field(name);
  return lines[f.line - 1]!.slice(f.start - 1, f.end);
}

/** MRZ_information from the three TD1 lines as read; every structural problem is reported. */
export function mrzInformationFromTd1(lines: readonly string[]): MrzInformationResult {
  const errors: string[] = [];
  if (lines.length !== TD1_LINE_COUNT) return { ok: false, errors: [`a TD1 MRZ has ${TD1_LINE_COUNT} lines, got ${lines.length}`] };
  lines.forEach((line, i) => {
    if (line.length !== TD1_LINE_LENGTH) errors.push(`line ${i + 1}: ${line.length} characters, expected ${TD1_LINE_LENGTH}`);
    for (let p = 0; p < line.length; p++) {
      if (charValue(line[p]!) === undefined) errors.push(`line ${i + 1} position ${p + 1}: '${line[p]}' is not an MRZ character`);
    }
  });
  if (errors.length > 0) return { ok: false, errors };

  let documentNumber = slice(lines, 'documentNumber');
  let documentNumberCheckDigit = slice(lines, 'documentNumberCheckDigit');
  if (documentNumberCheckDigit === '<') {
    // Part 5, 4.2.2 note j: the number goes on in optional data 1, its check digit last.
    const rest = /^[A-Z0-9]+/.exec(slice(lines, 'optionalData1'))?.[0] ?? '';
    if (rest.length === 0) {
      errors.push("line 1 position 15: '<' announces a long document number, but positions 16–30 do not continue it");
    } else {
      documentNumber += rest.slice(0, -1);
      documentNumberCheckDigit = rest.slice(-1);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const fields: MrzKeyFields = {
    documentNumber,
    documentNumberCheckDigit,
    birthDate: slice(lines, 'birthDate'),
    birthDateCheckDigit: slice(lines, 'birthDateCheckDigit'),
    expiryDate: slice(lines, 'expiryDate'),
    expiryDateCheckDigit: slice(lines, 'expiryDateCheckDigit'),
  };
  return { ok: true, mrzInformation: mrzInformationOfFields(fields), fields };
}

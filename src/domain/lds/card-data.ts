/**
 * From a personalization record to what the chip carries: the TD1 MRZ for DG1 (the same lines the
 * laser engraves), the portrait for DG2 (from age 6), and the national data for DG13 written as
 * the card prints it. Inputs are validated records (record.ts); anything else is misuse and throws.
 */
import { formatCivilDate, parseCivilDate, parsePartialDate, type CivilDate, type PartialDate } from '../dates.ts';
import { composeVietnameseMrz, type Td1Lines } from '../mrz/compose.ts';
import type { PersonalizationRecord } from '../record.ts';
import { cardVariant, type Validity } from '../validity.ts';
import { probeJpeg } from '../image/jpeg.ts';
import type { Dg13Fields } from './dg13.ts';
import type { FaceImage } from './dg2.ts';

/** What the LDS builder needs for one card. */
export interface LdsInput {
  /** The three TD1 lines (DG1). */
  readonly mrz: readonly string[];
  /** The portrait (DG2); absent for cards without portrait (holders under 6). */
  readonly face?: FaceImage;
  /** The national data (DG13). */
  readonly nationalData: Dg13Fields;
}

export interface CardChipData {
  readonly input: LdsInput;
  readonly mrz: Td1Lines;
  readonly validity: Validity;
}

/** How DG13 writes "no expiry": the words printed on the card. */
export const NO_EXPIRY_TEXT = 'Không thời hạn';
export const NATIONALITY_TEXT: Readonly<Record<string, string>> = { VNM: 'Việt Nam' };
export const SEX_TEXT: Readonly<Record<'M' | 'F', string>> = { M: 'Nam', F: 'Nữ' };

const two = (n: number): string => String(n).padStart(2, '0');

/** dd/mm/yyyy as the card prints dates. */
export function cardDate(date: CivilDate): string {
  return `${two(date.day)}/${two(date.month)}/${String(date.year).padStart(4, '0')}`;
}

/** A birth date the civil record knows only in part: "yyyy" or "mm/yyyy", else dd/mm/yyyy. */
export function cardPartialDate(date: PartialDate): string {
  const year = String(date.year).padStart(4, '0');
  if (date.month === undefined) return year;
  if (date.day === undefined) return `${two(date.month)}/${year}`;
  return `${two(date.day)}/${two(date.month)}/${year}`;
}

export function nationalData(record: PersonalizationRecord, birthDate: PartialDate, issueDate: CivilDate, validity: Validity): Dg13Fields {
  const nationality = NATIONALITY_TEXT[record.nationality];
  if (nationality === undefined) throw new RangeError(`DG13: no text for nationality ${record.nationality}`);
  return {
    idNumber: record.pid,
    fullName: record.fullName,
    birthDate: cardPartialDate(birthDate),
    sex: SEX_TEXT[record.sex],
    nationality,
    ethnicity: record.ethnicity ?? '',
    religion: record.religion ?? '',
    placeOfOrigin: record.placeOfOrigin ?? '',
    residence: record.residence,
    identifyingMarks: record.identifyingMarks ?? '',
    issueDate: cardDate(issueDate),
    expiryDate: validity.expiry === null ? NO_EXPIRY_TEXT : cardDate(validity.expiry),
    fatherName: record.fatherName ?? '',
    motherName: record.motherName ?? '',
    spouseName: record.spouseName ?? '',
    previousIdNumber: record.previousIdNumber ?? '',
    placeOfBirthRegistration: record.placeOfBirthRegistration,
  };
}

/**
 * The chip data of one card. `portrait` is the JPEG the record's `portrait` path names; it must be
 * given exactly when the holder is 6 or over on the issue date.
 */
export function cardChipData(record: PersonalizationRecord, portrait?: Buffer): CardChipData {
  const birthDate = parsePartialDate(record.birthDate);
  const issueDate = parseCivilDate(record.issueDate);
  if (birthDate === undefined || issueDate === undefined) {
    throw new RangeError('cardChipData: the record is not validated (birthDate or issueDate unreadable)');
  }
  const composed = composeVietnameseMrz({ pid: record.pid, fullName: record.fullName, birthDate, sex: record.sex, issueDate });
  const withPortrait = cardVariant(birthDate, issueDate) === 'with-portrait';
  let face: FaceImage | undefined;
  if (withPortrait) {
    if (portrait === undefined) throw new RangeError(`cardChipData: the holder is 6 or over on the issue date (${formatCivilDate(issueDate)}): DG2 needs the portrait`);
    const probe = probeJpeg(portrait);
    if (!probe.ok) throw new RangeError(`cardChipData: portrait: ${probe.reason}`);
    face = { jpeg: portrait, width: probe.width, height: probe.height, gender: record.sex === 'M' ? 'male' : 'female' };
  } else if (portrait !== undefined) {
    throw new RangeError('cardChipData: the holder is under 6 on the issue date: the card has no portrait and the chip no DG2');
  }
  return {
    input: { mrz: composed.lines, ...(face ? { face } : {}), nationalData: nationalData(record, birthDate, issueDate, composed.validity) },
    mrz: composed.lines,
    validity: composed.validity,
  };
}

/**
 * TD1 MRZ validation. Reports every problem it finds with line, positions (1-based,
 * inclusive), field and a message carrying the expected value, instead of stopping at the
 * first. Two rule sets: ICAO 9303 (Parts 3 and 5) for every document, and the Vietnamese
 * căn cước profile when the issuing state is VNM. docs/mrz.md lists every rule.
 */
import { daysInMonth, isRealDate } from '../dates.ts';
import { checkPersonalId, decodePersonalId } from '../personal-id.ts';
import { RENEWAL_AGES } from '../validity.ts';
import { charValue, checkDigit } from './check-digit.ts';
import { VN_DOCUMENT_CODE, VN_NO_EXPIRY, VN_STATE } from './compose.ts';
import { compositeText, fieldText, td1Field, td1FieldAt, TD1_LINE_COUNT, TD1_LINE_LENGTH, type Td1FieldName } from './td1-layout.ts';

export type MrzRule = 'icao' | 'vn-profile';

export interface MrzError {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly field: Td1FieldName | 'mrz' | 'line';
  readonly message: string;
  readonly rule: MrzRule;
}

/**
 * Something worth knowing that does not make the MRZ invalid: a name with no primary identifier
 * (ICAO), whitespace removed around a pasted line (`input`).
 */
export interface MrzNote {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly field: Td1FieldName | 'mrz' | 'line';
  readonly message: string;
  readonly rule: MrzRule | 'input';
}

export interface MrzCheck {
  /** ICAO-valid and, for issuer VNM, also valid under the Vietnamese profile. */
  readonly valid: boolean;
  readonly icaoValid: boolean;
  /** null when the issuing state is not VNM (the profile does not apply). */
  readonly vnProfileValid: boolean | null;
  readonly errors: readonly MrzError[];
  readonly notes: readonly MrzNote[];
}

const MRZ_CHAR = /[A-Z0-9<]/;

function safeCheckDigit(text: string): string | undefined {
  for (const ch of text) if (charValue(ch) === undefined) return undefined;
  return checkDigit(text);
}

function positions(start: number, end: number): string {
  return start === end ? `position ${start}` : `positions ${start}–${end}`;
}

class Collector {
  readonly errors: MrzError[] = [];
  readonly notes: MrzNote[] = [];
  constructor(private readonly rule: MrzRule) {}

  note(line: number, start: number, end: number, field: MrzNote['field'], message: string): void {
    this.notes.push({ line, start, end, field, message, rule: this.rule });
  }

  at(line: number, start: number, end: number, field: MrzError['field'], message: string): void {
    this.errors.push({ line, start, end, field, message, rule: this.rule });
  }

  field(name: Td1FieldName, message: string): void {
    const f = td1Field(name);
    this.at(f.line, f.start, f.end, name, message);
  }
}

/** A date field in YYMMDD; `partial` allows unknown parts as fillers (YYMM<<, YY<<<<, <<<<<<). */
function isMrzDate(text: string, partial: boolean): boolean {
  if (/^\d{6}$/.test(text)) {
    const [yy, mm, dd] = [Number(text.slice(0, 2)), Number(text.slice(2, 4)), Number(text.slice(4, 6))];
    // The century is not written: 29 February is a real date when YY can be a leap year.
    const year = yy % 4 === 0 ? 2000 : 2001;
    return isRealDate(year, mm, dd) || (mm === 2 && dd === 29 && yy % 4 === 0);
  }
  if (!partial) return false;
  if (text === '<<<<<<') return true;
  if (/^\d{2}<{4}$/.test(text)) return true;
  if (/^\d{4}<<$/.test(text)) {
    const mm = Number(text.slice(2, 4));
    return mm >= 1 && mm <= 12;
  }
  return false;
}

function checkCheckDigit(
  out: Collector,
  line: number,
  position: number,
  field: Td1FieldName,
  actual: string,
  over: string,
  what: string,
): void {
  const expected = safeCheckDigit(over);
  if (expected === undefined) return; // the bad characters are already reported
  if (!/^\d$/.test(actual)) {
    out.at(line, position, position, field, `${what} check digit must be a digit, found '${actual}', expected ${expected}`);
  } else if (actual !== expected) {
    out.at(line, position, position, field, `${what} check digit is ${actual}, expected ${expected}`);
  }
}

function checkStructure(lines: readonly string[], out: Collector): boolean {
  let ok = true;
  if (lines.length !== TD1_LINE_COUNT) {
    out.at(Math.min(lines.length + 1, TD1_LINE_COUNT + 1), 1, TD1_LINE_LENGTH, 'mrz', `a TD1 MRZ has 3 lines, found ${lines.length}`);
    ok = false;
  }
  lines.forEach((text, i) => {
    if (text.length !== TD1_LINE_LENGTH) {
      out.at(i + 1, 1, Math.max(text.length, 1), 'line', `line ${i + 1} has ${text.length} characters, expected 30`);
      ok = false;
    }
  });
  lines.forEach((text, i) => {
    let run = -1;
    for (let p = 0; p <= text.length; p++) {
      const bad = p < text.length && !MRZ_CHAR.test(text[p]!);
      if (bad && run < 0) run = p;
      if (!bad && run >= 0) {
        const span = text.slice(run, p);
        const hint = /[a-z]/.test(span) ? ' (lower-case letters must be upper case)' : '';
        out.at(
          i + 1,
          run + 1,
          p,
          td1FieldAt(i + 1, run + 1) ?? 'line',
          `${positions(run + 1, p)}: only A–Z, 0–9 and < are allowed${hint}`,
        );
        run = -1;
      }
    }
  });
  return ok;
}

function checkIcaoFields(lines: readonly string[], out: Collector): void {
  const [l1, l2, l3] = lines as [string, string, string];

  const code = fieldText(lines, 'documentCode');
  if (!/^[ACI]$/.test(code[0]!)) {
    out.field('documentCode', `document code must start with A, C or I, found '${code[0]}'`);
  } else if (!/^[A-Z<]$/.test(code[1]!)) {
    out.field('documentCode', `the second character of the document code must be a letter or <, found '${code[1]}'`);
  }
  for (const name of ['issuingState', 'nationality'] as const) {
    const text = fieldText(lines, name);
    if (!/^[A-Z]{1,3}<*$/.test(text)) {
      const what = name === 'issuingState' ? 'issuing state' : 'nationality';
      out.field(name, `${what} must be letters only (a code of up to 3 letters padded with <), found '${text}'`);
    }
  }

  // Document number and its check digit; position 15 = '<' means the number overflows into 16–30.
  if (l1[14] === '<') {
    const overflowRun = /^[^<]*/.exec(l1.slice(15))![0];
    if (overflowRun.length === 0) {
      out.at(1, 15, 16, 'documentNumberCheckDigit',
        'position 15 is a filler (long document number) but position 16 starts no continuation and check digit');
    } else {
      const number = l1.slice(5, 14) + overflowRun.slice(0, -1);
      checkCheckDigit(out, 1, 15 + overflowRun.length, 'documentNumberCheckDigit', overflowRun.at(-1)!, number,
        `document number (long, ${number.length} characters)`);
      if (l1.slice(5, 14).includes('<')) {
        out.field('documentNumber', 'a long document number must fill positions 6–14 before overflowing');
      }
    }
  } else {
    checkCheckDigit(out, 1, 15, 'documentNumberCheckDigit', l1[14]!, l1.slice(5, 14), 'document number');
  }

  const birth = fieldText(lines, 'birthDate');
  if (!isMrzDate(birth, true)) out.field('birthDate', `birth date '${birth}' is not a date (YYMMDD, unknown parts as <)`);
  checkCheckDigit(out, 2, 7, 'birthDateCheckDigit', l2[6]!, birth, 'birth date');

  const sex = l2[7]!;
  if (!/^[MF<]$/.test(sex)) out.field('sex', `sex must be M, F or <, found '${sex}'`);

  const expiry = fieldText(lines, 'expiryDate');
  if (expiry !== '<<<<<<' && !isMrzDate(expiry, false)) {
    out.field('expiryDate', `expiry date '${expiry}' is not a date (YYMMDD, or <<<<<< for none)`);
  }
  checkCheckDigit(out, 2, 15, 'expiryDateCheckDigit', l2[14]!, expiry, 'expiry date');
  checkCheckDigit(out, 2, 30, 'compositeCheckDigit', l2[29]!, compositeText(l1, l2), 'composite');

  if (hasNoPrimaryIdentifier(l3)) {
    // Some issuers write a holder with given names only as `<<` + secondary identifier; ICAO 9303
    // parsers (cheminfo/mrz among them) read it as an empty primary identifier.
    out.note(3, 1, 2, 'name', 'the name has no primary identifier (positions 1–2 are <<), only secondary identifiers');
  } else if (l3[0] === '<') {
    out.at(3, 1, 1, 'name', 'the name must start with the primary identifier, found a filler in position 1');
  }
  const digits = [...l3].flatMap((ch, i) => (/\d/.test(ch) ? [i + 1] : []));
  if (digits.length > 0) {
    out.at(3, digits[0]!, digits.at(-1)!, 'name', `the name must hold letters and < only, found digits at ${digits.length === 1 ? 'position' : 'positions'} ${digits.join(', ')}`);
  }
}

/** `<<` and then a name: the secondary identifier alone. */
function hasNoPrimaryIdentifier(nameLine: string): boolean {
  return /^<<+[A-Z]/.test(nameLine);
}

function checkVietnameseProfile(lines: readonly string[], out: Collector): void {
  const [l1, l2, l3] = lines as [string, string, string];
  if (hasNoPrimaryIdentifier(l3)) {
    out.at(3, 1, 2, 'name', "the căn cước's name starts with the family name (primary identifier), found << in positions 1–2");
  }
  if (fieldText(lines, 'documentCode') !== VN_DOCUMENT_CODE) {
    out.field('documentCode', `the căn cước's document code is ${VN_DOCUMENT_CODE}`);
  }
  if (fieldText(lines, 'nationality') !== VN_STATE) {
    out.field('nationality', `the căn cước is issued to citizens only: nationality must be ${VN_STATE}`);
  }
  const pid = l1.slice(15, 27);
  if (!/^\d{12}$/.test(pid)) {
    out.at(1, 16, 27, 'optionalData1', 'positions 16–27 must hold the 12-digit personal identification number');
    return;
  }
  if (l1.slice(27, 29) !== '<<') out.at(1, 28, 29, 'optionalData1', 'positions 28–29 must be <<');
  checkCheckDigit(out, 1, 30, 'optionalData1', l1[29]!, pid, 'personal ID number');
  if (l1.slice(5, 14) !== pid.slice(3)) {
    out.field('documentNumber', 'the document number must be the last 9 digits of the personal ID number (positions 19–27)');
  }

  const birth = fieldText(lines, 'birthDate');
  const sex = l2[7]!;
  for (const issue of checkPersonalId(pid)) {
    out.at(1, 16, 27, 'optionalData1', `personal ID number: ${issue.message}`);
  }
  const pidSex = decodePersonalId(pid)?.sex ?? (Number(pid[3]) % 2 === 0 ? 'M' : 'F');
  if (sex === '<') {
    out.field('sex', 'the căn cước records sex M or F');
  } else if (sex !== pidSex) {
    out.field('sex', `sex is ${sex}, but digit 4 of the personal ID number (position 19) encodes ${pidSex}`);
  }
  const yy = /^\d\d/.test(birth) ? Number(birth.slice(0, 2)) : undefined;
  if (yy !== undefined && Number(pid.slice(4, 6)) !== yy) {
    out.field('birthDate', `the birth year must match digits 5–6 of the personal ID number (positions 20–21): expected ${pid.slice(4, 6)}`);
  }

  const expiry = fieldText(lines, 'expiryDate');
  if (expiry === '<<<<<<') {
    out.field('expiryDate', `the căn cước writes "no expiry" as ${VN_NO_EXPIRY}`);
  } else if (expiry !== VN_NO_EXPIRY && isMrzDate(expiry, false) && isMrzDate(birth, true) && yy !== undefined) {
    checkRenewalBirthday(birth, expiry, out);
  }
}

/** A căn cước expires on the holder's birthday at a renewal age (validity.ts). */
function checkRenewalBirthday(birth: string, expiry: string, out: Collector): void {
  const age = (Number(expiry.slice(0, 2)) - Number(birth.slice(0, 2)) + 100) % 100;
  const birthMonth = birth.slice(2, 4) === '<<' ? 1 : Number(birth.slice(2, 4));
  const birthDay = birth.slice(4, 6) === '<<' ? 1 : Number(birth.slice(4, 6));
  const [em, ed] = [Number(expiry.slice(2, 4)), Number(expiry.slice(4, 6))];
  // 29 February birthdays fall on 28 February in common years (dates.ts anniversary).
  const expiryYearGuess = 2000 + Number(expiry.slice(0, 2));
  const expectedDay = Math.min(birthDay, daysInMonth(expiryYearGuess, birthMonth));
  const onBirthday = em === birthMonth && (ed === birthDay || ed === expectedDay);
  if (!RENEWAL_AGES.includes(age) || !onBirthday) {
    out.field('expiryDate', `a căn cước expires on the holder's birthday at ${RENEWAL_AGES.join(', ')} (or never: ${VN_NO_EXPIRY})`);
  }
}

/** Validates three MRZ lines. Never throws on bad input. */
export function checkTd1(lines: readonly string[]): MrzCheck {
  const icao = new Collector('icao');
  const structureOk = checkStructure(lines, icao);
  if (structureOk) checkIcaoFields(lines, icao);

  let vnProfileValid: boolean | null = null;
  const errors = [...icao.errors];
  if (structureOk && lines[0]!.slice(2, 5) === VN_STATE) {
    const profile = new Collector('vn-profile');
    checkVietnameseProfile(lines, profile);
    errors.push(...profile.errors);
    vnProfileValid = icao.errors.length === 0 && profile.errors.length === 0;
  }
  const icaoValid = icao.errors.length === 0;
  return { valid: icaoValid && vnProfileValid !== false, icaoValid, vnProfileValid, errors, notes: icao.notes };
}

/** The most MRZ text `mrz check` reads: three lines are 93 bytes, anything near this is not an MRZ. */
export const MRZ_TEXT_LIMIT = 64 * 1024;

export interface MrzText {
  readonly lines: string[];
  /** One note a line whose surrounding whitespace was removed (as `pdftotext -layout` leaves it). */
  readonly notes: MrzNote[];
}

/**
 * Splits user text into lines: LF or CRLF; blank lines around the MRZ dropped; whitespace around
 * each line removed, with a note. Linear in the text's length (one split, two index scans).
 */
export function splitMrzText(text: string): MrzText {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let first = 0;
  while (first < all.length && all[first]!.trim() === '') first += 1;
  let end = all.length;
  while (end > first && all[end - 1]!.trim() === '') end -= 1;
  const lines: string[] = [];
  const notes: MrzNote[] = [];
  all.slice(first, end).forEach((raw, i) => {
    const trimmed = raw.trim();
    lines.push(trimmed);
    if (trimmed.length === raw.length) return;
    const leading = raw.length - raw.trimStart().length;
    const trailing = raw.length - raw.trimEnd().length;
    const what = [leading > 0 ? `${leading} leading` : '', trailing > 0 ? `${trailing} trailing` : ''].filter(Boolean).join(' and ');
    notes.push({
      line: i + 1, start: 1, end: Math.max(trimmed.length, 1), field: 'line', rule: 'input',
      message: `line ${i + 1}: removed ${what} whitespace character${leading + trailing === 1 ? '' : 's'}`,
    });
  });
  return { lines, notes };
}

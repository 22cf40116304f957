/**
 * The shared TD1 vectors (test/vectors/mrz-td1-vectors.json; each names its public source):
 * `checkTd1` gives the expected verdict with the full error list, and composition rebuilds
 * every valid vector exactly from its fields (generic) or record (Vietnamese profile).
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/mrz-td1-vectors.json' with { type: 'json' };
import { composeFromInput } from './compose-input.ts';
import { checkTd1, type MrzError } from './validate.ts';

interface Vector {
  id: string;
  source: string;
  lines: string[];
  valid: boolean;
  vnProfileValid?: boolean;
  fields?: Record<string, unknown>;
  record?: Record<string, unknown>;
}

const all = vectors.vectors as Vector[];

const icao = (line: number, start: number, end: number, field: MrzError['field'], message: string): MrzError =>
  ({ line, start, end, field, message, rule: 'icao' });
const vn = (line: number, start: number, end: number, field: MrzError['field'], message: string): MrzError =>
  ({ line, start, end, field, message, rule: 'vn-profile' });

/** The complete error list expected for every invalid vector (the vector's note names the faults). */
const EXPECTED_ERRORS: Record<string, MrzError[]> = {
  'BEL-BO-03003': [
    icao(1, 19, 19, 'documentNumberCheckDigit', 'document number (long, 12 characters) check digit is 3, expected 1'),
  ],
  'X-UTO-docCD': [
    icao(1, 15, 15, 'documentNumberCheckDigit', 'document number check digit is 8, expected 7'),
    icao(2, 30, 30, 'compositeCheckDigit', 'composite check digit is 6, expected 3'),
  ],
  'X-SWE-compCD': [icao(2, 30, 30, 'compositeCheckDigit', 'composite check digit is 0, expected 8')],
  'X-AUT-compCD': [icao(2, 30, 30, 'compositeCheckDigit', 'composite check digit is 6, expected 4')],
  'X-BAD': [
    icao(1, 15, 15, 'documentNumberCheckDigit', 'document number check digit is 0, expected 4'),
    icao(2, 1, 6, 'birthDate', "birth date '010599' is not a date (YYMMDD, unknown parts as <)"),
    icao(2, 7, 7, 'birthDateCheckDigit', 'birth date check digit is 8, expected 4'),
    icao(2, 9, 14, 'expiryDate', "expiry date '051286' is not a date (YYMMDD, or <<<<<< for none)"),
    icao(2, 15, 15, 'expiryDateCheckDigit', 'expiry date check digit is 8, expected 0'),
    icao(2, 30, 30, 'compositeCheckDigit', 'composite check digit is 0, expected 6'),
    // Beyond the vector's note: ICAO names hold letters only, and start with the primary identifier.
    icao(3, 1, 1, 'name', 'the name must start with the primary identifier, found a filler in position 1'),
    icao(3, 10, 21, 'name', 'the name must hold letters and < only, found digits at positions 10, 21'),
  ],
  'X-JMRTD-VanPassel': [
    icao(1, 1, 28, 'line', 'line 1 has 28 characters, expected 30'),
    icao(2, 1, 28, 'line', 'line 2 has 28 characters, expected 30'),
    icao(3, 1, 28, 'line', 'line 3 has 28 characters, expected 30'),
  ],
  'SWIFT-sexX': [icao(2, 8, 8, 'sex', "sex must be M, F or <, found 'X'")],
  'VN-X1': [
    icao(1, 15, 15, 'documentNumberCheckDigit', 'document number check digit is 7, expected 8'),
    icao(2, 30, 30, 'compositeCheckDigit', 'composite check digit is 2, expected 5'),
  ],
  'VN-X6': [
    vn(1, 6, 14, 'documentNumber', 'the document number must be the last 9 digits of the personal ID number (positions 19–27)'),
  ],
  'VN-X7': [vn(2, 8, 8, 'sex', 'sex is F, but digit 4 of the personal ID number (position 19) encodes M')],
  'VN-X10': [icao(3, 2, 6, 'name', 'positions 2–6: only A–Z, 0–9 and < are allowed (lower-case letters must be upper case)')],
};

describe('shared TD1 vectors', () => {
  it('has an expected error list for every invalid vector and no stale ones', () => {
    const invalid = all.filter((v) => !v.valid || v.vnProfileValid === false).map((v) => v.id).sort();
    expect(Object.keys(EXPECTED_ERRORS).sort()).toStrictEqual(invalid);
  });

  describe.each(all.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    it('check gives the expected verdict and errors', () => {
      const result = checkTd1(v.lines);
      expect(result.icaoValid).toBe(v.valid);
      const isVn = v.lines[0]?.slice(2, 5) === 'VNM';
      expect(result.vnProfileValid).toBe(isVn ? (v.vnProfileValid ?? false) : null);
      expect(result.valid).toBe(v.valid && (v.vnProfileValid ?? true));
      expect(result.errors).toStrictEqual(EXPECTED_ERRORS[v.id] ?? []);
    });

    if (v.fields ?? v.record) {
      it('compose rebuilds the lines exactly', () => {
        const composed = composeFromInput(v.fields ?? v.record);
        expect(composed).toMatchObject({ ok: true, mrz: v.lines });
      });
    }
  });
});

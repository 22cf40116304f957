/**
 * Composition and validation beyond the shared vectors: check digits (ICAO 9303 Part 3 §4.9
 * worked values), the long-document-number rule, unknown birth-date parts, "no expiry",
 * the Vietnamese profile, and properties tying compose and check together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCivilDate, parsePartialDate } from '../dates.ts';
import { centurySexDigit, PROVINCE_CODES } from '../personal-id.ts';
import { checkDigit } from './check-digit.ts';
import { composeFromInput } from './compose-input.ts';
import { composeTd1, composeVietnameseMrz } from './compose.ts';
import { checkTd1 } from './validate.ts';

describe('checkDigit', () => {
  it.each([
    ['520727', '3'], // ICAO 9303 Part 3, 4.9 worked example (date 27 July 1952)
    ['AB2134<<<', '5'], // ICAO 9303 Part 3, 4.9 worked example (document number)
    ['D23145890', '7'], // ICAO specimen (shared vector ICAO-P5-specimen)
    ['D23145890734', '9'], // long document number (shared vector ICAO-P11-D2-longdoc)
    ['<<<<<<', '0'],
  ])('%s → %s', (text, digit) => {
    expect(checkDigit(text)).toBe(digit);
  });

  it('throws on a non-MRZ character (misuse, not input validation)', () => {
    expect(() => checkDigit('ab')).toThrow(/not an MRZ character/);
  });
});

const generic = {
  format: 'TD1',
  documentCode: 'I',
  issuingState: 'UTO',
  documentNumber: 'D23145890',
  optionalData1: '',
  birthDate: '1974-08-12',
  sex: 'F',
  expiryDate: '2012-04-15',
  nationality: 'UTO',
  optionalData2: '',
  primaryIdentifier: 'ERIKSSON',
  secondaryIdentifier: 'ANNA MARIA',
};

describe('generic compose', () => {
  it('writes unknown birth-date parts as fillers and they check valid', () => {
    const yearOnly = composeFromInput({ ...generic, birthDate: '1974' });
    expect(yearOnly).toMatchObject({ ok: true, mrz: [expect.any(String), expect.stringMatching(/^74<<<<1F/), expect.any(String)] });
    const yearMonth = composeFromInput({ ...generic, birthDate: '1974-08' });
    expect(yearMonth).toMatchObject({ ok: true, mrz: [expect.any(String), expect.stringMatching(/^7408<</), expect.any(String)] });
    for (const r of [yearOnly, yearMonth]) if (r.ok) expect(checkTd1(r.mrz)).toMatchObject({ valid: true });
  });

  it('writes no expiry as <<<<<< with check digit 0, which checks valid', () => {
    const r = composeFromInput({ ...generic, expiryDate: null });
    expect(r).toMatchObject({ ok: true, expiryDate: null, mrz: [expect.any(String), expect.stringMatching(/^7408122F<<<<<<0UTO/), expect.any(String)] });
    if (r.ok) expect(checkTd1(r.mrz).valid).toBe(true);
  });

  it('pads 1- and 2-letter state codes and takes spaces in optional data as fillers', () => {
    const r = composeFromInput({ ...generic, issuingState: 'D', nationality: 'D', optionalData1: 'AB 12', optionalData2: 'X Y' });
    expect(r).toMatchObject({ ok: true });
    if (r.ok) {
      expect(r.mrz[0]).toBe('I<D<<D231458907AB<12<<<<<<<<<<');
      expect(r.mrz[1].slice(15, 29)).toBe('D<<X<Y<<<<<<<<');
      expect(checkTd1(r.mrz).valid).toBe(true);
    }
  });

  it.each([
    [{ documentCode: 'P' }, 'documentCode'],
    [{ documentCode: 'i' }, 'documentCode'],
    [{ issuingState: 'U1O' }, 'issuingState'],
    [{ issuingState: 'UTOP' }, 'issuingState'],
    [{ documentNumber: 'D2314-5890' }, 'documentNumber'],
    [{ documentNumber: 'D23145890123456789012345' }, 'documentNumber'],
    [{ documentNumber: 'D231458901234', optionalData1: '123456789012' }, 'optionalData1'],
    [{ optionalData1: 'abc' }, 'optionalData1'],
    [{ birthDate: '1974-02-30' }, 'birthDate'],
    [{ birthDate: '12.08.1974' }, 'birthDate'],
    [{ sex: 'X' }, 'sex'],
    [{ expiryDate: '2012-4-15' }, 'expiryDate'],
    [{ expiryDate: undefined }, 'expiryDate'],
    [{ nationality: '' }, 'nationality'],
    [{ optionalData2: '123456789012' }, 'optionalData2'],
    [{ primaryIdentifier: 'Ерикссон' }, 'primaryIdentifier'],
    [{ primaryIdentifier: '  ' }, 'primaryIdentifier'],
    [{ colour: 'blue' }, 'colour'],
    [{ format: 'TD3' }, 'format'],
  ])('%j is refused naming %s', (change, field) => {
    const r = composeFromInput({ ...generic, ...change });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.field)).toContain(field);
  });
});

describe('checkTd1 beyond the shared vectors', () => {
  const specimen = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

  it('accepts no expiry as <<<<<< with check digit 0, refuses it with another digit', () => {
    const none = composeTd1({
      documentCode: 'I', issuingState: 'UTO', documentNumber: 'D23145890', optionalData1: '',
      birthDate: { year: 1974, month: 8, day: 12 }, sex: 'F', expiryDate: null, nationality: 'UTO',
      optionalData2: '', primaryIdentifier: ['ERIKSSON'], secondaryIdentifier: ['ANNA'],
    }).lines;
    expect(checkTd1(none).valid).toBe(true);
    const wrong = [none[0], `${none[1].slice(0, 14)}1${none[1].slice(15)}`, none[2]];
    expect(checkTd1(wrong).errors.map((e) => e.field)).toContain('expiryDateCheckDigit');
  });

  it('reports a wrong line count, with trailing lines still checked for length', () => {
    expect(checkTd1(specimen.slice(0, 2))).toStrictEqual({
      valid: false,
      icaoValid: false,
      vnProfileValid: null,
      errors: [{ line: 3, start: 1, end: 30, field: 'mrz', message: 'a TD1 MRZ has 3 lines, found 2', rule: 'icao' }],
      notes: [],
    });
  });

  it('reports a document code outside A, C, I and digits in state codes', () => {
    const lines = ['P<U1OD231458907<<<<<<<<<<<<<<<', specimen[1]!, specimen[2]!];
    expect(checkTd1(lines).errors.map((e) => [e.field, e.start, e.message])).toStrictEqual([
      ['documentCode', 1, "document code must start with A, C or I, found 'P'"],
      ['issuingState', 3, "issuing state must be letters only (a code of up to 3 letters padded with <), found 'U1O'"],
    ]);
  });

  it('accepts 29 February when the two-digit year can be a leap year', () => {
    const doc = composeTd1({
      documentCode: 'I', issuingState: 'UTO', documentNumber: 'D23145890', optionalData1: '',
      birthDate: { year: 2000, month: 2, day: 29 }, sex: 'M', expiryDate: { year: 2030, month: 1, day: 1 }, nationality: 'UTO',
      optionalData2: '', primaryIdentifier: ['A'], secondaryIdentifier: [],
    }).lines;
    expect(checkTd1(doc).valid).toBe(true);
    const notLeap = [doc[0], `010229${checkDigit('010229')}${doc[1].slice(7)}`, doc[2]];
    expect(checkTd1(notLeap).errors.map((e) => e.field)).toContain('birthDate');
  });

  // Some issuers write a holder with given names only as `<<` + names; ICAO 9303 parsers (the
  // independent cheminfo/mrz among them) read an empty primary identifier. Valid, with a note.
  it('accepts a name line starting with << (no primary identifier) with a note, as ICAO parsers do (test/mrz-oracle.test.ts)', () => {
    const lines = [specimen[0]!, specimen[1]!, '<<ANNA<MARIA<<<<<<<<<<<<<<<<<<'];
    expect(checkTd1(lines)).toStrictEqual({
      valid: true,
      icaoValid: true,
      vnProfileValid: null,
      errors: [],
      notes: [{ line: 3, start: 1, end: 2, field: 'name', rule: 'icao', message: 'the name has no primary identifier (positions 1–2 are <<), only secondary identifiers' }],
    });
  });

  it('still refuses a single filler before the name, and a name line of fillers only', () => {
    for (const name of ['<ANNA<<MARIA<<<<<<<<<<<<<<<<<<', '<'.repeat(30)]) {
      const r = checkTd1([specimen[0]!, specimen[1]!, name]);
      expect(r.errors).toStrictEqual([
        { line: 3, start: 1, end: 1, field: 'name', message: 'the name must start with the primary identifier, found a filler in position 1', rule: 'icao' },
      ]);
      expect(r.notes).toStrictEqual([]);
    }
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), (lines) => {
        const r = checkTd1(lines);
        expect(r.valid).toBe(r.errors.length === 0);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Z0-9<a-z ]{30}$/), { minLength: 3, maxLength: 3 }), (lines) => {
        const r = checkTd1(lines);
        for (const e of r.errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.start).toBeLessThanOrEqual(e.end);
        }
      }),
    );
  });
});

describe('Vietnamese profile', () => {
  const s1 = ['IDVNM0900000018001090000001<<9', '9001158M3001156VNM<<<<<<<<<<<2', 'NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<'];

  it('refuses <<<<<< as expiry (the căn cước writes 991231) and an expiry that is no renewal birthday', () => {
    const mk = (expiry: string) => {
      const l2 = `900115${checkDigit('900115')}M${expiry}${checkDigit(expiry)}VNM<<<<<<<<<<<`;
      const l1 = s1[0]!;
      const composite = checkDigit(l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29));
      return [l1, l2 + composite, s1[2]!];
    };
    expect(checkTd1(mk('991231')).valid).toBe(true);
    expect(checkTd1(mk('300115')).valid).toBe(true);
    const none = checkTd1(mk('<<<<<<'));
    expect(none).toMatchObject({ icaoValid: true, vnProfileValid: false });
    expect(none.errors).toStrictEqual([
      { line: 2, start: 9, end: 14, field: 'expiryDate', message: 'the căn cước writes "no expiry" as 991231', rule: 'vn-profile' },
    ]);
    expect(checkTd1(mk('300116')).errors.map((e) => e.message)).toStrictEqual([
      "a căn cước expires on the holder's birthday at 14, 25, 40, 60 (or never: 991231)",
    ]);
    expect(checkTd1(mk('350115')).vnProfileValid).toBe(false); // age 45 is no renewal age
  });

  it('refuses a name line starting with << under the profile (the căn cước starts with the family name)', () => {
    const r = checkTd1([s1[0]!, s1[1]!, '<<VAN<AN<<<<<<<<<<<<<<<<<<<<<<']);
    expect(r).toMatchObject({ valid: false, icaoValid: true, vnProfileValid: false });
    expect(r.errors).toStrictEqual([
      { line: 3, start: 1, end: 2, field: 'name', message: "the căn cước's name starts with the family name (primary identifier), found << in positions 1–2", rule: 'vn-profile' },
    ]);
    expect(r.notes.map((n) => n.rule)).toStrictEqual(['icao']);
  });

  it('checks the PID check digit in position 30 and the birth year against digits 5–6', () => {
    const badPidCd = [`${s1[0]!.slice(0, 29)}1`, s1[1]!, s1[2]!];
    expect(checkTd1(badPidCd).errors.filter((e) => e.rule === 'vn-profile')).toStrictEqual([
      { line: 1, start: 30, end: 30, field: 'optionalData1', message: 'personal ID number check digit is 1, expected 9', rule: 'vn-profile' },
    ]);
  });

  it('every record of arbitrary valid holders composes to an MRZ that checks valid under both rule sets', () => {
    const holder = fc.record({
      place: fc.constantFrom(...PROVINCE_CODES, '101', '295'),
      year: fc.integer({ min: 1900, max: 2026 }),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 28 }),
      precision: fc.constantFrom('day', 'day', 'day', 'month', 'year'),
      sex: fc.constantFrom('M' as const, 'F' as const),
      serial: fc.integer({ min: 0, max: 999_999 }),
      issueOffset: fc.integer({ min: 0, max: 730 }),
      name: fc.array(fc.constantFrom('Nguyễn', 'Thị', 'Văn', 'Đặng', 'Phương', 'Khuê', 'Hoàng', 'Lê', 'Ỷ', 'Ánh'), { minLength: 1, maxLength: 9 }),
    });
    fc.assert(
      fc.property(holder, (h) => {
        const birthText = h.precision === 'year' ? `${h.year}` : h.precision === 'month'
          ? `${h.year}-${String(h.month).padStart(2, '0')}`
          : `${h.year}-${String(h.month).padStart(2, '0')}-${String(h.day).padStart(2, '0')}`;
        const birth = parsePartialDate(birthText)!;
        const issueDay = new Date(Date.UTC(2024, 6, 1) + h.issueOffset * 86_400_000);
        const issue = parseCivilDate(issueDay.toISOString().slice(0, 10))!;
        fc.pre(birth.year <= issue.year - 1);
        const pid = `${h.place}${centurySexDigit(h.year, h.sex)}${String(h.year % 100).padStart(2, '0')}${String(h.serial).padStart(6, '0')}`;
        const { lines } = composeVietnameseMrz({ pid, fullName: h.name.join(' '), birthDate: birth, sex: h.sex, issueDate: issue });
        expect(checkTd1(lines)).toStrictEqual({ valid: true, icaoValid: true, vnProfileValid: true, errors: [], notes: [] });
      }),
      { numRuns: 2000 },
    );
  });
});

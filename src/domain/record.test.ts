/** The import schema (docs/record-format.md) and the cross-field rules, table-tested. */
import { describe, expect, it } from 'vitest';
import type { FieldIssue } from './issues.ts';
import { validateRecord } from './record.ts';

const today = { year: 2026, month: 11, day: 27 };

/** Shared vector VN-S1's record plus a portrait: a valid adult. */
const adult = {
  pid: '001090000001',
  fullName: 'Nguyễn Văn An',
  birthDate: '1990-01-15',
  sex: 'M',
  nationality: 'VNM',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'Hà Nội',
  residence: 'Số 12, phố Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội',
  portrait: 'portraits/000001.jpg',
};

const child = {
  pid: '079322000003',
  fullName: 'Trần Thị Bảo Ngọc',
  birthDate: '2022-03-05',
  sex: 'F',
  issueDate: '2024-08-01',
  placeOfBirthRegistration: 'TP Hồ Chí Minh',
  residence: 'TP Hồ Chí Minh',
  fatherName: 'Trần Văn Bình',
  motherName: 'Lê Thị Mai',
};

const check = (record: unknown, portraitRules = true) => validateRecord(record, { portraitRules, today });
const issuesOf = (record: unknown, portraitRules = true): FieldIssue[] => {
  const r = check(record, portraitRules);
  return r.ok ? [] : [...r.issues];
};

describe('valid records', () => {
  it('accepts an adult with portrait and derives the facts', () => {
    const r = check(adult);
    expect(r).toStrictEqual({
      ok: true,
      value: {
        record: { ...adult },
        facts: {
          birthDate: { year: 1990, month: 1, day: 15 },
          issueDate: { year: 2024, month: 8, day: 1 },
          variant: 'with-portrait',
          validity: { expiry: { year: 2030, month: 1, day: 15 }, renewalAge: 40 },
          nameShortened: false,
        },
      },
    });
  });

  it('accepts a child under 6 without portrait, defaults nationality to VNM', () => {
    const r = check(child);
    expect(r.ok && r.value.record.nationality).toBe('VNM');
    expect(r.ok && r.value.facts.variant).toBe('without-portrait');
  });

  it('normalizes text to NFC and collapses whitespace; CSV-style empty optional fields are absent', () => {
    const r = check({ ...adult, fullName: '  Nguyễn   Văn An ', religion: '', ethnicity: null });
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.record.fullName).toBe('Nguyễn Văn An');
      expect(r.value.record.fullName).toBe(r.value.record.fullName.normalize('NFC'));
      expect('religion' in r.value.record && r.value.record.religion !== undefined).toBe(false);
    }
  });

  it('accepts year-only and year-month birth dates, apostrophes and hyphens in names, a 9-digit previous ID', () => {
    expect(issuesOf({ ...adult, birthDate: '1990', fullName: "H'Hen Niê", previousIdNumber: '012345678' })).toStrictEqual([]);
    expect(issuesOf({ ...adult, birthDate: '1990-01', fullName: 'Nguyễn-Trần Văn An' })).toStrictEqual([]);
  });
});

describe('invalid records: every issue reported with its field', () => {
  it.each([
    { change: { pid: 1090000001 }, issues: [{ field: 'pid', message: 'must be a text of 12 digits (as a JSON number it would lose its leading zeros)' }] },
    { change: { pid: '00109000001' }, issues: [{ field: 'pid', message: 'must be exactly 12 digits' }] },
    { change: { pid: '001190000001' }, issues: [{ field: 'pid', message: "digit 4 encodes sex F, but the record's sex is M" }] },
    { change: { pid: '001091000001' }, issues: [{ field: 'pid', message: 'digits 5–6 must equal the last two digits of the birth year' }] },
    { change: { pid: '003090000001' }, issues: [{ field: 'pid', message: 'digits 1–3 must be a province code of the table or 101–295 (birth registered abroad)' }] },
    { change: { fullName: 'Nguyễn Văn 2' }, issues: [{ field: 'fullName', message: 'must hold letters (with their diacritics), spaces, hyphens and apostrophes only' }] },
    { change: { fullName: 'Иван Петров' }, issues: [{ field: 'fullName', message: 'cannot be written in the MRZ: character U+0418 has no MRZ transliteration' }] },
    { change: { fullName: '' }, issues: [{ field: 'fullName', message: 'must not be empty' }] },
    { change: { birthDate: '1990-02-30' }, issues: [{ field: 'birthDate', message: 'must be a real date written YYYY-MM-DD, or YYYY-MM / YYYY when the civil record lacks the day or month' }] },
    { change: { birthDate: '15/01/1990' }, issues: [{ field: 'birthDate', message: 'must be a real date written YYYY-MM-DD, or YYYY-MM / YYYY when the civil record lacks the day or month' }] },
    { change: { sex: 'X' }, issues: [{ field: 'sex', message: 'must be M or F' }] },
    { change: { nationality: 'USA' }, issues: [{ field: 'nationality', message: 'must be VNM: the căn cước is issued to Vietnamese citizens only' }] },
    { change: { issueDate: '2024-06-30' }, issues: [{ field: 'issueDate', message: 'must be on or after 2024-07-01, when the Law on Identification 2023 came into force' }] },
    { change: { issueDate: '2028-01-01' }, issues: [{ field: 'issueDate', message: 'must not be more than 366 days in the future' }] },
    { change: { residence: 'a\u0007b' }, issues: [{ field: 'residence', message: 'must not contain control or formatting characters: U+0007 (a control character) at character 2' }] },
    // Trojan Source (CVE-2021-42574): a bidi override shows a name or address otherwise than stored.
    { change: { fullName: 'Nguyễn Văn \u202Ebă' }, issues: [{ field: 'fullName', message: 'must not contain control or formatting characters: U+202E (right-to-left override, a bidirectional control) at character 12' }] },
    { change: { residence: 'Số 1 \u2066Hà Nội\u2069' }, issues: [{ field: 'residence', message: 'must not contain control or formatting characters: U+2066 (left-to-right isolate, a bidirectional control) at character 6' }] },
    { change: { motherName: 'Lê Thị\u200B Hoa' }, issues: [{ field: 'motherName', message: 'must not contain control or formatting characters: U+200B (zero width space) at character 7' }] },
    { change: { religion: 'Phật\u00ADgiáo' }, issues: [{ field: 'religion', message: 'must not contain control or formatting characters: U+00AD (soft hyphen) at character 5' }] },
    { change: { placeOfOrigin: 'Huế \u{E0001}' }, issues: [{ field: 'placeOfOrigin', message: 'must not contain control or formatting characters: U+E0001 (an invisible formatting character) at character 5' }] },
    { change: { identifyingMarks: 'sẹo \uE000' }, issues: [{ field: 'identifyingMarks', message: 'must not contain control or formatting characters: U+E000 (a private-use character) at character 5' }] },
    { change: { residence: 'x\uD800y' }, issues: [{ field: 'residence', message: 'must not contain control or formatting characters: U+D800 (a lone surrogate) at character 2' }] },
    { change: { residence: undefined }, issues: [{ field: 'residence', message: 'is required' }] },
    { change: { residence: 42 }, issues: [{ field: 'residence', message: 'must be text' }] },
    { change: { previousIdNumber: '1234567890' }, issues: [{ field: 'previousIdNumber', message: 'must be 9 digits (old identity card) or 12 digits' }] },
    { change: { portrait: undefined }, issues: [{ field: 'portrait', message: 'is required: the holder is 6 or over on the issue date' }] },
    { change: { favouriteColour: 'blue' }, issues: [{ field: 'favouriteColour', message: 'unknown field' }] },
  ])('$change', ({ change, issues }) => {
    expect(issuesOf({ ...adult, ...change })).toStrictEqual(issues);
  });

  it('refuses a portrait for a holder under 6', () => {
    expect(issuesOf({ ...child, portrait: 'p.jpg' })).toStrictEqual([
      { field: 'portrait', message: 'is not allowed: the holder is under 6 on the issue date and gets a card without portrait' },
    ]);
  });

  it('skips the portrait rules when asked (mrz compose)', () => {
    expect(issuesOf({ ...adult, portrait: undefined }, false)).toStrictEqual([]);
  });

  it('refuses a birth after the issue date', () => {
    expect(issuesOf({ ...child, birthDate: '2024-09-01', pid: '079324000003' })).toStrictEqual([
      { field: 'birthDate', message: 'must not be after the issue date' },
    ]);
  });

  it('reports every problem of a record at once', () => {
    expect(issuesOf({ pid: 'x', fullName: 3, sex: 'm', extra: 1 }).map((i) => i.field).sort()).toStrictEqual(
      ['birthDate', 'extra', 'fullName', 'issueDate', 'pid', 'placeOfBirthRegistration', 'residence', 'sex'].sort(),
    );
  });

  it('refuses what is not an object', () => {
    for (const bad of [null, 42, 'text', [adult]]) {
      expect(issuesOf(bad)).toStrictEqual([{ field: '(record)', message: 'must be an object with the record fields' }]);
    }
  });

  it('never puts the personal values into messages', () => {
    const bad = { ...adult, pid: '003391000001', birthDate: '1990-01-15', fullName: 'Nguyễn Văn 2', sex: 'M' };
    for (const issue of issuesOf(bad)) {
      for (const value of ['003391000001', '1990', 'Nguyễn']) expect(issue.message).not.toContain(value);
    }
  });
});

/**
 * The QR payload layouts of docs/qr-payload.md: field order, separator, escaping, NFC, dates as the
 * civil record has them. Sources: the 2024 layout's fields as the press reported Circular
 * 16/2024/TT-BCA (REFERENCE.md, "QR content"; e.g. cand.com.vn, 22 June 2024); the 2021 layout's 7
 * fields as readers of the 2021 chip-ID card split them (issue 20 item 10). Records are synthetic.
 */
import { describe, expect, it } from 'vitest';
import { parsePartialDate, parseCivilDate } from '../../src/domain/dates.ts';
import type { PersonalizationRecord } from '../../src/domain/record.ts';
import { decodeQrPayload, encodeQrPayload, QR_LAYOUT_FIELDS, qrDate, vnQrFields, type QrFieldsOf } from '../../src/render/qr-payload.ts';

const ADULT: PersonalizationRecord = {
  pid: '058064803691',
  fullName: 'Trần Văn Long',
  birthDate: '1964-11-29',
  sex: 'M',
  nationality: 'VNM',
  placeOfBirthRegistration: 'Ninh Thuận',
  residence: 'Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh',
  issueDate: '2024-11-29',
  previousIdNumber: '012345678',
  fatherName: 'Trần Văn Hoàng',
  motherName: 'Trương Thị Liên',
};

const fields = <L extends 'vn-2024' | 'vn-2021'>(layout: L, r: PersonalizationRecord): QrFieldsOf<L> =>
  vnQrFields(layout, r, parsePartialDate(r.birthDate)!, parseCivilDate(r.issueDate)!);

describe('QR payload layouts', () => {
  it('lists the fields of each layout in the documented order', () => {
    expect(QR_LAYOUT_FIELDS).toStrictEqual({
      'vn-2024': ['pid', 'previousIdNumber', 'fullName', 'birthDate', 'sex', 'residence', 'issueDate', 'fatherName', 'motherName'],
      'vn-2021': ['pid', 'previousIdNumber', 'fullName', 'birthDate', 'sex', 'residence', 'issueDate'],
    });
  });

  it('2024: nine fields joined by "|", parents empty for an adult, no version marker', () => {
    const text = encodeQrPayload('vn-2024', fields('vn-2024', ADULT));
    expect(text).toBe('058064803691|012345678|Trần Văn Long|29111964|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|29112024||');
    expect(decodeQrPayload(text)).toStrictEqual({ layout: 'vn-2024', fields: fields('vn-2024', ADULT) });
  });

  it('2024: the parents of a holder under 14 on the issue date', () => {
    const child = { ...ADULT, pid: '070216709131', birthDate: '2016-02-29', issueDate: '2026-03-16', previousIdNumber: undefined } as PersonalizationRecord;
    expect(encodeQrPayload('vn-2024', fields('vn-2024', child))).toBe(
      '070216709131||Trần Văn Long|29022016|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|16032026|Trần Văn Hoàng|Trương Thị Liên',
    );
    // Thirteen on the issue date is still a minor, fourteen is not (QR_MINOR_AGE).
    const at13 = { ...child, birthDate: '2012-03-17' };
    const at14 = { ...child, birthDate: '2012-03-16' };
    expect(fields('vn-2024', at13).fatherName).toBe('Trần Văn Hoàng');
    expect(fields('vn-2024', at14).fatherName).toBe('');
  });

  it('2024: a 12-digit previous number is not the 9-digit CMND field; 2021 keeps it ("old ID")', () => {
    const r = { ...ADULT, previousIdNumber: '058064123456' };
    expect(fields('vn-2024', r).previousIdNumber).toBe('');
    expect(fields('vn-2021', r).previousIdNumber).toBe('058064123456');
  });

  it('2021: the seven fields legacy readers split, ddmmyyyy dates', () => {
    const text = encodeQrPayload('vn-2021', fields('vn-2021', ADULT));
    expect(text).toBe('058064803691|012345678|Trần Văn Long|29111964|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|29112024');
    expect(text.split('|')).toHaveLength(7);
    expect(decodeQrPayload(text)).toStrictEqual({ layout: 'vn-2021', fields: fields('vn-2021', ADULT) });
  });

  it('writes a birth date known by year (or year and month) as the civil record has it, in both layouts', () => {
    expect(qrDate({ year: 1936 })).toBe('1936');
    expect(qrDate({ year: 1936, month: 3 })).toBe('031936');
    expect(qrDate({ year: 1936, month: 3, day: 5 })).toBe('05031936');
    const old = { ...ADULT, birthDate: '1936', issueDate: '2026-01-15' };
    expect(encodeQrPayload('vn-2024', fields('vn-2024', old)).split('|')[3]).toBe('1936');
    expect(encodeQrPayload('vn-2021', fields('vn-2021', old)).split('|')[3]).toBe('1936');
  });

  it('escapes "|" and "\\" inside values and reads them back', () => {
    const odd = { ...fields('vn-2024', ADULT), residence: 'Ngõ 5|7, a\\b' };
    const text = encodeQrPayload('vn-2024', odd);
    expect(text).toContain('Ngõ 5\\|7, a\\\\b');
    expect(decodeQrPayload(text)).toStrictEqual({ layout: 'vn-2024', fields: odd });
  });

  it('writes text as NFC', () => {
    const decomposed = { ...ADULT, fullName: 'Trần Văn Long'.normalize('NFD') };
    expect(fields('vn-2024', decomposed).fullName).toBe('Trần Văn Long'.normalize('NFC'));
  });

  it('refuses a text of another field count, saying what it expected', () => {
    expect(() => decodeQrPayload('a|b|c')).toThrow('not a căn cước QR payload: 3 fields; the 2024 layout has 9, the 2021 layout 7');
    // What an earlier cardline wrote (10 fields ending in its own "v1") is not a card layout.
    expect(() => decodeQrPayload('058064803691||Trần Văn Long|29111964|Nam|x|29112024|||v1')).toThrow(/10 fields/);
  });
});

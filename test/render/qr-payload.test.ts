/**
 * The QR payload format of docs/qr-payload.md: field order, separator, escaping, NFC and the
 * version marker. Vectors are the render fixtures (test/render/fixtures) and hand-made edge cases.
 */
import { describe, expect, it } from 'vitest';
import { decodeQrPayload, encodeQrPayload, QR_FIELDS, type QrFields } from '../../src/render/qr-payload.ts';

const ADULT: QrFields = {
  pid: '058064803691',
  previousIdNumber: '',
  fullName: 'Trần Văn Long',
  birthDate: '29111964',
  sex: 'Nam',
  residence: 'Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh',
  issueDate: '29112024',
  fatherName: '',
  motherName: '',
  version: 'v1',
};

describe('QR payload v1', () => {
  it('lists the ten fields in the documented order', () => {
    expect(QR_FIELDS).toStrictEqual(['pid', 'previousIdNumber', 'fullName', 'birthDate', 'sex', 'residence', 'issueDate', 'fatherName', 'motherName', 'version']);
  });

  it('joins the fields with "|", empty ones included, version marker last', () => {
    expect(encodeQrPayload(ADULT)).toBe('058064803691||Trần Văn Long|29111964|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|29112024|||v1');
    expect(decodeQrPayload(encodeQrPayload(ADULT))).toStrictEqual(ADULT);
  });

  it('escapes "|" and "\\" inside values and reads them back', () => {
    const odd = { ...ADULT, residence: 'Ngõ 5|7, a\\b' };
    const text = encodeQrPayload(odd);
    expect(text).toContain('Ngõ 5\\|7, a\\\\b');
    expect(decodeQrPayload(text)).toStrictEqual(odd);
  });

  it('refuses a text of another version or field count', () => {
    expect(() => decodeQrPayload('058064803691||Trần Văn Long|29111964|Nam|x|29112024')).toThrow(/not a version 1 căn cước QR payload: 7 fields/);
    expect(() => decodeQrPayload(encodeQrPayload(ADULT).replace(/v1$/, 'v2'))).toThrow(/last field is not "v1"/);
  });
});

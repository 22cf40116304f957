/**
 * MRZ_information from TD1 lines: the Vietnamese profile, fields taken as printed, and the
 * structural problems reported (the Appendix D and long-number vectors are in appendix-d.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { checkDigit } from '../mrz/check-digit.ts';
import { documentKeys, documentKeysFromTd1 } from './keys.ts';
import { mrzInformation, mrzInformationFromTd1 } from './mrz-information.ts';

describe('mrzInformationFromTd1', () => {
  it('takes the last 9 digits of a Vietnamese ID number as the document number', () => {
    // A synthetic card in the Vietnamese profile (REFERENCE.md): ID number 001090000001.
    const [d, b, e] = [checkDigit('090000001'), checkDigit('900101'), checkDigit('300101')];
    const mrz = [`IDVNM090000001${d}001090000001<<0`, `900101${b}M300101${e}VNM<<<<<<<<<<<0`, 'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'];
    const info = mrzInformationFromTd1(mrz);
    expect(info).toStrictEqual({
      ok: true,
      mrzInformation: `090000001${d}900101${b}300101${e}`,
      fields: { documentNumber: '090000001', documentNumberCheckDigit: d, birthDate: '900101', birthDateCheckDigit: b, expiryDate: '300101', expiryDateCheckDigit: e },
    });
    expect(info.ok && info.mrzInformation).toBe(mrzInformation('090000001', '900101', '300101'));
    expect(documentKeysFromTd1(mrz)).toStrictEqual(documentKeys(mrzInformation('090000001', '900101', '300101')));
  });

  it('uses the fields as printed, wrong check digit and all (only the chip can judge them)', () => {
    const lines = ['I<UTOL898902C<4<<<<<<<<<<<<<<<', '6908061F9406236UTO<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];
    expect(mrzInformationFromTd1(lines)).toMatchObject({ ok: true, mrzInformation: 'L898902C<469080619406236' });
  });

  it('reports every structural problem', () => {
    expect(mrzInformationFromTd1(['A', 'B'])).toStrictEqual({ ok: false, errors: ['a TD1 MRZ has 3 lines, got 2'] });
    expect(mrzInformationFromTd1(['I<UTOL898902C<3<<<<<<<<<<<<<<', '6908061F9406236UTO<<<<<<<<<<<2', 'ERIKSSON<<ANNA<MARIa<<<<<<<<<<'])).toStrictEqual({
      ok: false,
      errors: ['line 1: 29 characters, expected 30', "line 3 position 20: 'a' is not an MRZ character"],
    });
    expect(mrzInformationFromTd1(['I<UTOD23145890<<<<<<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<'])).toStrictEqual({
      ok: false,
      errors: ["line 1 position 15: '<' announces a long document number, but positions 16–30 do not continue it"],
    });
  });

  it('pads a short number to the 9-character field before its check digit (issuer side)', () => {
    expect(mrzInformation('L898902C', '690806', '940623')).toBe('L898902C<369080619406236');
    expect(() => mrzInformation('L898902C', '6908', '940623')).toThrow(/YYMMDD/);
  });
});

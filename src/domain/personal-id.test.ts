/**
 * Personal ID numbers: Decree 137/2015/NĐ-CP and Circular 07/2016/TT-BCA (Appendix I place
 * codes, digit 4 = century and sex, digits 5–6 = birth year), via reference/vn-personal-id.json
 * (tabulated from hongquan/vietnam-personal-id). The numbers below are synthetic.
 */
import { describe, expect, it } from 'vitest';
import reference from './reference/vn-personal-id.json' with { type: 'json' };
import { centurySexDigit, checkPersonalId, decodePersonalId, PROVINCE_CODES } from './personal-id.ts';

describe('reference table sanity', () => {
  it('has the 63 pre-2025 provinces with 3-digit codes, unique names, and the born-abroad range 101–295', () => {
    expect(PROVINCE_CODES).toHaveLength(63);
    expect(new Set(Object.values(reference.provinces)).size).toBe(63);
    expect(PROVINCE_CODES.every((c) => /^\d{3}$/.test(c) && Number(c) < 101)).toBe(true);
    expect(reference.provinces['001']).toBe('Hà Nội');
    expect(reference.provinces['079']).toBe('TP Hồ Chí Minh');
    expect(reference.bornAbroadRange).toStrictEqual(expect.objectContaining({ from: 101, to: 295 }));
  });
});

describe('decodePersonalId', () => {
  it.each([
    ['001090000001', { placeCode: '001', province: 'Hà Nội', bornAbroad: false, century: 1900, sex: 'M', yearOfCentury: 90, birthYear: 1990 }],
    ['079305000002', { placeCode: '079', province: 'TP Hồ Chí Minh', bornAbroad: false, century: 2000, sex: 'F', yearOfCentury: 5, birthYear: 2005 }],
    ['107188123456', { placeCode: '107', bornAbroad: true, century: 1900, sex: 'F', yearOfCentury: 88, birthYear: 1988 }],
    ['096412000001', { placeCode: '096', province: 'Cà Mau', bornAbroad: false, century: 2100, sex: 'M', yearOfCentury: 12, birthYear: 2112 }],
  ] as const)('%s', (pid, facts) => {
    expect(decodePersonalId(pid)).toStrictEqual(facts);
  });

  it.each(['003090000001', '000090000001', '296090000001', '00109000000', '00109000000A'])('%s is not decodable', (pid) => {
    expect(decodePersonalId(pid)).toBeUndefined();
  });
});

describe('checkPersonalId', () => {
  it.each([
    { pid: '001090000001', sex: 'M', birthYear: 1990, codes: [], why: 'Hà Nội, male, 1990' },
    { pid: '079305000002', sex: 'F', birthYear: 2005, codes: [], why: 'HCMC, female, 2005' },
    { pid: '101100000000', sex: 'F', birthYear: 1900, codes: [], why: 'first born-abroad code' },
    { pid: '295100000000', sex: 'F', birthYear: 1900, codes: [], why: 'last born-abroad code' },
    { pid: '296100000000', sex: 'F', birthYear: 1900, codes: ['pid.place'], why: 'past the born-abroad range' },
    { pid: '003090000001', sex: 'M', birthYear: 1990, codes: ['pid.place'], why: '003 is not a province code' },
    { pid: '001190000001', sex: 'M', birthYear: 1990, codes: ['pid.sex'], why: 'digit 4 = 1 is female' },
    { pid: '001290000001', sex: 'M', birthYear: 1990, codes: ['pid.century'], why: 'digit 4 = 2 is the 2000s' },
    { pid: '001091000001', sex: 'M', birthYear: 1990, codes: ['pid.birthYear'], why: 'digits 5–6 = 91' },
    { pid: '003391000001', sex: 'M', birthYear: 1990, codes: ['pid.place', 'pid.sex', 'pid.century', 'pid.birthYear'], why: 'everything wrong' },
    { pid: '00109000001', sex: 'M', birthYear: 1990, codes: ['pid.format'], why: '11 digits' },
    { pid: '0010900000012', sex: 'M', birthYear: 1990, codes: ['pid.format'], why: '13 digits' },
    { pid: '００１０９００００００１', sex: 'M', birthYear: 1990, codes: ['pid.format'], why: 'full-width digits' },
  ] as const)('$pid ($why)', ({ pid, sex, birthYear, codes }) => {
    expect(checkPersonalId(pid, { sex, birthYear }).map((i) => i.code)).toStrictEqual(codes);
  });

  it('never repeats the number in its messages (they go into quarantine reports)', () => {
    for (const issue of checkPersonalId('003391000001', { sex: 'M', birthYear: 1990 })) {
      expect(issue.message).not.toContain('003391000001');
      expect(issue.message).not.toContain('1990');
    }
  });
});

describe('centurySexDigit', () => {
  it.each([
    [1990, 'M', '0'],
    [1990, 'F', '1'],
    [2005, 'M', '2'],
    [2005, 'F', '3'],
    [2100, 'M', '4'],
    [2199, 'F', '5'],
  ] as const)('%i %s → %s', (year, sex, digit) => {
    expect(centurySexDigit(year, sex)).toBe(digit);
  });
});

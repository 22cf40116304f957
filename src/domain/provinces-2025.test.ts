/**
 * The 1 July 2025 map. Vectors: /work/shared/REFERENCE.md, "Administrative reform of 1 July 2025"
 * (National Assembly resolution of 12 June 2025; Viet Nam News, 4 July 2025): the 11 unchanged
 * units and the 23 new ones with the provinces they absorbed. Addresses below are synthetic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES, provinceName } from './personal-id.ts';
import {
  addressReformNotes,
  CENTRALLY_RUN_CITIES,
  CURRENT_PROVINCES,
  currentProvinceOf,
  districtLevelParts,
  issuedAfterReform,
  provinceKey,
  provinceOfAddress,
} from './provinces-2025.ts';

const UNCHANGED = ['Hà Nội', 'Huế', 'Lai Châu', 'Điện Biên', 'Sơn La', 'Cao Bằng', 'Lạng Sơn', 'Quảng Ninh', 'Thanh Hóa', 'Nghệ An', 'Hà Tĩnh'];

/** [new unit, absorbed provinces] as REFERENCE.md lists them (historic names of vn-personal-id.json). */
const MERGERS: readonly (readonly [string, readonly string[]])[] = [
  ['Tuyên Quang', ['Hà Giang']],
  ['Lào Cai', ['Yên Bái']],
  ['Thái Nguyên', ['Bắc Kạn']],
  ['Phú Thọ', ['Vĩnh Phúc', 'Hoà Bình']],
  ['Bắc Ninh', ['Bắc Giang']],
  ['Hưng Yên', ['Thái Bình']],
  ['Hải Phòng', ['Hải Dương']],
  ['Ninh Bình', ['Nam Định', 'Hà Nam']],
  ['Quảng Trị', ['Quảng Bình']],
  ['Đà Nẵng', ['Quảng Nam']],
  ['Quảng Ngãi', ['Kon Tum']],
  ['Gia Lai', ['Bình Định']],
  ['Khánh Hòa', ['Ninh Thuận']],
  ['Lâm Đồng', ['Đắk Nông', 'Bình Thuận']],
  ['Đắk Lắk', ['Phú Yên']],
  ['TP Hồ Chí Minh', ['Bình Dương', 'Bà Rịa–Vũng Tàu']],
  ['Đồng Nai', ['Bình Phước']],
  ['Tây Ninh', ['Long An']],
  ['Cần Thơ', ['Sóc Trăng', 'Hậu Giang']],
  ['Vĩnh Long', ['Bến Tre', 'Trà Vinh']],
  ['Đồng Tháp', ['Tiền Giang']],
  ['Cà Mau', ['Bạc Liêu']],
  ['An Giang', ['Kiên Giang']],
];

const codeOf = (historic: string): string => PROVINCE_CODES.find((c) => provinceName(c) === historic)!;

describe('reference table sanity (vn-provinces-2025.json)', () => {
  it('has 34 units, 6 of them centrally-run cities, 11 unchanged and 23 new', () => {
    expect(CURRENT_PROVINCES).toHaveLength(34);
    expect(new Set(CURRENT_PROVINCES).size).toBe(34);
    expect([...CENTRALLY_RUN_CITIES].sort()).toStrictEqual(['Cần Thơ', 'Hà Nội', 'Hải Phòng', 'Huế', 'TP Hồ Chí Minh', 'Đà Nẵng'].sort());
    expect(CENTRALLY_RUN_CITIES.every((c) => CURRENT_PROVINCES.includes(c))).toBe(true);
    expect(UNCHANGED.length + MERGERS.length).toBe(34);
    expect([...CURRENT_PROVINCES].sort()).toStrictEqual([...UNCHANGED, ...MERGERS.map(([n]) => n)].sort());
  });

  it('puts each of the 63 historic codes in exactly one unit', () => {
    const covered = PROVINCE_CODES.map(currentProvinceOf);
    expect(covered.every((p) => p !== undefined && CURRENT_PROVINCES.includes(p))).toBe(true);
    expect(new Set(covered).size).toBe(34);
    expect(currentProvinceOf('107')).toBeUndefined();
  });

  it.each(MERGERS)('%s absorbed %j and kept its own code', (unit, absorbed) => {
    for (const historic of absorbed) expect(currentProvinceOf(codeOf(historic)), historic).toBe(unit);
    expect(currentProvinceOf(codeOf(unit))).toBe(unit);
  });

  it.each(UNCHANGED)('%s is unchanged: one historic code', (unit) => {
    const codes = PROVINCE_CODES.filter((c) => currentProvinceOf(c) === unit);
    expect(codes).toHaveLength(1);
  });

  it('Thừa Thiên Huế (046) is today Huế', () => {
    expect(provinceName('046')).toBe('Thừa Thiên Huế');
    expect(currentProvinceOf('046')).toBe('Huế');
  });

  it('keeps the names of both maps apart under the folding addresses are matched with', () => {
    const names = [...new Set([...PROVINCE_CODES.map((c) => provinceName(c)!), ...CURRENT_PROVINCES])];
    const byKey = new Map<string, string[]>();
    for (const n of names) byKey.set(provinceKey(n), [...(byKey.get(provinceKey(n)) ?? []), n]);
    // Only spellings of one place share a key (Hoà Bình / Hòa Bình style tone placement).
    const shared = [...byKey.values()].filter((v) => v.length > 1);
    expect(shared).toStrictEqual([]);
  });
});

describe('issuedAfterReform', () => {
  it.each([
    ['2025-06-30', { year: 2025, month: 6, day: 30 }, false],
    ['2025-07-01', { year: 2025, month: 7, day: 1 }, true],
    ['2026-01-15', { year: 2026, month: 1, day: 15 }, true],
  ] as const)('%s → %s', (_label, date, expected) => {
    expect(issuedAfterReform(date)).toBe(expected);
  });
});

describe('provinceOfAddress', () => {
  it.each([
    ['Số 12, phố Hàng Bạc, phường Hoàn Kiếm, Hà Nội', { kind: 'current', name: 'Hà Nội' }],
    ['Tổ 3, phường Sài Gòn, Thành phố Hồ Chí Minh', { kind: 'current', name: 'TP Hồ Chí Minh' }],
    ['xã Tân Lập, tỉnh Phú Thọ', { kind: 'current', name: 'Phú Thọ' }],
    ['Thôn 4, xã Yên Minh, huyện Yên Minh, Tỉnh Hà Giang', { kind: 'historic', name: 'Hà Giang', now: 'Tuyên Quang' }],
    ['xã Mai Hạ, huyện Mai Châu, Hòa Bình', { kind: 'historic', name: 'Hoà Bình', now: 'Phú Thọ' }],
    ['phường 7, TP Vũng Tàu, Bà Rịa - Vũng Tàu', { kind: 'historic', name: 'Bà Rịa–Vũng Tàu', now: 'TP Hồ Chí Minh' }],
    ['phường Phú Hội, thành phố Huế, Thừa Thiên Huế', { kind: 'historic', name: 'Thừa Thiên Huế', now: 'Huế' }],
    ['Thừa Thiên - Huế', { kind: 'historic', name: 'Thừa Thiên Huế', now: 'Huế' }],
  ] as const)('%s', (address, expected) => {
    expect(provinceOfAddress(address)).toStrictEqual(expected);
  });

  it.each(['', ' , ', 'Nhật Bản', 'Số 5, đường Lê Lợi, phường Bến Nghé'])('no province in %j', (address) => {
    expect(provinceOfAddress(address)).toBeUndefined();
  });
});

describe('districtLevelParts and addressReformNotes', () => {
  it.each([
    ['Số 12, đường Lê Lợi, phường Bến Nghé, Quận 1, TP Hồ Chí Minh', ['Quận 1'], []],
    ['Thôn 4, xã Yên Minh, huyện Yên Minh, Hà Giang', ['huyện Yên Minh'], ['names the province Hà Giang, which no longer exists: since 1 July 2025 it is part of Tuyên Quang']],
    ['Tổ 2, phường Quang Trung, thành phố Hà Giang, Hà Giang', ['thành phố Hà Giang'], ['names the province Hà Giang, which no longer exists: since 1 July 2025 it is part of Tuyên Quang']],
    ['Khu phố 3, phường Dĩ An, thị xã Dĩ An, quận Ba Đình, Bình Dương', ['thị xã Dĩ An', 'quận Ba Đình'], ['names the province Bình Dương, which no longer exists: since 1 July 2025 it is part of TP Hồ Chí Minh']],
    ['Số 3, phố Quán Thánh, phường Ba Đình, Hà Nội', [], []],
    ['xã Quảng Hòa, tỉnh Cao Bằng', [], []],
  ] as const)('%s', (address, districts, provinceNotes) => {
    expect(districtLevelParts(address)).toStrictEqual(districts);
    const districtNote =
      districts.length === 0
        ? []
        : [`has ${districts.length === 1 ? 'a district-level unit' : `${districts.length} district-level units`}, a level the 1 July 2025 reform abolished (addresses are commune/ward, then province)`];
    expect(addressReformNotes(address)).toStrictEqual([...provinceNotes, ...districtNote]);
  });

  it('never throws, and its notes depend on the province and the number of district-level parts only (nothing else of the address leaks)', () => {
    const provinces = [...CURRENT_PROVINCES, ...PROVINCE_CODES.map((c) => provinceName(c)!)];
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }).map((p) => p.replace(/,/g, ' ')), { maxLength: 6 }), fc.constantFrom(...provinces), (parts, province) => {
        const stand = parts.map((p) => (districtLevelParts(`${p}, x`).length > 0 ? 'huyện X' : 'xã X'));
        expect(addressReformNotes([...parts, province].join(', '))).toStrictEqual(addressReformNotes([...stand, province].join(', ')));
      }),
    );
  });
});

/**
 * The delivery office: the place table's sanity (every historic province has a unit of today, as the
 * National Assembly resolution of 12 June 2025 says) and the resolution of residences, table-driven.
 * Residence vectors: the forms src/sample/addresses.ts writes (from civil-record usage) and the
 * spellings of docs/record-format.md.
 */
import { describe, expect, it } from 'vitest';
import { validateRecord } from './record.ts';
import {
  foldPlaceName,
  historicProvincesWithoutUnit,
  provinceOfResidence,
  PROVINCES_2025,
  resolveDeliveryOffice,
  UNSORTED,
} from './delivery-office.ts';

describe('the place table (reference/vn-provinces-2025.json)', () => {
  it('has the 34 provincial units of today, 6 cities among them', () => {
    expect(PROVINCES_2025).toHaveLength(34);
    expect(new Set(PROVINCES_2025).size).toBe(34);
    for (const city of ['Hà Nội', 'Huế', 'Hải Phòng', 'Đà Nẵng', 'TP Hồ Chí Minh', 'Cần Thơ']) expect(PROVINCES_2025).toContain(city);
  });

  it('places every one of the 63 historic provinces of vn-personal-id.json in a unit of today', () => {
    expect(historicProvincesWithoutUnit()).toStrictEqual([]);
  });

  it('folds no two different names to the same key', () => {
    const keys = PROVINCES_2025.map(foldPlaceName);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('provinceOfResidence', () => {
  // [residence, unit of today]; source in the comment.
  const vectors: [string, string | undefined][] = [
    ['Số 12, phố Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm, Hà Nội', 'Hà Nội'], // record.test.ts adult
    ['TP Hồ Chí Minh', 'TP Hồ Chí Minh'], // record.test.ts child: the residence is the city alone
    ['Số 5, hẻm 8, đường Lê Lợi, Phường 3, Quận 1, Thành phố Hồ Chí Minh', 'TP Hồ Chí Minh'], // long form of the city
    ['Thôn 4, xã Tân Lập, huyện Vị Xuyên, Hà Giang', 'Tuyên Quang'], // Hà Giang merged into Tuyên Quang (REFERENCE.md)
    ['Tổ 7, phường Phú Hội, TP Huế, Thừa Thiên Huế', 'Huế'], // renamed
    ['xã Hòa Bình, huyện Kim Bôi, Hoà Bình', 'Phú Thọ'], // old tone placement "Hoà"
    ['xã Tân Hòa, Hòa Bình', 'Phú Thọ'], // new tone placement "Hòa"
    ['Ấp 2, xã Long Sơn, Bà Rịa–Vũng Tàu', 'TP Hồ Chí Minh'], // en dash as in vn-personal-id.json
    ['Ấp 2, xã Long Sơn, tỉnh Bà Rịa - Vũng Tàu', 'TP Hồ Chí Minh'], // hyphen, "tỉnh" in front
    ['phường Ninh Kiều, thành phố Cần Thơ', 'Cần Thơ'],
    ['xã Ea Kar, ĐẮK LẮK', 'Đắk Lắk'], // upper case
    ['xã Tân Phú, Dak Nong', 'Lâm Đồng'], // written without diacritics
    ['Số 3, đường Trần Phú, Hà Nội, Việt Nam', undefined], // the last part is the country: not guessed
    ['phường Bến Nghé, Quận 1', undefined], // no province at all
    ['', undefined],
  ];
  it.each(vectors)('%j → %j', (residence, unit) => {
    expect(provinceOfResidence(residence)).toBe(unit);
  });
});

describe('resolveDeliveryOffice', () => {
  it('takes the record’s own office first, then the province of residence, else UNSORTED', () => {
    expect(resolveDeliveryOffice({ deliveryOffice: 'Công an phường Ba Đình', residence: 'Hà Giang' })).toStrictEqual({ office: 'Công an phường Ba Đình', source: 'record' });
    expect(resolveDeliveryOffice({ residence: 'xã Vĩnh Hảo, Hà Giang' })).toStrictEqual({ office: 'Tuyên Quang', source: 'residence' });
    expect(resolveDeliveryOffice({ residence: 'phường Bến Nghé, Quận 1' })).toStrictEqual({ office: UNSORTED, source: 'unsorted' });
  });
});

describe('the deliveryOffice field of the import schema', () => {
  const record = {
    pid: '001090000001',
    fullName: 'Nguyễn Văn An',
    birthDate: '1990-01-15',
    sex: 'M',
    issueDate: '2024-08-01',
    placeOfBirthRegistration: 'Hà Nội',
    residence: 'Hà Nội',
  };
  const check = (deliveryOffice: unknown) => validateRecord({ ...record, deliveryOffice }, { portraitRules: false, today: { year: 2026, month: 11, day: 27 } });

  it.each([
    ['Công an phường Ba Đình', 'Công an phường Ba Đình'],
    ['  Công an  xã Tân Lập (Tuyên Quang) ', 'Công an xã Tân Lập (Tuyên Quang)'], // normalized as every text field
    ['PC06-HN/01', 'PC06-HN/01'],
    ['', undefined], // empty: absent, the importer resolves the default
    [null, undefined],
  ])('accepts %j as %j', (input, stored) => {
    const r = check(input);
    expect(r.ok).toBe(true);
    expect(r.ok && r.value.record.deliveryOffice).toBe(stored);
  });

  it.each([
    ['-Ba Đình', 'deliveryOffice: must hold letters, digits, spaces and . , - / ( ) \' & only, starting with a letter or digit'],
    ['Ba Đình; DROP', 'deliveryOffice: must hold letters, digits, spaces and . , - / ( ) \' & only, starting with a letter or digit'],
    ['x'.repeat(101), 'deliveryOffice: must be at most 100 characters'],
    [42, 'deliveryOffice: must be text'],
    ['Ba\u0007Đình', 'deliveryOffice: must not contain control or formatting characters: U+0007 (a control character) at character 3'],
  ])('refuses %j', (input, message) => {
    const r = check(input);
    expect(r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}`)).toStrictEqual([message]);
  });
});

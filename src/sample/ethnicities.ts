/**
 * Ethnicities and religions, as data, with the per-province ethnic mix derived from them.
 *
 * National shares: 2019 census (GSO, "Kết quả toàn bộ Tổng điều tra dân số và nhà ở 2019"),
 * percent of the population, for the groups above ~0.2%; the smaller of the 54 groups are left
 * out, their share goes to Kinh. Home provinces are where each group mainly lives (same census).
 * Spellings: the official list (Decision 121-TCTK/PPCĐ, 1979) hyphenates some names (Gia-rai,
 * Ê-đê, Ba-na, Cơ-ho) and calls the H'Mông "Mông"; civil records vary, and these names follow the
 * spelling this project's brief uses. A record's ethnicity field is free text (at most 100
 * characters), so the choice is cosmetic.
 *
 * Religions: 2019 census shares (no religion ~86%, Catholic ~6%, Buddhist ~5%, Protestant,
 * Hòa Hảo and Cao Đài ~1% each), skewed by region and group the way the census tables show
 * (Hòa Hảo in An Giang/Đồng Tháp, Cao Đài in Tây Ninh, Theravada Buddhism among the Khmer,
 * Protestantism among the Mông and Central Highlands groups). "Không" is printed for none.
 */
import { PROVINCE_CODES } from '../domain/personal-id.ts';
import { PROVINCE_PLACES, type Region } from './places.ts';

export interface Ethnicity {
  readonly name: string;
  /** Percent of the national population. */
  readonly share: number;
  /** Place codes of the provinces where the group mainly lives. */
  readonly homes: readonly string[];
  readonly religions: ReligionTable;
}

export type ReligionTable = readonly (readonly [string, number])[];

const R_MINORITY_NORTH: ReligionTable = [['Không', 95], ['Tin Lành', 3], ['Công giáo', 2]];
const R_MONG: ReligionTable = [['Không', 70], ['Tin Lành', 28], ['Công giáo', 2]];
const R_HIGHLANDS: ReligionTable = [['Không', 45], ['Tin Lành', 35], ['Công giáo', 20]];
const R_KHMER: ReligionTable = [['Phật giáo', 90], ['Không', 10]];
const R_HOA: ReligionTable = [['Không', 60], ['Phật giáo', 35], ['Công giáo', 3], ['Tin Lành', 2]];
const R_CHAM: ReligionTable = [['Không', 40], ['Bà La Môn', 30], ['Hồi giáo', 30]];

export const KINH = 'Kinh';

export const MINORITIES: readonly Ethnicity[] = [
  { name: 'Tày', share: 1.93, homes: ['004', '020', '006', '008', '002', '019', '010', '015', '024', '022'], religions: R_MINORITY_NORTH },
  { name: 'Thái', share: 1.89, homes: ['014', '011', '012', '040', '038', '017', '015'], religions: R_MINORITY_NORTH },
  { name: 'Mường', share: 1.53, homes: ['017', '038', '025', '014', '037'], religions: R_MINORITY_NORTH },
  { name: "H'Mông", share: 1.51, homes: ['002', '010', '011', '012', '014', '015', '004', '040'], religions: R_MONG },
  { name: 'Khmer', share: 1.37, homes: ['094', '084', '091', '089', '095', '096', '086'], religions: R_KHMER },
  { name: 'Nùng', share: 1.13, homes: ['020', '004', '024', '019', '002'], religions: R_MINORITY_NORTH },
  { name: 'Dao', share: 0.93, homes: ['002', '010', '015', '008', '022', '006', '004', '012'], religions: R_MINORITY_NORTH },
  { name: 'Hoa', share: 0.78, homes: ['079', '075', '094', '091', '095'], religions: R_HOA },
  { name: 'Gia Rai', share: 0.54, homes: ['064', '062'], religions: R_HIGHLANDS },
  { name: 'Ê Đê', share: 0.41, homes: ['066', '054', '067', '056'], religions: R_HIGHLANDS },
  { name: 'Ba Na', share: 0.3, homes: ['064', '062', '052'], religions: R_HIGHLANDS },
  { name: 'Cơ Ho', share: 0.21, homes: ['068'], religions: R_HIGHLANDS },
  { name: 'Sán Dìu', share: 0.19, homes: ['019', '026', '024', '022', '008'], religions: R_MINORITY_NORTH },
  { name: 'Chăm', share: 0.19, homes: ['058', '060'], religions: R_CHAM },
];

export function kinhReligions(placeCode: string, region: Region): ReligionTable {
  if (placeCode === '089' || placeCode === '087') {
    return [['Không', 62], ['Phật giáo Hòa Hảo', 25], ['Phật giáo', 7], ['Công giáo', 4], ['Cao Đài', 2]];
  }
  if (placeCode === '072') return [['Không', 65], ['Cao Đài', 22], ['Phật giáo', 8], ['Công giáo', 5]];
  if (placeCode === '036' || placeCode === '037') return [['Không', 75], ['Công giáo', 22], ['Phật giáo', 3]];
  switch (region) {
    case 'mekong-southeast':
      return [['Không', 79], ['Phật giáo', 8.5], ['Công giáo', 6], ['Phật giáo Hòa Hảo', 3.5], ['Cao Đài', 2.5], ['Tin Lành', 0.5]];
    case 'highlands':
      return [['Không', 80], ['Công giáo', 12], ['Phật giáo', 6], ['Tin Lành', 2]];
    default:
      return [['Không', 88], ['Công giáo', 7], ['Phật giáo', 5]];
  }
}

/**
 * The ethnic mix of each province (percent), spreading each minority's national share over its
 * home provinces in proportion to population, so the national shares come out right when
 * provinces are drawn by population. Kinh takes the rest.
 */
export function provinceEthnicMix(): ReadonlyMap<string, readonly (readonly [string, number])[]> {
  const national = PROVINCE_CODES.reduce((sum, code) => sum + PROVINCE_PLACES[code]!.population, 0);
  const mix = new Map<string, [string, number][]>(PROVINCE_CODES.map((code) => [code, []]));
  for (const group of MINORITIES) {
    const homePopulation = group.homes.reduce((sum, code) => sum + PROVINCE_PLACES[code]!.population, 0);
    const percent = (group.share * national) / homePopulation;
    for (const code of group.homes) mix.get(code)!.push([group.name, percent]);
  }
  for (const [code, list] of mix) {
    const minorities = list.reduce((sum, [, p]) => sum + p, 0);
    if (minorities >= 95) throw new Error(`ethnicities.ts: minorities add up to ${minorities.toFixed(1)}% in province ${code}; check the home lists`);
    list.unshift([KINH, 100 - minorities]);
  }
  return mix;
}

export function ethnicity(name: string): Ethnicity | undefined {
  return MINORITIES.find((e) => e.name === name);
}

/**
 * The edge cases every sample carries, placed deterministically so that tests and capacity studies
 * can count on them: random draws alone would leave a 100-record sample without a 29 February
 * birthday most of the time.
 *
 * - Edge scenarios sit at seed-chosen positions among the first 100 records (the born-abroad one
 *   at position 63 or later, after the 63 records that cycle through the province codes): cards
 *   issued within 2 years before each renewal age (14, 25, 40, 60 — validity skips to the next age
 *   or has no expiry), 29 February births, birth dates known only by year or by year and month,
 *   birthdays falling on the issue date (at the portrait age 6 and at each renewal age), a birth
 *   registered abroad, and names whose MRZ form is too long for the 30-character name line.
 * - Tone-coverage names sit at seed-chosen positions in 63–999: together they hold every
 *   Vietnamese vowel letter with each of the five tone marks, and đ, so a sample of 1,000 or more
 *   records exercises every letter the MRZ transliteration has to handle.
 * A record's position depends on the seed only, so a sample is a prefix of any longer sample with
 * the same seed.
 */
import type { Sex } from '../domain/personal-id.ts';
import { Rng } from './rng.ts';

export type DatePlan =
  /** Age on the issue date within [min, max]. */
  | { readonly kind: 'age'; readonly min: number; readonly max: number }
  /** Born on 29 February, aged within [min, max] on the issue date. */
  | { readonly kind: 'feb29'; readonly min: number; readonly max: number }
  /** An older citizen whose civil record has only the year, or the year and month, of birth. */
  | { readonly kind: 'partial'; readonly precision: 'year' | 'month' }
  /** Issued on the holder's birthday at this age. */
  | { readonly kind: 'birthday'; readonly age: number };

export type NamePlan =
  | { readonly kind: 'long'; readonly sex: Sex }
  | { readonly kind: 'fixed'; readonly fullName: string; readonly sex: Sex; readonly ethnicity: string };

export interface Scenario {
  readonly label: string;
  readonly dates?: DatePlan;
  readonly abroad?: true;
  readonly name?: NamePlan;
}

export const EDGE_SCENARIOS: readonly Scenario[] = [
  { label: 'grace before 14', dates: { kind: 'age', min: 12, max: 13 } },
  { label: 'grace before 25', dates: { kind: 'age', min: 23, max: 24 } },
  { label: 'grace before 40', dates: { kind: 'age', min: 38, max: 39 } },
  { label: 'grace before 60', dates: { kind: 'age', min: 58, max: 59 } },
  { label: '29 February birth, child', dates: { kind: 'feb29', min: 0, max: 13 } },
  { label: '29 February birth, adult', dates: { kind: 'feb29', min: 14, max: 75 } },
  { label: 'year-only birth date', dates: { kind: 'partial', precision: 'year' } },
  { label: 'year-only birth date', dates: { kind: 'partial', precision: 'year' } },
  { label: 'year-month birth date', dates: { kind: 'partial', precision: 'month' } },
  { label: 'year-month birth date', dates: { kind: 'partial', precision: 'month' } },
  { label: 'issued on 6th birthday', dates: { kind: 'birthday', age: 6 } },
  { label: 'issued on 14th birthday', dates: { kind: 'birthday', age: 14 } },
  { label: 'issued on 25th birthday', dates: { kind: 'birthday', age: 25 } },
  { label: 'issued on 40th birthday', dates: { kind: 'birthday', age: 40 } },
  { label: 'issued on 60th birthday', dates: { kind: 'birthday', age: 60 } },
  { label: 'birth registered abroad', abroad: true },
  { label: 'name too long for the MRZ, female', name: { kind: 'long', sex: 'F' } },
  { label: 'name too long for the MRZ, male', name: { kind: 'long', sex: 'M' } },
];

function fixed(fullName: string, sex: Sex, ethnicity = 'Kinh'): Scenario {
  return { label: 'tone coverage', name: { kind: 'fixed', fullName, sex, ethnicity } };
}

/** Every vowel with every tone, and đ, across these names (checked by a test). */
export const TONE_COVERAGE: readonly Scenario[] = [
  fixed('Đặng Hữu Thắng', 'M'), fixed('Hồ Thị Cẩm Tuyết', 'F'), fixed('Trần Văn Tèo', 'M'),
  fixed('Nguyễn Thị Sẻ', 'F'), fixed('Lê Thị Mẹo', 'F'), fixed('Phạm Văn Kẽm', 'M'), fixed('Bùi Thị Mỡ', 'F'),
  fixed('Cầm Văn Khẳm', 'M', 'Thái'), fixed('Nông Thị Ẵm', 'F', 'Tày'), fixed('Hoàng Văn Chỉnh', 'M'),
  fixed('Khổng Minh Khởi', 'M'), fixed('Võ Thị Út Nhỏ', 'F'), fixed('Đỗ Thị Thuỷ', 'F'), fixed('Lương Văn Thuỵ', 'M'),
  fixed('Mã Thị Mỹ Hĩm', 'F'), fixed('Ưng Thị Nhẫn', 'F'), fixed('Tôn Thất Bửu Lực', 'M'), fixed('Ngô Văn Thuận', 'M'),
  fixed('Dương Thị Huyền Trâm', 'F'), fixed('Lý Văn Hiển', 'M'), fixed('Từ Thị Mỹ Lệ', 'F'), fixed('Mai Xuân Lộc', 'M'),
  fixed('Hứa Thị Bé', 'F'), fixed('Vũ Đình Thìn', 'M'), fixed('Châu Ngọc Trí', 'M'), fixed('Lò Văn Hóa', 'M', 'Thái'),
  fixed('Trương Văn Mười', 'M'), fixed('Lê Văn Thới', 'M'), fixed('Phan Văn Lợi', 'M'), fixed('Vũ Thị Thủy', 'F'),
  fixed('Đoàn Thị Lụa', 'F'), fixed('Trịnh Thị Quỳnh', 'F'), fixed('Lê Thị Sen', 'F'), fixed('Trần Ngọc Thảo', 'F'),
  fixed('Lê Thị Hằng', 'F'), fixed('Nguyễn Văn Sáng', 'M'), fixed('Hà Quốc Bảo', 'M'),
];

/** Positions before this one cycle through the 63 province codes: no born-abroad record there. */
export const PROVINCE_CYCLE = 63;
const EDGE_WINDOW = 100;
const COVERAGE_WINDOW = 1000;

/** Record index → scenario, for a seed. Positions at or beyond the sample's count are simply never reached. */
export function placeScenarios(words: readonly [number, number, number, number]): ReadonlyMap<number, Scenario> {
  const rng = Rng.stream(words, 0x5ce7a210);
  const positions = rng.shuffle(Array.from({ length: COVERAGE_WINDOW }, (_, i) => i));
  const placed = new Map<number, Scenario>();
  const take = (accept: (i: number) => boolean, scenario: Scenario): void => {
    const i = positions.find((p) => accept(p) && !placed.has(p));
    if (i === undefined) throw new Error(`scenarios: no free position for "${scenario.label}"`);
    placed.set(i, scenario);
  };
  for (const s of EDGE_SCENARIOS) {
    take((i) => i < EDGE_WINDOW && (s.abroad !== true || i >= PROVINCE_CYCLE), s);
  }
  for (const s of TONE_COVERAGE) take((i) => i >= PROVINCE_CYCLE, s);
  return placed;
}

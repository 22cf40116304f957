/**
 * Assembles full names from the name tables: Kinh names (family, one or two middle names, given
 * name; sometimes a double family name or a Nguyễn Phước lineage title) and the minority patterns
 * of ethnic-names.ts. Also names a holder's parents and spouse.
 */
import { ETHNIC_NAMES, type EthnicNames } from './ethnic-names.ts';
import { KINH } from './ethnicities.ts';
import { type Rng, WeightedTable } from './rng.ts';
import {
  type Era,
  type EraWeighted,
  FAMILY_NAMES,
  FEMALE_GIVEN_NAMES,
  FEMALE_MIDDLE_NAMES,
  MALE_GIVEN_NAMES,
  MALE_MIDDLE_NAMES,
  ROYAL_FEMALE_PREFIXES,
  ROYAL_MALE_PREFIXES,
  SECOND_FAMILY_NAMES,
} from './vietnamese-names.ts';
import { vietnameseNameLine } from '../domain/mrz/name-line.ts';
import type { Sex } from '../domain/personal-id.ts';

export interface DrawnName {
  readonly fullName: string;
  /** The family (or clan) name the holder passes on, when the name has one. */
  readonly family?: string;
  /** The second family name of a double family name: the mother's family. */
  readonly motherFamily?: string;
  /** A Nguyễn Phước lineage name: the father carries one of the male lineage titles. */
  readonly royal?: true;
}

/** Groups whose children take the mother's clan name. */
const MATRILINEAL = new Set(['Ê Đê', 'Gia Rai']);

type ByEra = readonly [WeightedTable<string>, WeightedTable<string>, WeightedTable<string>];

function byEra(list: readonly EraWeighted[]): ByEra {
  const table = (era: Era) => new WeightedTable(list.map(([name, ...weights]) => [name, weights[era]] as const));
  return [table(0), table(1), table(2)];
}

const FAMILY = new WeightedTable(FAMILY_NAMES);
const MIDDLE: Readonly<Record<Sex, ByEra>> = { M: byEra(MALE_MIDDLE_NAMES), F: byEra(FEMALE_MIDDLE_NAMES) };
const GIVEN: Readonly<Record<Sex, ByEra>> = { M: byEra(MALE_GIVEN_NAMES), F: byEra(FEMALE_GIVEN_NAMES) };
/** Second middle names: the first one is often Văn/Thị, the second never is. */
const SECOND_MIDDLE: Readonly<Record<Sex, ByEra>> = {
  M: byEra(MALE_MIDDLE_NAMES.filter(([n]) => n !== 'Văn' && !n.includes(' '))),
  F: byEra(FEMALE_MIDDLE_NAMES.filter(([n]) => n !== 'Thị')),
};
const PATTERNS = new Map(
  Object.entries(ETHNIC_NAMES).map(([name, t]) => [name, { M: new WeightedTable(t.patterns.M), F: new WeightedTable(t.patterns.F) }]),
);

/** Probability of a second middle name, by era: four-word names became common with recent births. */
const TWO_MIDDLES: readonly [number, number, number] = [0.08, 0.15, 0.28];
const DOUBLE_FAMILY: readonly [number, number, number] = [0.01, 0.03, 0.06];
const ROYAL = 0.003;
const NO_MIDDLE = 0.015;

export function kinhGiven(rng: Rng, sex: Sex, era: Era): string {
  return GIVEN[sex][era].pick(rng);
}

/** A draw different from `a` and `b` where possible ("Minh Minh" is not a name). */
function differentFrom(rng: Rng, table: WeightedTable<string>, a: string, b = a): string {
  for (let i = 0; i < 8; i++) {
    const name = table.pick(rng);
    if (name !== a && name !== b) return name;
  }
  return table.pick(rng);
}

export function kinhName(rng: Rng, sex: Sex, era: Era, family: string = FAMILY.pick(rng)): DrawnName {
  const r = rng.next();
  const given = GIVEN[sex][era].pick(rng);
  if (r < ROYAL) {
    const prefix = rng.pick(sex === 'M' ? ROYAL_MALE_PREFIXES : ROYAL_FEMALE_PREFIXES);
    const middle = rng.chance(0.5) ? `${differentFrom(rng, SECOND_MIDDLE[sex][era], given)} ` : '';
    return { fullName: `${prefix} ${middle}${given}`, royal: true };
  }
  if (r < ROYAL + NO_MIDDLE && era === 0) return { fullName: `${family} ${given}`, family };
  const middle = differentFrom(rng, MIDDLE[sex][era], given);
  const words = [family];
  let motherFamily: string | undefined;
  if (rng.chance(DOUBLE_FAMILY[era])) {
    motherFamily = rng.pick(SECOND_FAMILY_NAMES);
    if (motherFamily !== family) words.push(motherFamily);
    else motherFamily = undefined;
  }
  words.push(middle);
  if (rng.chance(TWO_MIDDLES[era])) words.push(differentFrom(rng, SECOND_MIDDLE[sex][era], middle, given));
  words.push(given);
  const fullName = words.join(' ');
  return motherFamily === undefined ? { fullName, family } : { fullName, family, motherFamily };
}

function ethnicName(rng: Rng, table: EthnicNames, ethnicity: string, sex: Sex, era: Era, family?: string): DrawnName {
  const pattern = PATTERNS.get(ethnicity)![sex].pick(rng);
  const words: string[] = [];
  let usedFamily: string | undefined;
  for (const token of pattern.split(' ')) {
    if (token === 'F') {
      usedFamily = family ?? rng.pick(table.families);
      words.push(usedFamily);
    } else if (token === 'M') {
      const middle = rng.pick(table.middles[sex]);
      if (middle !== '') words.push(middle);
    } else if (token === 'G') {
      words.push(rng.chance(table.kinhGiven[era]) ? GIVEN[sex][era].pick(rng) : rng.pick(table.given[sex]));
    } else {
      words.push(token);
    }
  }
  return { fullName: words.join(' '), ...(usedFamily === undefined ? {} : { family: usedFamily }) };
}

/** A name for a holder of the given ethnicity, sex and birth era; `family` forces the family name. */
export function drawName(rng: Rng, ethnicity: string, sex: Sex, era: Era, family?: string): DrawnName {
  const table = ETHNIC_NAMES[ethnicity];
  if (table === undefined || ethnicity === KINH) return kinhName(rng, sex, era, family);
  return ethnicName(rng, table, ethnicity, sex, era, family);
}

export interface Relatives {
  readonly fatherName: string;
  readonly motherName: string;
}

/** Parents' names: the child's family name comes from the father, or from the mother among matrilineal groups. */
export function parentNames(rng: Rng, holder: DrawnName, ethnicity: string, parentEra: Era): Relatives {
  if (holder.royal) {
    return {
      fatherName: `${rng.pick(ROYAL_MALE_PREFIXES)} ${kinhGiven(rng, 'M', parentEra)}`,
      motherName: kinhName(rng, 'F', parentEra).fullName,
    };
  }
  const matrilineal = MATRILINEAL.has(ethnicity);
  const fatherFamily = matrilineal ? undefined : holder.family;
  const motherFamily = matrilineal ? holder.family : holder.motherFamily;
  return {
    fatherName: drawName(rng, ethnicity, 'M', parentEra, fatherFamily).fullName,
    motherName: drawName(rng, ethnicity, 'F', parentEra, motherFamily).fullName,
  };
}

function tooLongForMrz(fullName: string): boolean {
  const line = vietnameseNameLine(fullName);
  return line.ok && (line.abbreviated || line.truncated);
}

/**
 * A name whose MRZ form (family<<middle<…<given) exceeds the 30 characters of the TD1 name line,
 * so the MRZ has to abbreviate or cut it: a Nguyễn Phước lineage name or a double family name with
 * two middle names ("Công Tằng Tôn Nữ Thị Phương Khuê", "Nguyễn Huỳnh Quang Minh Trường").
 */
export function longName(rng: Rng, sex: Sex, era: Era): DrawnName {
  for (let attempt = 0; attempt < 20; attempt++) {
    const given = GIVEN[sex][era].pick(rng);
    const middle = differentFrom(rng, SECOND_MIDDLE[sex][era], given);
    if (rng.chance(0.5)) {
      const prefix = sex === 'F' ? 'Công Tằng Tôn Nữ Thị' : rng.pick(['Nguyễn Phước Bửu', 'Nguyễn Phước Vĩnh', 'Tôn Thất Bửu']);
      const fullName = `${prefix} ${middle} ${given}`;
      if (tooLongForMrz(fullName)) return { fullName, royal: true };
    } else {
      const family = rng.pick(['Nguyễn', 'Nguyễn', 'Trần', 'Phạm']);
      const motherFamily = rng.pick(SECOND_FAMILY_NAMES.filter((f) => f !== family));
      const second = differentFrom(rng, SECOND_MIDDLE[sex][era], middle, given);
      const fullName = `${family} ${motherFamily} ${middle} ${second} ${given}`;
      if (tooLongForMrz(fullName)) return { fullName, family, motherFamily };
    }
  }
  return sex === 'F'
    ? { fullName: 'Công Tằng Tôn Nữ Thị Phương Khuê', royal: true }
    : { fullName: 'Nguyễn Huỳnh Quang Minh Trường', family: 'Nguyễn', motherFamily: 'Huỳnh' };
}

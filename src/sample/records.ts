/**
 * The records of a synthetic sample: realistic Vietnamese citizens applying for the căn cước.
 * Pure: the same options give the same records on any machine; no I/O (write-sample.ts puts a
 * sample on disk).
 *
 * What a sample holds (measured shares are in the tests):
 * - ages on the issue date like the first month of the Law on Identification 2023 (REFERENCE.md:
 *   770,549 under 6, 689,085 aged 6–13, 736,304 aged 14+ of 2,195,938 cards): 35% under 6, 31%
 *   6–13, 34% 14+ of which 8 points 60+ (1.2 points 80+);
 * - places of birth registration by 2019 population, cycling through all 63 province codes in the
 *   first 63 records, and about 1% registered abroad;
 * - names, ethnicities and religions from the data tables (vietnamese-names.ts, ethnic-names.ts,
 *   ethnicities.ts), residences and places of origin from places.ts;
 * - addresses as the card prints them on its issue date: the three-level map of the 63 provinces
 *   before 1 July 2025, the two-level map of the 34 provinces from that day (residence, place of
 *   birth registration and place of origin alike); the PID keeps the historic province code;
 * - the edge cases of scenarios.ts at fixed positions.
 * Every record passes validateRecord with portrait rules, for a `today` after issueTo.
 */
import { ageOn, anniversary, civilDate, compareDates, dayNumber, earliestDate, formatCivilDate, formatPartialDate, isLeapYear, isRealDate, type CivilDate, type PartialDate } from '../domain/dates.ts';
import { centurySexDigit, PROVINCE_CODES, provinceName, type Sex } from '../domain/personal-id.ts';
import type { PersonalizationRecord } from '../domain/record.ts';
import { LAW_IN_FORCE, PORTRAIT_MIN_AGE } from '../domain/validity.ts';
import { issuedAfterReform, currentProvinceOf } from '../domain/provinces-2025.ts';
import { placeOfOrigin, residence, type AddressMap } from './addresses.ts';
import { KINH, kinhReligions, MINORITIES, provinceEthnicMix } from './ethnicities.ts';
import { MARK_DIRECTIONS, MARK_KINDS, MARK_LANDMARKS } from './marks.ts';
import { drawName, longName, parentNames, type DrawnName } from './names.ts';
import { PidAllocator } from './pid.ts';
import { BIRTH_COUNTRIES, CMND_PREFIX, MIGRATION_DESTINATIONS, PROVINCE_PLACES } from './places.ts';
import { Rng, type Seed, seedWords, WeightedTable } from './rng.ts';
import { type DatePlan, placeScenarios, PROVINCE_CYCLE, type Scenario } from './scenarios.ts';
import { eraOf } from './vietnamese-names.ts';

export interface SampleOptions {
  readonly count: number;
  readonly seed: Seed;
  /** First issue date; default 2024-07-01 (the law's first day). */
  readonly issueFrom?: CivilDate;
  /** Last issue date; default 2026-06-30. */
  readonly issueTo?: CivilDate;
}

export interface SampleRecord {
  /** portrait: 'portraits/000001.jpg' (1-based record number) for holders 6 or over on the issue date. */
  readonly record: PersonalizationRecord;
  /** The seed drawPortrait takes for this record's portrait; present exactly when record.portrait is. */
  readonly portraitSeed?: number;
}

export const DEFAULT_ISSUE_FROM: CivilDate = { year: 2024, month: 7, day: 1 };
export const DEFAULT_ISSUE_TO: CivilDate = { year: 2026, month: 6, day: 30 };

/** Age groups on the issue date and their weights (percent of records); see the file comment. */
export const AGE_GROUPS: readonly { readonly min: number; readonly max: number; readonly weight: number }[] = [
  { min: 0, max: 5, weight: 35 },
  { min: 6, max: 13, weight: 31 },
  { min: 14, max: 59, weight: 26 },
  { min: 60, max: 79, weight: 6.8 },
  { min: 80, max: 100, weight: 1.2 },
];

/** Share of births registered abroad. */
export const BORN_ABROAD_SHARE = 0.01;
/** Among holders 60 and over, civil records with the year of birth only, or year and month only. */
const YEAR_ONLY_SHARE = 0.03;
const YEAR_MONTH_SHARE = 0.02;
/** Holders living outside the province where their birth was registered. */
const MOVED_SHARE = 0.2;

// Tables are prepared once per process: sampleRecords draws from each of them for every record.
const AGE_TABLE = new WeightedTable(AGE_GROUPS.map((g) => [g, g.weight] as const));
const PROVINCES = new WeightedTable(PROVINCE_CODES.map((c) => [c, PROVINCE_PLACES[c]!.population] as const));
const MIGRATION = new WeightedTable(MIGRATION_DESTINATIONS);
const COUNTRIES = new WeightedTable(BIRTH_COUNTRIES.map((c) => [c, c.weight] as const));
const ETHNIC_MIX = new Map([...provinceEthnicMix()].map(([code, mix]) => [code, new WeightedTable(mix)]));
const HOMES = new Map(MINORITIES.map((e) => [e.name, new WeightedTable(e.homes.map((c) => [c, PROVINCE_PLACES[c]!.population] as const))]));
const MINORITY_RELIGIONS = new Map(MINORITIES.map((e) => [e.name, new WeightedTable(e.religions)]));
const KINH_RELIGIONS = new Map(PROVINCE_CODES.map((c) => [c, new WeightedTable(kinhReligions(c, PROVINCE_PLACES[c]!.region))]));
const MARK_KIND = new WeightedTable(MARK_KINDS);
const MARK_DISTANCES = ['0,5', '1', '1', '1,5', '2', '2', '2,5', '3', '4'];

interface Plan {
  readonly count: number;
  readonly words: [number, number, number, number];
  readonly fromDay: number;
  readonly toDay: number;
  /** The 63 province codes in a seed-chosen order, for the first 63 records. */
  readonly cycle: readonly string[];
  readonly scenarios: ReadonlyMap<number, Scenario>;
  readonly pids: PidAllocator;
}

function checkDate(name: string, date: CivilDate): void {
  if (!isRealDate(date.year, date.month, date.day)) {
    throw new RangeError(`sample: ${name} must be a real calendar date, got ${JSON.stringify(date)}`);
  }
}

function prepare(opts: SampleOptions): Plan {
  if (!Number.isSafeInteger(opts.count) || opts.count < 0) {
    throw new RangeError(`sample: count must be a whole number ≥ 0, got ${opts.count}`);
  }
  if (typeof opts.seed !== 'string' && !(typeof opts.seed === 'number' && Number.isFinite(opts.seed))) {
    throw new TypeError('sample: seed must be a string or a finite number');
  }
  const from = opts.issueFrom ?? DEFAULT_ISSUE_FROM;
  const to = opts.issueTo ?? DEFAULT_ISSUE_TO;
  checkDate('issueFrom', from);
  checkDate('issueTo', to);
  if (compareDates(from, LAW_IN_FORCE) < 0) {
    throw new RangeError(`sample: issueFrom must be on or after ${formatCivilDate(LAW_IN_FORCE)}, when the căn cước was first issued; got ${formatCivilDate(from)}`);
  }
  if (compareDates(from, to) > 0) {
    throw new RangeError(`sample: issueFrom (${formatCivilDate(from)}) must not be after issueTo (${formatCivilDate(to)})`);
  }
  const words = seedWords(opts.seed);
  return {
    count: opts.count,
    words,
    fromDay: dayNumber(from),
    toDay: dayNumber(to),
    cycle: Rng.stream(words, 0x63c0de).shuffle([...PROVINCE_CODES]),
    scenarios: placeScenarios(words),
    pids: new PidAllocator(words[0] ^ words[2]),
  };
}

/**
 * The records of a sample, one at a time (a 1,000,000-record sample never sits in memory). Options
 * are checked when called; the records are drawn as the generator is consumed, in order.
 */
export function sampleRecords(opts: SampleOptions): Generator<SampleRecord> {
  const plan = prepare(opts);
  return (function* generate() {
    for (let i = 0; i < plan.count; i++) yield drawRecord(plan, i);
  })();
}

/** A birth date at which the holder is `age` on `issueDay`, uniform over that year of life. */
function birthAtAge(rng: Rng, issueDay: number, age: number): CivilDate {
  const issue = civilDate(issueDay);
  let latest = dayNumber(anniversary(issue, -age));
  const earliest = dayNumber(anniversary(issue, -(age + 1))) + 1;
  // Newborns are registered, then apply: no card on the day of birth.
  if (age === 0) latest = Math.max(earliest, latest - 14);
  return civilDate(rng.int(earliest, latest));
}

interface Dates {
  readonly birth: PartialDate;
  readonly issue: CivilDate;
}

function drawDates(rng: Rng, plan: Plan, scenario: DatePlan | undefined): Dates {
  const issueDay = rng.int(plan.fromDay, plan.toDay);
  const issue = civilDate(issueDay);
  if (scenario === undefined) {
    const group = AGE_TABLE.pick(rng);
    const birth = birthAtAge(rng, issueDay, rng.int(group.min, group.max));
    if (group.min >= 60) {
      const r = rng.next();
      if (r < YEAR_ONLY_SHARE) return { birth: { year: birth.year }, issue };
      if (r < YEAR_ONLY_SHARE + YEAR_MONTH_SHARE) return { birth: { year: birth.year, month: birth.month }, issue };
    }
    return { birth, issue };
  }
  switch (scenario.kind) {
    case 'age':
      return { birth: birthAtAge(rng, issueDay, rng.int(scenario.min, scenario.max)), issue };
    case 'partial': {
      const birth = birthAtAge(rng, issueDay, rng.int(62, 95));
      return { birth: scenario.precision === 'year' ? { year: birth.year } : { year: birth.year, month: birth.month }, issue };
    }
    case 'feb29':
      return { birth: feb29Birth(rng, issue, scenario.min, scenario.max), issue };
    case 'birthday':
      return birthdayOnIssue(rng, plan, issue, scenario.age);
  }
}

/** 29 February of a leap year at which the holder is aged within [min, max] on the issue date. */
function feb29Birth(rng: Rng, issue: CivilDate, min: number, max: number): CivilDate {
  const candidates: CivilDate[] = [];
  for (let year = issue.year - max - 1; year <= issue.year - min; year++) {
    const birth = { year, month: 2, day: 29 };
    if (!isLeapYear(year) || compareDates(birth, issue) > 0) continue;
    const age = ageOn(birth, issue);
    if (age >= min && age <= max) candidates.push(birth);
  }
  // Every issue date is after 29 February 2024, so that birthday always qualifies as a fallback.
  return candidates.length > 0 ? rng.pick(candidates) : { year: 2024, month: 2, day: 29 };
}

/**
 * Issued on the holder's birthday at `age`. A 29 February issue date has no birthday in a common
 * year: another issue date is drawn, and if the range holds nothing else, the age moves up to the
 * next multiple of 4.
 */
function birthdayOnIssue(rng: Rng, plan: Plan, first: CivilDate, age: number): Dates {
  let issue = first;
  for (let attempt = 0; attempt < 10; attempt++) {
    const birth = { year: issue.year - age, month: issue.month, day: issue.day };
    if (isRealDate(birth.year, birth.month, birth.day)) return { birth, issue };
    issue = civilDate(rng.int(plan.fromDay, plan.toDay));
  }
  const leapAge = age + ((4 - (age % 4)) % 4);
  return { birth: { year: issue.year - leapAge, month: issue.month, day: issue.day }, issue };
}

function digits(rng: Rng, n: number): string {
  return String(rng.int(0, 10 ** n - 1)).padStart(n, '0');
}

function identifyingMark(rng: Rng): string {
  return `${MARK_KIND.pick(rng)} C: ${rng.pick(MARK_DISTANCES)} cm ${rng.pick(MARK_DIRECTIONS)} ${rng.pick(MARK_LANDMARKS)}`;
}

function identifyingMarks(rng: Rng): string {
  const first = identifyingMark(rng);
  return rng.chance(0.15) ? `${first}; ${identifyingMark(rng)}` : first;
}

function religionOf(rng: Rng, ethnicityName: string, province: string): string {
  const table = ethnicityName === KINH ? KINH_RELIGIONS.get(province) : MINORITY_RELIGIONS.get(ethnicityName);
  return table === undefined ? 'Không' : table.pick(rng);
}

function spouseShare(age: number): number {
  if (age < 20) return 0;
  if (age < 25) return 0.15;
  if (age < 30) return 0.45;
  return age < 60 ? 0.7 : 0.55;
}

function parentsShare(age: number): number {
  if (age < 14) return 1;
  if (age < 30) return 0.7;
  return age < 60 ? 0.45 : 0.25;
}

type MutableRecord = { -readonly [K in keyof PersonalizationRecord]: PersonalizationRecord[K] };

function drawRecord(plan: Plan, index: number): SampleRecord {
  // One stream per record: a record depends on the seed and its position only.
  const rng = Rng.stream(plan.words, index, 1);
  const scenario = plan.scenarios.get(index);
  const namePlan = scenario?.name;
  const fixedEthnicity = namePlan === undefined ? undefined : namePlan.kind === 'fixed' ? namePlan.ethnicity : KINH;
  const sex: Sex = namePlan?.sex ?? (rng.chance(0.5) ? 'F' : 'M');

  const abroad = scenario?.abroad === true || (index >= PROVINCE_CYCLE && fixedEthnicity === undefined && rng.chance(BORN_ABROAD_SHARE));
  let placeCode: string;
  let registration: string;
  let home: string;
  let ethnicityName: string;
  if (abroad) {
    const country = COUNTRIES.pick(rng);
    placeCode = String(country.code).padStart(3, '0');
    registration = country.name;
    home = rng.chance(0.5) ? MIGRATION.pick(rng) : PROVINCES.pick(rng);
    ethnicityName = rng.chance(0.95) ? KINH : 'Hoa';
  } else {
    const homes = fixedEthnicity === undefined ? undefined : HOMES.get(fixedEthnicity);
    placeCode = homes !== undefined ? homes.pick(rng) : index < PROVINCE_CYCLE ? plan.cycle[index]! : PROVINCES.pick(rng);
    registration = provinceName(placeCode)!;
    home = placeCode;
    ethnicityName = fixedEthnicity ?? ETHNIC_MIX.get(placeCode)!.pick(rng);
  }

  const { birth, issue } = drawDates(rng, plan, scenario?.dates);
  const map: AddressMap = issuedAfterReform(issue) ? '2025' : 'historic';
  // A card issued from 1 July 2025 names the province the place of registration is part of today.
  if (!abroad && map === '2025') registration = currentProvinceOf(placeCode)!;
  const age = ageOn(earliestDate(birth), issue);
  const era = eraOf(birth.year);
  const name: DrawnName =
    namePlan === undefined
      ? drawName(rng, ethnicityName, sex, era)
      : namePlan.kind === 'long'
        ? longName(rng, sex, era)
        : { fullName: namePlan.fullName, family: namePlan.fullName.split(' ')[0]! };

  const prefix = placeCode + centurySexDigit(birth.year, sex) + String(birth.year % 100).padStart(2, '0');
  const pid = plan.pids.allocate(prefix);
  const residenceProvince = !abroad && rng.chance(MOVED_SHARE) ? MIGRATION.pick(rng) : home;

  const record: MutableRecord = {
    pid,
    fullName: name.fullName,
    birthDate: formatPartialDate(birth),
    sex,
    nationality: 'VNM',
    placeOfBirthRegistration: registration,
    residence: residence(rng, residenceProvince, map),
    issueDate: formatCivilDate(issue),
  };
  let portraitSeed: number | undefined;
  // cardVariant's rule (age from the earliest possible birthday), without computing the age twice.
  if (age >= PORTRAIT_MIN_AGE) {
    record.portrait = `portraits/${String(index + 1).padStart(6, '0')}.jpg`;
    portraitSeed = rng.uint32();
  }
  if (rng.chance(0.95)) record.ethnicity = ethnicityName;
  if (rng.chance(0.9)) record.religion = religionOf(rng, ethnicityName, home);
  if (rng.chance(0.92)) record.placeOfOrigin = placeOfOrigin(rng, rng.chance(0.7) ? home : PROVINCES.pick(rng), map);
  if (rng.chance(parentsShare(age))) {
    const parents = parentNames(rng, name, ethnicityName, eraOf(birth.year - 28));
    if (age >= 14 || rng.chance(0.97)) record.fatherName = parents.fatherName;
    record.motherName = parents.motherName;
  }
  if (rng.chance(spouseShare(age))) {
    const spouseEthnicity = rng.chance(0.9) ? ethnicityName : KINH;
    record.spouseName = drawName(rng, spouseEthnicity, sex === 'M' ? 'F' : 'M', eraOf(birth.year + rng.int(-6, 4))).fullName;
  }
  if (age >= 23) {
    // Born before about 2002: an old 9-digit CMND, or a 12-digit one (2012–2015, PID layout).
    const r = rng.next();
    if (r < 0.7) record.previousIdNumber = (CMND_PREFIX[residenceProvince] ?? '02') + digits(rng, 7);
    else if (r < 0.8) record.previousIdNumber = prefix + digits(rng, 6);
  }
  if (age >= 14 && rng.chance(0.88)) record.identifyingMarks = identifyingMarks(rng);
  return portraitSeed === undefined ? { record } : { record, portraitSeed };
}


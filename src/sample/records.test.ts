import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ageOn, compareDates, earliestDate, parseCivilDate, parsePartialDate, type CivilDate } from '../domain/dates.ts';
import { vietnameseNameLine } from '../domain/mrz/name-line.ts';
import { BORN_ABROAD_RANGE, PROVINCE_CODES, provinceName } from '../domain/personal-id.ts';
import { CURRENT_PROVINCES, currentProvinceOf, districtLevelParts, issuedAfterReform, provinceOfAddress } from '../domain/provinces-2025.ts';
import { validateRecord, type PersonalizationRecord } from '../domain/record.ts';
import { cardValidity, RENEWAL_AGES } from '../domain/validity.ts';
import { civilDate, dayNumber } from '../domain/dates.ts';
import { DEFAULT_ISSUE_TO, sampleRecords, type SampleOptions, type SampleRecord } from './generate.ts';
import { missingLetters } from './letters.ts';
import { BIRTH_COUNTRIES } from './places.ts';

const dayAfter = (d: CivilDate): CivilDate => civilDate(dayNumber(d) + 1);
const TODAY = dayAfter(DEFAULT_ISSUE_TO);

function sample(opts: SampleOptions): SampleRecord[] {
  return [...sampleRecords(opts)];
}

const SEEDS: readonly (string | number)[] = ['cardline', 1, 'Nguyễn Văn A', 20240701, 'seed-5'];
const N = 2000;
const SAMPLES = new Map(SEEDS.map((seed) => [seed, sample({ count: N, seed })]));

function facts(r: PersonalizationRecord) {
  const birth = parsePartialDate(r.birthDate)!;
  const issue = parseCivilDate(r.issueDate)!;
  return { birth, issue, age: ageOn(earliestDate(birth), issue), validity: cardValidity(birth, issue) };
}

function issuesOf(records: readonly SampleRecord[], today: CivilDate): string[] {
  const problems: string[] = [];
  records.forEach(({ record }, i) => {
    const v = validateRecord(record, { portraitRules: true, today });
    if (!v.ok) problems.push(`#${i + 1}: ${JSON.stringify(v.issues)} ${JSON.stringify(record)}`);
    else if (JSON.stringify(v.value.record) !== JSON.stringify(record)) problems.push(`#${i + 1}: the schema normalized the record`);
  });
  return problems;
}

const words = (name: string) => name.split(' ');

describe('sampleRecords', () => {
  it('is deterministic: the same options give the same records, another seed other records', () => {
    const a = sample({ count: 300, seed: 'repeat' });
    expect(sample({ count: 300, seed: 'repeat' })).toStrictEqual(a);
    const b = sample({ count: 300, seed: 'repeat!' });
    expect(b.map((r) => r.record.pid)).not.toStrictEqual(a.map((r) => r.record.pid));
    expect(b.filter((r, i) => r.record.fullName === a[i]!.record.fullName).length).toBeLessThan(30);
  });

  it('a sample is the prefix of a longer one with the same seed', () => {
    expect(sample({ count: 150, seed: 'cardline' })).toStrictEqual(SAMPLES.get('cardline')!.slice(0, 150));
  });

  it.each(SEEDS)('every record of seed %s passes validateRecord with portrait rules, unchanged by the schema', (seed) => {
    expect(issuesOf(SAMPLES.get(seed)!, TODAY)).toStrictEqual([]);
  });

  it.each(SEEDS)('seed %s: age groups on the issue date near 35% / 31% / 26% / 8% (first month of the 2023 law)', (seed) => {
    const ages = SAMPLES.get(seed)!.map(({ record }) => facts(record).age);
    const share = (f: (a: number) => boolean) => (100 * ages.filter(f).length) / ages.length;
    expect(Math.abs(share((a) => a < 6) - 35)).toBeLessThan(4);
    expect(Math.abs(share((a) => a >= 6 && a < 14) - 31)).toBeLessThan(4);
    expect(Math.abs(share((a) => a >= 14 && a < 60) - 26)).toBeLessThan(4);
    expect(Math.abs(share((a) => a >= 60) - 8)).toBeLessThan(2.5);
    expect(ages.filter((a) => a >= 80).length).toBeGreaterThan(0);
    expect(Math.abs(share(() => true) - 100)).toBe(0);
  });

  it.each(SEEDS)('seed %s: places of birth registration — all 63 provinces, some abroad, names matching the code on the card\'s map', (seed) => {
    const records = SAMPLES.get(seed)!.map((s) => s.record);
    const codes = new Set(records.map((r) => r.pid.slice(0, 3)));
    for (const code of PROVINCE_CODES) expect(codes.has(code), code).toBe(true);
    const abroad = records.filter((r) => Number(r.pid.slice(0, 3)) >= BORN_ABROAD_RANGE.from);
    expect(abroad.length).toBeGreaterThanOrEqual(1);
    expect(abroad.length).toBeLessThan(N * 0.03);
    for (const r of records) {
      const code = r.pid.slice(0, 3);
      const country = BIRTH_COUNTRIES.find((c) => String(c.code) === code);
      const name = issuedAfterReform(facts(r).issue) ? currentProvinceOf(code) : provinceName(code);
      expect(r.placeOfBirthRegistration).toBe(name ?? country?.name);
    }
  });

  describe('the 1 July 2025 administrative reform (issue 20 item 9; REFERENCE.md)', () => {
    // Issue dates 2024-07-01 … 2026-06-30 (the default): about half the cards on each side of the reform.
    const records = sample({ count: 1000, seed: 'reform-2025' }).map((s) => s.record);
    const after = records.filter((r) => issuedAfterReform(facts(r).issue));
    const before = records.filter((r) => !issuedAfterReform(facts(r).issue));
    const domestic = (r: PersonalizationRecord) => Number(r.pid.slice(0, 3)) < BORN_ABROAD_RANGE.from;

    it('splits the sample on both sides of 1 July 2025', () => {
      expect(after.length).toBeGreaterThan(350);
      expect(before.length).toBeGreaterThan(350);
    });

    it('of 1,000 records, no card issued from 2025-07-01 has a district-level address, and every province named on it is one of the 34', () => {
      const problems: string[] = [];
      for (const r of after) {
        const printed = [r.residence, ...(domestic(r) ? [r.placeOfBirthRegistration] : []), ...(r.placeOfOrigin ? [r.placeOfOrigin] : [])];
        for (const text of printed) {
          const province = provinceOfAddress(text);
          if (province?.kind !== 'current' || !CURRENT_PROVINCES.includes(province.name)) problems.push(`${r.issueDate}: ${text} — province ${JSON.stringify(province)}`);
          if (districtLevelParts(text).length > 0) problems.push(`${r.issueDate}: ${text} — district level ${districtLevelParts(text).join(', ')}`);
        }
      }
      expect(problems).toStrictEqual([]);
    });

    it('draws cards issued before the reform on the historic map: 63-province names and a district level', () => {
      const historic = new Set(PROVINCE_CODES.map((c) => provinceName(c)));
      for (const r of before) {
        expect(historic.has(r.residence.split(', ').at(-1)), r.residence).toBe(true);
        expect(districtLevelParts(r.residence), r.residence).toHaveLength(1);
        if (domestic(r)) expect(r.placeOfBirthRegistration).toBe(provinceName(r.pid.slice(0, 3)));
      }
      // Some of them name a province that has since merged: the historic map is really used.
      expect(before.some((r) => provinceOfAddress(r.residence)?.kind === 'historic')).toBe(true);
    });

    it('keeps the historic province code in the PID after the reform', () => {
      const codes = new Set(after.filter(domestic).map((r) => r.pid.slice(0, 3)));
      // Codes of provinces that no longer exist still appear (the PID names the place as it was).
      expect([...codes].some((c) => currentProvinceOf(c) !== provinceName(c))).toBe(true);
      for (const r of after.filter(domestic)) expect(r.placeOfBirthRegistration).toBe(currentProvinceOf(r.pid.slice(0, 3)));
    });
  });

  it('the first 63 records already cover the 63 provinces', () => {
    for (const seed of SEEDS) {
      const codes = new Set(sample({ count: 63, seed }).map((s) => s.record.pid.slice(0, 3)));
      expect(codes.size).toBe(63);
    }
  });

  it.each(SEEDS)('seed %s: carries the edge cases (partial birth dates, 29 February, grace windows, birthdays, long names)', (seed) => {
    const records = SAMPLES.get(seed)!.map((s) => s.record);
    const all = records.map((r) => ({ r, ...facts(r) }));
    const yearOnly = all.filter((x) => /^\d{4}$/.test(x.r.birthDate));
    const yearMonth = all.filter((x) => /^\d{4}-\d{2}$/.test(x.r.birthDate));
    expect(yearOnly.length).toBeGreaterThanOrEqual(1);
    expect(yearMonth.length).toBeGreaterThanOrEqual(1);
    for (const x of [...yearOnly, ...yearMonth]) expect(x.age).toBeGreaterThanOrEqual(60);
    expect(all.some((x) => x.r.birthDate.endsWith('-02-29'))).toBe(true);
    for (const [i, age] of RENEWAL_AGES.entries()) {
      // Issued within 2 years before the renewal age: the card runs to the next one, or has no expiry.
      const inGrace = all.filter((x) => x.age >= age - 2 && x.age < age);
      expect(inGrace.length, `grace before ${age}`).toBeGreaterThanOrEqual(1);
      for (const x of inGrace) expect(x.validity.renewalAge).toBe(RENEWAL_AGES[i + 1] ?? null);
    }
    for (const age of [6, ...RENEWAL_AGES]) {
      const onBirthday = all.filter((x) => x.age === age && x.r.birthDate.slice(5) === x.r.issueDate.slice(5));
      expect(onBirthday.length, `issued on birthday ${age}`).toBeGreaterThanOrEqual(1);
    }
    const shortened = records.filter((r) => {
      const line = vietnameseNameLine(r.fullName);
      return line.ok && (line.abbreviated || line.truncated);
    });
    expect(shortened.length).toBeGreaterThanOrEqual(2);
    expect(records.some((r) => words(r.fullName).length >= 5)).toBe(true);
    expect(records.some((r) => /['-]/.test(r.fullName))).toBe(true);
  });

  it.each(SEEDS)('seed %s: PIDs are unique and every tone mark appears in the names', (seed) => {
    const records = SAMPLES.get(seed)!.map((s) => s.record);
    expect(new Set(records.map((r) => r.pid)).size).toBe(records.length);
    expect(missingLetters(records.map((r) => r.fullName))).toStrictEqual([]);
  });

  it.each(SEEDS)('seed %s: sex matches gendered middle names, parents and spouses', (seed) => {
    const records = SAMPLES.get(seed)!.map((s) => s.record);
    const sexes = records.map((r) => r.sex);
    const female = sexes.filter((s) => s === 'F').length / sexes.length;
    expect(Math.abs(female - 0.5)).toBeLessThan(0.04);
    const middle = (name: string) => words(name).slice(1, -1);
    for (const r of records) {
      if (middle(r.fullName).includes('Văn')) expect(r.sex, r.fullName).toBe('M');
      if (middle(r.fullName).includes('Thị')) expect(r.sex, r.fullName).toBe('F');
      if (r.fatherName !== undefined) expect(middle(r.fatherName), r.fatherName).not.toContain('Thị');
      if (r.motherName !== undefined) expect(middle(r.motherName), r.motherName).not.toContain('Văn');
      if (r.spouseName !== undefined) expect(middle(r.spouseName), r.spouseName).not.toContain(r.sex === 'M' ? 'Văn' : 'Thị');
    }
  });

  it.each(SEEDS)('seed %s: portraits from age 6, family details by age, dates in range', (seed) => {
    const list = SAMPLES.get(seed)!;
    let adults = 0;
    let adultsWithMarks = 0;
    list.forEach(({ record: r, portraitSeed }, i) => {
      const { issue, age } = facts(r);
      if (age >= 6) {
        expect(r.portrait).toBe(`portraits/${String(i + 1).padStart(6, '0')}.jpg`);
        expect(Number.isInteger(portraitSeed) && portraitSeed! >= 0).toBe(true);
      } else {
        expect(r.portrait).toBeUndefined();
        expect(portraitSeed).toBeUndefined();
      }
      if (age < 14) {
        expect(r.motherName).toBeDefined();
        expect(r.spouseName).toBeUndefined();
        expect(r.identifyingMarks).toBeUndefined();
        expect(r.previousIdNumber).toBeUndefined();
      } else {
        adults++;
        if (r.identifyingMarks !== undefined) adultsWithMarks++;
      }
      if (r.previousIdNumber !== undefined) expect(r.previousIdNumber).toMatch(/^(\d{9}|\d{12})$/);
      expect(compareDates(issue, { year: 2024, month: 7, day: 1 })).toBeGreaterThanOrEqual(0);
      expect(compareDates(issue, DEFAULT_ISSUE_TO)).toBeLessThanOrEqual(0);
      expect(Object.values(r).every((v) => typeof v !== 'string' || v === v.normalize('NFC'))).toBe(true);
    });
    expect(adultsWithMarks / adults).toBeGreaterThan(0.8);
    const present = (field: keyof PersonalizationRecord) => list.filter((s) => s.record[field] !== undefined).length / list.length;
    expect(present('ethnicity')).toBeGreaterThan(0.9);
    expect(present('religion')).toBeGreaterThan(0.85);
    expect(present('placeOfOrigin')).toBeGreaterThan(0.88);
    expect(present('spouseName')).toBeGreaterThan(0.1);
    expect(list.some((s) => s.record.previousIdNumber?.length === 12)).toBe(true);
    expect(list.some((s) => s.record.previousIdNumber?.length === 9)).toBe(true);
  });

  it('honours a custom issue range, even a single 29 February', () => {
    const leapDay = { year: 2028, month: 2, day: 29 };
    const records = sample({ count: 200, seed: 'leap', issueFrom: leapDay, issueTo: leapDay });
    expect(new Set(records.map((r) => r.record.issueDate))).toStrictEqual(new Set(['2028-02-29']));
    expect(issuesOf(records, dayAfter(leapDay))).toStrictEqual([]);
    // The birthday scenarios move to an age whose birth year has a 29 February.
    expect(records.some((r) => r.record.birthDate.endsWith('-02-29') && facts(r.record).age % 4 === 0)).toBe(true);
  });

  it('rejects bad options when called, before drawing anything', () => {
    expect(() => sampleRecords({ count: -1, seed: 1 })).toThrow(/count must be a whole number/);
    expect(() => sampleRecords({ count: 1.5, seed: 1 })).toThrow(/count must be a whole number/);
    expect(() => sampleRecords({ count: 1, seed: Number.NaN })).toThrow(/seed must be a string or a finite number/);
    expect(() => sampleRecords({ count: 1, seed: 1, issueFrom: { year: 2024, month: 6, day: 30 } })).toThrow(/on or after 2024-07-01/);
    expect(() => sampleRecords({ count: 1, seed: 1, issueFrom: { year: 2025, month: 2, day: 29 } })).toThrow(/real calendar date/);
    expect(() =>
      sampleRecords({ count: 1, seed: 1, issueFrom: { year: 2025, month: 3, day: 1 }, issueTo: { year: 2025, month: 2, day: 1 } }),
    ).toThrow(/must not be after issueTo/);
    expect(sample({ count: 0, seed: 1 })).toStrictEqual([]);
  });

  it('property: for any seed, small count and issue range, every record validates and PIDs are unique', () => {
    const first = dayNumber({ year: 2024, month: 7, day: 1 });
    const last = dayNumber({ year: 2030, month: 12, day: 31 });
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer()),
        fc.integer({ min: 0, max: 160 }),
        fc.integer({ min: first, max: last }),
        fc.integer({ min: 0, max: 800 }),
        (seed, count, from, span) => {
          const issueFrom = civilDate(from);
          const issueTo = civilDate(Math.min(last, from + span));
          const records = sample({ count, seed, issueFrom, issueTo });
          expect(records).toHaveLength(count);
          expect(issuesOf(records, dayAfter(issueTo))).toStrictEqual([]);
          expect(new Set(records.map((r) => r.record.pid)).size).toBe(count);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps PIDs unique in a large sample and reports its speed', () => {
    const count = 200_000;
    const start = performance.now();
    const pids = new Set<string>();
    for (const { record } of sampleRecords({ count, seed: 'large' })) pids.add(record.pid);
    const seconds = (performance.now() - start) / 1000;
    expect(pids.size).toBe(count);
    console.info(`sampleRecords: ${count} records in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} records/s, with PID set)`);
  });
});

/**
 * Sanity checks of the sample's data tables (STYLE 5: reference tables are data with a sanity
 * test): they cover the reference province codes, are NFC, hold only what the record schema
 * accepts, and between them use every Vietnamese vowel letter with each tone mark.
 */
import { describe, expect, it } from 'vitest';
import { vietnameseNameLine } from '../domain/mrz/name-line.ts';
import { BORN_ABROAD_RANGE, PROVINCE_CODES } from '../domain/personal-id.ts';
import { ETHNIC_NAMES } from './ethnic-names.ts';
import { KINH, MINORITIES, provinceEthnicMix } from './ethnicities.ts';
import { missingLetters, VIETNAMESE_LETTERS } from './letters.ts';
import { MARK_DIRECTIONS, MARK_KINDS, MARK_LANDMARKS } from './marks.ts';
import * as places from './places.ts';
import { EDGE_SCENARIOS, TONE_COVERAGE } from './scenarios.ts';
import * as names from './vietnamese-names.ts';

/** The record schema's name rule (src/domain/record.ts). */
const NAME = /^[\p{L}\p{M}]+(?:[ \-'’][\p{L}\p{M}]*)*$/u;

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...allStrings(v)]);
  return [];
}

const NAME_WORDS: string[] = [
  ...names.FAMILY_NAMES.map(([n]) => n),
  ...[names.MALE_MIDDLE_NAMES, names.FEMALE_MIDDLE_NAMES, names.MALE_GIVEN_NAMES, names.FEMALE_GIVEN_NAMES].flatMap((l) => l.map(([n]) => n)),
  ...names.SECOND_FAMILY_NAMES,
  ...names.ROYAL_FEMALE_PREFIXES,
  ...names.ROYAL_MALE_PREFIXES,
  ...Object.values(ETHNIC_NAMES).flatMap((t) => [...t.families, ...t.middles.M, ...t.middles.F, ...t.given.M, ...t.given.F]).filter((w) => w !== ''),
];

describe('sample data tables', () => {
  it('there are 73 Vietnamese letters to cover', () => {
    expect(VIETNAMESE_LETTERS).toHaveLength(73);
    expect(VIETNAMESE_LETTERS).toContain('ỹ');
    expect(VIETNAMESE_LETTERS).toContain('ẵ');
  });

  it('the name tables use every vowel letter with every tone, and đ', () => {
    expect(missingLetters(NAME_WORDS)).toStrictEqual([]);
  });

  it('the tone-coverage names alone use every vowel letter with every tone, and đ', () => {
    expect(missingLetters(TONE_COVERAGE.map((s) => (s.name?.kind === 'fixed' ? s.name.fullName : '')))).toStrictEqual([]);
  });

  it('every name word is NFC, allowed by the record schema and writable in the MRZ', () => {
    for (const word of NAME_WORDS) {
      expect(word, word).toBe(word.normalize('NFC'));
      expect(NAME.test(word), word).toBe(true);
      expect(vietnameseNameLine(word).ok, word).toBe(true);
    }
  });

  it('fixed names keep sex and middle name consistent (Văn male, Thị female)', () => {
    for (const s of TONE_COVERAGE) {
      if (s.name?.kind !== 'fixed') continue;
      const middle = s.name.fullName.split(' ').slice(1);
      if (middle.includes('Văn')) expect(s.name.sex, s.name.fullName).toBe('M');
      if (middle.includes('Thị')) expect(s.name.sex, s.name.fullName).toBe('F');
    }
    for (const t of Object.values(ETHNIC_NAMES)) {
      expect(t.middles.M).not.toContain('Thị');
      expect(t.middles.F).not.toContain('Văn');
    }
    expect(names.MALE_MIDDLE_NAMES.map(([n]) => n)).not.toContain('Thị');
    expect(names.FEMALE_MIDDLE_NAMES.map(([n]) => n)).not.toContain('Văn');
  });

  it('all text tables are NFC without doubled or edge spaces', () => {
    const texts = allStrings([places, names, ETHNIC_NAMES, MINORITIES, MARK_KINDS, MARK_DIRECTIONS, MARK_LANDMARKS, EDGE_SCENARIOS, TONE_COVERAGE]);
    expect(texts.length).toBeGreaterThan(800);
    for (const t of texts) {
      expect(t, t).toBe(t.normalize('NFC'));
      expect(t, t).toBe(t.trim().replace(/\s+/gu, ' '));
    }
  });

  it('place data covers exactly the 63 reference province codes', () => {
    expect(Object.keys(places.PROVINCE_PLACES).sort()).toStrictEqual([...PROVINCE_CODES]);
    expect(Object.keys(places.CMND_PREFIX).sort()).toStrictEqual([...PROVINCE_CODES]);
    for (const [code, p] of Object.entries(places.PROVINCE_PLACES)) {
      expect(p.population, code).toBeGreaterThan(200);
      expect(p.urban.length + p.rural.length, code).toBeGreaterThan(1);
    }
    // 2019 census: 96.2 million.
    const total = Object.values(places.PROVINCE_PLACES).reduce((s, p) => s + p.population, 0);
    expect(Math.abs(total - 96_209)).toBeLessThan(1500);
    for (const [code] of places.MIGRATION_DESTINATIONS) expect(PROVINCE_CODES).toContain(code);
    for (const e of MINORITIES) for (const code of e.homes) expect(PROVINCE_CODES, e.name).toContain(code);
  });

  it('countries of birth abroad have distinct codes inside BORN_ABROAD_RANGE', () => {
    const codes = places.BIRTH_COUNTRIES.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) {
      expect(c).toBeGreaterThanOrEqual(BORN_ABROAD_RANGE.from);
      expect(c).toBeLessThanOrEqual(BORN_ABROAD_RANGE.to);
    }
  });

  it('every minority has name patterns, and each province mix is a distribution with Kinh first', () => {
    for (const e of MINORITIES) expect(ETHNIC_NAMES[e.name], e.name).toBeDefined();
    const mix = provinceEthnicMix();
    expect([...mix.keys()].sort()).toStrictEqual([...PROVINCE_CODES]);
    for (const [code, list] of mix) {
      expect(list[0]![0], code).toBe(KINH);
      expect(list[0]![1], code).toBeGreaterThan(5);
      expect(list.reduce((s, [, p]) => s + p, 0)).toBeCloseTo(100, 6);
    }
  });
});

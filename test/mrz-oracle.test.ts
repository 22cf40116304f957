/**
 * Every MRZ composed for 10,000 sampled records is accepted by an independent parser (the `mrz`
 * npm package, cheminfo/mrz) and by our own check; the fields the oracle reads back match the
 * record.
 */
import { parse } from 'mrz';
import { describe, expect, it } from 'vitest';
import { parseCivilDate, parsePartialDate } from '../src/domain/dates.ts';
import { composeVietnameseMrz } from '../src/domain/mrz/compose.ts';
import { checkTd1 } from '../src/domain/mrz/validate.ts';
import { sampleRecords } from '../src/sample/generate.ts';

describe('composed MRZs against the independent mrz parser', () => {
  it('accepts all 10,000 sampled records', () => {
    let count = 0;
    const refused: string[] = [];
    for (const { record } of sampleRecords({ count: 10_000, seed: 'oracle-2026' })) {
      count += 1;
      const { lines } = composeVietnameseMrz({
        pid: record.pid,
        fullName: record.fullName,
        birthDate: parsePartialDate(record.birthDate)!,
        sex: record.sex,
        issueDate: parseCivilDate(record.issueDate)!,
      });
      const ours = checkTd1(lines);
      const oracle = parse([...lines]);
      if (!oracle.valid || !ours.valid) {
        refused.push(`${lines.join('|')}: ${JSON.stringify(oracle.details.filter((d) => !d.valid).map((d) => d.error))} ${JSON.stringify(ours.errors)}`);
        continue;
      }
      expect(oracle.format).toBe('TD1');
      expect(oracle.fields.documentNumber).toBe(record.pid.slice(3));
      expect(oracle.fields.issuingState).toBe('VNM');
      expect(oracle.fields.nationality).toBe('VNM');
      expect(oracle.fields.sex).toBe(record.sex === 'M' ? 'male' : 'female');
      expect(oracle.fields.optional1?.replace(/\s+\d$/, '')).toBe(record.pid);
    }
    expect(count).toBe(10_000);
    expect(refused).toStrictEqual([]);
  });

  it('agrees that a TD1 name line starting with << (no primary identifier) is valid; ours adds a note', () => {
    // cheminfo/mrz's Swiss ID (shared vector CHE) with given names only (the oracle knows no UTO).
    const lines = ['IDCHEA1234567<6<<<<<<<<<<<<<<<', '7510256M2009018CHE<<<<<<<<<<<8', '<<ANNA<MARIA<<<<<<<<<<<<<<<<<<'];
    const oracle = parse(lines);
    expect(oracle.valid).toBe(true);
    expect(oracle.fields).toMatchObject({ lastName: '', firstName: 'ANNA MARIA' });
    expect(checkTd1(lines)).toMatchObject({ valid: true, errors: [], notes: [{ field: 'name', rule: 'icao' }] });
  });
});

/**
 * What `cardline mrz compose` accepts: a personalization record (it has `pid`) composes
 * under the Vietnamese profile; anything else must be the generic TD1 field set.
 */
import { formatCivilDate, type CivilDate } from '../dates.ts';
import type { FieldIssue } from '../issues.ts';
import { validateRecord } from '../record.ts';
import { composeTd1, composeVietnameseMrz, type Td1Lines } from './compose.ts';
import { parseTd1Input } from './td1-input.ts';

export type ComposeResult =
  | { readonly ok: true; readonly mrz: Td1Lines; readonly expiryDate: string | null; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

export function composeFromInput(input: unknown, today?: CivilDate): ComposeResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ field: '(input)', message: 'must be a JSON object: a personalization record or a TD1 field set' }] };
  }
  if ('pid' in input) {
    const checked = validateRecord(input, { portraitRules: false, ...(today ? { today } : {}) });
    if (!checked.ok) return { ok: false, issues: checked.issues };
    const { record, facts } = checked.value;
    const composed = composeVietnameseMrz({
      pid: record.pid,
      fullName: record.fullName,
      birthDate: facts.birthDate,
      sex: record.sex,
      issueDate: facts.issueDate,
    });
    return {
      ok: true,
      mrz: composed.lines,
      expiryDate: composed.validity.expiry === null ? null : formatCivilDate(composed.validity.expiry),
      warnings: nameWarnings(composed.name),
    };
  }
  const parsed = parseTd1Input(input);
  if (!parsed.ok) return parsed;
  const composed = composeTd1(parsed.value);
  return {
    ok: true,
    mrz: composed.lines,
    expiryDate: parsed.value.expiryDate === null ? null : formatCivilDate(parsed.value.expiryDate),
    warnings: nameWarnings(composed.name),
  };
}

function nameWarnings(name: { abbreviated: boolean; truncated: boolean }): string[] {
  const warnings: string[] = [];
  if (name.abbreviated) warnings.push('name: middle names written as initials to fit 30 characters');
  if (name.truncated) warnings.push('name: cut to 30 characters');
  return warnings;
}

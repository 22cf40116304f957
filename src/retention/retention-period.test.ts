import { describe, expect, it } from 'vitest';
import { retentionPeriod, RetentionError } from './purge.ts';

// Precedence (docs/security.md, "Retention and purge"): the batch's own value, the line file's
// retentionDays of the line it ran on, CARDLINE_RETENTION_DAYS, 30 days.
describe('retentionPeriod', () => {
  const line = { lineId: 'line-a', days: 7 };
  const env = { CARDLINE_RETENTION_DAYS: '45' };

  it('takes the first that is set: batch, line, environment, default', () => {
    expect(retentionPeriod({ retentionDays: 3, lineRetention: line }, env)).toStrictEqual({ days: 3, from: 'batch' });
    expect(retentionPeriod({ retentionDays: undefined, lineRetention: line }, env)).toStrictEqual({ days: 7, from: 'line line-a' });
    expect(retentionPeriod({ retentionDays: undefined, lineRetention: { lineId: 'line-b', days: 0 } }, env)).toStrictEqual({ days: 0, from: 'line line-b' });
    expect(retentionPeriod({ retentionDays: undefined }, env)).toStrictEqual({ days: 45, from: 'CARDLINE_RETENTION_DAYS' });
    expect(retentionPeriod({ retentionDays: undefined }, {})).toStrictEqual({ days: 30, from: 'default' });
  });

  it('refuses a CARDLINE_RETENTION_DAYS that is no whole number of days, naming it', () => {
    for (const bad of ['-1', '2.5', 'thirty', '36501']) {
      expect(() => retentionPeriod({ retentionDays: undefined }, { CARDLINE_RETENTION_DAYS: bad })).toThrow(new RetentionError(`CARDLINE_RETENTION_DAYS must be a whole number of days from 0 to 36500, got '${bad}'`));
    }
    // A line that sets its own period does not need the variable to be right.
    expect(retentionPeriod({ retentionDays: undefined, lineRetention: line }, { CARDLINE_RETENTION_DAYS: 'thirty' }).days).toBe(7);
  });
});

// docs/alarms-and-events.md shows the alarm rule table of src/alarms/rules.ts and every event type.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALARM_RULES } from '../src/alarms/rules.ts';

describe('docs/alarms-and-events.md', () => {
  it('lists every alarm rule with its priority, in the table order', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../docs/alarms-and-events.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z.]+)` \| (low|medium|high|urgent) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toStrictEqual(ALARM_RULES.map((r) => [r.condition, r.priority]));
  });
});

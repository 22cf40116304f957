/**
 * docs/line-control.md lists the reason codes operators, inspectors and reports use; this keeps its
 * table equal to the code's (src/line/reasons.ts) and names every crash point the controller has.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRASH_POINTS } from '../src/line/controller.ts';
import { REASONS } from '../src/line/reasons.ts';

describe('docs/line-control.md', () => {
  it('lists every reason code with its meaning, and no other', async () => {
    const doc = await readFile(path.join(import.meta.dirname, '../docs/line-control.md'), 'utf8');
    const lines = doc.split('\n');
    const start = lines.findIndex((l) => l.startsWith('| code | meaning |'));
    expect(start).toBeGreaterThan(0);
    const rows: [string, string][] = [];
    for (const line of lines.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      const [code, meaning] = line.split('|').slice(1, -1).map((c) => c.trim());
      rows.push([code!.replaceAll('`', ''), meaning!]);
    }
    expect(rows).toStrictEqual(Object.entries(REASONS));
    for (const point of CRASH_POINTS) expect(doc).toContain(`\`${point}\``);
  });
});

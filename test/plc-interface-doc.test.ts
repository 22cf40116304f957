/**
 * docs/plc-interface.md is the contract a PLC programmer implements; these checks keep its tables
 * equal to the code's tables (src/plc/tags.ts, result-codes.ts, packml.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_TRANSITIONS, PACKML_COMMANDS, PACKML_STATES, STOP_REASONS } from '../src/plc/packml.ts';
import { RESULT_CODES } from '../src/plc/result-codes.ts';
import { TAGS } from '../src/plc/tags.ts';

let doc: string;
beforeAll(async () => {
  doc = await readFile(path.join(import.meta.dirname, '../docs/plc-interface.md'), 'utf8');
});

/** Rows of the markdown table whose header row starts with `header` (e.g. `| value | stop reason |`). */
function table(header: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  if (start < 0) throw new Error(`no table headed '${header}'`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

describe('docs/plc-interface.md', () => {
  it('lists every tag with its type, writer, group and Modbus registers', () => {
    const expected = TAGS.map((t) => {
      const type = { uint32: 'UInt32', bool: 'Boolean', string: `String (${t.maxBytes} bytes)`, bytes: 'ByteString' }[t.type];
      const regs =
        t.register === undefined ? 'job folder'
        : t.type === 'uint32' ? `${t.register}–${t.register + 1}`
        : t.type === 'string' ? `${t.register}–${t.register + t.maxBytes! / 2 - 1}`
        : `${t.register}`;
      return [t.name, type, t.writer === 'plc' ? 'PLC' : 'host', t.group, regs, t.description];
    });
    expect(table('| tag | type |')).toStrictEqual(expected);
  });

  it('lists every result code', () => {
    expect(table('| code | name | meaning |').filter((r) => /^\d+$/.test(r[0]!)).map((r) => [Number(r[0]), r[1]])).toStrictEqual(
      Object.entries(RESULT_CODES).map(([name, code]) => [code, name]),
    );
  });

  it('lists every stop reason and every PackML state', () => {
    expect(table('| value | stop reason |').map((r) => [Number(r[0]), r[1]])).toStrictEqual(
      Object.entries(STOP_REASONS).map(([name, v]) => [v, name]),
    );
    const states = table('| value | state | value |').flatMap((r) => [[r[0], r[1]], [r[2], r[3]], [r[4], r[5]]]);
    expect(new Map(states.map(([v, n]) => [n!, Number(v)]))).toStrictEqual(new Map(Object.entries(PACKML_STATES)));
  });

  it('lists every command with the states it is allowed in and where it leads', () => {
    const rows = table('| command (CntrlCmd) |');
    expect(rows).toHaveLength(Object.keys(COMMAND_TRANSITIONS).length);
    for (const [name, t] of Object.entries(COMMAND_TRANSITIONS)) {
      const row = rows.find((r) => r[0] === `${name} (${PACKML_COMMANDS[name as keyof typeof PACKML_COMMANDS]})`);
      expect(row, name).toBeDefined();
      expect(row![2]).toBe(t.to);
      const allowed = row![1] === 'every state but Aborting and Aborted'
        ? Object.keys(PACKML_STATES).filter((s) => !['Aborting', 'Aborted', 'Undefined'].includes(s))
        : row![1]!.split(', ');
      expect(new Set(allowed)).toStrictEqual(new Set(t.from));
    }
  });
});

/**
 * `splitMrzText`: the MRZ as people paste it. Surrounding blank lines go, whitespace around a line
 * is removed with a note (issue 20 item 13: `pdftotext -layout` indents lines), and the split is
 * linear in the text's length (issue 15 finding 6: a shift() loop made 1 M newlines take 75 s).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTd1, splitMrzText } from './validate.ts';

// ICAO 9303 Part 5 specimen (test/vectors/mrz-td1-vectors.json, ICAO-P5-specimen).
const specimen = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

describe('splitMrzText', () => {
  it('keeps clean lines as they are, with no note', () => {
    expect(splitMrzText(`${specimen.join('\n')}\n`)).toStrictEqual({ lines: specimen, notes: [] });
    expect(splitMrzText(`\uFEFF\r\n\r\n${specimen.join('\r\n')}\r\n\r\n`)).toStrictEqual({ lines: specimen, notes: [] });
  });

  it('removes whitespace around lines as pdftotext -layout leaves it, one note a line', () => {
    const pasted = `\n   ${specimen[0]}  \n\t${specimen[1]}\n${specimen[2]} \n  \n`;
    const { lines, notes } = splitMrzText(pasted);
    expect(lines).toStrictEqual(specimen);
    expect(notes).toStrictEqual([
      { line: 1, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 1: removed 3 leading and 2 trailing whitespace characters' },
      { line: 2, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 2: removed 1 leading whitespace character' },
      { line: 3, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 3: removed 1 trailing whitespace character' },
    ]);
    expect(checkTd1(lines)).toMatchObject({ valid: true, errors: [] });
  });

  it('keeps whitespace inside a line (that is an error for the check, not ours to hide)', () => {
    const inner = [specimen[0], `${specimen[1]!.slice(0, 10)} ${specimen[1]!.slice(11)}`, specimen[2]];
    expect(splitMrzText(inner.join('\n')).lines).toStrictEqual(inner);
  });

  it('is linear: 2 million blank lines before the MRZ split at once', () => {
    const { lines } = splitMrzText(`${'\n'.repeat(2_000_000)}${specimen.join('\n')}${'\r\n'.repeat(2_000_000)}`);
    expect(lines).toStrictEqual(specimen);
  }, 30_000);

  it('whatever the padding, gives back the lines trimmed and notes exactly the padded ones', () => {
    const pad = fc.stringMatching(/^[ \t]{0,4}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(pad, pad), { minLength: 3, maxLength: 3 }), fc.nat(5), fc.nat(5), (pads, before, after) => {
        const text = '\n'.repeat(before) + specimen.map((l, i) => `${pads[i]![0]}${l}${pads[i]![1]}`).join('\n') + '\n'.repeat(after);
        const r = splitMrzText(text);
        expect(r.lines).toStrictEqual(specimen);
        expect(r.notes.map((n) => n.line)).toStrictEqual(pads.flatMap(([a, b], i) => (a + b === '' ? [] : [i + 1])));
      }),
    );
  });
});

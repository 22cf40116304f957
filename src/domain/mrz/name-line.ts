/**
 * The TD1 name line (line 3): primary identifier, '<<', secondary identifier components
 * separated by '<', padded with '<' to 30 characters. The shortening rules for names that do
 * not fit are documented in docs/mrz.md ("Names that do not fit").
 */
import { TD1_LINE_LENGTH } from './td1-layout.ts';
import { transliterateName } from './transliterate.ts';

export interface NameLine {
  readonly line: string;
  /** Middle names were shortened to initials. */
  readonly abbreviated: boolean;
  /** The line was cut: part of the name is missing and position 30 holds a letter. */
  readonly truncated: boolean;
}

export type NameLineResult =
  | ({ readonly ok: true } & NameLine)
  | { readonly ok: false; readonly message: string };

function render(primary: readonly string[], secondary: readonly string[]): string {
  const p = primary.join('<');
  return secondary.length === 0 ? p : `${p}<<${secondary.join('<')}`;
}

function pad(text: string): string {
  return text.padEnd(TD1_LINE_LENGTH, '<');
}

/**
 * Cuts a rendered name to 30 characters so that position 30 holds a letter (ICAO 9303 Part 3:
 * a truncated name ends in an alphabetic character). If the cut would leave a filler in
 * position 30, the last letter before it is dropped (a one-letter component goes with its
 * separator) and the name is cut again, which brings the next component's first letter into
 * position 30.
 */
export function cutName(rendered: string): string {
  let s = rendered;
  while (s.length > TD1_LINE_LENGTH && s[TD1_LINE_LENGTH - 1] === '<') {
    let i = TD1_LINE_LENGTH - 2;
    while (i > 0 && s[i] === '<') i -= 1;
    if (i === 0) break; // a one-letter primary identifier followed by fillers: nothing left to drop
    const alone = s[i - 1] === '<' && s[i + 1] === '<';
    s = s.slice(0, i) + s.slice(alone ? i + 2 : i + 1);
  }
  return s.length <= TD1_LINE_LENGTH ? pad(s) : s.slice(0, TD1_LINE_LENGTH);
}

/**
 * Generic name line from already split identifiers (each a list of MRZ words, A–Z only).
 * A name that does not fit is cut (cutName).
 */
export function composeNameLine(primary: readonly string[], secondary: readonly string[]): NameLine {
  const full = render(primary, secondary);
  if (full.length <= TD1_LINE_LENGTH) return { line: pad(full), abbreviated: false, truncated: false };
  return { line: cutName(full), abbreviated: false, truncated: true };
}

/**
 * Vietnamese full name → name line. The family name (first word) is the primary identifier,
 * the rest the secondary identifier. When the name does not fit, middle names (all words
 * between the first and the last) become initials one at a time from the last middle name
 * back to the first, stopping as soon as the name fits, so the given name (the last word)
 * stays whole where possible; if it still does not fit, the line is cut (cutName).
 */
export function vietnameseNameLine(fullName: string): NameLineResult {
  const words: string[] = [];
  for (const word of fullName.normalize('NFC').trim().split(/\s+/u)) {
    if (word === '') continue;
    const t = transliterateName(word);
    if (!t.ok) {
      return { ok: false, message: `character ${t.codePoint} has no MRZ transliteration` };
    }
    if (t.text !== '') words.push(t.text);
  }
  const [family, ...rest] = words;
  if (family === undefined) return { ok: false, message: 'the name has no letters' };

  const primary = [family];
  const secondary = [...rest];
  let rendered = render(primary, secondary);
  if (rendered.length <= TD1_LINE_LENGTH) return { ok: true, line: pad(rendered), abbreviated: false, truncated: false };

  let abbreviated = false;
  for (let i = secondary.length - 2; i >= 0; i--) {
    const initial = secondary[i]![0]!;
    if (secondary[i] === initial) continue;
    secondary[i] = initial;
    abbreviated = true;
    rendered = render(primary, secondary);
    if (rendered.length <= TD1_LINE_LENGTH) return { ok: true, line: pad(rendered), abbreviated, truncated: false };
  }
  return { ok: true, line: cutName(rendered), abbreviated, truncated: true };
}

/**
 * Fitting a text into its box: wrap at spaces into at most `maxLines` lines; if that does not fit,
 * shrink in 0.25 pt steps down to the minimum size; if it still does not fit, fill the lines at the
 * minimum size and cut the last one with an ellipsis. The caller reports shrinking and cutting as
 * warnings, so nothing overflows and nothing is lost silently.
 */
import type { LoadedFont } from './fonts.ts';

export const SHRINK_STEP_PT = 0.25;
const ELLIPSIS = '…';

export interface FitOptions {
  readonly sizePt: number;
  readonly minSizePt: number;
  readonly widthPt: number;
  readonly maxLines: number;
}

export interface FitResult {
  readonly sizePt: number;
  readonly lines: readonly string[];
  /** Width of each line at sizePt, in points. */
  readonly widthsPt: readonly number[];
  readonly shrunk: boolean;
  /** Part of the text is missing: the last line ends in "…". */
  readonly truncated: boolean;
  /** A word wider than a line was split across lines (nothing is missing). */
  readonly wordSplit: boolean;
}

interface Word {
  readonly text: string;
  readonly em: number;
}

export function fitText(text: string, font: LoadedFont, opts: FitOptions): FitResult {
  const words: Word[] = text
    .split(' ')
    .filter((w) => w !== '')
    .map((w) => ({ text: w, em: emWidth(font, w) }));
  const spaceEm = font.advanceEm(0x20);
  const sizes: number[] = [];
  for (let s = opts.sizePt; s > opts.minSizePt + 1e-9; s -= SHRINK_STEP_PT) sizes.push(s);
  sizes.push(opts.minSizePt);
  for (const size of sizes) {
    const lines = wrap(words, spaceEm, opts.widthPt / size, opts.maxLines);
    if (lines) {
      return { ...result(lines, size, opts), truncated: false, wordSplit: false };
    }
  }
  const size = opts.minSizePt;
  const { lines, truncated } = truncate(words, font, opts.widthPt / size, opts.maxLines);
  return { ...result(lines, size, opts), truncated, wordSplit: !truncated };
}

function result(lines: readonly Line[], size: number, opts: FitOptions): Pick<FitResult, 'sizePt' | 'lines' | 'widthsPt' | 'shrunk'> {
  return { sizePt: size, lines: lines.map((l) => l.text), widthsPt: lines.map((l) => l.em * size), shrunk: size < opts.sizePt };
}

function emWidth(font: LoadedFont, text: string): number {
  let em = 0;
  for (const ch of text) em += font.advanceEm(ch.codePointAt(0)!);
  return em;
}

interface Line {
  text: string;
  em: number;
}

/** Greedy wrap at spaces; undefined when it needs more lines or a word is wider than a line. */
function wrap(words: readonly Word[], spaceEm: number, maxEm: number, maxLines: number): Line[] | undefined {
  const lines: Line[] = [];
  let current: Line | undefined;
  for (const word of words) {
    if (word.em > maxEm) return undefined;
    if (current && current.em + spaceEm + word.em <= maxEm) {
      current.text += ` ${word.text}`;
      current.em += spaceEm + word.em;
      continue;
    }
    if (current) lines.push(current);
    if (lines.length >= maxLines) return undefined;
    current = { text: word.text, em: word.em };
  }
  if (current) lines.push(current);
  return lines.length <= maxLines ? lines : undefined;
}

/**
 * Fills the lines greedily, splitting words wider than a line; what does not fit in the last line is
 * cut, and the line ends with "…".
 */
function truncate(words: readonly Word[], font: LoadedFont, maxEm: number, maxLines: number): { lines: Line[]; truncated: boolean } {
  const lines: Line[] = [{ text: '', em: 0 }];
  const chars = [...words.map((w) => w.text).join(' ')];
  let i = 0;
  // Lines before the last: break at the last space that fits, or inside a word that fills a line.
  while (lines.length < maxLines && i < chars.length) {
    const line = lines[lines.length - 1]!;
    let em = 0;
    let end = i;
    let lastSpace = -1;
    while (end < chars.length) {
      const w = font.advanceEm(chars[end]!.codePointAt(0)!);
      if (em + w > maxEm) break;
      if (chars[end] === ' ') lastSpace = end;
      em += w;
      end++;
    }
    if (end >= chars.length) {
      line.text = chars.slice(i).join('');
      line.em = emWidth(font, line.text);
      return { lines, truncated: false };
    }
    const cut = lastSpace > i ? lastSpace : Math.max(end, i + 1);
    line.text = chars.slice(i, cut).join('').trimEnd();
    line.em = emWidth(font, line.text);
    i = chars[cut] === ' ' ? cut + 1 : cut;
    lines.push({ text: '', em: 0 });
  }
  const rest = chars.slice(i);
  const restText = rest.join('');
  if (emWidth(font, restText) <= maxEm) {
    lines[lines.length - 1] = { text: restText, em: emWidth(font, restText) };
    return { lines, truncated: false };
  }
  const ellipsisEm = font.advanceEm(ELLIPSIS.codePointAt(0)!);
  let em = 0;
  let n = 0;
  while (n < rest.length) {
    const w = font.advanceEm(rest[n]!.codePointAt(0)!);
    if (em + w + ellipsisEm > maxEm) break;
    em += w;
    n++;
  }
  const last = rest.slice(0, n).join('').trimEnd() + ELLIPSIS;
  lines[lines.length - 1] = { text: last, em: emWidth(font, last) };
  return { lines, truncated: true };
}

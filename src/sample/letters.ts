/**
 * The letters Vietnamese writing adds to the Latin alphabet: the 12 vowel letters (a ă â e ê i o ô
 * ơ u ư y), each bare and with each of the five tone marks (huyền, hỏi, ngã, sắc, nặng), and đ —
 * 73 lower-case letters, precomposed (NFC). Used to check that samples exercise all of them.
 */
const TONE_MARKS = ['\u0300', '\u0309', '\u0303', '\u0301', '\u0323'];

export const VIETNAMESE_LETTERS: readonly string[] = [
  ...[...'aăâeêioôơuưy'].flatMap((v) => [v, ...TONE_MARKS.map((t) => (v + t).normalize('NFC'))]),
  'đ',
];

/** The Vietnamese letters (lower-cased) that none of the texts contains. */
export function missingLetters(texts: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const t of texts) for (const ch of t.normalize('NFC').toLowerCase()) seen.add(ch);
  return VIETNAMESE_LETTERS.filter((l) => !seen.has(l));
}

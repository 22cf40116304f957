/**
 * Latin text → MRZ letters (ICAO 9303 Part 3, section 6: diacritics are dropped; apostrophes
 * are omitted; hyphens and spaces become the filler). Vietnamese needs only Đ → D on top of
 * stripping the combining marks that NFD separates from the base letter (both the vowel
 * marks ă â ê ô ơ ư and the five tone marks). A few non-decomposable Latin letters get
 * ICAO's recommended transliteration so generic TD1 documents work too.
 */

const SPECIAL: Readonly<Record<string, string>> = {
  Đ: 'D',
  đ: 'D',
  Ð: 'D', // Icelandic eth, look-alike of Đ
  ð: 'D',
  Þ: 'TH',
  þ: 'TH',
  ß: 'SS',
  ẞ: 'SS',
  Æ: 'AE',
  æ: 'AE',
  Œ: 'OE',
  œ: 'OE',
  Ø: 'OE',
  ø: 'OE',
  Ł: 'L',
  ł: 'L',
  Ħ: 'H',
  ħ: 'H',
  ı: 'I',
  Ŋ: 'N',
  ŋ: 'N',
};

const COMBINING_MARK = /\p{M}/u;
const APOSTROPHES = new Set(["'", '’', 'ʼ', '‘']);
const SEPARATORS = new Set([' ', '-', '‐', '‑', '\t']);

export type TransliterationResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly position: number; readonly codePoint: string };

/**
 * Transliterates one name to MRZ characters: A–Z and '<' for each separator run. Fails with
 * the 1-based position (in the NFC input) of the first character that has no transliteration;
 * the caller reports the position, never the name.
 */
export function transliterateName(name: string): TransliterationResult {
  let out = '';
  let position = 0;
  for (const ch of name.normalize('NFC')) {
    position += 1;
    if (APOSTROPHES.has(ch)) continue;
    if (SEPARATORS.has(ch)) {
      if (out.length > 0 && !out.endsWith('<')) out += '<';
      continue;
    }
    const mapped = transliterateLetter(ch);
    if (mapped === undefined) {
      return { ok: false, position, codePoint: `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` };
    }
    out += mapped;
  }
  return { ok: true, text: out.replace(/<+$/, '') };
}

// Names draw on a few hundred distinct letters, and NFD-decomposing each one again on every record
// is most of the cost of a name line: remember each letter's answer (null: no transliteration).
const letterCache = new Map<string, string | null>();

function transliterateLetter(ch: string): string | undefined {
  let mapped = letterCache.get(ch);
  if (mapped === undefined) {
    mapped = computeLetter(ch) ?? null;
    if (letterCache.size < 10_000) letterCache.set(ch, mapped);
  }
  return mapped ?? undefined;
}

function computeLetter(ch: string): string | undefined {
  const special = SPECIAL[ch];
  if (special !== undefined) return special;
  let base = '';
  for (const part of ch.normalize('NFD')) {
    if (COMBINING_MARK.test(part)) continue;
    base += part;
  }
  const upper = base.toUpperCase();
  return /^[A-Z]+$/.test(upper) ? upper : undefined;
}

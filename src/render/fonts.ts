/**
 * The fonts a template names, opened once per process and shared by every document: pdfkit accepts
 * an already parsed fontkit font, so each card PDF embeds a subset without parsing a 600 KB font
 * again. Text is measured here, from the same glyph advances pdfkit writes, so the layout knows the
 * exact width of every line before it is drawn.
 */
import { readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';

/**
 * OpenType features switched off for every text run. pdfkit hands text to fontkit, whose shaper
 * turns on `ccmp`, `locl`, `mark`, `mkmk` and others unless told otherwise. Noto Sans's `ccmp`
 * decomposes precomposed Vietnamese letters, and the PDF text layer then reads "Diễm" as "Dịễm";
 * an empty feature list is not enough (fontkit still adds its defaults, and "Thị" reads "Thi").
 * With every feature explicitly off, NFC text maps one code point to one precomposed glyph, the
 * card shows the same letters, and the text layer gives them back exactly.
 */
export const FEATURES_OFF: Readonly<Record<string, false>> = Object.freeze({
  ccmp: false,
  locl: false,
  rvrn: false,
  rlig: false,
  mark: false,
  mkmk: false,
  calt: false,
  clig: false,
  liga: false,
  rclt: false,
  curs: false,
  kern: false,
});

/** The part of a fontkit font the renderer uses. */
export interface FontkitFont {
  readonly postscriptName: string;
  readonly unitsPerEm: number;
  readonly capHeight: number;
  readonly ascent: number;
  readonly descent: number;
  hasGlyphForCodePoint(codePoint: number): boolean;
  glyphForCodePoint(codePoint: number): { readonly advanceWidth: number };
  layout(text: string, features?: unknown): unknown;
}

/** A font ready for layout (widths) and for pdfkit (the parsed font itself). */
export class LoadedFont {
  private readonly advances = new Map<number, number>();
  /**
   * What pdfkit gets: the parsed font, with every layout defaulting to FEATURES_OFF. pdfkit then
   * takes its cached path (text laid out once per word and document) instead of laying a text out
   * twice when it is given explicit features; the font's own state stays shared.
   */
  readonly pdfkitFont: FontkitFont;

  constructor(
    readonly key: string,
    readonly file: string,
    readonly font: FontkitFont,
  ) {
    const layout = (text: string, features?: unknown): unknown => withOwnCodePoints(text, font.layout(text, features ?? { ...FEATURES_OFF }));
    this.pdfkitFont = Object.create(font, { layout: { value: layout } }) as FontkitFont;
  }

  get postscriptName(): string {
    return this.font.postscriptName;
  }

  /** Cap height as a fraction of the font size. */
  get capHeightEm(): number {
    return this.font.capHeight / this.font.unitsPerEm;
  }

  get ascentEm(): number {
    return this.font.ascent / this.font.unitsPerEm;
  }

  /** Advance of one code point, in em. */
  advanceEm(codePoint: number): number {
    let w = this.advances.get(codePoint);
    if (w === undefined) {
      w = this.font.glyphForCodePoint(codePoint).advanceWidth / this.font.unitsPerEm;
      this.advances.set(codePoint, w);
    }
    return w;
  }

  /** Width of a text at `sizePt` points, in points (no kerning: FEATURES_OFF). */
  widthPt(text: string, sizePt: number): number {
    let em = 0;
    for (const ch of text) em += this.advanceEm(ch.codePointAt(0)!);
    return em * sizePt;
  }

  /** The characters of `text` the font has no glyph for (they would print as empty boxes). */
  missingCharacters(text: string): string[] {
    const missing = new Set<string>();
    for (const ch of text) if (ch !== ' ' && !this.font.hasGlyphForCodePoint(ch.codePointAt(0)!)) missing.add(ch);
    return [...missing];
  }
}

interface Glyph {
  readonly codePoints: readonly number[];
}

interface GlyphRun {
  glyphs: Glyph[];
}

/**
 * pdfkit writes each glyph's `codePoints` into the PDF's ToUnicode map, which is what the text layer
 * reads back. fontkit caches one glyph object per glyph id in the font and keeps the code points it
 * was first created with; a font shared between documents can have a glyph created first as a
 * component of an accented letter (subsetting "Ớ" creates "Ơ" with no code points), and a later
 * "Ơ" in a text then extracts wrongly. With every feature off, glyphs map one to one to the text's
 * code points, so each glyph of the run gets its own view carrying the right ones.
 */
function withOwnCodePoints(text: string, result: unknown): unknown {
  const run = result as GlyphRun;
  const codePoints = [...text].map((c) => c.codePointAt(0)!);
  const glyphs: unknown = run.glyphs;
  if (!Array.isArray(glyphs) || glyphs.length !== codePoints.length) return result;
  run.glyphs = run.glyphs.map((glyph, i): Glyph => {
    const cp = codePoints[i]!;
    return glyph.codePoints.length === 1 && glyph.codePoints[0] === cp ? glyph : (Object.create(glyph, { codePoints: { value: [cp] } }) as Glyph);
  });
  return run;
}

/**
 * Opens a font file through pdfkit (which parses it with fontkit) and keeps the parsed font.
 * fontkit is pdfkit's own dependency, not ours; going through pdfkit keeps it that way.
 */
export function openFont(key: string, file: string): LoadedFont {
  const data = readFileSync(file);
  const doc = new PDFDocument({ autoFirstPage: false });
  doc.registerFont(key, data);
  doc.font(key);
  const parsed = (doc as unknown as { _font?: { font?: unknown } })._font?.font;
  if (!isFontkitFont(parsed)) {
    throw new Error(`${file}: pdfkit did not expose a parsed font; this pdfkit version is not supported by src/render/fonts.ts`);
  }
  return new LoadedFont(key, file, parsed);
}

function isFontkitFont(value: unknown): value is FontkitFont {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as FontkitFont).layout === 'function' &&
    typeof (value as FontkitFont).glyphForCodePoint === 'function' &&
    typeof (value as FontkitFont).unitsPerEm === 'number'
  );
}

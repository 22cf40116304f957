/**
 * Template + render context → what to draw, in PDF points from the card's top-left corner: text
 * fitted into its box (with warnings), the MRZ at the ICAO pitch, the portrait box, the QR module
 * matrix and the artwork. Pure and synchronous; painting (paint.ts) only replays these operations,
 * so the same layout fills a card PDF and a cell of a proof sheet.
 */
import { TD1_LINE_LENGTH } from '../domain/mrz/td1-layout.ts';
import type { RenderContext } from './context.ts';
import { fitText } from './fit.ts';
import type { LoadedFont } from './fonts.ts';
import { qrMatrix, type QrMatrix } from './qr-matrix.ts';
import type { LoadedTemplate, ResolvedElement } from './template/load.ts';
import type { MrzElement, SideName, TextElement, Variant } from './template/schema.ts';

/** Points per millimetre. */
export const PT_PER_MM = 72 / 25.4;

export type Layer = 'card-body' | 'personal';
/** Which elements to draw: everything (previews, proofs, a blank card body) or only the personalization. */
export type LayerSelection = 'all' | 'personal';

export type DrawOp =
  | {
      readonly kind: 'text';
      readonly font: string;
      readonly sizePt: number;
      readonly colour: string;
      readonly x: number;
      /** Baseline. */
      readonly y: number;
      readonly text: string;
      /** Width of the text without character spacing. */
      readonly widthPt: number;
      readonly characterSpacingPt: number;
    }
  | {
      readonly kind: 'image';
      readonly data: Buffer;
      readonly x: number;
      readonly y: number;
      readonly width: number;
      readonly height: number;
      readonly fit: 'cover' | 'contain';
    }
  | {
      readonly kind: 'qr';
      readonly matrix: QrMatrix;
      readonly x: number;
      readonly y: number;
      readonly size: number;
      readonly quietZone: number;
      readonly colour: string;
    }
  | {
      readonly kind: 'path';
      readonly x: number;
      readonly y: number;
      /** SVG path data in millimetres. */
      readonly d: string;
      readonly fill: string | undefined;
      readonly stroke: string | undefined;
      readonly lineWidthMm: number;
    };

export type WarningKind = 'shrunk' | 'truncated' | 'word-split';

/** A text that did not fit as designed. Never carries the text itself (it is personal data). */
export interface RenderWarning {
  readonly side: SideName;
  readonly element: string;
  readonly kind: WarningKind;
  readonly message: string;
}

export interface CardLayout {
  readonly template: string;
  readonly variant: Variant;
  readonly widthPt: number;
  readonly heightPt: number;
  readonly cornerRadiusPt: number;
  readonly fonts: ReadonlyMap<string, LoadedFont>;
  readonly sides: Readonly<Record<SideName, readonly DrawOp[]>>;
  readonly mrz: readonly string[];
  readonly warnings: readonly RenderWarning[];
}

/** A field value the template's font cannot print: the input is the problem, not the template. */
export class UnprintableFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnprintableFieldError';
  }
}

export function layoutCard(template: LoadedTemplate, ctx: RenderContext, layers: LayerSelection = 'all'): CardLayout {
  const warnings: RenderWarning[] = [];
  const qrs = new Map<string, QrMatrix>();
  const sideOps = (side: SideName): DrawOp[] => {
    const ops: DrawOp[] = [];
    for (const e of template.variants[ctx.variant][side]) {
      if (layers === 'personal' && layerOf(e) !== 'personal') continue;
      switch (e.type) {
        case 'text':
          layoutText(e, template, ctx, side, ops, warnings);
          break;
        case 'mrz':
          layoutMrz(e, template, ctx, ops);
          break;
        case 'portrait':
          if (!ctx.portrait) throw new UnprintableFieldError('portrait', `${e.source}: the card has a portrait box but no portrait was given`);
          ops.push({ kind: 'image', data: ctx.portrait, x: e.x * PT_PER_MM, y: e.y * PT_PER_MM, width: e.width * PT_PER_MM, height: e.height * PT_PER_MM, fit: e.fit });
          break;
        case 'qr': {
          if (ctx.qr === undefined) throw new Error(`${e.source}: the input has no QR payload`);
          const key = `${e.layout}/${e.eclevel}`;
          const qr = qrs.get(key) ?? qrMatrix(ctx.qr[e.layout], e.eclevel);
          qrs.set(key, qr);
          ops.push({ kind: 'qr', matrix: qr, x: e.x * PT_PER_MM, y: e.y * PT_PER_MM, size: e.size * PT_PER_MM, quietZone: e.quietZone, colour: e.colour });
          break;
        }
        case 'shape':
          for (const p of e.paths) {
            ops.push({ kind: 'path', x: e.x * PT_PER_MM, y: e.y * PT_PER_MM, d: p.d, fill: p.fill, stroke: p.stroke, lineWidthMm: p.lineWidth });
          }
          break;
      }
    }
    return ops;
  };
  return {
    template: template.name,
    variant: ctx.variant,
    widthPt: template.card.width * PT_PER_MM,
    heightPt: template.card.height * PT_PER_MM,
    cornerRadiusPt: template.card.cornerRadius * PT_PER_MM,
    fonts: template.fonts,
    sides: { front: sideOps('front'), back: sideOps('back') },
    mrz: ctx.mrz,
    warnings,
  };
}

/** The layer an element belongs to: its own `layer`, else shapes and fixed texts are card body, the rest personal. */
export function layerOf(e: ResolvedElement): Layer {
  if (e.layer) return e.layer;
  if (e.type === 'shape') return 'card-body';
  if (e.type === 'text') return e.field === undefined ? 'card-body' : 'personal';
  return 'personal';
}

function fontOf(template: LoadedTemplate, key: string): LoadedFont {
  const font = template.fonts.get(key);
  if (!font) throw new Error(`template ${template.name}: font "${key}" is not loaded`);
  return font;
}

function layoutText(e: ResolvedElement & TextElement, template: LoadedTemplate, ctx: RenderContext, side: SideName, ops: DrawOp[], warnings: RenderWarning[]): void {
  const raw = e.text ?? ctx.text[e.field!] ?? '';
  let value = raw.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (e.transform === 'upper') value = value.toUpperCase();
  if (value === '') return;
  const font = fontOf(template, e.font);
  const name = e.id ?? e.field ?? 'text';
  const missing = font.missingCharacters(value);
  if (missing.length > 0) {
    throw new UnprintableFieldError(
      e.field ?? name,
      `${e.field ?? name}: has characters the card's font cannot print (${missing.map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(', ')})`,
    );
  }
  const widthPt = e.width * PT_PER_MM;
  const minSize = e.minSize ?? e.size;
  const fit = fitText(value, font, { sizePt: e.size, minSizePt: minSize, widthPt, maxLines: e.maxLines });
  const boxes = `${e.maxLines} line(s) of ${e.width} mm`;
  if (fit.shrunk && !fit.truncated) {
    warnings.push({ side, element: name, kind: 'shrunk', message: `${side}: ${name} shrunk from ${e.size} pt to ${fit.sizePt} pt to fit ${boxes}` });
  }
  if (fit.truncated) {
    warnings.push({ side, element: name, kind: 'truncated', message: `${side}: ${name} cut with "…": it does not fit ${boxes} even at ${minSize} pt` });
  }
  if (fit.wordSplit) {
    warnings.push({ side, element: name, kind: 'word-split', message: `${side}: ${name} has a word split across lines to fit ${boxes} at ${minSize} pt` });
  }
  const lineStep = e.lineHeight * fit.sizePt;
  fit.lines.forEach((line, i) => {
    const w = fit.widthsPt[i]!;
    const dx = e.align === 'left' ? 0 : e.align === 'center' ? (widthPt - w) / 2 : widthPt - w;
    ops.push({
      kind: 'text',
      font: e.font,
      sizePt: fit.sizePt,
      colour: e.colour,
      x: e.x * PT_PER_MM + dx,
      y: e.y * PT_PER_MM + i * lineStep,
      text: line,
      widthPt: w,
      characterSpacingPt: 0,
    });
  });
}

/**
 * The MRZ: OCR-B sized so that its capitals are `capHeight` high, every character cell exactly
 * `pitch` wide (character spacing = pitch − the font's advance), each line's capitals centred on
 * its reference centre line.
 */
function layoutMrz(e: ResolvedElement & MrzElement, template: LoadedTemplate, ctx: RenderContext, ops: DrawOp[]): void {
  const font = fontOf(template, e.font);
  const sizePt = (e.capHeight * PT_PER_MM) / font.capHeightEm;
  const pitchPt = e.pitch * PT_PER_MM;
  if (ctx.mrz.length !== e.lineCentres.length) {
    throw new Error(`${e.source}: the template has ${e.lineCentres.length} MRZ line(s), the document ${ctx.mrz.length}`);
  }
  ctx.mrz.forEach((line, i) => {
    if (line.length !== TD1_LINE_LENGTH) throw new Error(`MRZ line ${i + 1} has ${line.length} characters, not ${TD1_LINE_LENGTH}`);
    const advances = new Set([...line].map((c) => font.advanceEm(c.codePointAt(0)!)));
    if (advances.size !== 1) throw new Error(`${e.source}: font "${e.font}" is not monospaced over the MRZ characters`);
    const advancePt = [...advances][0]! * sizePt;
    ops.push({
      kind: 'text',
      font: e.font,
      sizePt,
      colour: e.colour,
      x: e.x * PT_PER_MM,
      y: (e.lineCentres[i]! + e.capHeight / 2) * PT_PER_MM,
      text: line,
      widthPt: advancePt * line.length,
      characterSpacingPt: pitchPt - advancePt,
    });
  });
}

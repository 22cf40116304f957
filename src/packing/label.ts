/**
 * The pack label: the pack id as a Code 128 symbol (bwip-js encodes, choosing code sets A/B/C),
 * drawn as vector bars, with the pack id, the office and the count in text beside it. A label is
 * a PDF page of 100 × 50 mm, the size of a common thermal label; the manifest carries the same
 * symbol on its first page.
 */
import bwipjs from 'bwip-js';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { openFont, type LoadedFont } from '../render/fonts.ts';
import { finish } from '../render/pdf.ts';
import type { PackState } from './pack.ts';

export const LABEL_MM = { width: 100, height: 50 } as const;
const PT_PER_MM = 72 / 25.4;
/** X-dimension (narrowest bar) of the label's symbol: 0.33 mm, readable by any handheld scanner. */
const MODULE_MM = 0.33;
/** Quiet zone each side: 10 modules (ISO/IEC 15417). */
const QUIET_MODULES = 10;

const FONT = createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf');
const BOLD = createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf');

export interface Code128 {
  /** Widths in modules, bar first, bars and spaces alternating (start, data, check, stop). */
  readonly widths: readonly number[];
  /** Sum of the widths. */
  readonly modules: number;
}

/** The Code 128 symbol of printable ASCII text. */
export function code128(text: string): Code128 {
  if (!/^[\x20-\x7e]+$/.test(text)) throw new RangeError('a Code 128 pack label carries printable ASCII only');
  const [symbol] = bwipjs.raw('code128', text, {});
  if (!symbol || !('sbs' in symbol) || !Array.isArray(symbol.sbs)) throw new Error('bwip-js returned no Code 128 bar widths');
  const widths = symbol.sbs;
  return { widths, modules: widths.reduce((a, b) => a + b, 0) };
}

/** Draws the symbol with its top-left corner (quiet zone included) at (x, y), in points. */
export function drawCode128(doc: PDFKit.PDFDocument, symbol: Code128, x: number, y: number, heightPt: number, modulePt = MODULE_MM * PT_PER_MM): number {
  let at = x + QUIET_MODULES * modulePt;
  symbol.widths.forEach((w, i) => {
    if (i % 2 === 0) doc.rect(at, y, w * modulePt, heightPt);
    at += w * modulePt;
  });
  doc.fillColor('black').fill();
  return (symbol.modules + 2 * QUIET_MODULES) * modulePt;
}

let fonts: { regular: LoadedFont; bold: LoadedFont } | undefined;

/**
 * A document with Noto Sans registered as `pack:regular` and `pack:bold`, through the renderer's
 * font loading (every OpenType feature off), so Vietnamese names read back exactly from the PDF.
 */
export function packDocument(widthPt: number, heightPt: number, info: PDFKit.DocumentInfo, margin = 0): PDFKit.PDFDocument {
  fonts ??= { regular: openFont('pack:regular', FONT), bold: openFont('pack:bold', BOLD) };
  const doc = new PDFDocument({ size: [widthPt, heightPt], margin, font: '', info });
  doc.registerFont('pack:regular', fonts.regular.pdfkitFont as unknown as Buffer);
  doc.registerFont('pack:bold', fonts.bold.pdfkitFont as unknown as Buffer);
  doc.font('pack:regular');
  return doc;
}

/** The label of a pack as a one-page PDF. */
export function packLabelPdf(pack: Pick<PackState, 'packId' | 'office' | 'cards' | 'manifestVersion' | 'remainder'>): Promise<Buffer> {
  const doc = packDocument(LABEL_MM.width * PT_PER_MM, LABEL_MM.height * PT_PER_MM, { Title: `pack ${pack.packId}`, Creator: 'cardline pack label' });
  const mm = (v: number) => v * PT_PER_MM;
  const symbol = code128(pack.packId);
  const width = drawCode128(doc, symbol, mm(2), mm(4), mm(18));
  if (width > mm(LABEL_MM.width - 4)) throw new RangeError(`pack id ${pack.packId} is too long for a ${LABEL_MM.width} mm label`);
  doc.font('pack:bold').fontSize(11).fillColor('black').text(pack.packId, mm(5), mm(24), { width: mm(90), lineBreak: false });
  doc.font('pack:regular').fontSize(10).text(pack.office, mm(5), mm(31), { width: mm(90), height: mm(10), ellipsis: true });
  doc.fontSize(9).text(`${pack.cards.length} cards${pack.remainder ? ' · remainder' : ''} · manifest v${pack.manifestVersion}`, mm(5), mm(42), { width: mm(90), lineBreak: false });
  return finish(doc);
}

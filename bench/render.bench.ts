/**
 * Card rendering speed on one core: laser-job PDFs (two sides a card) through the renderer, PNG
 * previews, and the renderer against a bare pdfkit script in the same run.
 *
 * The bare script draws the same PDFs by hand: the same text runs at the same places in the same
 * fonts (with the OpenType features off that the text layer needs), the portrait with pdfkit's
 * `cover`, the card artwork paths and the QR symbol from bwip-js as module rectangles. Its texts,
 * places and QR payloads are prepared before the clock starts (a hand-written script has them in
 * its code). What it leaves out are our layers: record validation, the render context (MRZ, QR
 * payload), templates, text fitting, the ToUnicode fix of fonts.ts and the mask choice of
 * qr-mask.ts. The ratio is taken against the strongest such script — fonts parsed once per
 * process, one fixed QR mask — so it measures what our layers cost; a naive script (fonts
 * registered from their files in every document, bwip-js choosing the mask) is timed once for
 * context and printed as an info line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import bwipjs from 'bwip-js';
import PDFDocument from 'pdfkit';
import { CardRenderer, pdfToPng, type CardInput, type CardLayout } from '../src/render/index.ts';
import { FEATURES_OFF } from '../src/render/fonts.ts';
import { PT_PER_MM, type DrawOp } from '../src/render/layout.ts';
import { drawPortrait, sampleRecords } from '../src/sample/generate.ts';
import { bench, info } from './report.ts';

const CARDS = 200;
const PORTRAITS = 16;
const PNG_SIDES = 30;
const PNG_DPI = 300;
const ROUNDS = 3;

const portraits: Buffer[] = [];
for (let i = 0; i < PORTRAITS; i++) portraits.push(await drawPortrait(1000 + i));
const inputs: CardInput[] = [];
let n = 0;
for (const { record, portraitSeed } of sampleRecords({ count: CARDS, seed: 'bench-render' })) {
  inputs.push({ record, portrait: portraitSeed === undefined ? undefined : portraits[n++ % PORTRAITS] });
}

const renderer = new CardRenderer();

async function ours(): Promise<number> {
  let bytes = 0;
  for (const input of inputs) {
    const card = await renderer.renderCard(input);
    bytes += card.front.length + card.back.length;
  }
  return bytes;
}

// ---- the bare pdfkit script -------------------------------------------------------------------

interface BareSide {
  readonly texts: readonly { font: string; size: number; colour: string; x: number; y: number; text: string; spacing: number }[];
  readonly portrait: { data: Buffer; x: number; y: number; w: number; h: number } | undefined;
  readonly qr: { payload: string; x: number; y: number; size: number } | undefined;
  readonly paths: readonly { x: number; y: number; d: string; fill?: string; stroke?: string; lineWidth: number }[];
}
interface BareCard {
  readonly width: number;
  readonly height: number;
  readonly sides: readonly BareSide[];
}

const template = renderer.template();
const fontFiles = new Map<string, Buffer>();
for (const [key, font] of template.fonts) fontFiles.set(key, readFileSync(font.file));
/** The strong baseline's fonts: parsed once per process (fontkit, as pdfkit parses them), nothing of ours around them. */
const parsedFonts = new Map<string, unknown>();
for (const [key, font] of template.fonts) parsedFonts.set(key, font.font);
info(`fonts: ${[...template.fonts.values()].map((f) => path.basename(f.file)).join(', ')}`);

/** What a hand-written script would have in its code: texts, places, artwork and the QR payload. */
function bareCard(layout: CardLayout, qrPayload: string): BareCard {
  const side = (ops: readonly DrawOp[]): BareSide => {
    const texts: BareSide['texts'][number][] = [];
    const paths: BareSide['paths'][number][] = [];
    let portrait: BareSide['portrait'];
    let qr: BareSide['qr'];
    for (const op of ops) {
      if (op.kind === 'text') texts.push({ font: op.font, size: op.sizePt, colour: op.colour, x: op.x, y: op.y, text: op.text, spacing: op.characterSpacingPt });
      else if (op.kind === 'image') portrait = { data: op.data, x: op.x, y: op.y, w: op.width, h: op.height };
      else if (op.kind === 'qr') qr = { payload: qrPayload, x: op.x, y: op.y, size: op.size };
      else paths.push({ x: op.x, y: op.y, d: op.d, lineWidth: op.lineWidthMm, ...(op.fill ? { fill: op.fill } : {}), ...(op.stroke ? { stroke: op.stroke } : {}) });
    }
    return { texts, portrait, qr, paths };
  };
  return { width: layout.widthPt, height: layout.heightPt, sides: [side(layout.sides.front), side(layout.sides.back)] };
}

interface BareStyle {
  /** Fonts parsed once per process (strong) or registered from their files per document (naive). */
  readonly fonts: 'parsed-once' | 'files';
  /** bwip-js with one fixed mask (strong) or bwip-js's own choice among the eight (naive). */
  readonly qrMask: 'fixed' | 'bwip-js';
}

function barePdf(card: BareCard, s: BareSide, style: BareStyle): Promise<Buffer> {
  const doc = new PDFDocument({ size: [card.width, card.height], margin: 0, font: '' });
  if (style.fonts === 'files') for (const [key, data] of fontFiles) doc.registerFont(key, data);
  else for (const [key, font] of parsedFonts) doc.registerFont(key, font as Buffer);
  for (const p of s.paths) {
    doc.save().translate(p.x, p.y).scale(PT_PER_MM).path(p.d);
    if (p.fill && p.stroke) doc.lineWidth(p.lineWidth).fillAndStroke(p.fill, p.stroke);
    else if (p.fill) doc.fill(p.fill);
    else doc.lineWidth(p.lineWidth).stroke(p.stroke);
    doc.restore();
  }
  for (const t of s.texts) {
    doc.font(t.font).fontSize(t.size).fillColor(t.colour);
    doc.text(t.text, t.x, t.y, { lineBreak: false, baseline: 'alphabetic', characterSpacing: t.spacing, features: { ...FEATURES_OFF } as unknown as PDFKit.Mixins.OpenTypeFeatures[] });
  }
  if (s.portrait) {
    const p = s.portrait;
    doc.save().rect(p.x, p.y, p.w, p.h).clip();
    doc.image(p.data, p.x, p.y, { cover: [p.w, p.h], align: 'center', valign: 'center' });
    doc.restore();
  }
  if (s.qr) {
    const [symbol] = bwipjs.raw('qrcode', `^ECI000026${s.qr.payload}`, { eclevel: 'M', parsefnc: true, ...(style.qrMask === 'fixed' ? { mask: 1 } : {}) } as bwipjs.BwippOptions);
    const sym = symbol as { pixx: number; pixs: number[] };
    const m = s.qr.size / sym.pixx;
    for (let r = 0; r < sym.pixx; r++) for (let c = 0; c < sym.pixx; c++) if (sym.pixs[r * sym.pixx + c]) doc.rect(s.qr.x + c * m, s.qr.y + r * m, m, m);
    doc.fill('#141414');
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.end();
  });
}

const bareCards: BareCard[] = [];
for (const input of inputs) {
  const layout = renderer.layout(input);
  // The payload is the same text our renderer encodes (docs/qr-payload.md).
  const { buildContext } = await import('../src/render/context.ts');
  const built = buildContext('vn-record', input);
  if (!built.ok) throw new Error('bench input does not validate');
  bareCards.push(bareCard(layout, built.context.qr!['vn-2024']));
}

const STRONG: BareStyle = { fonts: 'parsed-once', qrMask: 'fixed' };
const NAIVE: BareStyle = { fonts: 'files', qrMask: 'bwip-js' };

async function bare(style: BareStyle): Promise<number> {
  let bytes = 0;
  for (const card of bareCards) for (const s of card.sides) bytes += (await barePdf(card, s, style)).length;
  return bytes;
}

async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const bytes = await fn();
  return { ms: performance.now() - t0, bytes };
}

// Warm-up (JIT, font subsetting paths, bwip-js), then interleaved rounds; best of each.
await ours();
await bare(STRONG);
let bestOurs = Infinity;
let bestBare = Infinity;
let oursBytes = 0;
let bareBytes = 0;
for (let r = 0; r < ROUNDS; r++) {
  const a = await timed(ours);
  const b = await timed(() => bare(STRONG));
  bestOurs = Math.min(bestOurs, a.ms);
  bestBare = Math.min(bestBare, b.ms);
  oursBytes = a.bytes;
  bareBytes = b.bytes;
}
// For context only: a script that registers its fonts per document and lets bwip-js choose the mask.
const naive = await timed(() => bare(NAIVE));
const sides = CARDS * 2;
const oursRate = (sides / bestOurs) * 1000;
const bareRate = (sides / bestBare) * 1000;
info(`${CARDS} cards (${sides} sides): renderer ${bestOurs.toFixed(0)} ms, bare pdfkit ${bestBare.toFixed(0)} ms (best of ${ROUNDS}); PDF bytes ${oursBytes} / ${bareBytes}`);
info(`naive bare pdfkit (fonts from files per document, bwip-js mask choice): ${naive.ms.toFixed(0)} ms, ratio ${(naive.ms / bestOurs).toFixed(2)}`);

const samples = await Promise.all(inputs.slice(0, PNG_SIDES / 2).map((i) => renderer.renderCard(i)));
const pdfs = samples.flatMap((c) => [c.front, c.back]);
await pdfToPng(pdfs[0]!, PNG_DPI);
const t0 = performance.now();
let pngBytes = 0;
for (const pdf of pdfs) pngBytes += (await pdfToPng(pdf, PNG_DPI)).length;
const pngMs = performance.now() - t0;
info(`${pdfs.length} PNG previews at ${PNG_DPI} dpi in ${pngMs.toFixed(0)} ms (${pngBytes} bytes)`);

bench('render_sides_per_s', oursRate, 'sides/s');
bench('render_png_per_s', (pdfs.length / pngMs) * 1000, 'png/s');
bench('render_vs_bare_pdfkit_ratio', oursRate / bareRate, 'ratio');

/**
 * Proof sheets for the operator's sign-off: A4 portrait, 8 cards a page (2 columns × 4 rows) at
 * actual size, each with crop marks at its corners and its record label underneath (a batch seq or
 * record reference, never a name or ID number). Each group of 8 cards gets a page of fronts followed
 * by a page of backs; on the backs page the columns are swapped, so a sheet printed duplex (long
 * edge) has every back behind its front. Cards are added one at a time and pages are written as they
 * fill, so a batch's proof never needs all its cards in memory.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { openFont, type LoadedFont } from './fonts.ts';
import { PT_PER_MM, type CardLayout } from './layout.ts';
import { paintOps } from './paint.ts';
import { newDocument } from './pdf.ts';
import type { SideName } from './template/schema.ts';

export interface ProofCard {
  /** Printed under the card, e.g. "seq 42": never personal data. */
  readonly label: string;
  readonly layout: CardLayout;
}

export const A4_MM = { width: 210, height: 297 } as const;
export const CARDS_PER_PAGE = 8;
const COLUMNS = 2;
const COLUMN_GAP_MM = 12;
const TOP_MM = 18;
const ROW_PITCH_MM = 66;
const MARGIN_MM = 13;
const MARK_OFFSET_MM = 1.5;
const MARK_LENGTH_MM = 4;
const LABEL_FONT = '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf';

let labelFont: LoadedFont | undefined;

function proofFont(): LoadedFont {
  labelFont ??= openFont('proof', createRequire(import.meta.url).resolve(LABEL_FONT));
  return labelFont;
}

/** Top-left corner (mm) of cell `index` (0–7) on a page of `side`. */
export function cellOrigin(index: number, side: SideName, card: { width: number; height: number }): { x: number; y: number } {
  const row = Math.floor(index / COLUMNS);
  let col = index % COLUMNS;
  if (side === 'back') col = COLUMNS - 1 - col;
  const left = (A4_MM.width - (COLUMNS * card.width + (COLUMNS - 1) * COLUMN_GAP_MM)) / 2;
  return { x: left + col * (card.width + COLUMN_GAP_MM), y: TOP_MM + row * ROW_PITCH_MM };
}

export class ProofSheet {
  private readonly doc: PDFKit.PDFDocument;
  private readonly font = proofFont();
  private readonly registered = new Set<string>();
  private readonly pending: ProofCard[] = [];
  private readonly done: Promise<Buffer | undefined>;
  private sheets = 0;
  private cards = 0;

  /**
   * @param title heading of every page (e.g. the batch id); never personal data.
   * @param sink where the PDF goes as it is written; without one, `end()` returns the bytes.
   */
  constructor(
    private readonly title: string,
    sink?: Writable,
  ) {
    this.doc = newDocument(A4_MM.width * PT_PER_MM, A4_MM.height * PT_PER_MM, `Proof sheet: ${title}`);
    this.doc.registerFont('proof:label', this.font.pdfkitFont as unknown as Buffer);
    this.done = new Promise((resolve, reject) => {
      this.doc.on('error', reject);
      if (sink) {
        sink.on('error', reject);
        sink.on('finish', () => resolve(undefined));
        this.doc.pipe(sink);
      } else {
        const chunks: Buffer[] = [];
        this.doc.on('data', (c: Buffer) => chunks.push(c));
        this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      }
    });
  }

  get cardCount(): number {
    return this.cards;
  }

  add(card: ProofCard): void {
    this.pending.push(card);
    this.cards++;
    if (this.pending.length === CARDS_PER_PAGE) this.flush();
  }

  /** Writes the last pages and ends the document: the PDF's bytes, or undefined when piped to a sink. */
  async end(): Promise<Buffer | undefined> {
    if (this.pending.length > 0) this.flush();
    if (this.sheets === 0) throw new Error('a proof sheet needs at least one card');
    this.doc.end();
    return this.done;
  }

  private flush(): void {
    this.sheets++;
    for (const side of ['front', 'back'] as const) {
      if (this.sheets > 1 || side === 'back') this.doc.addPage({ size: [A4_MM.width * PT_PER_MM, A4_MM.height * PT_PER_MM], margin: 0 });
      this.page(side);
    }
    this.pending.length = 0;
  }

  private page(side: SideName): void {
    const doc = this.doc;
    this.text(`${this.title} — ${side === 'front' ? 'fronts' : 'backs'} — sheet ${this.sheets}`, MARGIN_MM, 11, 9);
    this.pending.forEach((card, i) => {
      const prefix = `${card.layout.template}:`;
      for (const [key, f] of card.layout.fonts) {
        if (this.registered.has(prefix + key)) continue;
        doc.registerFont(prefix + key, f.pdfkitFont as unknown as Buffer);
        this.registered.add(prefix + key);
      }
      const { widthPt: w, heightPt: h, cornerRadiusPt: r } = card.layout;
      const at = cellOrigin(i, side, { width: w / PT_PER_MM, height: h / PT_PER_MM });
      const x = at.x * PT_PER_MM;
      const y = at.y * PT_PER_MM;
      doc.save();
      doc.roundedRect(x, y, w, h, r).clip();
      paintOps(doc, card.layout.sides[side], x, y, prefix);
      doc.restore();
      doc.roundedRect(x, y, w, h, r).lineWidth(0.3).stroke('#b0b0b0');
      cropMarks(doc, x, y, w, h);
      const labelWidthMm = this.font.widthPt(card.label, 7) / PT_PER_MM;
      this.text(card.label, at.x + (w / PT_PER_MM - labelWidthMm) / 2, at.y + h / PT_PER_MM + MARK_OFFSET_MM + 2.5, 7);
    });
    this.text('Checked by: ______________________    Date: ______________    Signature: ______________________', MARGIN_MM, 288, 8);
  }

  private text(text: string, xMm: number, baselineMm: number, sizePt: number): void {
    this.doc.font('proof:label').fontSize(sizePt).fillColor('#000000');
    this.doc.text(text, xMm * PT_PER_MM, baselineMm * PT_PER_MM, { lineBreak: false, baseline: 'alphabetic' });
  }
}

function cropMarks(doc: PDFKit.PDFDocument, x: number, y: number, w: number, h: number): void {
  const o = MARK_OFFSET_MM * PT_PER_MM;
  const l = MARK_LENGTH_MM * PT_PER_MM;
  for (const [cx, dx] of [
    [x, -1],
    [x + w, 1],
  ] as const) {
    for (const [cy, dy] of [
      [y, -1],
      [y + h, 1],
    ] as const) {
      // On the lines of the card's edges, outside the card, leaving a gap at the corner.
      doc.moveTo(cx + dx * o, cy).lineTo(cx + dx * (o + l), cy);
      doc.moveTo(cx, cy + dy * o).lineTo(cx, cy + dy * (o + l));
    }
  }
  doc.lineWidth(0.25).stroke('#000000');
}

/** A whole proof sheet in memory (small proofs, tests). */
export async function proofSheet(cards: readonly ProofCard[], title: string): Promise<Buffer> {
  const sheet = new ProofSheet(title);
  for (const card of cards) sheet.add(card);
  return (await sheet.end())!;
}

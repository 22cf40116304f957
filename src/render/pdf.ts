/**
 * PDF documents: one page per card side at the card's exact size, fonts embedded as subsets, and a
 * fixed creation date, so the same card always gives the same bytes (golden tests, job hashes).
 */
import PDFDocument from 'pdfkit';
import type { CardLayout } from './layout.ts';
import { paintOps, registerFonts } from './paint.ts';
import type { SideName } from './template/schema.ts';

/**
 * The creation date written into every PDF. A fixed date makes the output reproducible (pdfkit also
 * derives the file /ID from the document info); the laser job's own record says when it was made.
 */
export const FIXED_PDF_DATE = new Date('2024-07-01T00:00:00Z');

export function newDocument(widthPt: number, heightPt: number, title: string): PDFKit.PDFDocument {
  return new PDFDocument({
    size: [widthPt, heightPt],
    margin: 0,
    compress: true,
    // No default font: pdfkit would parse Helvetica's metrics for every document, and cards use
    // only the template's embedded fonts.
    font: '',
    info: { Title: title, Creator: 'cardline render', Producer: 'cardline (pdfkit)', CreationDate: FIXED_PDF_DATE },
  });
}

/** Ends the document and collects its bytes. */
export function finish(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.end();
  });
}

/** A rectangle of one card face, in mm from that face's top-left corner, where no ink may go. */
export interface KeepClearArea {
  readonly side: SideName;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const PT_PER_MM = 72 / 25.4;

/**
 * One card side. Keep-clear areas of this side are cut out of the page by an even-odd clipping
 * path around everything painted, so nothing is engraved there whatever the layout holds (the
 * line's preparer also refuses a template that places anything there: see keepClearConflicts).
 */
export function sidePdf(layout: CardLayout, side: SideName, keepClear: readonly KeepClearArea[] = []): Promise<Buffer> {
  const doc = newDocument(layout.widthPt, layout.heightPt, `${layout.template} ${side}`);
  registerFonts(doc, layout.fonts);
  const areas = keepClear.filter((a) => a.side === side);
  if (areas.length > 0) {
    doc.save();
    doc.rect(0, 0, layout.widthPt, layout.heightPt);
    for (const a of areas) doc.rect(a.x * PT_PER_MM, a.y * PT_PER_MM, a.width * PT_PER_MM, a.height * PT_PER_MM);
    doc.clip('even-odd');
  }
  paintOps(doc, layout.sides[side]);
  if (areas.length > 0) doc.restore();
  return finish(doc);
}

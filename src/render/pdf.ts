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

export function sidePdf(layout: CardLayout, side: SideName): Promise<Buffer> {
  const doc = newDocument(layout.widthPt, layout.heightPt, `${layout.template} ${side}`);
  registerFonts(doc, layout.fonts);
  paintOps(doc, layout.sides[side]);
  return finish(doc);
}

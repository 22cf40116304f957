/**
 * Replays a side's draw operations on a pdfkit document, optionally at an offset (a proof-sheet
 * cell). Text goes through pdfkit's ordinary text call, placed by its baseline, in fonts whose
 * layout has every OpenType feature off (fonts.ts explains why); the QR code becomes one filled
 * path of module runs.
 */
import type { DrawOp } from './layout.ts';
import type { LoadedFont } from './fonts.ts';
import { PT_PER_MM } from './layout.ts';

/** Registers the layout's fonts under their template keys (pdfkit takes the parsed fontkit font). */
export function registerFonts(doc: PDFKit.PDFDocument, fonts: ReadonlyMap<string, LoadedFont>): void {
  for (const [key, font] of fonts) doc.registerFont(key, font.pdfkitFont as unknown as Buffer);
}

/** `fontPrefix` qualifies the font keys when a document holds several templates' fonts (proof sheets). */
export function paintOps(doc: PDFKit.PDFDocument, ops: readonly DrawOp[], dx = 0, dy = 0, fontPrefix = ''): void {
  for (const op of ops) {
    switch (op.kind) {
      case 'text':
        doc.font(fontPrefix + op.font).fontSize(op.sizePt).fillColor(op.colour);
        doc.text(op.text, op.x + dx, op.y + dy, {
          lineBreak: false,
          baseline: 'alphabetic',
          characterSpacing: op.characterSpacingPt,
          ...({ textWidth: op.widthPt, wordCount: 1 } as object),
        });
        break;
      case 'image': {
        const x = op.x + dx;
        const y = op.y + dy;
        doc.save();
        doc.rect(x, y, op.width, op.height).clip();
        const box: [number, number] = [op.width, op.height];
        doc.image(op.data, x, y, op.fit === 'cover' ? { cover: box, align: 'center', valign: 'center' } : { fit: box, align: 'center', valign: 'center' });
        doc.restore();
        break;
      }
      case 'qr':
        paintQr(doc, op, dx, dy);
        break;
      case 'path':
        doc.save();
        doc.translate(op.x + dx, op.y + dy).scale(PT_PER_MM);
        doc.path(op.d);
        if (op.fill !== undefined && op.stroke !== undefined) doc.lineWidth(op.lineWidthMm).fillAndStroke(op.fill, op.stroke);
        else if (op.fill !== undefined) doc.fill(op.fill);
        else doc.lineWidth(op.lineWidthMm).stroke(op.stroke);
        doc.restore();
        break;
    }
  }
}

function paintQr(doc: PDFKit.PDFDocument, op: Extract<DrawOp, { kind: 'qr' }>, dx: number, dy: number): void {
  const { size: n, modules } = op.matrix;
  const m = op.size / n;
  const x0 = op.x + dx;
  const y0 = op.y + dy;
  const quiet = op.quietZone * m;
  doc.rect(x0 - quiet, y0 - quiet, op.size + 2 * quiet, op.size + 2 * quiet).fill('#ffffff');
  // One rectangle per run of dark modules in a row: a few hundred path segments, one fill.
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (modules[row * n + col] !== 1) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules[row * n + col] === 1) col++;
      doc.rect(x0 + start * m, y0 + row * m, (col - start) * m, m);
    }
  }
  doc.fill(op.colour);
}

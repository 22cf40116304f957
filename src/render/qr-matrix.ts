/**
 * QR symbols with bwip-js (BWIPP): the module matrix only, which the painter draws as vector
 * rectangles (crisp at any engraving resolution, no bitmap in the PDF). The payload is encoded as
 * UTF-8 bytes behind an ECI 000026 (UTF-8) designator, so a reader need not guess the character set
 * (docs/qr-payload.md).
 */
import bwipjs from 'bwip-js';
import { bestMask } from './qr-mask.ts';

export type QrEcLevel = 'L' | 'M' | 'Q' | 'H';

export interface QrMatrix {
  /** Modules per side. */
  readonly size: number;
  /** Row-major, one entry per module: 1 dark, 0 light. */
  readonly modules: ArrayLike<number>;
}

/** ECI designator 000026: the byte-mode data that follows is UTF-8 (AIM ECI specification). */
const ECI_UTF8 = '^ECI000026';

/** The symbol exactly as bwip-js encodes it with mask pattern 000 (BWIPP's `mask=1`). */
export function qrMatrixMask0(payload: string, eclevel: QrEcLevel): QrMatrix {
  // With parsefnc on, '^' introduces a function character; a literal caret is written '^^'.
  // bwip-js turns the JavaScript string into UTF-8 bytes itself.
  const text = ECI_UTF8 + payload.normalize('NFC').replace(/\^/g, '^^');
  // BWIPP's qrcode options (eclevel) are not in bwip-js's option type, which lists the common ones.
  const options: bwipjs.BwippOptions & { eclevel: QrEcLevel; mask: number } = { eclevel, parsefnc: true, mask: 1 };
  const [symbol] = bwipjs.raw('qrcode', text, options);
  if (!symbol || !('pixs' in symbol) || symbol.pixx !== symbol.pixy) {
    throw new Error('bwip-js returned no QR module matrix');
  }
  return { size: symbol.pixx, modules: symbol.pixs };
}

/** The QR symbol of `payload`, with the data mask chosen by penalty score (qr-mask.ts). */
export function qrMatrix(payload: string, eclevel: QrEcLevel): QrMatrix {
  return bestMask(qrMatrixMask0(payload, eclevel));
}

/**
 * The manifest of a delivery pack: what the receiving office checks the pack against. It names the
 * pack (id and Code 128 symbol), the office, the batch and line, the manifest version, and for each
 * card its serial, its record's sequence number, the holder's name and the last 4 digits of the ID
 * number — the least the office needs to hand the card to the right person, and nothing else of the
 * record. Cards taken out of the pack since an earlier version are listed by serial and reason only.
 * Written as a file only its owner can read (0600).
 */
import { chmod, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { finish } from '../render/pdf.ts';
import { code128, drawCode128, packDocument } from './label.ts';
import type { PackCard, PackState } from './pack.ts';

export interface ManifestPack extends PackState {
  readonly lineId: string;
  readonly removed: readonly (PackCard & { readonly reason: string | null })[];
}

/** What the manifest shows of a holder; undefined when the record's personal data is purged. */
export interface Holder {
  readonly fullName: string;
  readonly pid: string;
}

const PT_PER_MM = 72 / 25.4;
const A4 = { width: 210 * PT_PER_MM, height: 297 * PT_PER_MM };
const MARGIN = 18 * PT_PER_MM;
const ROW = 15;

/** "•••• 1234": the last 4 digits, never more. */
export function pidTail(pid: string): string {
  return `•••• ${pid.slice(-4)}`;
}

export async function manifestPdf(pack: ManifestPack, holderOf: (seq: number) => Promise<Holder | undefined>, issuedAt: Date): Promise<Buffer> {
  const regular = 'pack:regular';
  const bold = 'pack:bold';
  const doc = packDocument(A4.width, A4.height, { Title: `Manifest ${pack.packId} v${pack.manifestVersion}`, Creator: 'cardline pack manifest', CreationDate: issuedAt }, MARGIN);
  const right = A4.width - MARGIN;
  doc.font(bold).fontSize(16).text('Delivery pack manifest', MARGIN, MARGIN);
  drawCode128(doc, code128(pack.packId), right - 75 * PT_PER_MM, MARGIN, 14 * PT_PER_MM, 0.25 * PT_PER_MM);
  doc.font(regular).fontSize(10).fillColor('black');
  const facts: [string, string][] = [
    ['Pack', pack.packId],
    ['Delivery office', pack.office],
    ['Batch', pack.batchId],
    ['Line', pack.lineId],
    ['Manifest version', String(pack.manifestVersion)],
    ['Status', `${pack.closed ? 'closed' : 'open'}${pack.remainder ? ', remainder pack (closed before full)' : ''}`],
    ['Cards', String(pack.cards.length)],
    ['Issued', issuedAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC'],
  ];
  let y = MARGIN + 30;
  for (const [k, v] of facts) {
    doc.font(bold).text(k, MARGIN, y, { width: 110, lineBreak: false });
    doc.font(regular).text(v, MARGIN + 115, y, { width: right - MARGIN - 115 - 80 * PT_PER_MM, lineBreak: false, ellipsis: true });
    y += ROW;
  }
  y += 10;
  const columns = [
    { title: '#', x: MARGIN, width: 25 },
    { title: 'Card serial', x: MARGIN + 28, width: 90 },
    { title: 'Record', x: MARGIN + 120, width: 50 },
    { title: 'Name', x: MARGIN + 175, width: 230 },
    { title: 'ID number', x: MARGIN + 410, width: right - MARGIN - 410 },
  ];
  const header = () => {
    doc.font(bold);
    for (const c of columns) doc.text(c.title, c.x, y, { width: c.width, lineBreak: false });
    y += ROW;
    doc.moveTo(MARGIN, y - 3).lineTo(right, y - 3).lineWidth(0.5).stroke();
    doc.font(regular);
  };
  header();
  for (const [i, card] of pack.cards.entries()) {
    if (y > A4.height - MARGIN - ROW) {
      doc.addPage();
      y = MARGIN;
      header();
    }
    const holder = await holderOf(card.seq);
    const cells = [String(i + 1), card.cardSerial, String(card.seq), holder?.fullName ?? '(personal data purged)', holder ? pidTail(holder.pid) : ''];
    cells.forEach((text, c) => doc.text(text, columns[c]!.x, y, { width: columns[c]!.width, lineBreak: false, ellipsis: true }));
    y += ROW;
  }
  if (pack.removed.length > 0) {
    y += 10;
    if (y > A4.height - MARGIN - 2 * ROW) {
      doc.addPage();
      y = MARGIN;
    }
    doc.font(bold).text('Taken out of the pack (not to be delivered)', MARGIN, y);
    y += ROW;
    doc.font(regular);
    for (const r of pack.removed) {
      if (y > A4.height - MARGIN - ROW) {
        doc.addPage();
        y = MARGIN;
      }
      doc.text(`${r.cardSerial}   record ${r.seq}   ${r.reason ?? ''}`, MARGIN, y, { lineBreak: false });
      y += ROW;
    }
  }
  return finish(doc);
}

/** Writes `data` to `file` readable by its owner only (0600), replacing the file whole. */
export async function writePrivateFile(file: string, data: Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // The mode given to open is masked by the umask; set it outright.
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

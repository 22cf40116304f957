/**
 * The card stock as the laser job sees it (issue 20 items 11 and 12): a pre-printed card body gets
 * the personal layer only while previews and proofs show both layers; a chip module's area on its
 * face is left blank in the laser job, and a template that would engrave there is refused before a
 * run. Geometry: docs/templates.md ("Card stock"); the ISO/IEC 7816-2 default area is
 * ISO_7816_MODULE_AREA in src/config/line-config.ts.
 */
import { describe, expect, it } from 'vitest';
import { ISO_7816_MODULE_AREA, type CardStock } from '../../src/config/line-config.ts';
import { checkTemplateForStock, laserRenderOptions, PreparationError } from '../../src/line/prepare.ts';
import { CardRenderer, pdfToRaster, proofSheet, type Raster } from '../../src/render/index.ts';
import { keepClearConflicts } from '../../src/render/keep-clear.ts';
import { sidePdf } from '../../src/render/pdf.ts';
import { fixture, readPdf } from './helpers.ts';

const renderer = new CardRenderer();
const input = fixture('adult-no-expiry');
const ARTWORK = ['CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', 'CĂN CƯỚC', 'IDENTITY CARD', 'Số định danh cá nhân / Personal identification number'];

describe('pre-printed card bodies (item 12)', () => {
  const stock: CardStock = { prePrinted: true };

  it('the laser job carries the personal layer only; the preview and the proof show the artwork too', async () => {
    const card = await renderer.renderCard(input, laserRenderOptions(stock));
    const [laserFront, laserBack] = await Promise.all([readPdf(card.front), readPdf(card.back)]);
    for (const text of ARTWORK) expect(laserFront.text).not.toContain(text);
    expect(laserFront.items.map((i) => i.str).filter((s) => s.trim() !== '')).toStrictEqual(['058064803691', 'TRẦN VĂN LONG', '29/11/1964', 'Nam', 'Việt Nam']);
    expect(laserFront.images).toBe(1);
    expect(laserBack.text).not.toContain('BỘ CÔNG AN');
    expect(laserBack.text).not.toContain('Nơi cư trú');
    expect(laserBack.text).toContain('Ninh Thuận');

    const [preview, proof] = await Promise.all([readPdf(await sidePdf(card.layout, 'front')), readPdf(await proofSheet([{ label: 'record 1', layout: card.layout }], 'proof'))]);
    for (const text of ARTWORK) {
      expect(preview.text).toContain(text);
      expect(proof.text).toContain(text);
    }
    expect(preview.text).toContain('058064803691');
  });

  it('a stock that is not pre-printed gets everything engraved', async () => {
    const card = await renderer.renderCard(input, laserRenderOptions({ prePrinted: false }));
    const front = await readPdf(card.front);
    for (const text of ARTWORK) expect(front.text).toContain(text);
  });
});

const DPI = 150;
const px = (mm: number): number => Math.round((mm / 25.4) * DPI);

/** Pixels of a raster inside (or outside) a mm rectangle that are not white. */
function inked(r: Raster, area: { x: number; y: number; width: number; height: number }, inside: boolean): number {
  const [x0, y0, x1, y1] = [px(area.x), px(area.y), px(area.x + area.width), px(area.y + area.height)];
  let n = 0;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const within = x >= x0 && x < x1 && y >= y0 && y < y1;
      if (within !== inside) continue;
      const i = (y * r.width + x) * 4;
      if (r.data[i]! < 250 || r.data[i + 1]! < 250 || r.data[i + 2]! < 250) n++;
    }
  }
  return n;
}

function differing(a: Raster, b: Raster, area: { x: number; y: number; width: number; height: number }): number {
  const [x0, y0, x1, y1] = [px(area.x), px(area.y), px(area.x + area.width), px(area.y + area.height)];
  let n = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      // One pixel of anti-aliasing around the cut edge is allowed to differ.
      if (x >= x0 - 1 && x < x1 + 1 && y >= y0 - 1 && y < y1 + 1) continue;
      const i = (y * a.width + x) * 4;
      if (Math.abs(a.data[i]! - b.data[i]!) > 64) n++;
    }
  }
  return n;
}

describe('the chip module keeps its area clear in the laser job (item 11)', () => {
  // An area over the residence and the place of birth registration: ink there without the module.
  const module = { side: 'back' as const, x: 3, y: 5, width: 30, height: 16 };

  it('leaves no ink in the module area of its face, and changes nothing elsewhere', async () => {
    const [plain, kept] = await Promise.all([renderer.renderCard(input), renderer.renderCard(input, laserRenderOptions({ prePrinted: false, chipModule: module }))]);
    const [plainBack, keptBack, plainFront, keptFront] = await Promise.all([pdfToRaster(plain.back, DPI), pdfToRaster(kept.back, DPI), pdfToRaster(plain.front, DPI), pdfToRaster(kept.front, DPI)]);
    expect(inked(plainBack, module, true)).toBeGreaterThan(500);
    expect(inked(keptBack, module, true)).toBe(0);
    expect(differing(plainBack, keptBack, module)).toBe(0);
    // The other face is untouched, byte for byte.
    expect(kept.front.equals(plain.front)).toBe(true);
    expect(differing(plainFront, keptFront, { x: 0, y: 0, width: 0, height: 0 })).toBe(0);
    // The preview shows the card as laid out (the module is the stock's, not the picture's).
    expect(kept.layout).toStrictEqual(plain.layout);
  });

  it('names every element of the laser job that reaches into the ISO/IEC 7816-2 module area', () => {
    const template = renderer.template('vn-cancuoc-2024');
    const back = { side: 'back' as const, ...ISO_7816_MODULE_AREA };
    expect(keepClearConflicts(template, [back])).toStrictEqual([
      'templates/vn-cancuoc-2024/back.json: elements[2] ("Nơi đăng ký khai sinh / Place of birth")',
      'templates/vn-cancuoc-2024/back.json: elements[3] (placeOfBirthRegistration)',
      'templates/vn-cancuoc-2024/back.json: elements[4] ("Ngày, tháng, năm cấp / Date of issue")',
      'templates/vn-cancuoc-2024/back.json: elements[6] ("Ngày, tháng, năm hết hạn / Date of expiry")',
    ]);
    // On pre-printed stock the labels are not engraved: only the personal value is in the way.
    expect(keepClearConflicts(template, [back], 'personal')).toStrictEqual(['templates/vn-cancuoc-2024/back.json: elements[3] (placeOfBirthRegistration)']);
    // An area nothing is laid out in (right of the expiry date, above the MRZ).
    expect(keepClearConflicts(template, [{ side: 'back', x: 72, y: 29.5, width: 11, height: 6.5 }])).toStrictEqual([]);
  });

  it('a run refuses a template that would engrave on the module, naming the elements and the line file key', () => {
    const template = renderer.template('vn-cancuoc-2024');
    const stock: CardStock = { prePrinted: true, chipModule: { side: 'back', ...ISO_7816_MODULE_AREA } };
    expect(() => checkTemplateForStock(template, stock)).toThrow(PreparationError);
    expect(() => checkTemplateForStock(template, stock)).toThrow(
      "template vn-cancuoc-2024 engraves where the card stock's chip module is (back, x 8.75–21.37 mm, y 17.73–30.05 mm): " +
        'templates/vn-cancuoc-2024/back.json: elements[3] (placeOfBirthRegistration); move those elements in the template, or correct cardStock.chipModule in the line file',
    );
    expect(() => checkTemplateForStock(template, { prePrinted: false, chipModule: { side: 'back', x: 72, y: 29.5, width: 11, height: 6.5 } })).not.toThrow();
    expect(() => checkTemplateForStock(template, undefined)).not.toThrow();
  });
});

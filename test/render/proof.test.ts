/**
 * Proof sheets: A4 pages of 8 cards at actual size, fronts then backs with the columns swapped
 * (duplex, long edge), crop marks at every card corner and a record label under each card.
 */
import { describe, expect, it } from 'vitest';
import { CardRenderer, pdfToRaster, proofSheet, type ProofCard } from '../../src/render/index.ts';
import { cellOrigin } from '../../src/render/proof.ts';
import { fixture, readPdf } from './helpers.ts';

const renderer = new CardRenderer();
const A4 = { width: 210, height: 297 };
const CARD = { width: 85.6, height: 53.98 };

function cards(count: number): ProofCard[] {
  const names = ['adult-no-expiry', 'under-6', 'long-name', 'minor', 'tones', 'year-only-birth'];
  const out: ProofCard[] = [];
  for (let i = 0; i < count; i++) {
    const input = fixture(names[i % names.length]!);
    out.push({ label: `test seq ${i + 1}`, layout: renderer.layout(input) });
  }
  return out;
}

describe('proof sheet', () => {
  it('puts 9 cards on two sheets: fronts, backs, fronts, backs, each page A4', async () => {
    const list = cards(9);
    const pdf = await proofSheet(list, 'BATCH-1');
    const pages = await Promise.all([1, 2, 3, 4].map((p) => readPdf(pdf, p)));
    expect(pages[0]!.pages).toBe(4);
    for (const page of pages) {
      expect(Math.abs(page.widthMm - A4.width)).toBeLessThan(0.01);
      expect(Math.abs(page.heightMm - A4.height)).toBeLessThan(0.01);
    }
    expect(pages.map((p) => p.items[0]!.str)).toStrictEqual([
      'BATCH-1 — fronts — sheet 1',
      'BATCH-1 — backs — sheet 1',
      'BATCH-1 — fronts — sheet 2',
      'BATCH-1 — backs — sheet 2',
    ]);
    const labels = (p: (typeof pages)[number]): string[] => p.items.filter((i) => i.str.startsWith('test seq')).map((i) => i.str);
    expect(labels(pages[0]!)).toStrictEqual(list.slice(0, 8).map((c) => c.label));
    expect(labels(pages[1]!)).toStrictEqual(list.slice(0, 8).map((c) => c.label));
    expect(labels(pages[2]!)).toStrictEqual(['test seq 9']);
  });

  it('places each card at actual size in its cell, backs mirrored left–right for duplex', async () => {
    const list = cards(8);
    const pdf = await proofSheet(list, 'BATCH-2');
    const [fronts, backs] = await Promise.all([readPdf(pdf, 1), readPdf(pdf, 2)]);
    // Card 0 is adult-no-expiry: its ID number on the front and its first MRZ line on the back.
    const pid = fronts.items.find((i) => i.str === '058064803691')!;
    const f0 = cellOrigin(0, 'front', CARD);
    // The ID number is drawn at x 25.0 mm, baseline 24.0 mm on the card (front-portrait.json).
    expect(Math.abs(pid.x - (f0.x + 25.0))).toBeLessThan(0.01);
    expect(Math.abs(pid.y - (f0.y + 24.0))).toBeLessThan(0.01);
    const mrz = backs.items.find((i) => i.str === 'IDVNM0648036911058064803691<<4')!;
    const b0 = cellOrigin(0, 'back', CARD);
    expect(b0.x).toBeGreaterThan(f0.x); // the right-hand column on the backs page
    expect(Math.abs(mrz.x - (b0.x + 4.6))).toBeLessThan(0.01);
    // On an A4 sheet turned over along its long edge, the back's cell is the front's mirror.
    expect(Math.abs(A4.width - (b0.x + CARD.width) - f0.x)).toBeLessThan(0.01);
    expect(b0.y).toBe(f0.y);
  });

  it('draws crop marks outside each corner, leaving the corner itself clear', async () => {
    const pdf = await proofSheet(cards(1), 'BATCH-3');
    const dpi = 300;
    const r = await pdfToRaster(pdf, dpi);
    const px = (mm: number): number => Math.round((mm / 25.4) * dpi);
    const darkest = (xMm: number, yMm: number): number => {
      let min = 255;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const i = ((px(yMm) + dy) * r.width + px(xMm) + dx) * 4;
          min = Math.min(min, r.data[i]!, r.data[i + 1]!, r.data[i + 2]!);
        }
      }
      return min;
    };
    const { x, y } = cellOrigin(0, 'front', CARD);
    const corners = [
      [x, y, -1, -1],
      [x + CARD.width, y, 1, -1],
      [x, y + CARD.height, -1, 1],
      [x + CARD.width, y + CARD.height, 1, 1],
    ] as const;
    for (const [cx, cy, sx, sy] of corners) {
      // Marks run along the card's edges, from 1.5 to 5.5 mm outside the corner.
      expect(darkest(cx + sx * 3.5, cy)).toBeLessThan(160);
      expect(darkest(cx, cy + sy * 3.5)).toBeLessThan(160);
      // Diagonally off the corner there is nothing.
      expect(darkest(cx + sx * 3.5, cy + sy * 3.5)).toBeGreaterThan(240);
    }
  });

  it('refuses to end without a card', async () => {
    await expect(proofSheet([], 'EMPTY')).rejects.toThrow(/at least one card/);
  });
});

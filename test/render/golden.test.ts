/**
 * Golden images: fixed synthetic records (test/render/fixtures, make-fixtures.ts) rendered to PNG
 * and compared with the committed references in test/render/golden/, and the README's pictures
 * in docs/img/. A template, font or renderer change that moves ink shows up here.
 *
 * Tolerance: a pixel differs when some channel is off by more than 64 of 255 (anti-aliasing
 * differs a little between rasterizer builds); at most 0.02 % of the pixels may differ — about 30
 * pixels of a card at 150 dpi, less than one changed digit of the ID number (checked below).
 *
 * After an intended change, look at the new pictures, then rewrite them with
 * `UPDATE_GOLDEN=1 npx vitest run test/render/golden.test.ts` and commit them.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CardRenderer, pdfToPng, pdfToRaster, type RenderOptions } from '../../src/render/index.ts';
import { diffRasters, fixture, readPng } from './helpers.ts';

const GOLDEN_DIR = path.join(import.meta.dirname, 'golden');
const DOCS_IMG = path.resolve(import.meta.dirname, '../../docs/img');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const MAX_DIFFERING = 0.0002;
const MAX_MEAN_DIFF = 0.5;

const renderer = new CardRenderer();

interface Golden {
  readonly file: string;
  readonly fixture: string;
  readonly side: 'front' | 'back';
  readonly dpi: number;
  readonly options?: RenderOptions;
}

const CASES: readonly Golden[] = [
  { file: path.join(GOLDEN_DIR, 'cancuoc-60-front.png'), fixture: 'adult-no-expiry', side: 'front', dpi: 150 },
  { file: path.join(GOLDEN_DIR, 'cancuoc-60-back.png'), fixture: 'adult-no-expiry', side: 'back', dpi: 150 },
  { file: path.join(GOLDEN_DIR, 'cancuoc-under-6-front.png'), fixture: 'under-6', side: 'front', dpi: 150 },
  { file: path.join(GOLDEN_DIR, 'cancuoc-long-name-front.png'), fixture: 'long-name', side: 'front', dpi: 150 },
  { file: path.join(GOLDEN_DIR, 'cancuoc-tones-back.png'), fixture: 'tones', side: 'back', dpi: 150 },
  { file: path.join(GOLDEN_DIR, 'td1-specimen-front.png'), fixture: 'td1-specimen', side: 'front', dpi: 150, options: { template: 'icao-td1-generic' } },
  { file: path.join(GOLDEN_DIR, 'td1-specimen-back.png'), fixture: 'td1-specimen', side: 'back', dpi: 150, options: { template: 'icao-td1-generic' } },
  // The README's front and back of a synthetic citizen.
  { file: path.join(DOCS_IMG, 'cancuoc-front.png'), fixture: 'adult-no-expiry', side: 'front', dpi: 300 },
  { file: path.join(DOCS_IMG, 'cancuoc-back.png'), fixture: 'adult-no-expiry', side: 'back', dpi: 300 },
];

describe('golden images', () => {
  it.each(CASES.map((c) => [path.relative(process.cwd(), c.file), c] as const))('%s', async (_name, c) => {
    const card = await renderer.renderCard(fixture(c.fixture), c.options);
    if (UPDATE) {
      mkdirSync(path.dirname(c.file), { recursive: true });
      writeFileSync(c.file, await pdfToPng(card[c.side], c.dpi));
    }
    expect(existsSync(c.file), `${c.file} is missing: render it with UPDATE_GOLDEN=1 and commit it`).toBe(true);
    const diff = diffRasters(await pdfToRaster(card[c.side], c.dpi), await readPng(c.file));
    expect(diff.sameSize).toBe(true);
    expect(diff.differing).toBeLessThanOrEqual(MAX_DIFFERING);
    expect(diff.meanDiff).toBeLessThanOrEqual(MAX_MEAN_DIFF);
  });

  it('the tolerance catches one changed digit of the ID number', async () => {
    const input = fixture('adult-no-expiry');
    // 058064803691 → 058064803697: the same birth facts, one digit of the random part changed.
    const changed = await renderer.renderCard({ ...input, record: { ...input.record, pid: '058064803697' } });
    const diff = diffRasters(await pdfToRaster(changed.front, 150), await readPng(CASES[0]!.file));
    expect(diff.sameSize).toBe(true);
    expect(diff.differing).toBeGreaterThan(MAX_DIFFERING);
  });
});

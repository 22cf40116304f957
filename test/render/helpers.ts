// Test support for the render tests: fixtures, and reading rendered PDFs back with pdfjs-dist
// (page size, text items with their font and position in millimetres, images drawn).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import jsQRModule from 'jsqr';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { CardInput, Raster } from '../../src/render/index.ts';

// jsqr is a CommonJS bundle whose module.exports is the function; its typings describe an ES
// default export, which NodeNext reads as `.default`. Take whichever the runtime has.
type JsQr = typeof jsQRModule.default;
const jsQrLoaded: unknown = jsQRModule;
export const jsQR: JsQr = typeof jsQrLoaded === 'function' ? (jsQrLoaded as JsQr) : jsQRModule.default;

export const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const MM_PER_PT = 25.4 / 72;

/** A fixture record (test/render/fixtures/NAME.json) with its portrait's bytes, as `--record` reads it. */
export function fixture(name: string): CardInput & { readonly record: Record<string, unknown> } {
  const record = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;
  const portraitPath = record.portrait;
  if (typeof portraitPath !== 'string') return { record };
  const portrait = readFileSync(path.join(FIXTURES, portraitPath));
  if (record.format === 'TD1') {
    const { portrait: _p, ...rest } = record;
    return { record: rest, portrait };
  }
  return { record, portrait };
}

export interface TextItem {
  readonly str: string;
  /** Left end of the run's baseline, mm from the page's left edge. */
  readonly x: number;
  /** Baseline, mm from the page's top edge. */
  readonly y: number;
  /** Advance of the whole run, mm (character spacing included). */
  readonly width: number;
  /** The embedded font's name, subset tag removed (e.g. "OCRB-Regular"). */
  readonly font: string;
}

export interface ReadPdf {
  readonly pages: number;
  readonly widthMm: number;
  readonly heightMm: number;
  readonly items: readonly TextItem[];
  /** Text of the page's items, joined with spaces. */
  readonly text: string;
  readonly images: number;
}

export async function readPdf(pdf: Uint8Array, pageNumber = 1): Promise<ReadPdf> {
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), verbosity: 0, fontExtraProperties: true }).promise;
  try {
    const page = await doc.getPage(pageNumber);
    const [x0, y0, x1, y1] = page.view as [number, number, number, number];
    const heightPt = y1 - y0;
    const content = await page.getTextContent();
    const ops = await page.getOperatorList();
    const fontName = (id: string): string => {
      const font = page.commonObjs.has(id) ? (page.commonObjs.get(id) as { name?: string }) : undefined;
      return (font?.name ?? id).replace(/^[A-Z]{6}\+/, '');
    };
    const items: TextItem[] = [];
    for (const item of content.items) {
      if (!('str' in item) || item.str === '') continue;
      const t = item.transform as number[];
      items.push({
        str: item.str,
        x: t[4]! * MM_PER_PT,
        y: (heightPt - t[5]!) * MM_PER_PT,
        width: item.width * MM_PER_PT,
        font: fontName(item.fontName),
      });
    }
    const images = ops.fnArray.filter((f) => f === pdfjs.OPS.paintImageXObject || f === pdfjs.OPS.paintInlineImageXObject).length;
    return {
      pages: doc.numPages,
      widthMm: (x1 - x0) * MM_PER_PT,
      heightMm: heightPt * MM_PER_PT,
      items,
      text: items.map((i) => i.str).join(' '),
      images,
    };
  } finally {
    await doc.destroy();
  }
}

/** Decodes a PNG file to RGBA pixels (the same layout as pdfToRaster gives). */
export async function readPng(file: string): Promise<Raster> {
  const image = await loadImage(readFileSync(file));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

export interface PixelDiff {
  readonly sameSize: boolean;
  /** Share of pixels whose largest channel difference exceeds the threshold (0–1). */
  readonly differing: number;
  /** Mean absolute channel difference over the whole image (0–255). */
  readonly meanDiff: number;
}

/**
 * Compares two rasters pixel by pixel. Anti-aliasing differs slightly between rasterizer builds,
 * so a pixel counts as different only beyond `threshold` in some channel (0–255).
 */
export function diffRasters(a: Raster, b: Raster, threshold = 64): PixelDiff {
  if (a.width !== b.width || a.height !== b.height) return { sameSize: false, differing: 1, meanDiff: 255 };
  let differing = 0;
  let total = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    let max = 0;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[i + c]! - b.data[i + c]!);
      total += d;
      if (d > max) max = d;
    }
    if (max > threshold) differing++;
  }
  const pixels = a.width * a.height;
  return { sameSize: true, differing: differing / pixels, meanDiff: total / (pixels * 3) };
}

/**
 * PDF → PNG previews for the QA screen: pdfjs-dist draws the page on its Node canvas factory (npm
 * @napi-rs/canvas), so previews need nothing beyond `npm install` — no system fonts (every font is
 * embedded in our PDFs), no Ghostscript.
 */
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { MAX_DPI, MIN_DPI } from './defaults.ts';

export { MAX_DPI, MIN_DPI };

/** The pixels of a page: RGBA, row-major. */
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

interface NodeCanvas {
  width: number;
  height: number;
  toBuffer(mime: 'image/png'): Buffer;
}

interface CanvasAndContext {
  canvas: NodeCanvas;
  context: CanvasRenderingContext2DLike;
}

interface CanvasRenderingContext2DLike {
  fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}

async function drawPage(pdf: Uint8Array, dpi: number, pageNumber: number, use: (c: CanvasAndContext) => void): Promise<void> {
  if (!Number.isFinite(dpi) || dpi < MIN_DPI || dpi > MAX_DPI) throw new RangeError(`dpi must be between ${MIN_DPI} and ${MAX_DPI}, got ${dpi}`);
  // pdfjs takes ownership of (detaches) the buffer it is given: hand it a copy.
  const task = pdfjs.getDocument({ data: new Uint8Array(pdf), verbosity: 0, isEvalSupported: false });
  const doc = await task.promise;
  try {
    const page = await doc.getPage(pageNumber);
    const viewport = page.getViewport({ scale: dpi / 72 });
    const factory = (doc as unknown as { canvasFactory: { create(w: number, h: number): CanvasAndContext; destroy(c: CanvasAndContext): void } }).canvasFactory;
    const target = factory.create(Math.round(viewport.width), Math.round(viewport.height));
    try {
      target.context.fillStyle = '#ffffff';
      target.context.fillRect(0, 0, target.canvas.width, target.canvas.height);
      const params = { canvas: target.canvas, viewport } as unknown as Parameters<typeof page.render>[0];
      await page.render(params).promise;
      use(target);
    } finally {
      factory.destroy(target);
      page.cleanup();
    }
  } finally {
    await task.destroy();
  }
}

/** Renders one page of a PDF to PNG at `dpi` dots per inch, on white. */
export async function pdfToPng(pdf: Uint8Array, dpi: number, pageNumber = 1): Promise<Buffer> {
  let png: Buffer | undefined;
  await drawPage(pdf, dpi, pageNumber, ({ canvas }) => {
    png = canvas.toBuffer('image/png');
  });
  return png!;
}

/** Renders one page of a PDF to RGBA pixels (for tests and image comparison). */
export async function pdfToRaster(pdf: Uint8Array, dpi: number, pageNumber = 1): Promise<Raster> {
  let raster: Raster | undefined;
  await drawPage(pdf, dpi, pageNumber, ({ canvas, context }) => {
    raster = { width: canvas.width, height: canvas.height, data: context.getImageData(0, 0, canvas.width, canvas.height).data };
  });
  return raster!;
}

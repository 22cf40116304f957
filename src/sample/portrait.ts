/**
 * Synthetic portraits for sample records: a flat, geometric, clearly artificial face — ellipses
 * and lines, no photograph and no real person — laid out roughly like an ICAO 9303 portrait
 * (plain light background, head centred and upright, face about 60% of the height, neutral
 * expression, shoulders visible), so the card layout, DG2 encoding and the file checks of the
 * importer get JPEGs of realistic size and proportions. Deterministic for a seed.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { PORTRAIT_MIN_HEIGHT, PORTRAIT_MIN_WIDTH } from '../domain/record.ts';
import { Rng } from './rng.ts';

export interface PortraitOptions {
  /** Default 360; at least PORTRAIT_MIN_WIDTH (300). */
  readonly width?: number;
  /** Default 480; at least PORTRAIT_MIN_HEIGHT (400). */
  readonly height?: number;
}

export const PORTRAIT_WIDTH = 360;
export const PORTRAIT_HEIGHT = 480;
export const PORTRAIT_JPEG_QUALITY = 80;

/** Light, plain backgrounds (ICAO: uniform, light coloured). */
const BACKGROUNDS = ['#f4f4f2', '#eceff3', '#e3ebf4', '#f2eee7', '#e9eef0'];
const SKIN = ['#f3dcc6', '#f1d3b8', '#e8c4a0', '#e2bb94', '#dcb08a', '#d09e78', '#c08865', '#a8714f'];
const HAIR = ['#15110e', '#1b1612', '#231a15', '#2e2119', '#3b2a1e', '#4a3526', '#8a8780', '#b9b6ae'];
const CLOTHES = ['#ffffff', '#f2f2f2', '#1f2a44', '#2f3b52', '#5a6b7d', '#7b2e2e', '#e8e0d0', '#2d5a3d', '#3d3d3d'];
const IRIS = ['#2a1a10', '#3a2414', '#1e1712', '#4a3020'];

type HairStyle = 'short' | 'side-part' | 'long' | 'bun' | 'cropped';
const HAIR_STYLES: readonly HairStyle[] = ['short', 'side-part', 'long', 'bun', 'cropped'];

/** Darkens (factor < 1) or lightens (> 1) a #rrggbb colour. */
function shade(hex: string, factor: number): string {
  const n = parseInt(hex.slice(1), 16);
  const c = (v: number) => Math.max(0, Math.min(255, Math.round(v * factor)));
  const r = c((n >> 16) & 255);
  const g = c((n >> 8) & 255);
  const b = c(n & 255);
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, '0')}`;
}

function ellipse(ctx: SKRSContext2D, x: number, y: number, rx: number, ry: number, fill: string): void {
  ctx.beginPath();
  ctx.ellipse(x, y, rx, ry, 0, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
}

/** Draws a synthetic portrait and encodes it as JPEG (quality 80). */
export async function drawPortrait(seed: number, opts: PortraitOptions = {}): Promise<Buffer> {
  const width = opts.width ?? PORTRAIT_WIDTH;
  const height = opts.height ?? PORTRAIT_HEIGHT;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < PORTRAIT_MIN_WIDTH || height < PORTRAIT_MIN_HEIGHT) {
    throw new RangeError(`drawPortrait: size must be whole pixels, at least ${PORTRAIT_MIN_WIDTH} × ${PORTRAIT_MIN_HEIGHT}; got ${width} × ${height}`);
  }
  const rng = Rng.from(`portrait:${seed}`);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');

  const skin = rng.pick(SKIN);
  const hair = rng.pick(HAIR);
  const clothes = rng.pick(CLOTHES);
  const style = rng.pick(HAIR_STYLES);
  const cx = width / 2 + (rng.next() - 0.5) * width * 0.02;
  const cy = height * (0.43 + rng.next() * 0.03);
  const rx = width * (0.2 + rng.next() * 0.05);
  const ry = height * (0.22 + rng.next() * 0.035);

  ctx.fillStyle = rng.pick(BACKGROUNDS);
  ctx.fillRect(0, 0, width, height);

  // Long hair falls behind the shoulders: drawn first.
  if (style === 'long') {
    ctx.fillStyle = hair;
    ctx.beginPath();
    ctx.roundRect(cx - rx * 1.25, cy - ry * 1.05, rx * 2.5, ry * 2.35, rx * 0.9);
    ctx.fill();
  }

  // Shoulders and neck.
  ellipse(ctx, cx, height + height * 0.06, width * (0.46 + rng.next() * 0.06), height * 0.27, clothes);
  ctx.fillStyle = shade(skin, 0.9);
  ctx.fillRect(cx - rx * 0.42, cy + ry * 0.6, rx * 0.84, ry * 0.75);
  ctx.beginPath();
  ctx.moveTo(cx - rx * 0.42, cy + ry * 1.3);
  ctx.lineTo(cx, cy + ry * 1.65);
  ctx.lineTo(cx + rx * 0.42, cy + ry * 1.3);
  ctx.fill();

  // Hair behind the face frames the temples (down to the ears, or just above for a crop).
  ctx.save();
  ctx.beginPath();
  ctx.rect(0, 0, width, cy - ry * (style === 'cropped' ? 0.3 : -0.05));
  ctx.clip();
  ellipse(ctx, cx, cy - ry * 0.08, rx * 1.1, ry * 1.04, hair);
  ctx.restore();

  // Ears, then the face over them.
  ellipse(ctx, cx - rx * 0.98, cy + ry * 0.02, rx * 0.14, ry * 0.16, shade(skin, 0.93));
  ellipse(ctx, cx + rx * 0.98, cy + ry * 0.02, rx * 0.14, ry * 0.16, shade(skin, 0.93));
  ellipse(ctx, cx, cy, rx * 0.97, ry, skin);

  // Hair on top: a cap clipped at the hairline, styled by the fringe.
  const hairline = cy - ry * (0.42 + rng.next() * 0.12);
  ctx.save();
  ctx.beginPath();
  if (style === 'side-part') {
    ctx.moveTo(0, 0);
    ctx.lineTo(width, 0);
    ctx.lineTo(width, hairline + ry * 0.1);
    ctx.quadraticCurveTo(cx + rx * 0.2, hairline - ry * 0.15, cx - rx * 0.35, hairline - ry * 0.2);
    ctx.lineTo(0, hairline + ry * 0.15);
  } else {
    ctx.rect(0, 0, width, style === 'cropped' ? hairline - ry * 0.1 : hairline);
  }
  ctx.clip();
  ellipse(ctx, cx, cy - ry * 0.08, rx * 1.08, ry * 1.02, hair);
  ctx.restore();
  if (style === 'bun') ellipse(ctx, cx, cy - ry * 1.12, rx * 0.38, ry * 0.2, hair);

  // Eyebrows, eyes, nose, mouth: neutral expression, eyes open, looking ahead.
  const eyeY = cy - ry * 0.1;
  const eyeDx = rx * 0.4;
  ctx.strokeStyle = shade(hair === '#b9b6ae' || hair === '#8a8780' ? '#4a3526' : hair, 1);
  ctx.lineCap = 'round';
  ctx.lineWidth = ry * 0.035;
  for (const side of [-1, 1]) {
    ctx.beginPath();
    ctx.moveTo(cx + side * eyeDx * 0.45, eyeY - ry * 0.15);
    ctx.quadraticCurveTo(cx + side * eyeDx, eyeY - ry * 0.21, cx + side * eyeDx * 1.5, eyeY - ry * 0.14);
    ctx.stroke();
    ellipse(ctx, cx + side * eyeDx, eyeY, rx * 0.17, ry * 0.06, '#fbfbf8');
    ellipse(ctx, cx + side * eyeDx, eyeY, ry * 0.05, ry * 0.05, rng.pick(IRIS));
    ellipse(ctx, cx + side * eyeDx, eyeY, ry * 0.02, ry * 0.02, '#0a0806');
  }
  ctx.strokeStyle = shade(skin, 0.78);
  ctx.lineWidth = ry * 0.02;
  ctx.beginPath();
  ctx.moveTo(cx, eyeY + ry * 0.08);
  ctx.lineTo(cx - rx * 0.08, cy + ry * 0.3);
  ctx.lineTo(cx + rx * 0.06, cy + ry * 0.32);
  ctx.stroke();
  ctx.strokeStyle = shade(skin, 0.68);
  ctx.lineWidth = ry * 0.035;
  ctx.beginPath();
  const mouthY = cy + ry * (0.52 + rng.next() * 0.06);
  const mouthW = rx * (0.28 + rng.next() * 0.1);
  ctx.moveTo(cx - mouthW, mouthY);
  ctx.quadraticCurveTo(cx, mouthY + ry * 0.02, cx + mouthW, mouthY);
  ctx.stroke();

  // A collar so white shirts stand out from light backgrounds.
  ctx.strokeStyle = shade(clothes, 0.8);
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(cx - rx * 0.75, height - height * 0.19);
  ctx.lineTo(cx, cy + ry * 1.75);
  ctx.lineTo(cx + rx * 0.75, height - height * 0.19);
  ctx.stroke();

  return canvas.encode('jpeg', PORTRAIT_JPEG_QUALITY);
}

import { loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { probeJpeg } from '../domain/image/jpeg.ts';
import { drawPortrait } from './portrait.ts';

describe('drawPortrait', () => {
  it('draws a 360 × 480 JPEG by default that decodes back to that size', async () => {
    const jpeg = await drawPortrait(42);
    expect(probeJpeg(jpeg)).toStrictEqual({ ok: true, width: 360, height: 480 });
    const image = await loadImage(jpeg);
    expect([image.width, image.height]).toStrictEqual([360, 480]);
  });

  it('is deterministic for a seed and varies across seeds', async () => {
    const a = await drawPortrait(7);
    expect(Buffer.compare(a, await drawPortrait(7))).toBe(0);
    const others = await Promise.all([8, 9, 10].map((s) => drawPortrait(s)));
    for (const o of others) expect(Buffer.compare(a, o)).not.toBe(0);
  });

  it('takes another size of at least 300 × 400, and refuses smaller ones', async () => {
    expect(probeJpeg(await drawPortrait(1, { width: 300, height: 400 }))).toStrictEqual({ ok: true, width: 300, height: 400 });
    await expect(drawPortrait(1, { width: 299 })).rejects.toThrow(/at least 300 × 400/);
    await expect(drawPortrait(1, { height: 399 })).rejects.toThrow(/at least 300 × 400/);
  });

  it('is fast and small (reports ms and bytes per portrait)', async () => {
    const n = 100;
    let bytes = 0;
    const start = performance.now();
    for (let seed = 0; seed < n; seed++) bytes += (await drawPortrait(seed)).length;
    const ms = (performance.now() - start) / n;
    console.info(`drawPortrait: ${ms.toFixed(2)} ms and ${Math.round(bytes / n)} bytes per 360 × 480 JPEG (quality 80)`);
    expect(bytes / n).toBeGreaterThan(3000);
    expect(bytes / n).toBeLessThan(40_000);
  });
});

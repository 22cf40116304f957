// Real JPEGs come from @napi-rs/canvas (libjpeg-turbo via Skia); hand-made segment layouts
// follow ITU-T T.81 Annex B (marker and segment syntax) and are named where used.
import { createCanvas } from '@napi-rs/canvas';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { probeJpeg } from './jpeg.ts';

async function encode(width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#2a6';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#fff';
  ctx.fillRect(1, 1, Math.max(1, width >> 1), Math.max(1, height >> 1));
  return format === 'jpeg' ? canvas.encode('jpeg', 80) : canvas.encode('png');
}

const seg = (marker: number, body: number[]): number[] => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
// SOF body: P=8, Y, X, Nf=1, component (id 1, sampling 0x11, table 0) — T.81 B.2.2.
const sofBody = (height: number, width: number): number[] => [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
const SOI = [0xff, 0xd8];
const EOI = [0xff, 0xd9];
const jfif = seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

describe('probeJpeg', () => {
  let photo: Buffer;
  beforeAll(async () => {
    photo = await encode(413, 531, 'jpeg'); // 35x45 mm at 300 dpi, the portrait size
  });

  it('reads the size of a real JPEG', () => {
    expect(probeJpeg(photo)).toStrictEqual({ ok: true, width: 413, height: 531 });
  });

  it('reads odd sizes, and accepts zero padding after EOI', async () => {
    const small = await encode(37, 1, 'jpeg');
    expect(probeJpeg(small)).toStrictEqual({ ok: true, width: 37, height: 1 });
    expect(probeJpeg(Buffer.concat([small, Buffer.alloc(100)]))).toStrictEqual({ ok: true, width: 37, height: 1 });
  });

  it('finds the frame header behind DHT (C4), JPG (C8) and DAC (CC), which are not SOF markers', () => {
    const decoys = [0xc4, 0xc8, 0xcc].map((m) => seg(m, sofBody(9, 9)));
    const buf = Buffer.from([...SOI, ...jfif, ...decoys.flat(), ...seg(0xc2, sofBody(2, 3)), ...EOI]);
    expect(probeJpeg(buf)).toStrictEqual({ ok: true, width: 3, height: 2 });
  });

  it('skips fill bytes before a marker and standalone markers (T.81 B.1.1.2, Table B.1)', () => {
    const buf = Buffer.from([...SOI, 0xff, 0xff, 0xff, 0x01, 0xff, 0xd0, ...seg(0xc0, sofBody(5, 7)), ...EOI]);
    expect(probeJpeg(buf)).toStrictEqual({ ok: true, width: 7, height: 5 });
  });

  it('rejects a PNG, an empty buffer, and a missing SOF', async () => {
    const png = await encode(10, 10, 'png');
    expect(probeJpeg(png)).toStrictEqual({ ok: false, reason: 'not a JPEG: it does not start with the SOI marker FFD8' });
    expect(probeJpeg(Buffer.alloc(0))).toStrictEqual({ ok: false, reason: 'empty file, not a JPEG' });
    expect(probeJpeg(Buffer.from([...SOI, ...jfif, ...EOI]))).toStrictEqual({
      ok: false,
      reason: 'EOI at byte 20 before any SOF (frame header): no image in the file',
    });
    expect(probeJpeg(Buffer.from([...SOI, ...jfif]))).toStrictEqual({
      ok: false,
      reason: 'no SOF (frame header) segment before the end of the data: truncated or not a photo',
    });
  });

  it('rejects zero dimensions', () => {
    const zeroHeight = Buffer.from([...SOI, ...seg(0xc0, sofBody(0, 7)), ...EOI]);
    expect(probeJpeg(zeroHeight)).toStrictEqual({ ok: false, reason: 'frame header at byte 2 gives zero size (7x0)' });
    const zeroWidth = Buffer.from(photo);
    const sof = zeroWidth.indexOf(Buffer.from([0xff, 0xc0]));
    zeroWidth.writeUInt16BE(0, sof + 7);
    expect(probeJpeg(zeroWidth)).toStrictEqual({ ok: false, reason: `frame header at byte ${sof} gives zero size (0x531)` });
  });

  it('rejects a segment whose length runs past the data, or is below 2', () => {
    expect(probeJpeg(Buffer.from([...SOI, 0xff, 0xe1, 0x10, 0x00, 1, 2, 3]))).toStrictEqual({
      ok: false,
      reason: 'segment FFE1 at byte 2 is truncated: 4096 bytes declared, 5 left',
    });
    expect(probeJpeg(Buffer.from([...SOI, 0xff, 0xe1, 0x00, 0x01, ...EOI]))).toStrictEqual({
      ok: false,
      reason: 'segment FFE1 at byte 2 has an invalid length 1',
    });
    expect(probeJpeg(Buffer.from([...SOI, ...seg(0xc0, [8, 0, 1, 0, 1, 3, 1, 0x11, 0]), ...EOI]))).toStrictEqual({
      ok: false,
      reason: 'SOF segment FFC0 at byte 2 is too short (11 bytes) for its header',
    });
  });

  it('rejects a missing EOI, even when zero padding follows', () => {
    const cut = photo.subarray(0, photo.length - 2);
    const reason = 'no EOI marker (FFD9) at the end of the data: the file is truncated';
    expect(probeJpeg(cut)).toStrictEqual({ ok: false, reason });
    expect(probeJpeg(Buffer.concat([cut, Buffer.alloc(8)]))).toStrictEqual({ ok: false, reason });
    expect(probeJpeg(Buffer.concat([photo, Buffer.from([0x00, 0x01])]))).toStrictEqual({ ok: false, reason });
  });

  it('every truncation of a real JPEG is rejected with a reason', () => {
    for (let len = 0; len < photo.length - 1; len++) {
      const r = probeJpeg(photo.subarray(0, len));
      expect(r.ok, `prefix of ${len} bytes`).toBe(false);
      if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
    }
  });

  it('arbitrary bytes never throw and never pass', () => {
    const marker = fc.constantFrom(0xc0, 0xc2, 0xc4, 0xd0, 0xd8, 0xd9, 0xda, 0xe0, 0xfe, 0xff, 0x00, 0x01);
    const soup = fc.array(fc.oneof(fc.uint8Array({ maxLength: 12 }), marker.map((m) => Uint8Array.of(0xff, m))), { maxLength: 30 });
    fc.assert(
      fc.property(fc.boolean(), soup, (withSoi, parts) => {
        const buf = Buffer.concat([Buffer.from(withSoi ? SOI : []), ...parts]);
        const r = probeJpeg(buf);
        if (r.ok) {
          // Passing garbage must at least be structurally consistent.
          expect(r.width).toBeGreaterThan(0);
          expect(r.height).toBeGreaterThan(0);
          expect(buf[0] === 0xff && buf[1] === 0xd8).toBe(true);
        } else {
          expect(r.reason).toMatch(/\S/);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const r = probeJpeg(Buffer.from(bytes));
        // Only data starting with SOI could (with astronomically small odds) be a valid layout.
        if (bytes[0] !== 0xff || bytes[1] !== 0xd8) expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

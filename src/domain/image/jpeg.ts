// Structural check of a portrait JPEG before it goes to the card printer: the photo bytes come
// from other agencies' systems, so this must cope with anything. It reads no pixels; it walks
// the marker segments (ITU-T T.81 Annex B) far enough to find the frame size and checks that the
// data ends with EOI, which catches the common failure, a file cut short in transfer.

export type JpegProbe = { ok: true; width: number; height: number } | { ok: false; reason: string };

const MARKER = 0xff;
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

/** C0–CF are start-of-frame markers except C4 (DHT), C8 (reserved, JPG) and CC (DAC). */
function isSof(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** Markers with no length field (T.81 Table B.1): TEM and RST0–RST7. */
function isStandalone(m: number): boolean {
  return m === TEM || (m >= 0xd0 && m <= 0xd7);
}

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

/**
 * Reads width and height from the first SOF segment. Never throws; every step moves forward by
 * at least one byte, so garbage cannot make it loop.
 */
export function probeJpeg(buf: Uint8Array): JpegProbe {
  const fail = (reason: string): JpegProbe => ({ ok: false, reason });
  const n = buf.length;
  const u16 = (i: number): number => ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);

  if (n === 0) return fail('empty file, not a JPEG');
  if (buf[0] !== MARKER || buf[1] !== SOI) return fail('not a JPEG: it does not start with the SOI marker FFD8');
  let pos = 2;
  for (;;) {
    if (pos >= n) return fail('no SOF (frame header) segment before the end of the data: truncated or not a photo');
    if (buf[pos] !== MARKER) {
      return fail(`expected a marker at byte ${pos}, found 0x${hex(buf[pos] ?? 0)}: corrupt segment lengths`);
    }
    // Any number of FF fill bytes may precede a marker (T.81 B.1.1.2).
    while (pos < n && buf[pos] === MARKER) pos++;
    if (pos >= n) return fail('data ends inside a marker: truncated');
    const m = buf[pos]!;
    const at = pos - 1;
    pos++;
    if (m === 0x00) return fail(`FF00 at byte ${at} is not a marker: corrupt segment lengths`);
    if (isStandalone(m)) continue;
    if (m === SOI) return fail(`second SOI marker at byte ${at}`);
    if (m === EOI) return fail(`EOI at byte ${at} before any SOF (frame header): no image in the file`);
    if (m === SOS) return fail(`scan data (SOS) at byte ${at} before any SOF (frame header)`);
    if (pos + 2 > n) return fail(`segment FF${hex(m)} at byte ${at} is truncated (no length)`);
    const length = u16(pos);
    if (length < 2) return fail(`segment FF${hex(m)} at byte ${at} has an invalid length ${length}`);
    const end = pos + length;
    if (end > n) {
      return fail(`segment FF${hex(m)} at byte ${at} is truncated: ${length} bytes declared, ${n - pos} left`);
    }
    if (isSof(m)) {
      // Lf(2) P(1) Y(2) X(2) Nf(1), then 3 bytes per component.
      const components = buf[pos + 7] ?? 0;
      if (length < 8 || length < 8 + 3 * components) {
        return fail(`SOF segment FF${hex(m)} at byte ${at} is too short (${length} bytes) for its header`);
      }
      const height = u16(pos + 3);
      const width = u16(pos + 5);
      if (width === 0 || height === 0) {
        return fail(`frame header at byte ${at} gives zero size (${width}x${height})`);
      }
      return checkEoi(buf, end, width, height);
    }
    pos = end;
  }
}

/** The image data must end with EOI; zero bytes after it are padding some encoders write. */
function checkEoi(buf: Uint8Array, afterSof: number, width: number, height: number): JpegProbe {
  let end = buf.length;
  while (end > afterSof && buf[end - 1] === 0x00) end--;
  if (end - 2 < afterSof || buf[end - 2] !== MARKER || buf[end - 1] !== EOI) {
    return { ok: false, reason: 'no EOI marker (FFD9) at the end of the data: the file is truncated' };
  }
  return { ok: true, width, height };
}

/**
 * The site's logo for the reports' header (`report: { logo: FILE }` in the site file): a PNG or
 * JPEG file of at most 1 MB, checked by its content (signature and pixel size), not by its name,
 * so a logo that pdfkit could not place is refused when the site file is loaded, not when a
 * manager asks for a report. No pdfkit here: the site file loads without it.
 */
import { readFile, stat } from 'node:fs/promises';

export const MAX_LOGO_BYTES = 1024 * 1024;

export interface ReportLogo {
  readonly format: 'png' | 'jpeg';
  readonly bytes: Buffer;
  /** Pixel size, for the aspect ratio in the header's box. */
  readonly width: number;
  readonly height: number;
}

/** A logo file that cannot be used; the message says why and what to do, the caller adds the file and key. */
export class LogoError extends Error {
  override name = 'LogoError';
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** JPEG start-of-frame markers (baseline, progressive, …) that carry the image's size. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function pngSize(bytes: Buffer): { width: number; height: number } | undefined {
  // The first chunk is IHDR: length (4), type (4), width (4), height (4).
  if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function jpegSize(bytes: Buffer): { width: number; height: number } | undefined {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    if (JPEG_SOF.has(marker)) return at + 9 <= bytes.length ? { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) } : undefined;
    at += 2 + length;
  }
  return undefined;
}

/** Reads and checks a logo file (absolute path); throws LogoError. */
export async function readLogo(file: string): Promise<ReportLogo> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new LogoError(`${file} is not a file: name a PNG or JPEG image`);
    size = info.size;
  } catch (error) {
    if (error instanceof LogoError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new LogoError(code === 'ENOENT' ? `${file} does not exist (the path is relative to the site file)` : `cannot read ${file}: ${code ?? String(error)}`);
  }
  if (size > MAX_LOGO_BYTES) throw new LogoError(`${file} has ${size.toLocaleString('en-US')} bytes, more than the 1 MB (1,048,576 bytes) a logo may have: export it smaller`);
  const bytes = await readFile(file);
  let format: ReportLogo['format'];
  let pixels: { width: number; height: number } | undefined;
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    format = 'png';
    pixels = pngSize(bytes);
  } else if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    format = 'jpeg';
    pixels = jpegSize(bytes);
  } else {
    throw new LogoError(`${file} is not a PNG or JPEG image (by its content${/\.svg$/i.test(file) ? '; SVG is not taken: export the logo as PNG' : ''})`);
  }
  if (!pixels || pixels.width === 0 || pixels.height === 0) throw new LogoError(`${file} is a damaged ${format.toUpperCase()} image: its size cannot be read`);
  return { format, bytes, ...pixels };
}

/**
 * DG1 (ICAO 9303-10, 4.7.1): the MRZ. `61 { 5F1F <the MRZ characters, lines concatenated> }`.
 * The căn cước is TD1: 3 lines of 30, 90 characters.
 */
import { expectConstructed, expectPrimitive, fail, parseDer, type Parsed } from './asn1.ts';
import { der, derBytes } from './der.ts';
import { DG1 } from './files.ts';

const MRZ_CHARS = /^[A-Z0-9<]+$/;
/** Line length by total MRZ length: TD1 (3 × 30), TD2 (2 × 36), TD3 (2 × 44). */
const LINE_LENGTH = new Map([[90, 30], [72, 36], [88, 44]]);

export function encodeDg1(lines: readonly string[]): Buffer {
  const text = lines.join('');
  if (lines.length !== 3 || lines.some((l) => l.length !== 30) || !MRZ_CHARS.test(text)) {
    throw new RangeError('DG1: the MRZ must be three TD1 lines of 30 characters from A–Z, 0–9 and <');
  }
  return derBytes(der(DG1.tag, der(0x5f1f, text)));
}

/** The MRZ lines DG1 holds. */
export function decodeDg1(data: Uint8Array): Parsed<readonly string[]> {
  const parsed = parseDer(data, 'DG1');
  if (!parsed.ok) return parsed;
  const top = expectConstructed(parsed.value, DG1.tag, 'DG1');
  if (!top.ok) return top;
  if (top.value.length !== 1) return fail(`DG1 holds ${top.value.length} elements, expected the MRZ (5F1F) only`);
  const mrz = expectPrimitive(top.value[0], 0x5f1f, 'DG1 MRZ (5F1F)');
  if (!mrz.ok) return mrz;
  const text = mrz.value.toString('latin1');
  const lineLength = LINE_LENGTH.get(text.length);
  if (lineLength === undefined) return fail(`DG1 MRZ has ${text.length} characters; TD1 has 90 (TD2 72, TD3 88)`);
  if (!MRZ_CHARS.test(text)) return fail('DG1 MRZ holds characters other than A–Z, 0–9 and <');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += lineLength) lines.push(text.slice(i, i + lineLength));
  return { ok: true, value: lines };
}

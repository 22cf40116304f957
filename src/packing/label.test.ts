/**
 * The pack label and manifest. The Code 128 symbol is decoded by an independent reader written here
 * from the standard's table (ISO/IEC 15417 Table 1, bar/space widths of symbol values 0–106, as
 * tabulated e.g. in BlondelSeumo/Retail-Store-and-Distribution-Software application/libraries/Barcode.php)
 * — both from bwip-js's widths and from the label PDF rasterized, as a scanner would see it.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPdf } from '../../test/render/helpers.ts';
import { pdfToRaster } from '../render/raster.ts';
import { code128, LABEL_MM, packLabelPdf } from './label.ts';
import { manifestPdf, pidTail, writePrivateFile, type ManifestPack } from './manifest.ts';

// prettier-ignore
const TABLE = [
  '212222', '222122', '222221', '121223', '121322', '131222', '122213', '122312', '132212', '221213',
  '221312', '231212', '112232', '122132', '122231', '113222', '123122', '123221', '223211', '221132',
  '221231', '213212', '223112', '312131', '311222', '321122', '321221', '312212', '322112', '322211',
  '212123', '212321', '232121', '111323', '131123', '131321', '112313', '132113', '132311', '211313',
  '231113', '231311', '112133', '112331', '132131', '113123', '113321', '133121', '313121', '211331',
  '231131', '213113', '213311', '213131', '311123', '311321', '331121', '312113', '312311', '332111',
  '314111', '221411', '431111', '111224', '111422', '121124', '121421', '141122', '141221', '112214',
  '112412', '122114', '122411', '142112', '142211', '241211', '221114', '413111', '241112', '134111',
  '111242', '121142', '121241', '114212', '124112', '124211', '411212', '421112', '421211', '212141',
  '214121', '412121', '111143', '111341', '131141', '114113', '114311', '411113', '411311', '113141',
  '114131', '311141', '411131', '211412', '211214', '211232',
];
const STOP = '2331112';

/** Decodes Code 128 bar/space widths (bar first, no quiet zone) to text; throws on any inconsistency. */
function decode128(widths: readonly number[]): string {
  const w = widths.join('');
  if (!w.endsWith(STOP)) throw new Error('no stop pattern');
  const values: number[] = [];
  for (let i = 0; i < w.length - STOP.length; i += 6) {
    const v = TABLE.indexOf(w.slice(i, i + 6));
    if (v < 0) throw new Error(`no symbol character ${w.slice(i, i + 6)}`);
    values.push(v);
  }
  const [start, ...rest] = values;
  const check = rest.pop()!;
  const sum = rest.reduce((s, v, i) => s + v * (i + 1), start!);
  if (sum % 103 !== check) throw new Error(`check character ${check}, expected ${sum % 103}`);
  let set = { 103: 'A', 104: 'B', 105: 'C' }[start!];
  if (!set) throw new Error(`no start character: ${start}`);
  let text = '';
  for (const v of rest) {
    if (set === 'C' && v < 100) text += String(v).padStart(2, '0');
    else if (v === 99) set = 'C';
    else if (v === 100 && set !== 'B') set = 'B';
    else if (v === 101 && set !== 'A') set = 'A';
    else if (v < 96) text += String.fromCharCode(set === 'A' ? (v < 64 ? v + 32 : v - 64) : v + 32);
    else throw new Error(`function character ${v} in set ${set}`);
  }
  return text;
}

describe('code128', () => {
  it.each(['20261207-abcdef-P0001', '20261207-000000-P9999', 'UNSORTED', 'A'])('%s decodes back to itself', (text) => {
    const symbol = code128(text);
    expect(decode128(symbol.widths)).toBe(text);
    expect(symbol.modules).toBe(symbol.widths.reduce((a, b) => a + b, 0));
  });

  it('the reader catches a wrong check character (the test can fail)', () => {
    const widths = [...code128('P0001').widths];
    // Swap the check character for value 0's pattern.
    widths.splice(widths.length - 13, 6, 2, 1, 2, 2, 2, 2);
    expect(() => decode128(widths)).toThrow(/check character/);
  });

  it('refuses text outside printable ASCII', () => {
    expect(() => code128('Hà Nội')).toThrow('printable ASCII only');
  });
});

describe('packLabelPdf', () => {
  const pack = { packId: '20261207-abcdef-P0003', office: 'Công an phường Hàng Bạc', cards: [{ cardSerial: 'VNA00000001', seq: 1 }, { cardSerial: 'VNA00000002', seq: 2 }], manifestVersion: 1, remainder: true };

  it('is a 100 × 50 mm page with the pack id, the office and the count as text', async () => {
    const pdf = await readPdf(await packLabelPdf(pack));
    expect(pdf.widthMm).toBeCloseTo(LABEL_MM.width, 1);
    expect(pdf.heightMm).toBeCloseTo(LABEL_MM.height, 1);
    expect(pdf.text).toBe('20261207-abcdef-P0003 Công an phường Hàng Bạc 2 cards · remainder · manifest v1');
  });

  it('carries a symbol a scanner reads as the pack id (rasterized at 600 dpi, one row scanned)', async () => {
    const raster = await pdfToRaster(await packLabelPdf(pack), 600);
    const row = Math.round(raster.height * (13 / LABEL_MM.height));
    const dark: boolean[] = [];
    for (let x = 0; x < raster.width; x++) dark.push(raster.data[(row * raster.width + x) * 4]! < 128);
    const runs: number[] = [];
    let x = dark.indexOf(true);
    const end = dark.lastIndexOf(true);
    while (x <= end) {
      let n = 0;
      const colour = dark[x];
      while (x <= end && dark[x] === colour) {
        n++;
        x++;
      }
      runs.push(n);
    }
    // The narrowest element is one module; every run is a whole number of them.
    const total = runs.reduce((a, b) => a + b, 0);
    const module = total / code128(pack.packId).modules;
    expect(decode128(runs.map((r) => Math.round(r / module)))).toBe(pack.packId);
  });
});

describe('manifestPdf', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cardline-manifest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const pack: ManifestPack = {
    packId: '20261207-abcdef-P0002',
    batchId: '20261207-abcdef',
    lineId: 'demo-opcua',
    office: 'Tuyên Quang',
    packNo: 2,
    cards: [{ cardSerial: 'VNA00000011', seq: 11 }, { cardSerial: 'VNA00000014', seq: 14 }],
    pocket: null,
    closed: true,
    remainder: false,
    manifestVersion: 2,
    removed: [{ cardSerial: 'VNA00000012', seq: 12, reason: 'INSPECTOR_REJECT' }],
  };
  // Synthetic holders (src/sample style), with the fields a record has beyond what the office needs.
  const holders = new Map([
    [11, { fullName: 'Nguyễn Văn An', pid: '008090001234', birthDate: '1990-01-15', residence: 'Thôn 4, xã Tân Lập, Hà Giang' }],
    [14, { fullName: 'Lê Thị Hoa', pid: '008190005678', birthDate: '1991-02-03', residence: 'xã Vĩnh Hảo, Hà Giang' }],
  ]);

  it('lists pack, office, version, each card with its record, the name and the last 4 ID digits only; removed cards by serial', async () => {
    const issued = new Date('2026-12-07T15:04:00Z');
    const read = await readPdf(await manifestPdf(pack, (seq) => Promise.resolve(holders.get(seq)), issued));
    const pdf = { text: read.text.replace(/\s+/g, ' ') };
    expect(pdf.text).toContain('Pack 20261207-abcdef-P0002');
    expect(pdf.text).toContain('Delivery office Tuyên Quang');
    expect(pdf.text).toContain('Manifest version 2');
    expect(pdf.text).toContain('Issued 2026-12-07 15:04 UTC');
    expect(pdf.text).toContain('1 VNA00000011 11 Nguyễn Văn An •••• 1234');
    expect(pdf.text).toContain('2 VNA00000014 14 Lê Thị Hoa •••• 5678');
    expect(pdf.text).toContain('VNA00000012 record 12 INSPECTOR_REJECT');
    for (const h of holders.values()) {
      expect(pdf.text).not.toContain(h.pid);
      expect(pdf.text).not.toContain(h.pid.slice(0, 8));
      expect(pdf.text).not.toContain(h.birthDate);
      expect(pdf.text).not.toContain('Hà Giang');
    }
  });

  it('says so when a holder’s personal data is purged, and runs onto more pages for a full pack', async () => {
    const cards = Array.from({ length: 60 }, (_, i) => ({ cardSerial: `VNA${String(i + 100).padStart(8, '0')}`, seq: i + 100 }));
    const bytes = await manifestPdf({ ...pack, cards, removed: [] }, () => Promise.resolve(undefined), new Date('2026-12-07T00:00:00Z'));
    const first = await readPdf(bytes);
    expect(first.pages).toBe(2);
    expect(first.text.replace(/\s+/g, ' ')).toContain('1 VNA00000100 100 (personal data purged)');
    expect((await readPdf(bytes, 2)).text.replace(/\s+/g, ' ')).toContain('60 VNA00000159 159 (personal data purged)');
  });

  it('pidTail shows the last 4 digits only', () => {
    expect(pidTail('001090000001')).toBe('•••• 0001');
  });

  it('writePrivateFile leaves a file only its owner can read, also over an existing one', async () => {
    const file = path.join(dir, 'm.pdf');
    await writeFile(file, 'old', { mode: 0o644 });
    await writePrivateFile(file, Buffer.from('%PDF-new'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe('%PDF-new');
  });
});

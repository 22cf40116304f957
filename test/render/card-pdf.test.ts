/**
 * The card PDFs read back as the laser station and QA would see them: page size, the MRZ in the
 * OCR-B font at its ICAO position (docs/templates.md), the ID number and the full name with every
 * diacritic in the text layer, the QR code decoded from a raster to the documented payload
 * (docs/qr-payload.md), the portrait rules of the two variants, and byte-for-byte determinism.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import vectors from '../vectors/mrz-td1-vectors.json' with { type: 'json' };
import { CardRenderer, laserJob, pdfToRaster, RenderInputError, type RenderedCard } from '../../src/render/index.ts';
import { checkTd1 } from '../../src/domain/mrz/validate.ts';
import { JobSchema, encodeJob } from '../../src/plc/job-data.ts';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_TEMPLATES_DIR } from '../../src/render/template/load.ts';
import { fixture, jsQR, readPdf, type ReadPdf, type TextItem } from './helpers.ts';

const renderer = new CardRenderer();
const ID1 = { width: 85.6, height: 53.98 };
/** docs/templates.md, "MRZ geometry": first cell's left edge, reference centre lines, pitch, cap height. */
const MRZ = { x: 4.6, centres: [38.25, 42.48, 46.71], pitch: 2.54, capHeight: 2.46 };

function mrzItems(pdf: ReadPdf): TextItem[] {
  return pdf.items.filter((i) => i.font === 'OCRB-Regular');
}

/** Decodes the QR code from the back at 600 DPI, cropped to its area (with its quiet zone). */
async function decodeQr(back: Buffer): Promise<string | undefined> {
  const dpi = 600;
  const r = await pdfToRaster(back, dpi);
  const px = (mm: number): number => Math.round((mm / 25.4) * dpi);
  const [x0, y0, x1, y1] = [px(62), px(1), px(85), px(24)];
  const w = x1 - x0;
  const h = y1 - y0;
  const crop = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) crop.set(r.data.subarray(((y0 + y) * r.width + x0) * 4, ((y0 + y) * r.width + x1) * 4), y * w * 4);
  return jsQR(crop, w, h)?.data;
}

describe('vn-cancuoc-2024, holder 60 (no expiry)', () => {
  const input = fixture('adult-no-expiry');
  const rec = input.record as { pid: string; fullName: string };
  let card: RenderedCard;
  let front: ReadPdf;
  let back: ReadPdf;
  beforeAll(async () => {
    card = await renderer.renderCard(input);
    [front, back] = await Promise.all([readPdf(card.front), readPdf(card.back)]);
  });

  it('has one page per side at exactly ID-1 size (±0.01 mm)', () => {
    for (const side of [front, back]) {
      expect(side.pages).toBe(1);
      expect(Math.abs(side.widthMm - ID1.width)).toBeLessThan(0.01);
      expect(Math.abs(side.heightMm - ID1.height)).toBeLessThan(0.01);
    }
  });

  it('prints the ID number and the full name (upper case, every diacritic) on the front', () => {
    expect(front.items.map((i) => i.str)).toContain(rec.pid);
    expect(front.items.map((i) => i.str)).toContain(rec.fullName.toUpperCase());
    expect(front.text).toContain('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(front.text).toContain('Độc lập - Tự do - Hạnh phúc');
    expect(front.text).toContain('CĂN CƯỚC');
    expect(front.images).toBe(1);
    expect(back.text).toContain('Không thời hạn');
  });

  it('sets the three MRZ lines in OCR-B at the ICAO pitch and positions', () => {
    // Vietnamese profile: last 9 digits of the ID number, the whole number in optional data 1; no
    // expiry written 991231 (docs/mrz.md). The lines pass the ICAO and profile checks.
    const expected = ['IDVNM0648036911058064803691<<4', '6411297M9912315VNM<<<<<<<<<<<4', 'TRAN<<VAN<LONG<<<<<<<<<<<<<<<<'];
    expect(card.mrz).toStrictEqual(expected);
    expect(checkTd1(expected)).toMatchObject({ valid: true, icaoValid: true, vnProfileValid: true });
    const items = mrzItems(back);
    expect(items.map((i) => i.str)).toStrictEqual(expected);
    items.forEach((item, n) => {
      expect(Math.abs(item.x - MRZ.x)).toBeLessThan(0.01);
      // Each line's capitals are centred on its reference centre line: baseline = centre + cap height / 2.
      expect(Math.abs(item.y - (MRZ.centres[n]! + MRZ.capHeight / 2))).toBeLessThan(0.01);
      // Every character cell exactly 2.54 mm wide (10 per inch): the run spans 30 pitches.
      expect(Math.abs(item.width / 30 - MRZ.pitch)).toBeLessThan(0.001);
    });
    // Inside the TD1 zone: the first character's ink starts 5.0 ± 1.0 mm from the left edge and the
    // lines lie in the effective reading zone, 3.0–20.0 mm above the bottom edge (ICAO 9303-3, -5).
    for (const item of items) {
      expect(item.x + 0.4).toBeGreaterThanOrEqual(4.0);
      expect(item.x + 0.4).toBeLessThanOrEqual(6.0);
      expect(ID1.height - item.y).toBeGreaterThanOrEqual(3.0);
      expect(ID1.height - (item.y - MRZ.capHeight)).toBeLessThanOrEqual(20.0);
      expect(item.x + item.width).toBeLessThanOrEqual(ID1.width - 2.0);
    }
  });

  it('matches the MRZ that `cardline mrz compose` gives for the record', async () => {
    const { composeFromInput } = await import('../../src/domain/mrz/compose-input.ts');
    const composed = composeFromInput(input.record);
    expect(composed.ok && composed.mrz).toStrictEqual(card.mrz);
  });

  it('encodes the documented QR payload (2024 layout: 9 fields, no parents for an adult, no version marker)', async () => {
    expect(await decodeQr(card.back)).toBe('058064803691||Trần Văn Long|29111964|Nam|Số 248, đường Hùng Vương, Phường 2, Quận 10, TP Hồ Chí Minh|29112024||');
  });

  it('becomes a laser job the PLC contract accepts', () => {
    const job = laserJob(card);
    const parsed = JobSchema.parse(JSON.parse(encodeJob(job).toString('utf8')));
    expect(parsed).toStrictEqual({
      v: 1,
      kind: 'laser',
      sides: [
        { side: 'front', mediaType: 'application/pdf', data: card.front },
        { side: 'back', mediaType: 'application/pdf', data: card.back },
      ],
      mrz: card.mrz,
    });
  });

  it('is deterministic: the same card gives the same bytes', async () => {
    const again = await new CardRenderer().renderCard(input);
    expect(again.front.equals(card.front)).toBe(true);
    expect(again.back.equals(card.back)).toBe(true);
  });
});

describe('every Vietnamese tone mark', () => {
  const input = fixture('tones');
  const rec = input.record as { pid: string; fullName: string; residence: string; placeOfBirthRegistration: string; previousIdNumber: string };

  it('survives in the text layer and the QR code', async () => {
    const card = await renderer.renderCard(input);
    const [front, back] = await Promise.all([readPdf(card.front), readPdf(card.back)]);
    expect(front.items.map((i) => i.str)).toContain('ĐẶNG THỊ ẴM HĨM THUỴ NHẪN');
    // The residence wraps over lines: joined, the text layer gives back every letter.
    const residence = back.items.filter((i) => i.font === 'NotoSans-Regular' && i.y > 7 && i.y < 15);
    expect(residence.map((i) => i.str).join(' ')).toBe(rec.residence);
    expect(await decodeQr(card.back)).toBe(`${rec.pid}|${rec.previousIdNumber}|${rec.fullName}|17051990|Nữ|${rec.residence}|14032025||`);
  });
});

describe('a minor with parents', () => {
  it('carries the parents in the QR code', async () => {
    const input = fixture('minor');
    const r = input.record as Record<string, string>;
    const card = await renderer.renderCard(input);
    expect(await decodeQr(card.back)).toBe('070216709131||Phan Tuấn Hưng|29022016|Nam|Ấp Thạnh Phú, xã Phú Xuân, Đồng Nai|16032026|Phan Thành Đình Hiếu|Trần Thị Hoa');
    expect(r.fatherName).toBe('Phan Thành Đình Hiếu');
  });
});

describe('a birth date known by year only', () => {
  it('is written in the QR code as the civil record has it (yyyy)', async () => {
    const card = await renderer.renderCard(fixture('year-only-birth'));
    expect(await decodeQr(card.back)).toBe('080136575744||Phan Thị Kim Liên|1936|Nữ|Số 185, hẻm 14, đường Lý Thường Kiệt, phường Thắng Lợi, Tây Ninh|15012026||');
  });
});

describe('the 2021 layout as a template option (legacy readers)', () => {
  it('puts the 7 fields of the 2021 card in the QR code of a template whose qr element says "layout": "vn-2021"', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cardline-qr2021-'));
    try {
      cpSync(path.join(DEFAULT_TEMPLATES_DIR, 'vn-cancuoc-2024'), path.join(dir, 'vn-cancuoc-2024'), { recursive: true });
      symlinkSync(path.join(DEFAULT_TEMPLATES_DIR, 'fonts'), path.join(dir, 'fonts'));
      const backFile = path.join(dir, 'vn-cancuoc-2024', 'back.json');
      const back = readFileSync(backFile, 'utf8');
      expect(back).toContain('"layout": "vn-2024"');
      writeFileSync(backFile, back.replace('"layout": "vn-2024"', '"layout": "vn-2021"'));
      const card = await new CardRenderer(dir).renderCard(fixture('tones'));
      const r = fixture('tones').record as Record<string, string>;
      expect(await decodeQr(card.back)).toBe(`001190123456|012345678|${r.fullName}|17051990|Nữ|${r.residence}|14032025`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('portrait rules', () => {
  it('renders an under-6 record without a portrait or portrait box', async () => {
    const input = fixture('under-6');
    expect(input.portrait).toBeUndefined();
    const card = await renderer.renderCard(input);
    expect(card.variant).toBe('without-portrait');
    const front = await readPdf(card.front);
    expect(front.images).toBe(0);
    expect(front.items.map((i) => i.str)).toContain((input.record.fullName as string).toUpperCase());
  });

  it('refuses an age-6+ record without a portrait, naming the field', async () => {
    const { portrait: _p, ...noPortrait } = fixture('long-name');
    await expect(renderer.renderCard(noPortrait)).rejects.toThrow(RenderInputError);
    await expect(renderer.renderCard(noPortrait)).rejects.toThrow(/portrait: is required: the holder is 6 or over/);
  });

  it('refuses a portrait for an under-6 record', async () => {
    const input = { ...fixture('under-6'), portrait: fixture('long-name').portrait };
    await expect(renderer.renderCard(input)).rejects.toThrow(/portrait: is not allowed/);
  });

  it('refuses portrait bytes that are not a JPEG', async () => {
    const input = { ...fixture('long-name'), portrait: Buffer.from('not a jpeg') };
    await expect(renderer.renderCard(input)).rejects.toThrow(/portrait: is not a usable JPEG/);
  });

  it('reports record problems field by field, without the values', async () => {
    const input = fixture('long-name');
    const err = await renderer.renderCard({ ...input, record: { ...input.record, pid: '12', sex: 'X' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderInputError);
    expect((err as RenderInputError).issues.map((i) => i.field)).toStrictEqual(['pid', 'sex']);
  });
});

describe('fitting', () => {
  it('shrinks a long name and warns without personal data', async () => {
    const input = fixture('long-name');
    const card = await renderer.renderCard(input);
    const front = await readPdf(card.front);
    // Two lines: "CÔNG TẰNG TÔN NỮ THỊ PHƯƠNG" / "TRÂM", every diacritic intact.
    const name = (input.record.fullName as string).toUpperCase();
    const lines = front.items.filter((i) => name.includes(i.str) && i.font === 'NotoSans-Bold' && i.str.length > 3);
    expect(lines.map((i) => i.str).join(' ')).toBe(name);
    expect(card.mrz[2]).toBe('CONG<<TANG<TON<NU<THI<P<TRAM<<');
  });

  it('cuts what cannot fit even at the minimum size, with a warning that names the field only', async () => {
    const input = fixture('tones');
    const long = `${'Số 1234 đường Nguyễn Thị Minh Khai, phường Bến Nghé, '.repeat(5)}Hồ Chí Minh`;
    const card = await renderer.renderCard({ ...input, record: { ...input.record, residence: long.slice(0, 300) } });
    const w = card.warnings.find((x) => x.element === 'residence');
    expect(w).toMatchObject({ side: 'back', element: 'residence', kind: 'truncated' });
    expect(w!.message).not.toMatch(/Nguyễn|Bến|1234/);
    const back = await readPdf(card.back);
    expect(back.text).toContain('…');
  });

  it('leaves the card-body artwork out on request (pre-printed card bodies)', async () => {
    const card = await renderer.renderCard(fixture('adult-no-expiry'), { layers: 'personal' });
    const front = await readPdf(card.front);
    expect(front.text).not.toContain('CĂN CƯỚC');
    expect(front.items.map((i) => i.str)).toContain('058064803691');
    expect(front.images).toBe(1);
  });
});

describe('icao-td1-generic', () => {
  const specimen = vectors.vectors.find((v) => v.id === 'ICAO-P5-specimen')!;

  it('renders the ICAO 9303-5 specimen with its MRZ at the same geometry', async () => {
    const card = await renderer.renderCard(fixture('td1-specimen'), { template: 'icao-td1-generic' });
    expect(card.mrz).toStrictEqual(specimen.lines);
    const [front, back] = await Promise.all([readPdf(card.front), readPdf(card.back)]);
    expect(Math.abs(front.widthMm - ID1.width)).toBeLessThan(0.01);
    expect(front.text).toContain('ERIKSSON');
    expect(front.text).toContain('ANNA MARIA');
    expect(front.text).toContain('12/08/1974');
    expect(front.images).toBe(1);
    const items = mrzItems(back);
    expect(items.map((i) => i.str)).toStrictEqual(specimen.lines);
    items.forEach((item, n) => {
      expect(Math.abs(item.x - MRZ.x)).toBeLessThan(0.01);
      expect(Math.abs(item.y - (MRZ.centres[n]! + MRZ.capHeight / 2))).toBeLessThan(0.01);
    });
  });

  it('renders without a portrait when the document has none', async () => {
    const { portrait: _p, ...input } = fixture('td1-specimen');
    const card = await renderer.renderCard(input, { template: 'icao-td1-generic' });
    expect(card.variant).toBe('without-portrait');
    expect((await readPdf(card.front)).images).toBe(0);
  });

  it('refuses a Vietnamese record (the template takes a TD1 field set)', async () => {
    await expect(renderer.renderCard(fixture('adult-no-expiry'), { template: 'icao-td1-generic' })).rejects.toThrow(/format: is required/);
  });
});

/**
 * The report's header shows the site's logo from the site file (`report: { logo }`, relative to the
 * file): poppler's `pdfimages -list` finds it in the PDF at its pixel size. Without a logo the box
 * shows the site's name (pdftotext reads it), never an empty placeholder; without a site file, the
 * product's name. A logo that cannot be used is refused naming the site file, its line and the key.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngImage } from '../../test/helpers/images.ts';
import { computeKpis } from '../kpi/compute.ts';
import type { KpiEvent } from '../kpi/events.ts';
import type { LinePlan } from '../kpi/line-plan.ts';
import { kpiReport } from '../kpi/report.ts';
import { PACKML_STATES as S, STOP_REASONS as R } from '../plc/packml.ts';
import { BrandingError, loadReportBranding, type ReportBranding } from './branding.ts';
import { buildReportModel } from './model.ts';
import { reportPdf } from './pdf.ts';

const run = promisify(execFile);
const T0 = Date.UTC(2026, 11, 7, 23, 0);
const SITE_NAME = 'Trung tâm cá thể hoá thẻ Hà Nội';
const plan: LinePlan = { id: 'L1', priMs: 5000, units: new Map([['laser', { station: 'laser', kind: 'laser', priMs: 5000 }]]) };

const events: KpiEvent[] = [
  { type: 'run', at: T0, line: 'L1', batchId: 'B1', status: 'running' },
  { type: 'state', at: T0, line: 'L1', unit: 'laser', state: S.Execute, stopReason: R.None },
  ...Array.from({ length: 20 }, (_, i): KpiEvent => ({ type: 'ended', at: T0 + (i + 1) * 6000, line: 'L1', unit: 'laser', batchId: 'B1', seq: i + 1, attempt: 1, card: `C${i}`, good: true, reason: null })),
  { type: 'run', at: T0 + 130_000, line: 'L1', batchId: 'B1', status: 'completed' },
];
const model = buildReportModel({
  answer: { scope: { kind: 'batch', batchId: 'B1', timeZone: 'Asia/Ho_Chi_Minh', running: false, linesWithoutPlan: [] }, report: kpiReport(computeKpis(events, { from: T0, to: T0 + 130_000, batchId: 'B1', plans: [plan] })) },
  generatedAt: new Date(T0 + 200_000),
  batch: { id: 'B1', status: 'completed', records: 20, quarantined: 0 },
  alarms: [],
  auditHead: undefined,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-logo-'));
  await mkdir(path.join(dir, 'brand'));
  await writeFile(path.join(dir, 'brand', 'logo.png'), pngImage(240, 100));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function siteFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The PDF written to a file: its images as `pdfimages -list` lists them (width × height), its text and the text inside the logo's box (16 mm from the top left, 42 × 20 mm) as pdftotext reads them. */
async function pdfOf(branding: ReportBranding): Promise<{ images: string[]; text: string; box: string }> {
  const file = path.join(dir, `report-${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, await reportPdf(model, branding));
  const list = (await run('pdfimages', ['-list', file])).stdout.split('\n').slice(2).filter((l) => l.trim() !== '');
  const images = list.map((l) => {
    const [, , type, width, height] = l.trim().split(/\s+/);
    return `${type} ${width}x${height}`;
  });
  const text = (await run('pdftotext', ['-enc', 'UTF-8', file, '-'], { maxBuffer: 16 << 20 })).stdout.replace(/\s+/g, ' ');
  const mm = (v: number): string => String(Math.round((v * 72) / 25.4));
  const box = (await run('pdftotext', ['-enc', 'UTF-8', '-f', '1', '-l', '1', '-x', mm(16), '-y', mm(16), '-W', mm(42), '-H', mm(20), file, '-'])).stdout.replace(/\s+/g, ' ').trim();
  return { images, text, box };
}

describe('the report header', () => {
  it("draws the site file's logo, resolved relative to the site file", async () => {
    const branding = await loadReportBranding(await siteFile('with-logo.yaml', `id: s1\nname: ${SITE_NAME}\nreport:\n  logo: brand/logo.png\n`));
    expect({ siteName: branding.siteName, format: branding.logo?.format, size: [branding.logo?.width, branding.logo?.height] }).toStrictEqual({ siteName: SITE_NAME, format: 'png', size: [240, 100] });
    const pdf = await pdfOf(branding);
    expect(pdf.images).toStrictEqual(['image 240x100']);
    expect(pdf.text).not.toContain('Biểu trưng / Logo');
    expect(pdf.box).toBe('');
  });

  it("without a logo shows the site's name in the box, and without a site file the product's", async () => {
    const named = await pdfOf(await loadReportBranding(await siteFile('no-logo.yaml', `id: s1\nname: ${SITE_NAME}\n`)));
    expect(named.images).toStrictEqual([]);
    expect(named.box).toBe(SITE_NAME);
    const none = await loadReportBranding(path.join(dir, 'absent.yaml'), true);
    expect(none).toStrictEqual({ siteName: 'cardline', logo: null });
    expect((await pdfOf(none)).box).toBe('cardline');
  });

  it('refuses a logo that cannot be used, naming the site file, its line and the key', async () => {
    await writeFile(path.join(dir, 'brand', 'notes.txt'), 'a logo, one day\n');
    const cases: readonly [string, RegExp][] = [
      ['report:\n  logo: brand/gone.png\n', /bad\.yaml line 4: report\.logo: \S*brand\/gone\.png does not exist/],
      ['report:\n  logo: brand/notes.txt\n', /bad\.yaml line 4: report\.logo: \S*brand\/notes\.txt is not a PNG or JPEG image/],
      ['report:\n  logo: 7\n', /bad\.yaml line 4: report\.logo: expected a file name/],
      ['report: brand/logo.png\n', /bad\.yaml line 3: report: expected a mapping/],
    ];
    for (const [yaml, message] of cases) {
      const file = await siteFile('bad.yaml', `id: s1\nname: S\n${yaml}`);
      const error = await loadReportBranding(file).catch((e: unknown) => e);
      expect(error, yaml).toBeInstanceOf(BrandingError);
      expect((error as Error).message, yaml).toMatch(message);
    }
  });
});

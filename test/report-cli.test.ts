/**
 * Issue 17's acceptance for the reports: a real small batch run through the simulated line
 * (`cardline run`, with chip, engraving and jam failures so the Pareto has bars), then
 * `cardline report batch` — its JSON holds exactly `cardline kpi --batch --json`'s figures, the
 * PDF's text layer (read with pdfjs, and with poppler's pdftotext) has every section
 * title in Vietnamese and in English and the same figures, its chart areas drawn to PNG are not
 * blank, and the CSV agrees. The same report downloads through the API, and a shift report of the
 * line covers the run. An alarm raised in the run's period is listed; one cleared before it is not.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportRoutesWith } from '../src/http/routes/reports.ts';
import { pdfToRaster } from '../src/render/raster.ts';
import { bilingual, SECTIONS, SIGNATORIES, TITLES } from '../src/reports/labels.ts';
import type { KpiJson, ReportModel } from '../src/reports/model.ts';
import { count, pct } from '../src/reports/pdf.ts';
import { writeSample } from '../src/sample/write-sample.ts';
import { AlarmStore } from '../src/store/alarm-store.ts';
import { readPdf, type ReadPdf } from './render/helpers.ts';
import { call, startApi, type ApiFixture } from './helpers/api.ts';
import { cardline, jsonLine, writeCliLine } from './helpers/cli.ts';

const LINE = 'report-line';
let api: ApiFixture;
let batchId: string;
let linesDir: string;
let kpi: KpiJson;
/** The run's own accounting (its summary): records produced and failed after the maximum attempts. */
let produced: number;
let failedRecords: number;
let files: { pdf: string; json: string; csv: string };
let pages: ReadPdf[];

beforeAll(async () => {
  api = await startApi({ 'mgr-lan': 'manager' });
  linesDir = path.join(api.dir, 'lines');
  await mkdir(linesDir);
  const lineFile = path.join(linesDir, `${LINE}.yaml`);
  await writeCliLine(lineFile, { id: LINE, timeScale: 20, seed: 11, initialBlanks: 60, serialPrefix: 'R', cycleMs: 200 });
  // Failures, so the reject Pareto and the waterfall's losses have something to show.
  const config = parse(await readFile(lineFile, 'utf8')) as { stations: { kind: string; failures?: Record<string, number> }[] };
  const failures: Record<string, Record<string, number>> = { encoder: { chipWriteFailure: 0.12 }, laser: { misregistration: 0.12, jam: 0.05 } };
  for (const s of config.stations) if (failures[s.kind]) s.failures = failures[s.kind];
  await writeFile(lineFile, stringify(config));

  const env = api.env('mgr-lan');
  const sample = await writeSample({ outDir: path.join(api.dir, 'in'), count: 16, seed: 'report-cli' });
  const ran = await cardline(['run', sample.batchFile, '--line', lineFile], { env });
  expect(ran.code, ran.stderr + ran.stdout).toBe(0);
  batchId = /batch (\d{8}-[0-9a-f]{6})/.exec(ran.stdout + ran.stderr)![1]!;
  // With these failure rates a record may fail all its attempts (about one run in four): the
  // figures are checked against what the run itself accounted, not against 16.
  const accounted = /records: 16 — (\d+) produced, (\d+) failed after the maximum attempts/.exec(ran.stdout)!;
  produced = Number(accounted[1]);
  failedRecords = Number(accounted[2]);

  const k = await cardline(['kpi', '--batch', batchId, '--json', '--lines-dir', linesDir], { env });
  expect(k.code, k.stderr).toBe(0);
  kpi = jsonLine(k.stdout) as unknown as KpiJson;

  // An alarm of the run's period, and one cleared before the run began.
  const alarms = new AlarmStore(api.ctx.db);
  const mid = new Date((Date.parse(kpi.from) + Date.parse(kpi.to)) / 2).toISOString();
  await alarms.raise({ id: 'A-in-run', lineId: LINE, unitId: 'laser', condition: 'station.held', message: 'laser held', priority: 'high', state: 'active-unacknowledged', raisedAt: mid, clearedAt: null, acknowledgedAt: null, acknowledgedBy: null });
  await alarms.raise({ id: 'A-before', lineId: LINE, unitId: 'qa', condition: 'link.down', message: 'qa link down', priority: 'urgent', state: 'active-unacknowledged', raisedAt: '2020-01-01T00:00:00.000Z', clearedAt: null, acknowledgedAt: null, acknowledgedBy: null });
  await alarms.changeState('A-before', 'cleared-unacknowledged', '2020-01-01T00:05:00.000Z');

  const out = path.join(api.dir, 'out');
  const r = await cardline(['report', 'batch', batchId, '--out', out, '--lines-dir', linesDir, '--json'], { env });
  expect(r.code, r.stderr).toBe(0);
  files = jsonLine(r.stdout) as typeof files;
  const pdf = await readFile(files.pdf);
  const first = await readPdf(pdf, 1);
  pages = [first];
  for (let p = 2; p <= first.pages; p++) pages.push(await readPdf(pdf, p));
}, 240_000);

afterAll(async () => {
  await api?.close();
});

/** The shift the run started in (the site defaults: 06:00, 14:00, 22:00 in Asia/Ho_Chi_Minh, UTC+7). */
function shiftOfRun(): string {
  const local = new Date(Date.parse(kpi.from) + 7 * 3_600_000);
  const hour = local.getUTCHours();
  const [name, startDay] = hour >= 6 && hour < 14 ? ['morning', local] : hour >= 14 && hour < 22 ? ['afternoon', local] : ['night', hour < 6 ? new Date(local.getTime() - 86_400_000) : local];
  return `${startDay.toISOString().slice(0, 10)}/${name}`;
}

describe('cardline report batch', () => {
  it('writes the JSON with exactly the figures of cardline kpi --batch --json', async () => {
    const model = JSON.parse(await readFile(files.json, 'utf8')) as ReportModel;
    expect(model.kpi).toStrictEqual(kpi);
    expect(model.format).toBe('cardline-report-v1');
    const s = kpi.total.sums;
    expect(model.accounting).toStrictEqual({ blanks: s.blanks, good: s.gq, scrap: s.sq, inLine: s.blanks - s.gq - s.sq });
    expect(s.gq).toBe(produced);
    expect(produced + failedRecords).toBe(16);
    expect(s.sq).toBeGreaterThan(0);
    expect(model.batch).toMatchObject({ id: batchId, records: 16, status: expect.any(String) });
    expect(model.alarms.map((a) => a.id)).toStrictEqual(['A-in-run']);
    expect(model.audit.headHash).toMatch(/^[0-9a-f]{64}$/);
    // The waterfall's last level over its first is the OEE (one line: PRI × GQ ÷ PBT).
    expect(model.waterfall.goodMs! / model.waterfall.plannedMs).toBeCloseTo(kpi.total.kpis.oee!, 9);
  });

  it('writes an A4 PDF with every section title in Vietnamese and English and the same figures', () => {
    expect(pages[0]!.widthMm).toBeCloseTo(210, 0);
    expect(pages[0]!.heightMm).toBeCloseTo(297, 0);
    const items = pages.flatMap((p) => p.items.map((i) => i.str.trim()).filter((t) => t !== ''));
    const text = items.join('\n');
    const titles = [...Object.values(SECTIONS), TITLES.batch, ...SIGNATORIES];
    const missing = titles.flatMap((t) => [t.vi, t.en]).filter((t) => !text.includes(t));
    expect(missing).toStrictEqual([]);
    for (const t of Object.values(SECTIONS)) expect(items).toContain(bilingual(t));
    // A figure is printed right after its label.
    const after = (label: string): string | undefined => items[items.indexOf(label) + 1];
    const s = kpi.total.sums;
    const r = kpi.total.kpis;
    expect({
      oee: after('OEE'),
      availability: after('Khả dụng / Availability'),
      effectiveness: after('Hiệu suất / Effectiveness'),
      quality: after('Tỷ lệ chất lượng / Quality ratio'),
      fpy: after('Đạt lần đầu / First-pass yield'),
      perHour: after('Thẻ đạt/giờ / Good cards/h'),
      blanks: after('Phôi đã dùng / Blanks consumed'),
      good: after('Thẻ đạt / Good cards'),
      spoiled: after('Thẻ hỏng / Spoiled cards'),
    }).toStrictEqual({
      oee: pct(r.oee),
      availability: pct(r.availability),
      effectiveness: pct(r.effectiveness),
      quality: pct(r.qualityRatio),
      fpy: pct(r.firstPassYield),
      perHour: count(Math.round(r.goodCardsPerHour)),
      blanks: count(s.blanks),
      good: count(s.gq),
      spoiled: count(s.sq),
    });
    // Every station's row: name, units, PQ, SQ, availability, effectiveness, quality, OEE.
    for (const st of kpi.stations) {
      const i = items.indexOf(st.station, items.indexOf(bilingual(SECTIONS.stations)));
      expect(items.slice(i, i + 8), st.station).toStrictEqual([st.station, String(st.units), count(st.sums.pq), count(st.sums.sq), pct(st.kpis.availability), pct(st.kpis.effectiveness), pct(st.kpis.qualityRatio), pct(st.kpis.oee)]);
    }
    // The Pareto's reasons and the audit head.
    for (const p of kpi.pareto.byReason) expect(items).toContain(p.key);
    expect(text).toContain(batchId);
    expect(text).toContain('station.held');
    expect(text).not.toContain('link.down');
  });

  it('poppler reads the same titles: pdftotext, independent of pdfjs, finds every section title in both languages', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout: text } = await promisify(execFile)('pdftotext', ['-layout', '-enc', 'UTF-8', files.pdf, '-'], { maxBuffer: 16 << 20 });
    // pdftotext lays lines out by position: compare with runs of white space made one.
    const flat = text.replace(/\s+/g, ' ');
    const titles = [...Object.values(SECTIONS), TITLES.batch, ...SIGNATORIES];
    expect(titles.flatMap((t) => [t.vi, t.en]).filter((t) => !flat.includes(t.replace(/\s+/g, ' ')))).toStrictEqual([]);
  });

  it('draws every chart: the area under each chart heading is not blank', async () => {
    const pdf = await readFile(files.pdf);
    const dpi = 50;
    const pxPerMm = dpi / 25.4;
    const charts = (['waterfall', 'throughput', 'pareto', 'utilization'] as const).map((key) => {
      const title = bilingual(SECTIONS[key]);
      const page = pages.findIndex((p) => p.items.some((i) => i.str === title));
      expect(page, title).toBeGreaterThanOrEqual(0);
      return { key, page: page + 1, y: pages[page]!.items.find((i) => i.str === title)!.y };
    });
    const inked: Record<string, number> = {};
    for (const c of charts) {
      const raster = await pdfToRaster(pdf, dpi, c.page);
      // 4 mm below the heading's baseline, 40 mm down, the width of the text column.
      const [x0, x1] = [Math.round(16 * pxPerMm), Math.round(194 * pxPerMm)];
      const [y0, y1] = [Math.round((c.y + 4) * pxPerMm), Math.min(raster.height, Math.round((c.y + 44) * pxPerMm))];
      let dark = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const o = (y * raster.width + x) * 4;
          if (raster.data[o]! < 200 || raster.data[o + 1]! < 200 || raster.data[o + 2]! < 200) dark += 1;
        }
      }
      inked[c.key] = dark / ((x1 - x0) * (y1 - y0));
    }
    // Bars, axes and labels: several percent of the area is ink (a blank area has none).
    for (const [key, share] of Object.entries(inked)) expect(share, `${key}: ${JSON.stringify(inked)}`).toBeGreaterThan(0.03);
  }, 60_000);

  it('writes the CSV with the same figures', async () => {
    const rows = (await readFile(files.csv, 'utf8')).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).toStrictEqual(['section', 'subject', 'metric', 'value']);
    const value = (section: string, subject: string, metric: string): string | undefined => rows.find((r) => r[0] === section && r[1] === subject && r[2] === metric)?.[3];
    const s = kpi.total.sums;
    expect([value('summary', 'total', 'gq'), value('summary', 'total', 'sq'), value('summary', 'total', 'blanks'), value('summary', 'total', 'oee')]).toStrictEqual([String(s.gq), String(s.sq), String(s.blanks), String(kpi.total.kpis.oee)]);
    for (const p of kpi.pareto.byReason) expect(value('pareto.reason', p.key, 'count')).toBe(String(p.count));
    expect(value('alarm', 'A-in-run', 'condition')).toBe('station.held');
  });
});

describe('cardline report shift', () => {
  it('writes the shift report of the line, named by the shift and the line, its title in both languages', async () => {
    const shift = shiftOfRun();
    const out = path.join(api.dir, 'shift-out');
    const r = await cardline(['report', 'shift', shift, '--line', path.join(linesDir, `${LINE}.yaml`), '--out', out], { env: api.env('mgr-lan') });
    expect(r.code, r.stderr).toBe(0);
    const base = path.join(out, `shift-${shift.replace('/', '-')}-${LINE}`);
    expect(r.stdout.trim().split('\n')).toStrictEqual([`${base}.pdf`, `${base}.json`, `${base}.csv`]);
    const model = JSON.parse(await readFile(`${base}.json`, 'utf8')) as ReportModel;
    expect(model).toMatchObject({ kind: 'shift', shift, lineId: LINE, kpi: { scope: { kind: 'shift', shift, lineId: LINE, linesWithoutPlan: [] } } });
    const first = await readPdf(await readFile(`${base}.pdf`), 1);
    expect(first.text).toContain(bilingual(TITLES.shift));
    expect(first.text).toContain(`Ca / Shift: ${shift}`);
  }, 120_000);
});

describe('report downloads through the API', () => {
  it('serves the batch report as PDF, JSON and CSV attachments, and a shift report of the line', async () => {
    const server = await startApi({ 'op-minh': 'operator' }, { extraRoutes: [reportRoutesWith({ linesDir })] }, { ctx: api.ctx, dir: api.dir });
    try {
      const token = await server.token('op-minh');
      const pdf = await fetch(`${server.base}/api/v1/reports/batches/${batchId}?format=pdf`, { headers: { authorization: `Bearer ${token}` } });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="batch-${batchId}.pdf"`);
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
      const json = await call(server.base, 'GET', `/api/v1/reports/batches/${batchId}?format=json`, { token });
      expect(json.headers.get('content-disposition')).toBe(`attachment; filename="batch-${batchId}.json"`);
      expect((json.json as unknown as ReportModel).kpi).toStrictEqual(kpi);
      const csv = await fetch(`${server.base}/api/v1/reports/batches/${batchId}?format=csv`, { headers: { authorization: `Bearer ${token}` } });
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(await csv.text()).toContain(`summary,total,gq,${kpi.total.sums.gq}\r\n`);

      const shift = shiftOfRun();
      const shiftReport = await call(server.base, 'GET', `/api/v1/reports/shifts/${shift}?line=${LINE}&format=json`, { token });
      expect(shiftReport.status, JSON.stringify(shiftReport.json)).toBe(200);
      expect(shiftReport.headers.get('content-disposition')).toBe(`attachment; filename="shift-${shift.replace('/', '-')}-${LINE}.json"`);
      const model = shiftReport.json as unknown as ReportModel;
      expect(model).toMatchObject({ kind: 'shift', shift, lineId: LINE });
      // The run lies inside the shift (unless it crossed a shift change).
      if (Date.parse(model.kpi.to) >= Date.parse(kpi.to)) expect(model.kpi.total.sums.gq).toBe(kpi.total.sums.gq);

      const unknown = await call(server.base, 'GET', '/api/v1/reports/batches/20000101-000000', { token });
      expect(unknown.status).toBe(404);
      const noLine = await call(server.base, 'GET', `/api/v1/reports/shifts/${shift}`, { token });
      expect(noLine.status).toBe(400);
    } finally {
      await server.app.close();
    }
  }, 120_000);
});

/**
 * A report as a PDF: A4 portrait, the site's logo (or its name in the logo's box), headings in Vietnamese and English,
 * the summary and accounting, the charts (ECharts option builders of src/charts drawn to SVG and
 * placed as vectors by svg-to-pdfkit), the per-station table, the alarms of the period, the audit
 * chain's head and a signature block. Loads pdfkit and echarts: import it when a report is made.
 */
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { oeeWaterfallOption } from '../charts/oee-waterfall.ts';
import { paretoOption } from '../charts/pareto.ts';
import { renderSvg } from '../charts/svg.ts';
import { throughputOption } from '../charts/throughput.ts';
import { utilizationOption } from '../charts/utilization.ts';
import type { EChartsOption } from 'echarts';
import type { Kpis } from '../kpi/report.ts';
import { openFont, type LoadedFont } from '../render/fonts.ts';
import { finish } from '../render/pdf.ts';
import { bilingual, SECTIONS, SIGNATORIES, TITLES, type SectionKey } from './labels.ts';
import type { ReportBranding } from './branding.ts';
import type { ReportModel } from './model.ts';

const PT_PER_MM = 72 / 25.4;
const A4 = { width: 210 * PT_PER_MM, height: 297 * PT_PER_MM };
const MARGIN = 16 * PT_PER_MM;
const CONTENT = A4.width - 2 * MARGIN;
const ROW = 13;
const CHART_HEIGHT = 200;
const REGULAR = 'report:regular';
const BOLD = 'report:bold';
const GREY = '#555555';

let fonts: { regular: LoadedFont; bold: LoadedFont } | undefined;

function reportFonts(): { regular: LoadedFont; bold: LoadedFont } {
  const resolve = createRequire(import.meta.url).resolve;
  fonts ??= {
    regular: openFont(REGULAR, resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf')),
    bold: openFont(BOLD, resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf')),
  };
  return fonts;
}

export const pct = (v: number | null): string => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);
export const count = (n: number): string => n.toLocaleString('en-US');

/** A duration as hours and minutes (1 h 05 min), or seconds under a minute. */
export function duration(ms: number | null): string {
  if (ms === null) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.round(ms / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** An instant as local time in the site's zone: 2026-12-07 22:00. */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** A column of a table: its heading and the width share of the content width. */
interface Column {
  readonly title: string;
  readonly share: number;
  readonly align?: 'left' | 'right';
}

class Writer {
  readonly doc: PDFKit.PDFDocument;
  y = MARGIN;

  constructor(title: string, generatedAt: Date) {
    const f = reportFonts();
    this.doc = new PDFDocument({ size: [A4.width, A4.height], margin: 0, compress: true, bufferPages: true, font: '', info: { Title: title, Creator: 'cardline report', Producer: 'cardline (pdfkit)', CreationDate: generatedAt } });
    this.doc.registerFont(REGULAR, f.regular.pdfkitFont as unknown as Buffer);
    this.doc.registerFont(BOLD, f.bold.pdfkitFont as unknown as Buffer);
    this.doc.font(REGULAR).fontSize(9).fillColor('black');
  }

  /** Room for `height` more points on this page, or a new page. */
  ensure(height: number): void {
    if (this.y + height > A4.height - MARGIN) this.newPage();
  }

  newPage(): void {
    this.doc.addPage({ size: [A4.width, A4.height], margin: 0 });
    this.y = MARGIN;
  }

  heading(key: SectionKey, minBody: number): void {
    this.ensure(24 + minBody);
    this.y += 6;
    this.doc.font(BOLD).fontSize(12).fillColor('black').text(bilingual(SECTIONS[key]), MARGIN, this.y, { width: CONTENT, lineBreak: false });
    this.doc.moveTo(MARGIN, this.y + 18).lineTo(MARGIN + CONTENT, this.y + 18).lineWidth(0.5).strokeColor('#999999').stroke();
    this.y += 23;
    this.doc.font(REGULAR).fontSize(9);
  }

  text(line: string, options: { bold?: boolean; color?: string; size?: number } = {}): void {
    this.ensure(ROW);
    this.doc
      .font(options.bold ? BOLD : REGULAR)
      .fontSize(options.size ?? 9)
      .fillColor(options.color ?? 'black')
      .text(line, MARGIN, this.y, { width: CONTENT, lineBreak: false, ellipsis: true });
    this.doc.fillColor('black');
    this.y += ROW;
  }

  /** Label–value pairs in `columns` columns. */
  facts(pairs: readonly (readonly [string, string])[], columns = 2): void {
    const width = CONTENT / columns;
    for (let i = 0; i < pairs.length; i += columns) {
      this.ensure(ROW);
      pairs.slice(i, i + columns).forEach(([label, value], c) => {
        const x = MARGIN + c * width;
        this.doc.font(REGULAR).fontSize(8.5).fillColor(GREY).text(label, x, this.y, { width: width * 0.66, lineBreak: false, ellipsis: true });
        this.doc.font(BOLD).fontSize(9).fillColor('black').text(value, x + width * 0.67, this.y, { width: width * 0.31, lineBreak: false, ellipsis: true });
      });
      this.y += ROW;
    }
    this.doc.font(REGULAR);
  }

  table(columns: readonly Column[], rows: readonly (readonly string[])[]): void {
    const total = columns.reduce((a, c) => a + c.share, 0);
    const xs: number[] = [];
    let x = MARGIN;
    for (const c of columns) {
      xs.push(x);
      x += (c.share / total) * CONTENT;
    }
    const widthOf = (i: number): number => (columns[i]!.share / total) * CONTENT - 4;
    const header = (): void => {
      this.doc.font(BOLD).fontSize(8);
      columns.forEach((c, i) => this.doc.text(c.title, xs[i], this.y, { width: widthOf(i), align: c.align ?? 'left', lineBreak: false, ellipsis: true }));
      this.y += ROW;
      this.doc.moveTo(MARGIN, this.y - 3).lineTo(MARGIN + CONTENT, this.y - 3).lineWidth(0.4).strokeColor('#999999').stroke();
      this.doc.font(REGULAR).fontSize(8);
    };
    this.ensure(2 * ROW);
    header();
    for (const row of rows) {
      if (this.y + ROW > A4.height - MARGIN) {
        this.newPage();
        header();
      }
      row.forEach((text, i) => this.doc.text(text, xs[i], this.y, { width: widthOf(i), align: columns[i]!.align ?? 'left', lineBreak: false, ellipsis: true }));
      this.y += ROW;
    }
    this.doc.font(REGULAR).fontSize(9);
  }

  /** An ECharts option drawn as vectors, the full content width. */
  async chart(option: EChartsOption, height = CHART_HEIGHT): Promise<void> {
    this.ensure(height + 4);
    // Drawn at 96 px to the inch: the SVG's pixels are points × 4/3, so svg-to-pdfkit scales them back.
    const svg = await renderSvg(option, Math.round((CONTENT * 4) / 3), Math.round((height * 4) / 3));
    SVGtoPDF(this.doc, svg, MARGIN, this.y, { width: CONTENT, height, fontCallback: (_family, bold) => (bold ? BOLD : REGULAR) });
    this.y += height + 4;
  }
}

function summaryPairs(k: Kpis): [string, string][] {
  const { sums: s, kpis: r } = k;
  return [
    ['OEE', pct(r.oee)],
    ['Khả dụng / Availability', pct(r.availability)],
    ['Hiệu suất / Effectiveness', pct(r.effectiveness)],
    ['Tỷ lệ chất lượng / Quality ratio', pct(r.qualityRatio)],
    ['Đạt lần đầu / First-pass yield', pct(r.firstPassYield)],
    ['Tỷ lệ phế / Scrap ratio', pct(r.scrapRatio)],
    ['Thẻ đạt/giờ / Good cards/h', count(Math.round(r.goodCardsPerHour))],
    ['Phôi/thẻ đạt / Blanks a good card', r.blanksPerGoodCard === null ? 'n/a' : r.blanksPerGoodCard.toFixed(3)],
    ['PBT', duration(s.pbtMs)],
    ['APT', duration(s.aptMs)],
    ['ADET', duration(s.adetMs)],
    ['ADOT', duration(s.adotMs)],
    ['Dừng theo kế hoạch / Planned down', duration(s.pdotMs)],
    ['Số lỗi / Failures', count(s.failures)],
    ['MTBF', duration(r.mtbfMs)],
    ['MTTR', duration(r.mttrMs)],
  ];
}

/** The PDF of a report (src/reports/model.ts), with the site's logo or name in its header. */
export async function reportPdf(model: ReportModel, branding: ReportBranding): Promise<Buffer> {
  const k = model.kpi;
  const zone = k.scope.timeZone;
  const title = TITLES[model.kind];
  const subject = model.kind === 'batch' ? `batch ${model.batch?.id ?? k.batchId}` : `shift ${model.shift}${model.lineId ? `, line ${model.lineId}` : ''}`;
  const w = new Writer(`${title.en}: ${subject}`, new Date(model.generatedAt));
  const doc = w.doc;

  // Header: the site's logo (or its name in the logo's box), the title, the scope.
  const logo = { width: 42 * PT_PER_MM, height: 20 * PT_PER_MM };
  if (branding.logo) {
    doc.image(branding.logo.bytes, MARGIN, MARGIN, { fit: [logo.width, logo.height], align: 'center', valign: 'center' });
  } else {
    doc.rect(MARGIN, MARGIN, logo.width, logo.height).lineWidth(0.6).strokeColor('#888888').stroke();
    const pad = 4;
    doc.font(BOLD).fontSize(10).fillColor(GREY);
    const box = { width: logo.width - 2 * pad, height: logo.height - 2 * pad };
    const textHeight = Math.min(box.height, doc.heightOfString(branding.siteName, { width: box.width }));
    doc.text(branding.siteName, MARGIN + pad, MARGIN + (logo.height - textHeight) / 2, { ...box, align: 'center', ellipsis: true });
  }
  const tx = MARGIN + logo.width + 12;
  const tw = CONTENT - logo.width - 12;
  doc.font(BOLD).fontSize(16).fillColor('black').text(bilingual(title), tx, MARGIN, { width: tw, lineBreak: false, ellipsis: true });
  doc.font(REGULAR).fontSize(9);
  const scopeLines = [
    model.kind === 'batch' ? `Lô / Batch: ${model.batch?.id ?? k.batchId}${k.scope.running ? ' (đang chạy / run under way)' : ''}` : `Ca / Shift: ${model.shift}${k.scope.running ? ' (đang diễn ra, đến lúc lập / under way, up to now)' : ''}   Dây chuyền / Line: ${model.lineId}`,
    `Kỳ / Period: ${localTime(k.from, zone)} – ${localTime(k.to, zone)} (${zone})`,
    `Lập lúc / Generated: ${localTime(model.generatedAt, zone)}   Dây chuyền / Lines: ${k.lines.map((l) => l.line).join(', ') || '—'}`,
  ];
  scopeLines.forEach((line, i) => doc.text(line, tx, MARGIN + 22 + i * 12, { width: tw, lineBreak: false, ellipsis: true }));
  w.y = MARGIN + logo.height + 14;

  w.heading('summary', 4 * ROW);
  w.facts(summaryPairs(k.total));
  if (k.scope.linesWithoutPlan.length > 0) w.text(`Không có tệp dây chuyền / no line file for ${k.scope.linesWithoutPlan.join(', ')}: effectiveness and OEE are n/a`, { color: GREY, size: 8 });

  w.heading('accounting', 3 * ROW);
  const a = model.accounting;
  const accounting: [string, string][] = [
    ['Phôi đã dùng / Blanks consumed', count(a.blanks)],
    ['Thẻ đạt / Good cards', count(a.good)],
    ['Thẻ hỏng / Spoiled cards', count(a.scrap)],
    ['Còn trên dây chuyền / Still in the line', count(a.inLine)],
  ];
  if (model.batch) accounting.push(['Hồ sơ / Records', count(model.batch.records)], ['Cách ly / Quarantined', count(model.batch.quarantined)], ['Trạng thái / Status', model.batch.status]);
  w.facts(accounting);

  w.heading('waterfall', CHART_HEIGHT);
  const wf = model.waterfall;
  await w.chart(
    oeeWaterfallOption({
      plannedMs: wf.plannedMs,
      availableMs: wf.availableMs,
      performingMs: wf.performingMs ?? 0,
      goodMs: wf.goodMs ?? 0,
      labels: ['Kế hoạch\nPlanned', 'Dừng+chờ\nDown+delay', 'Khả dụng\nAvailable', 'Tốc độ\nSpeed loss', 'Thực hiện\nPerforming', 'Chất lượng\nQuality loss', 'Đạt\nGood'],
    }),
  );

  w.heading('throughput', CHART_HEIGHT);
  const bucketLabel = (iso: string): string => localTime(iso, zone).slice(k.throughput.bucketMs >= 86_400_000 ? 0 : 11);
  await w.chart(throughputOption({ buckets: k.throughput.buckets.map((b) => ({ label: bucketLabel(b.from), good: b.good, spoiled: b.spoiled, goodCardsPerHour: b.goodCardsPerHour })), names: ['đạt / good', 'hỏng / scrap', 'thẻ đạt/giờ / good cards/h'] }));

  w.heading('pareto', CHART_HEIGHT);
  if (k.pareto.byReason.length === 0) w.text('Không có thẻ hỏng / no rejects in this period', { color: GREY });
  await w.chart(paretoOption({ entries: k.pareto.byReason, names: ['thẻ hỏng / rejects', 'tích lũy / cumulative %'] }));
  if (k.pareto.byUnit.length > 0) w.text(`Theo trạm / By unit: ${k.pareto.byUnit.map((p) => `${p.key} ${p.count}`).join(' · ')}`, { size: 8 });

  w.heading('utilization', CHART_HEIGHT);
  const multiLine = k.lines.length > 1;
  const stationName = (s: { line: string; station: string }): string => (multiLine ? `${s.line}/${s.station}` : s.station);
  await w.chart(
    utilizationOption({
      stations: k.stations.map((s) => ({ name: stationName(s), aptMs: s.sums.aptMs, adetMs: s.sums.adetMs, adotMs: s.sums.adotMs, pdotMs: s.sums.pdotMs })),
      names: ['sản xuất / producing', 'chờ / delay', 'dừng lỗi / down', 'dừng KH / planned down'],
    }),
    Math.max(120, 60 + 18 * k.stations.length),
  );

  w.heading('stations', 3 * ROW);
  w.table(
    [
      { title: 'Trạm / Station', share: 2.2 },
      { title: 'Đầu / Units', share: 1.4, align: 'right' },
      { title: 'PQ', share: 0.9, align: 'right' },
      { title: 'SQ', share: 0.8, align: 'right' },
      { title: 'Avail.', share: 1, align: 'right' },
      { title: 'Effect.', share: 1, align: 'right' },
      { title: 'Quality', share: 1, align: 'right' },
      { title: 'OEE', share: 1, align: 'right' },
      { title: 'MTBF', share: 1.1, align: 'right' },
      { title: 'MTTR', share: 1.1, align: 'right' },
    ],
    k.stations.map((s) => [stationName(s), String(s.units), count(s.sums.pq), count(s.sums.sq), pct(s.kpis.availability), pct(s.kpis.effectiveness), pct(s.kpis.qualityRatio), pct(s.kpis.oee), duration(s.kpis.mtbfMs), duration(s.kpis.mttrMs)]),
  );

  w.heading('alarms', 2 * ROW);
  if (model.alarms.length === 0) w.text('Không có cảnh báo trong kỳ / no alarm in this period', { color: GREY });
  else {
    w.table(
      [
        { title: 'Lúc / Raised', share: 1.6 },
        { title: 'Xóa / Cleared', share: 1.6 },
        { title: 'Nguồn / Source', share: 1.4 },
        { title: 'Mức / Priority', share: 1.3 },
        { title: 'Điều kiện / Condition', share: 2.4 },
        { title: 'Trạng thái / State', share: 2 },
      ],
      model.alarms.map((al) => [localTime(al.raisedAt, zone), al.clearedAt ? localTime(al.clearedAt, zone) : '—', `${al.lineId}${al.unitId ? `/${al.unitId}` : ''}`, al.priority, al.condition, al.state]),
    );
  }

  w.heading('audit', 2 * ROW);
  w.text(model.audit.headHash === null ? 'Chuỗi trống / the audit chain is empty' : `Hàng / Row ${model.audit.headRow}  ·  SHA-256 ${model.audit.headHash}`, { size: 8 });
  w.text('cardline audit verify --anchor <hash> chứng minh nhật ký không bị sửa / proves the log was not rewritten since this report', { color: GREY, size: 8 });

  w.heading('signatures', 70);
  const boxWidth = (CONTENT - 2 * 12) / SIGNATORIES.length;
  SIGNATORIES.forEach((s, i) => {
    const x = MARGIN + i * (boxWidth + 12);
    doc.font(BOLD).fontSize(9).fillColor('black').text(bilingual(s), x, w.y, { width: boxWidth, lineBreak: false, ellipsis: true });
    doc.font(REGULAR).fontSize(8).fillColor(GREY);
    doc.text('Họ tên / Name', x, w.y + 40, { width: boxWidth, lineBreak: false });
    doc.text('Ngày / Date', x, w.y + 56, { width: boxWidth, lineBreak: false });
    doc.moveTo(x, w.y + 36).lineTo(x + boxWidth, w.y + 36).lineWidth(0.5).strokeColor('#777777').stroke();
  });
  w.y += 70;

  // Page numbers, once the count is known.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.font(REGULAR).fontSize(7).fillColor(GREY).text(`${subject} · ${i + 1}/${range.count}`, MARGIN, A4.height - MARGIN / 2, { width: CONTENT, align: 'right', lineBreak: false });
  }
  return finish(doc);
}

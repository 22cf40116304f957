/**
 * A report as CSV (RFC 4180, CRLF, UTF-8): one long table `section,subject,metric,value`, so every
 * figure of the PDF is a row a spreadsheet can filter — the summary sums and ratios of each line
 * and of the total, the accounting, the waterfall, every station, the Pareto, the throughput
 * buckets, the alarms and the audit head. Ratios are fractions (0.8125), times milliseconds.
 */
import type { Kpis } from '../kpi/report.ts';
import type { ReportModel } from './model.ts';

type Cell = string | number | boolean | null;

function cell(value: Cell): string {
  if (value === null) return '';
  const text = String(value);
  // A leading =, +, - or @ is a formula to a spreadsheet: quoted with an apostrophe it stays text.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function kpiRows(section: string, subject: string, k: Kpis): Cell[][] {
  const rows: Cell[][] = [];
  for (const [metric, value] of Object.entries(k.sums)) {
    if (metric === 'scrapByReason') continue;
    rows.push([section, subject, metric, value as number]);
  }
  for (const [reason, n] of Object.entries(k.sums.scrapByReason)) rows.push([section, subject, `scrap.${reason}`, n]);
  for (const [metric, value] of Object.entries(k.kpis)) {
    if (metric === 'scrapRatioByReason') continue;
    rows.push([section, subject, metric, value as number | null]);
  }
  return rows;
}

export function reportCsv(model: ReportModel): string {
  const k = model.kpi;
  const rows: Cell[][] = [['section', 'subject', 'metric', 'value']];
  const scope = model.kind === 'batch' ? `batch ${model.batch?.id ?? k.batchId}` : `shift ${model.shift}${model.lineId ? ` line ${model.lineId}` : ''}`;
  rows.push(['report', scope, 'from', k.from], ['report', scope, 'to', k.to], ['report', scope, 'timeZone', k.scope.timeZone], ['report', scope, 'generatedAt', model.generatedAt]);
  if (model.batch) rows.push(['report', scope, 'batchStatus', model.batch.status], ['report', scope, 'records', model.batch.records], ['report', scope, 'quarantined', model.batch.quarantined]);
  rows.push(...kpiRows('summary', 'total', k.total));
  for (const l of k.lines) rows.push(...kpiRows('summary', `line ${l.line}`, l));
  for (const [metric, value] of Object.entries(model.accounting)) rows.push(['accounting', 'total', metric, value]);
  for (const [metric, value] of Object.entries(model.waterfall)) rows.push(['waterfall', 'total', metric, value]);
  for (const s of k.stations) rows.push(...kpiRows('station', `${s.line}/${s.station}`, s));
  for (const p of k.pareto.byReason) rows.push(['pareto.reason', p.key, 'count', p.count], ['pareto.reason', p.key, 'cumulativeShare', p.cumulativeShare]);
  for (const p of k.pareto.byUnit) rows.push(['pareto.unit', p.key, 'count', p.count], ['pareto.unit', p.key, 'cumulativeShare', p.cumulativeShare]);
  for (const b of k.throughput.buckets) rows.push(['throughput', b.from, 'good', b.good], ['throughput', b.from, 'spoiled', b.spoiled], ['throughput', b.from, 'goodCardsPerHour', b.goodCardsPerHour]);
  for (const a of model.alarms) {
    for (const metric of ['lineId', 'unitId', 'condition', 'priority', 'state', 'raisedAt', 'clearedAt', 'acknowledgedAt', 'message'] as const) rows.push(['alarm', a.id, metric, a[metric]]);
  }
  rows.push(['audit', 'head', 'row', model.audit.headRow], ['audit', 'head', 'hash', model.audit.headHash]);
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

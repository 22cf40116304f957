/**
 * `cardline report batch ID --out DIR` and `cardline report shift DATE/NAME --line ID --out DIR`:
 * a batch's or a shift's report as PDF, JSON and CSV (docs/reports.md) — the figures of
 * `cardline kpi`, the alarms of the period and the audit chain's head. pdfkit and echarts load
 * only when a report is written (test/cli-startup.test.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { KpiQueryError } from '../../kpi/query.ts';
import { BrandingError, loadReportBranding, type ReportBranding } from '../../reports/branding.ts';
import { reportCsv } from '../../reports/csv.ts';
import { reportBaseName } from '../../reports/model.ts';
import { makeReport, UnknownBatchError, type ReportQuery } from '../../reports/source.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';
import { cliLinePlans, cliSiteShifts, DEFAULT_SITE_FILE } from './kpi.ts';

interface ReportOptions {
  out: string;
  line?: string;
  site?: string;
  linesDir: string;
  bucket?: string;
  json?: boolean;
}

/** The site's name and logo for the PDF's header, from --site (else config/site.yaml if present). */
async function cliBranding(siteFile: string | undefined): Promise<ReportBranding> {
  try {
    return siteFile !== undefined ? await loadReportBranding(siteFile) : await loadReportBranding(DEFAULT_SITE_FILE, true);
  } catch (error) {
    if (error instanceof BrandingError) throw new CliError(error.message);
    throw error;
  }
}

async function report(what: { kind: 'batch'; batchId: string } | { kind: 'shift'; shift: string }, o: ReportOptions): Promise<number> {
  const site = await cliSiteShifts(o.site);
  const branding = await cliBranding(o.site);
  const { lineId, plan, bucketMs } = await cliLinePlans(o);
  let query: ReportQuery;
  if (what.kind === 'batch') {
    if (o.line !== undefined) throw new CliError('report batch takes no --line: a batch’s report covers the lines it ran on');
    query = what;
  } else {
    if (lineId === undefined) throw new CliError('report shift needs --line ID (the line whose shift it is; by id or by its line file)');
    query = { kind: 'shift', shift: what.shift, lineId };
  }
  return withContext({ permissions: ['batch.read'], what: 'make reports' }, async (ctx) => {
    let model;
    try {
      model = await makeReport({ db: ctx.db, batches: ctx.batches }, query, { site, plan, ...(bucketMs ? { bucketMs } : {}) });
    } catch (error) {
      if (error instanceof KpiQueryError) throw new CliError(error.message, error.notFound && !(error instanceof UnknownBatchError) ? EXIT.invalid : EXIT.badInput);
      throw error;
    }
    const { reportPdf } = await import('../../reports/pdf.ts');
    const pdf = await reportPdf(model, branding);
    await mkdir(o.out, { recursive: true });
    const base = path.join(o.out, reportBaseName(model));
    const files = { pdf: `${base}.pdf`, json: `${base}.json`, csv: `${base}.csv` };
    await writeFile(files.json, `${JSON.stringify(model, null, 2)}\n`);
    await writeFile(files.csv, reportCsv(model));
    await writeFile(files.pdf, pdf);
    if (o.json) writeLine(JSON.stringify(files));
    else for (const file of Object.values(files)) writeLine(file);
    return EXIT.ok;
  });
}

export function registerReport(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const group = program.command('report').description('batch and shift reports as PDF, JSON and CSV (docs/reports.md)');
  const common = (c: Command): Command =>
    c
      .requiredOption('--out <dir>', 'the folder the report files are written to (created if missing)')
      .option('--site <file>', 'the site file with timeZone, shifts, name and report.logo (default config/site.yaml if present)')
      .option('--lines-dir <dir>', 'where the line files are (planned run times per station)', 'config/lines')
      .option('--bucket <minutes>', 'width of the throughput buckets in minutes')
      .option('--json', 'print the files written as one JSON object {"pdf", "json", "csv"}');
  common(group.command('batch <id>').description('the report of a batch: its runs’ KPIs, card accounting, charts, alarms, audit head, signatures')).action((id: string, o: ReportOptions) =>
    run(() => report({ kind: 'batch', batchId: id }, o)),
  );
  common(group.command('shift <date/name>').description('the report of a line’s shift, e.g. 2026-12-07/night').option('--line <id|file>', 'the line, by id or by its line file')).action((shift: string, o: ReportOptions) =>
    run(() => report({ kind: 'shift', shift }, o)),
  );
}

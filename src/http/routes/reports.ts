/**
 * `/api/v1/reports/…`: a batch's or a line's shift report for download, as PDF, JSON or CSV — the
 * files `cardline report` writes (src/reports). Read-only, permission batch.read; not audited, as a
 * report holds no personal data (ids, counts, times, reason and alarm codes).
 */
import { z } from 'zod';
import { KpiQueryError } from '../../kpi/query.ts';
import { reportCsv } from '../../reports/csv.ts';
import { reportBaseName, type ReportModel } from '../../reports/model.ts';
import { makeReport, type ReportQuery } from '../../reports/source.ts';
import { BrandingError, loadReportBranding, type ReportBranding } from '../../reports/branding.ts';
import { SiteRequestError } from '../../site/runtime.ts';
import { route, type ApiDeps, type RouteContext, type RouteFactory, type RouteSpec } from '../route-spec.ts';
import { bucket, id, linePlanLoader, siteShiftsLoader, type KpiRouteOptions } from './kpi.ts';

const FORMATS = { pdf: 'application/pdf', json: 'application/json; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const;
const format = z.enum(['pdf', 'json', 'csv']).default('pdf').describe('pdf (A4, charts as vectors), json (the figures) or csv (one row a figure)');

/** The site's name and logo for a PDF's header, from the site file (none: the defaults; unreadable: 503). */
function brandingLoader(options: KpiRouteOptions): () => Promise<ReportBranding> {
  return async () => {
    try {
      return await loadReportBranding(options.siteFile ?? 'config/site.yaml', true);
    } catch (error) {
      if (error instanceof BrandingError) throw new SiteRequestError(`the site's name and logo for the report cannot be read: ${error.message}`, 503);
      throw error;
    }
  };
}

/** The report routes, reading the site file and line files where `options` says (as the KPI routes). */
export function reportRoutesWith(options: KpiRouteOptions = {}): RouteFactory {
  const plan = linePlanLoader(options);
  const site = siteShiftsLoader(options);
  const branding = brandingLoader(options);

  const send = async (deps: ApiDeps, query: ReportQuery, as: keyof typeof FORMATS, bucketMinutes: number | undefined, reply: RouteContext<unknown, unknown, unknown>['reply']): Promise<Buffer | string> => {
    let model: ReportModel;
    try {
      model = await makeReport(deps, query, { site: await site(), plan, ...(bucketMinutes ? { bucketMs: bucketMinutes * 60_000 } : {}) });
    } catch (error) {
      if (error instanceof KpiQueryError) throw new SiteRequestError(error.message, error.notFound ? 404 : 400, error.field);
      throw error;
    }
    void reply.type(FORMATS[as]);
    void reply.header('content-disposition', `attachment; filename="${reportBaseName(model)}.${as}"`);
    void reply.header('cache-control', 'no-store');
    if (as === 'json') return `${JSON.stringify(model, null, 2)}\n`;
    if (as === 'csv') return reportCsv(model);
    // pdfkit and echarts load on the first report: a server that never makes one does not pay for them.
    const { reportPdf } = await import('../../reports/pdf.ts');
    return reportPdf(model, await branding());
  };

  return (deps: ApiDeps): readonly RouteSpec[] => [
    route({
      method: 'GET',
      url: '/reports/batches/:batchId',
      permission: 'batch.read',
      summary: 'A batch’s report for download (docs/reports.md): KPIs, card accounting, OEE waterfall, throughput, reject Pareto, stations, alarms, audit head, signatures',
      tags: ['reports'],
      params: z.object({ batchId: id }),
      query: z.object({ format, bucket }),
      produces: Object.values(FORMATS).map((t) => t.split(';')[0]!),
      handler: async ({ params, query, reply }) => send(deps, { kind: 'batch', batchId: params.batchId }, query.format, query.bucket, reply),
    }),
    route({
      method: 'GET',
      url: '/reports/shifts/:date/:name',
      permission: 'batch.read',
      summary: 'A line’s shift report for download, the shift named by its start date and name (2026-12-07/night)',
      tags: ['reports'],
      params: z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'), name: z.string() }),
      query: z.object({ line: id, format, bucket }),
      produces: Object.values(FORMATS).map((t) => t.split(';')[0]!),
      handler: async ({ params, query, reply }) => send(deps, { kind: 'shift', shift: `${params.date}/${params.name}`, lineId: query.line }, query.format, query.bucket, reply),
    }),
  ];
}

export const reportRoutes: RouteFactory = reportRoutesWith();

/**
 * `/api/v1/kpi/…`: the ISO 22400-2 KPIs of a batch, of a line over a period, or of a shift — the
 * same answer as `cardline kpi --json` (src/kpi/query.ts). Read-only, permission batch.read; no
 * personal data (batch ids, line and unit ids, reason codes, counts and times).
 */
import { z } from 'zod';
import { loadLinePlan, type LinePlan } from '../../kpi/line-plan.ts';
import { answerKpiQuery, KpiQueryError, type KpiAnswer, type KpiQuery } from '../../kpi/query.ts';
import { parseSiteTime, recentShifts } from '../../kpi/shifts.ts';
import { loadSiteShifts, SiteFileError, type SiteShifts } from '../../kpi/site-file.ts';
import { SiteRequestError } from '../../site/runtime.ts';
import { KpiStore } from '../../store/kpi-store.ts';
import { route, type ApiDeps, type RouteFactory, type RouteSpec } from '../route-spec.ts';

const nullableRatio = z.number().nullable();

const sumsSchema = z.object({
  pbtMs: z.number(),
  aptMs: z.number(),
  adetMs: z.number(),
  adotMs: z.number(),
  pdotMs: z.number(),
  pq: z.number().int(),
  gq: z.number().int(),
  sq: z.number().int(),
  rq: z.number().int(),
  plannedRunMs: z.number(),
  pqWithoutPri: z.number().int(),
  failures: z.number().int(),
  blanks: z.number().int(),
  firstPassGood: z.number().int(),
  inspected: z.number().int(),
  scrapByReason: z.record(z.string(), z.number().int()),
});

const kpisSchema = z.object({
  sums: sumsSchema,
  kpis: z.object({
    availability: nullableRatio,
    effectiveness: nullableRatio,
    qualityRatio: nullableRatio,
    oee: nullableRatio,
    firstPassYield: nullableRatio,
    scrapRatio: nullableRatio,
    scrapRatioByReason: z.record(z.string(), z.number()),
    goodCardsPerHour: z.number(),
    mtbfMs: nullableRatio,
    mttrMs: nullableRatio,
    blanksPerGoodCard: nullableRatio,
  }),
});

const paretoSchema = z.array(z.object({ key: z.string(), count: z.number().int(), share: z.number(), cumulativeShare: z.number() }));

export const kpiAnswerSchema = z.object({
  scope: z.object({
    kind: z.enum(['batch', 'line', 'shift']),
    batchId: z.string().optional(),
    lineId: z.string().optional(),
    shift: z.string().optional(),
    timeZone: z.string(),
    running: z.boolean().optional(),
    linesWithoutPlan: z.array(z.string()),
  }),
  from: z.string(),
  to: z.string(),
  batchId: z.string().nullable(),
  total: kpisSchema,
  lines: z.array(kpisSchema.extend({ line: z.string() })),
  stations: z.array(kpisSchema.extend({ line: z.string(), station: z.string(), kind: z.string().nullable(), units: z.number().int() })),
  kinds: z.array(kpisSchema.extend({ kind: z.string(), units: z.number().int() })),
  units: z.array(kpisSchema.extend({ line: z.string(), unit: z.string(), station: z.string(), kind: z.string().nullable() })),
  pareto: z.object({ byReason: paretoSchema, byUnit: paretoSchema }),
  throughput: z.object({
    bucketMs: z.number(),
    buckets: z.array(z.object({ from: z.string(), good: z.number().int(), spoiled: z.number().int(), pbtMs: z.number(), goodCardsPerHour: z.number() })),
  }),
});
export type KpiAnswerBody = z.infer<typeof kpiAnswerSchema>;

export const bucket = z.coerce.number().int().min(1).max(1440).optional().describe('width of the throughput buckets, minutes');
export const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an id of letters, digits, dots, hyphens and underscores');

export interface KpiRouteOptions {
  /** The site file with timeZone and shifts (default config/site.yaml; the defaults when it is absent). */
  readonly siteFile?: string;
  /** Where the line files are (planned run times), default config/lines. */
  readonly linesDir?: string;
  /** The planned run times of a line from its loaded configuration (serve: the site's lines); instead of linesDir. */
  readonly linePlan?: (lineId: string) => Promise<LinePlan | undefined>;
}

/** Where a route finds a line's planned run times: the site's loaded lines, else the lines folder. */
export function linePlanLoader(options: KpiRouteOptions): (lineId: string) => Promise<LinePlan | undefined> {
  const linesDir = options.linesDir ?? 'config/lines';
  return options.linePlan ?? ((lineId) => loadLinePlan(linesDir, lineId));
}

/** The site's shifts for a request (the defaults when the site file is absent; 503 when it is unreadable). */
export function siteShiftsLoader(options: KpiRouteOptions = {}): () => Promise<SiteShifts> {
  const siteFile = options.siteFile ?? 'config/site.yaml';
  return async () => {
    try {
      return await loadSiteShifts(siteFile, true);
    } catch (error) {
      if (error instanceof SiteFileError) throw new SiteRequestError(`the site's shifts cannot be read: ${error.message}`, 503);
      throw error;
    }
  };
}

/** The KPI routes, reading the site file and line files where `options` says. */
export function kpiRoutesWith(options: KpiRouteOptions = {}): RouteFactory {
  const plan = linePlanLoader(options);
  const site = siteShiftsLoader(options);

  const answer = async (deps: ApiDeps, query: KpiQuery, shifts: SiteShifts, bucketMinutes: number | undefined): Promise<KpiAnswerBody> => {
    let a: KpiAnswer;
    try {
      a = await answerKpiQuery(new KpiStore(deps.db), query, { site: shifts, plan, ...(bucketMinutes ? { bucketMs: bucketMinutes * 60_000 } : {}) });
    } catch (error) {
      if (error instanceof KpiQueryError) throw new SiteRequestError(error.message, error.notFound ? 404 : 400, error.field);
      throw error;
    }
    return { scope: { ...a.scope, linesWithoutPlan: [...a.scope.linesWithoutPlan] }, ...a.report } as KpiAnswerBody;
  };

  return (deps: ApiDeps): readonly RouteSpec[] => [
    route({
      method: 'GET',
      url: '/kpi/shifts',
      permission: 'batch.read',
      summary: 'The site’s shifts that have begun, newest first (the one under way, then those before it), named as /kpi/shifts/{date}/{name} takes them',
      tags: ['kpi'],
      query: z.object({ count: z.coerce.number().int().min(1).max(93).default(6).describe('how many shifts') }),
      response: z.object({ timeZone: z.string(), shifts: z.array(z.object({ date: z.string(), name: z.string(), from: z.string(), to: z.string() })) }),
      handler: async ({ query }) => {
        const shifts = await site();
        return {
          timeZone: shifts.timeZone,
          shifts: recentShifts(new Date(), shifts.shifts, shifts.timeZone, query.count).map((s) => {
            const [date, name] = s.name.split('/') as [string, string];
            return { date, name, from: s.from.toISOString(), to: s.to.toISOString() };
          }),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/kpi/batches/:batchId',
      permission: 'batch.read',
      summary: 'The KPIs of a batch: its runs’ time and its cards (ISO 22400-2; docs/kpis.md)',
      tags: ['kpi'],
      params: z.object({ batchId: id }),
      query: z.object({ bucket }),
      response: kpiAnswerSchema,
      handler: async ({ params, query }) => {
        if (!(await deps.batches.getBatch(params.batchId))) throw new SiteRequestError(`batch ${params.batchId} does not exist`, 404, 'batchId');
        return answer(deps, { kind: 'batch', batchId: params.batchId }, await site(), query.bucket);
      },
    }),
    route({
      method: 'GET',
      url: '/kpi/lines/:lineId',
      permission: 'batch.read',
      summary: 'The KPIs of a line over a period [from, to): ISO 8601 times, or local times in the site’s time zone',
      tags: ['kpi'],
      params: z.object({ lineId: id }),
      query: z.object({ from: z.string(), to: z.string(), bucket }),
      response: kpiAnswerSchema,
      handler: async ({ params, query }) => {
        const shifts = await site();
        const time = (field: 'from' | 'to'): Date => {
          const t = parseSiteTime(query[field], shifts.timeZone);
          if (!t) throw new SiteRequestError(`${field} '${query[field]}': expected a date and time such as 2026-12-07T22:00 (in ${shifts.timeZone}) or 2026-12-07T15:00Z`, 400, field);
          return t;
        };
        return answer(deps, { kind: 'line', lineId: params.lineId, from: time('from'), to: time('to') }, shifts, query.bucket);
      },
    }),
    route({
      method: 'GET',
      url: '/kpi/shifts/:date/:name',
      permission: 'batch.read',
      summary: 'The KPIs of a shift named by its start date and name (2026-12-07/night), of one line or of every line',
      tags: ['kpi'],
      params: z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'), name: z.string() }),
      query: z.object({ line: id.optional(), bucket }),
      response: kpiAnswerSchema,
      handler: async ({ params, query }) => answer(deps, { kind: 'shift', shift: `${params.date}/${params.name}`, ...(query.line !== undefined ? { lineId: query.line } : {}) }, await site(), query.bucket),
    }),
  ];
}

export const kpiRoutes: RouteFactory = kpiRoutesWith();

// The KPI routes over HTTP (fastify's inject) against a real store: the answer validates against the
// declared response schema and equals the query module's; unknown batches, bad times and shifts
// are refused with the status and the field at fault. (The site server registers these routes
// with its auth; this test registers them bare, as the route declarations say.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { openContext, type AppContext } from '../../cli/context.ts';
import { answerKpiQuery } from '../../kpi/query.ts';
import { DEFAULT_SITE_SHIFTS } from '../../kpi/site-file.ts';
import { PACKML_STATES as S, STOP_REASONS as R } from '../../plc/packml.ts';
import { SiteRequestError } from '../../site/runtime.ts';
import { KpiStore } from '../../store/kpi-store.ts';
import { LineStore, type JournalOp } from '../../store/line-store.ts';
import { kpiAnswerSchema, kpiRoutesWith } from './kpi.ts';

let dir: string;
let ctx: AppContext;
let app: FastifyInstance;
let batchId: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cardline-kpi-routes-'));
  ctx = await openContext({ ...process.env, CARDLINE_DATA_DIR: path.join(dir, 'data'), CARDLINE_DB_URL: '' });
  const batch = await ctx.batches.createBatch({ name: 'kpi', sourceFile: 'in/k.jsonl', actor: 'op' });
  await ctx.batches.addRecords(batch.id, [1, 2].map((seq) => ({ seq, lineNo: seq, pid: `07901000123${seq}`, cardVariant: 'without-portrait', personal: { fullName: `Số ${seq}` } })));
  await ctx.batches.finishImport(batch.id, { accepted: 2, quarantined: 0, reportPath: 'r.json', actor: 'op' });
  batchId = batch.id;
  const journal = new LineStore(ctx.db, 'route-line').journal;
  const state = (unit: string, st: number, stopReason: number = R.None): JournalOp => ({ op: 'station', unit, event: 'state', detail: { state: st, stopReason }, at: new Date().toISOString() });
  await journal.append({ op: 'batch.status', batchId, status: 'running', actor: 'op' }, state('feeder', S.Execute), state('output', S.Execute));
  for (const [serial, seq, good] of [['R1', 1, true], ['R2', 2, false]] as const) {
    await journal.append(
      { op: 'card.fed', cardSerial: serial, batchId, seq, attempt: 1, unit: 'feeder' },
      { op: 'event', event: 'feeder.done', batchId, seq, attempt: 1, cardSerial: serial, unit: 'feeder', reason: null, detail: { jobId: seq, result: 0 } },
      { op: 'event', event: 'output.done', batchId, seq, attempt: 1, cardSerial: serial, unit: 'output', reason: null, detail: { jobId: 10 + seq, result: 0 } },
      good ? { op: 'card.ended', cardSerial: serial, status: 'good', unit: 'output', position: 1, batchId } : { op: 'card.ended', cardSerial: serial, status: 'spoiled', unit: 'output', reason: 'PRINT_GRADE_LOW', batchId },
    );
  }
  await journal.append(state('output', S.Held, R.CardJam));
  await new Promise((r) => setTimeout(r, 20));
  await journal.append(state('output', S.Execute), { op: 'batch.status', batchId, status: 'completed', actor: 'op' });

  const deps = { dataDir: ctx.dataDir, db: ctx.db, keys: ctx.keys, batches: ctx.batches };
  app = Fastify();
  for (const spec of kpiRoutesWith({ siteFile: path.join(dir, 'no-site.yaml'), linesDir: path.join(dir, 'no-lines') })(deps)) {
    expect(spec.permission).toBe('batch.read');
    app.route({
      method: spec.method,
      url: `/api/v1${spec.url}`,
      handler: async (request, reply) => {
        try {
          const params = spec.params ? spec.params.parse(request.params) : request.params;
          const query = spec.query ? spec.query.parse(request.query) : request.query;
          const body = await spec.handler({ params, query, body: undefined, user: undefined, request, reply });
          return spec.response ? spec.response.parse(body) : body;
        } catch (error) {
          if (error instanceof SiteRequestError) return reply.code(error.status).send({ status: error.status, detail: error.message, field: error.field ?? null });
          if (error instanceof ZodError) return reply.code(400).send({ status: 400, detail: error.issues[0]!.message, field: error.issues[0]!.path.join('.') });
          throw error;
        }
      },
    });
  }
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await ctx?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('/api/v1/kpi', () => {
  it('answers a batch’s KPIs as the query module does, in the declared schema', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/kpi/batches/${batchId}` });
    expect(r.statusCode, r.body).toBe(200);
    const body = kpiAnswerSchema.parse(r.json());
    expect({ blanks: body.total.sums.blanks, gq: body.total.sums.gq, sq: body.total.sums.sq, failures: body.total.sums.failures }).toStrictEqual({ blanks: 2, gq: 1, sq: 1, failures: 1 });
    // QA's print-grade finding is the laser's; this line has none, so the unit that rejected the card has it.
    expect(body.pareto.byUnit.map((p) => [p.key, p.count])).toStrictEqual([['output', 1]]);
    expect(body.scope).toStrictEqual({ kind: 'batch', batchId, timeZone: 'Asia/Ho_Chi_Minh', running: false, linesWithoutPlan: ['route-line'] });
    const direct = await answerKpiQuery(new KpiStore(ctx.db), { kind: 'batch', batchId }, { site: DEFAULT_SITE_SHIFTS, plan: () => Promise.resolve(undefined) });
    expect(body).toStrictEqual(JSON.parse(JSON.stringify({ scope: direct.scope, ...direct.report })));
  });

  it('answers a line over a period and a shift', async () => {
    const span = (await new KpiStore(ctx.db).batchSpan(batchId))!;
    const from = new Date(span.from.getTime() - 1000).toISOString();
    const to = new Date(span.to.getTime() + 1000).toISOString();
    const line = await app.inject({ method: 'GET', url: `/api/v1/kpi/lines/route-line?from=${from}&to=${to}&bucket=1` });
    expect(line.statusCode, line.body).toBe(200);
    const body = kpiAnswerSchema.parse(line.json());
    expect([body.total.sums.gq, body.throughput.bucketMs]).toStrictEqual([1, 60_000]);
    const shift = await app.inject({ method: 'GET', url: '/api/v1/kpi/shifts/2026-12-07/night?line=route-line' });
    expect(shift.statusCode, shift.body).toBe(200);
    expect(kpiAnswerSchema.parse(shift.json())).toMatchObject({ from: '2026-12-07T15:00:00.000Z', to: '2026-12-07T23:00:00.000Z', scope: { kind: 'shift', shift: '2026-12-07/night', lineId: 'route-line' } });
  });

  it('refuses what it cannot answer, naming the field', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/kpi/batches/no-such-batch' });
    expect([unknown.statusCode, unknown.json()]).toStrictEqual([404, { status: 404, detail: 'batch no-such-batch does not exist', field: 'batchId' }]);
    const badTime = await app.inject({ method: 'GET', url: '/api/v1/kpi/lines/route-line?from=yesterday&to=2026-12-08' });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json()).toMatchObject({ field: 'from' });
    const backwards = await app.inject({ method: 'GET', url: '/api/v1/kpi/lines/route-line?from=2026-12-08&to=2026-12-07' });
    expect(backwards.json()).toMatchObject({ status: 400, field: 'to' });
    const shift = await app.inject({ method: 'GET', url: '/api/v1/kpi/shifts/2026-12-07/evening' });
    expect(shift.json()).toMatchObject({ status: 400, field: 'shift', detail: expect.stringMatching(/the site has no shift 'evening'/) });
  });
});

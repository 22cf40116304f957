/**
 * The lines' API routes (src/http/routes/lines.ts) against a real site (simulated line over
 * loopback, SQLite): each declares its permission (run to operate, batch.read to read), its
 * request schemas refuse bad input by field, and the operator's path — enqueue, reorder, dequeue,
 * start, pause, resume, abort — goes through the handlers to the line, with responses that match
 * the declared schemas.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthUser } from '../src/auth/session.ts';
import { lineRoutes } from '../src/http/routes/lines.ts';
import type { HttpMethod, RouteSpec } from '../src/http/route-spec.ts';
import type { RunEnd } from '../src/site/line-agent.ts';
import type { Site } from '../src/site/site.ts';
import { siteFixture, until, type SiteFixture } from './helpers/site.ts';

const op: AuthUser = { name: 'op-chi', role: 'operator' };
let fx: SiteFixture;
let site: Site;
let specs: readonly RouteSpec[];
const ends: RunEnd[] = [];

beforeAll(async () => {
  fx = await siteFixture('routes', { timeScale: 8 });
  site = fx.site({ onRunEnded: (_l, end) => ends.push(end) }).site;
  await site.open();
  specs = lineRoutes({ dataDir: fx.ctx.dataDir, db: fx.ctx.db, keys: fx.ctx.keys, batches: fx.ctx.batches, site });
}, 60_000);
afterAll(async () => {
  await site.stop();
  await fx.cleanup();
});

function spec(method: HttpMethod, url: string): RouteSpec {
  const found = specs.find((s) => s.method === method && s.url === url);
  if (!found) throw new Error(`no route ${method} ${url}`);
  return found;
}

/** Calls a route as the server does: params and body through their schemas, then the handler; the response checked against its schema. */
async function call(method: HttpMethod, url: string, params: Record<string, string>, body?: unknown): Promise<unknown> {
  const s = spec(method, url);
  const result = await s.handler({
    params: s.params ? s.params.parse(params) : params,
    query: {},
    body: s.body ? s.body.parse(body) : body,
    user: op,
    request: {} as FastifyRequest,
    reply: {} as FastifyReply,
  });
  if (s.response) s.response.parse(result);
  return result;
}

describe('the lines routes', () => {
  it('declare run for every state change and batch.read for reading', () => {
    for (const s of specs) expect(`${s.method} ${s.url} ${s.permission}`).toBe(`${s.method} ${s.url} ${s.method === 'GET' ? 'batch.read' : 'run'}`);
    expect(specs.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /lines',
      'GET /lines/:lineId',
      'GET /lines/:lineId/queue',
      'POST /lines/:lineId/queue',
      'DELETE /lines/:lineId/queue/:batchId',
      'PUT /lines/:lineId/queue',
      'POST /lines/:lineId/start',
      'POST /lines/:lineId/pause',
      'POST /lines/:lineId/resume',
      'POST /lines/:lineId/abort',
    ]);
  });

  it('refuse a malformed batch id and an unknown abort choice by field', () => {
    const enqueue = spec('POST', '/lines/:lineId/queue');
    const bad = enqueue.body!.safeParse({ batchId: "x'; drop table" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['batchId']);
    const abort = spec('POST', '/lines/:lineId/abort');
    expect(abort.body!.safeParse({ records: 'burn' }).error?.issues[0]?.path).toEqual(['records']);
  });

  it('enqueue, reorder, dequeue, start, pause, resume and abort through the handlers', async () => {
    const lineId = 'routes-line';
    const a = await fx.importSample(30, 'routes-a');
    const b = await fx.importSample(4, 'routes-b');
    expect(await call('POST', '/lines/:lineId/queue', { lineId }, { batchId: b })).toEqual({ lineId, queue: [b] });
    expect(await call('POST', '/lines/:lineId/queue', { lineId }, { batchId: a })).toEqual({ lineId, queue: [b, a] });
    expect(await call('PUT', '/lines/:lineId/queue', { lineId }, { batchIds: [a, b] })).toEqual({ lineId, queue: [a, b] });
    expect(await call('DELETE', '/lines/:lineId/queue/:batchId', { lineId, batchId: b })).toEqual({ lineId, queue: [a] });
    expect(await call('GET', '/lines/:lineId/queue', { lineId })).toEqual({ lineId, queue: [a] });
    const started = (await call('POST', '/lines/:lineId/start', { lineId }, {})) as { batchId: string; status: string };
    expect(started).toMatchObject({ batchId: a, status: 'running' });
    await until('a good card', () => (site.agent(lineId).progress()?.good ?? 0) >= 1);
    await call('POST', '/lines/:lineId/pause', { lineId });
    expect(((await call('GET', '/lines/:lineId', { lineId })) as { phase: string }).phase).toBe('paused');
    await call('POST', '/lines/:lineId/resume', { lineId });
    const all = (await call('GET', '/lines', {})) as { siteId: string; lines: { id: string; phase: string; batch: { batchId: string } | null }[] };
    expect(all.siteId).toBe('routes');
    expect(all.lines[0]).toMatchObject({ id: lineId, phase: 'running', batch: { batchId: a } });
    await call('POST', '/lines/:lineId/abort', { lineId }, { records: 'cancel' });
    await until('the run ended', () => ends.length === 1, 30_000);
    expect(ends[0]).toMatchObject({ batchId: a, outcome: 'aborted' });
    // Every record ended (cancelled or made): the aborted batch reconciles at once.
    expect((await fx.ctx.batches.getBatch(a))?.status).toMatch(/^(aborted|reconciled)$/);
    const actions: { action: string; actor: string }[] = await fx.ctx.db('audit_log').where({ subject_type: 'line', subject_id: lineId }).orderBy('id').select('action', 'actor');
    expect(actions.map((r) => r.action)).toEqual(['line.enqueue', 'line.enqueue', 'line.reorder', 'line.dequeue', 'stock.loaded', 'line.start', 'line.pause', 'line.resume', 'line.abort']);
    expect(actions.every((r) => r.actor === 'op-chi')).toBe(true);
  }, 60_000);
});

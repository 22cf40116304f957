/**
 * The site's lines over HTTP: list and show (every station's PackML state, mode, counters and
 * heartbeat age; the running batch; the queue; stock), the queue (enqueue, dequeue, reorder) and
 * the operator's acts (start, with resume; pause; resume; abort). Reading needs batch.read,
 * operating needs run (src/auth/roles.ts). Refusals are the site's SiteRequestError (problem
 * details naming the field); the site audits every change with the user.
 */
import { z } from 'zod';
import type { AuthUser } from '../../auth/session.ts';
import { SiteRequestError, type SiteRuntime } from '../../site/runtime.ts';
import { route, type RouteFactory } from '../route-spec.ts';

const lineId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'a line id');
const batchId = z.string().regex(/^\d{8}-[0-9a-f]{6}$/, 'a batch id such as 20261207-a1b2c3');
const lineParams = z.object({ lineId });
const batchParams = z.object({ lineId, batchId });

const unitStatus = z.object({
  id: z.string(),
  state: z.string(),
  mode: z.string(),
  connected: z.boolean(),
  card: z.object({ serial: z.string(), attempt: z.number().int() }).optional(),
  heartbeatAgeMs: z.number().nullable().describe("milliseconds since the PLC's heartbeat last changed; null when unknown (a line another server drives, a unit not yet connected)"),
  processed: z.number().int(),
  defective: z.number().int(),
  reconnects: z.number().int(),
});

export const batchProgressSchema = z.object({
  batchId: z.string(),
  status: z.string(),
  records: z.number().int(),
  good: z.number().int(),
  spoiled: z.number().int(),
  pending: z.number().int(),
  inLine: z.number().int(),
  cardsPerHour: z.number().nullable(),
  etaSeconds: z.number().nullable(),
});

export const lineStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  simulated: z.boolean(),
  phase: z.enum(['idle', 'running', 'pausing', 'paused', 'remote', 'stopping']),
  drivenBy: z.string().nullable(),
  stations: z.array(z.object({ id: z.string(), kind: z.string(), units: z.array(unitStatus) })),
  batch: batchProgressSchema.nullable(),
  queue: z.array(z.string()),
  stock: z.object({ blanksAvailable: z.number().int(), stackerFill: z.number().nullable(), stackerCapacity: z.number().int().nullable().optional() }),
});

const queueSchema = z.object({ lineId: z.string(), queue: z.array(z.string()) });

export function siteOf(site: SiteRuntime | undefined): SiteRuntime {
  if (!site) throw new SiteRequestError('this server hosts no lines', 503);
  return site;
}

function userOf(user: AuthUser | undefined): AuthUser {
  // The server authenticates every non-public route before the handler runs.
  if (!user) throw new SiteRequestError('not authenticated', 403);
  return user;
}

export const lineRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/lines',
    permission: 'batch.read',
    summary: "The site's lines: phase, stations, running batch, queue and stock",
    tags: ['lines'],
    response: z.object({ siteId: z.string(), lines: z.array(lineStatusSchema) }),
    handler: async () => {
      const site = siteOf(deps.site);
      return { siteId: site.siteId, lines: [...(await site.lines())] };
    },
  }),
  route({
    method: 'GET',
    url: '/lines/:lineId',
    permission: 'batch.read',
    summary: "One line: every station unit's PackML state, mode, counters and heartbeat age; its batch, queue and stock",
    tags: ['lines'],
    params: lineParams,
    response: lineStatusSchema,
    handler: async ({ params }) => siteOf(deps.site).line(params.lineId),
  }),
  route({
    method: 'GET',
    url: '/lines/:lineId/queue',
    permission: 'batch.read',
    summary: 'The batches waiting on a line, first to run first',
    tags: ['lines'],
    params: lineParams,
    response: queueSchema,
    handler: async ({ params }) => ({ lineId: params.lineId, queue: [...(await siteOf(deps.site).line(params.lineId)).queue] }),
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/queue',
    permission: 'run',
    summary: "Puts a batch at the end of a line's queue",
    tags: ['lines'],
    params: lineParams,
    body: z.object({ batchId }),
    response: queueSchema,
    status: 201,
    handler: async ({ params, body, user }) => ({ lineId: params.lineId, queue: [...(await siteOf(deps.site).enqueue(params.lineId, body.batchId, userOf(user)))] }),
  }),
  route({
    method: 'DELETE',
    url: '/lines/:lineId/queue/:batchId',
    permission: 'run',
    summary: "Takes a batch off a line's queue",
    tags: ['lines'],
    params: batchParams,
    response: queueSchema,
    handler: async ({ params, user }) => ({ lineId: params.lineId, queue: [...(await siteOf(deps.site).dequeue(params.lineId, params.batchId, userOf(user)))] }),
  }),
  route({
    method: 'PUT',
    url: '/lines/:lineId/queue',
    permission: 'run',
    summary: "Puts a line's queue in a new order (exactly the batches it holds, each once)",
    tags: ['lines'],
    params: lineParams,
    body: z.object({ batchIds: z.array(batchId) }),
    response: queueSchema,
    handler: async ({ params, body, user }) => ({ lineId: params.lineId, queue: [...(await siteOf(deps.site).reorder(params.lineId, body.batchIds, userOf(user)))] }),
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/start',
    permission: 'run',
    summary: 'Starts the first queued batch (or the one named); resume continues a paused or interrupted batch',
    tags: ['lines'],
    params: lineParams,
    body: z.object({ batchId: batchId.optional(), resume: z.boolean().optional() }).optional(),
    response: batchProgressSchema,
    status: 202,
    handler: async ({ params, body, user }) =>
      siteOf(deps.site).start(params.lineId, { ...(body?.batchId ? { batchId: body.batchId } : {}), ...(body?.resume !== undefined ? { resume: body.resume } : {}) }, userOf(user)),
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/pause',
    permission: 'run',
    summary: 'Pauses the running batch: no blanks fed, every station held',
    tags: ['lines'],
    params: lineParams,
    status: 204,
    handler: async ({ params, user }) => {
      await siteOf(deps.site).pause(params.lineId, userOf(user));
      return undefined;
    },
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/resume',
    permission: 'run',
    summary: 'Resumes a paused line',
    tags: ['lines'],
    params: lineParams,
    status: 204,
    handler: async ({ params, user }) => {
      await siteOf(deps.site).resume(params.lineId, userOf(user));
      return undefined;
    },
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/abort',
    permission: 'run',
    summary: "Aborts the running batch: the cards in the line go to the reject bin; their records re-queued (default) or cancelled",
    tags: ['lines'],
    params: lineParams,
    body: z.object({ records: z.enum(['requeue', 'cancel']).default('requeue') }).optional(),
    status: 202,
    handler: async ({ params, body, user }) => {
      await siteOf(deps.site).abort(params.lineId, body?.records ?? 'requeue', userOf(user));
      return undefined;
    },
  }),
];

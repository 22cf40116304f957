/**
 * The site's alarms: list them (by line, open or active only) and acknowledge one. The alarm board
 * (src/alarms) audits the acknowledgement with the authenticated user and publishes it as an
 * `alarm` event.
 */
import { z } from 'zod';
import { SiteRequestError } from '../../site/runtime.ts';
import { route, type RouteFactory } from '../route-spec.ts';

export const alarmViewSchema = z.object({
  id: z.string(),
  lineId: z.string(),
  unitId: z.string().nullable(),
  condition: z.string().describe("what raised it: 'station.aborted', 'station.held', 'station.stopped', 'station.offline', 'heartbeat.stale', 'feeder.starved', 'stacker.full', 'reject.repeated'"),
  message: z.string(),
  priority: z.enum(['low', 'medium', 'high', 'urgent']),
  state: z.enum(['active-unacknowledged', 'active-acknowledged', 'cleared-unacknowledged', 'cleared']),
  raisedAt: z.string(),
  clearedAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
});

const listQuery = z.strictObject({
  lineId: z.string().min(1).max(64).optional(),
  /** open: active or still unacknowledged (the operator's list); active: the condition holds now; all: with the ended ones. */
  state: z.enum(['open', 'active', 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const alarmParams = z.strictObject({ alarmId: z.string().min(1).max(40) });

export const alarmRoutes: RouteFactory = (deps) => {
  const site = deps.site;
  if (!site) return [];
  return [
    route({
      method: 'GET',
      url: '/alarms',
      permission: 'batch.read',
      summary: 'The site’s alarms, newest first',
      tags: ['alarms'],
      query: listQuery,
      response: z.object({ alarms: z.array(alarmViewSchema) }),
      handler: async ({ query }) => {
        const alarms = await site.alarms.list({
          ...(query.lineId !== undefined ? { lineId: query.lineId } : {}),
          ...(query.state === 'active' ? { activeOnly: true } : query.state === 'open' ? { openOnly: true } : {}),
          limit: query.limit,
        });
        return { alarms: [...alarms] };
      },
    }),
    route({
      method: 'POST',
      url: '/alarms/:alarmId/acknowledge',
      permission: 'alarm.acknowledge',
      summary: 'Acknowledge an alarm (audited with the user)',
      tags: ['alarms'],
      params: alarmParams,
      response: alarmViewSchema,
      handler: async ({ params, user }) => {
        if (!user) throw new SiteRequestError('acknowledging an alarm needs an authenticated user', 403);
        return site.alarms.acknowledge(params.alarmId, user);
      },
    }),
  ];
};

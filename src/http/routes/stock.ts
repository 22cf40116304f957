/**
 * Blank stock of a line: record a lot loaded into its feeder (`cardline stock load`: a lot is loaded
 * once; the same lot again changes nothing, with another count it is refused) and show the stock.
 * In a server hosting the site, the line must be one of its lines, and a line the server simulates
 * gets the blanks in its simulated feeder's magazine (as `cardline stock load` does for plc-sim).
 */
import { z } from 'zod';
import { LineStore } from '../../store/line-store.ts';
import { route, type ApiDeps, type RouteFactory } from '../route-spec.ts';
import { lineId } from './schemas.ts';

const lineParams = z.object({ lineId });

const stockView = z.object({
  line: z.string(),
  loaded: z.number().int(),
  consumed: z.number().int(),
  available: z.number().int(),
  lots: z.array(z.object({ lot: z.string(), count: z.number().int(), at: z.string(), actor: z.string() })),
});

async function knownLine(deps: ApiDeps, id: string): Promise<void> {
  // The site answers 404 (SiteRequestError) for a line it does not have.
  if (deps.site) await deps.site.line(id);
}

async function stockOf(deps: ApiDeps, id: string): Promise<z.infer<typeof stockView>> {
  const store = new LineStore(deps.db, id);
  return { line: id, ...(await store.stock()), lots: await store.stockLoads() };
}

export const stockRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/lines/:lineId/stock',
    permission: 'batch.read',
    summary: 'Blank stock of a line: loaded, consumed, available, and its lots',
    tags: ['stock'],
    params: lineParams,
    response: stockView,
    handler: async ({ params }) => {
      await knownLine(deps, params.lineId);
      return stockOf(deps, params.lineId);
    },
  }),
  route({
    method: 'POST',
    url: '/lines/:lineId/stock',
    permission: 'stock.load',
    summary: 'Record a lot of blank cards loaded into the feeder (a lot is loaded once)',
    tags: ['stock'],
    params: lineParams,
    body: z.object({
      count: z.number().int().min(1).max(1_000_000).describe('number of blanks'),
      lot: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).optional().describe('the lot number (default lot-<time>)'),
    }),
    status: 201,
    response: stockView.extend({ outcome: z.enum(['loaded', 'already-loaded']) }),
    handler: async ({ params, body, user }) => {
      const lot = body.lot ?? `lot-${new Date().toISOString().replace(/[:.]/g, '')}`;
      // Through the site: a line it simulates gets the blanks in its simulated feeder too.
      const outcome = deps.site ? await deps.site.loadStock(params.lineId, body.count, lot, user!) : await new LineStore(deps.db, params.lineId).loadStock(body.count, lot, user!.name);
      return { outcome, ...(await stockOf(deps, params.lineId)) };
    },
  }),
];

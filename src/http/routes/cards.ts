/** One physical card: what happened to it (cardline card show) and a supervisor's write-off (cardline card write-off). */
import { z } from 'zod';
import { writeOffCard } from '../../line/batch-actions.ts';
import { LineStore } from '../../store/line-store.ts';
import { notFound } from '../problem.ts';
import { route, type RouteFactory } from '../route-spec.ts';
import { cardView } from './qa.ts';
import { cardParams, note, reasonCode } from './schemas.ts';

export const cardRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/cards/:cardSerial',
    permission: 'batch.read',
    summary: 'A card: its status, record, stacker position or reason, and its events unit by unit',
    tags: ['cards'],
    params: cardParams,
    response: cardView.extend({
      batchId: z.string(),
      lineId: z.string(),
      events: z.array(z.object({ at: z.string(), unit: z.string().nullable(), event: z.string(), reason: z.string().nullable(), detail: z.string().nullable() })),
    }),
    handler: async ({ params }) => {
      const lines = new LineStore(deps.db, '');
      const card = await lines.card(params.cardSerial);
      if (!card) throw notFound(`card ${params.cardSerial} is not known`, 'params.cardSerial');
      return { ...card, events: await lines.cardEvents(params.cardSerial) };
    },
  }),
  route({
    method: 'POST',
    url: '/cards/:cardSerial/write-off',
    permission: 'card.write-off',
    summary: 'Write off a card the records hold in the line but that is gone: spoil log, its record re-made (no run may hold the line)',
    tags: ['cards'],
    params: cardParams,
    body: z.object({ reason: reasonCode.default('WRITTEN_OFF'), note: note.optional() }),
    response: z.object({ batchId: z.string(), seq: z.number().int(), record: z.string() }),
    handler: async ({ params, body, user }) => {
      const lines = new LineStore(deps.db, '');
      if (!(await lines.card(params.cardSerial))) throw notFound(`card ${params.cardSerial} is not known`, 'params.cardSerial');
      return writeOffCard(lines, params.cardSerial, { reason: body.reason, by: user!.name, ...(body.note ? { note: body.note } : {}) });
    },
  }),
];

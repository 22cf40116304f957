/**
 * Quality assurance: the cards of a batch with the controller's verdict (awaiting inspection: the
 * good cards of a batch not yet released), a rendered preview of one card (PNG or PDF: it decrypts
 * the citizen's record, so it needs batch.export and is audited), an inspector's reject, and the
 * two-person release (issue 15): a QA user asks, a second person approves. Same functions as
 * `cardline qa|approve|purge --batch`.
 */
import { z } from 'zod';
import { approveRequest, requestPurge, requestRelease } from '../../auth/two-person.ts';
import { inspectorReject, reissueRecord } from '../../line/batch-actions.ts';
import { dropStaleProof } from '../../line/batch-report-file.ts';
import { appendAudit } from '../../store/audit.ts';
import { ApprovalStore, type ApprovalRequest } from '../../store/approval-store.ts';
import { LineStore } from '../../store/line-store.ts';
import { MAX_DPI, MIN_DPI } from '../../render/defaults.ts';
import { HttpProblem, notFound } from '../problem.ts';
import { route, type ApiDeps, type RouteFactory } from '../route-spec.ts';
import { batchParams, cardParams, note, reasonCode } from './schemas.ts';
import { inspectionRoutes } from './inspection.ts';
import path from 'node:path';

export const cardView = z.object({
  cardSerial: z.string(),
  seq: z.number().int(),
  attempt: z.number().int(),
  status: z.enum(['in-line', 'good', 'spoiled']).describe("the controller's verdict: good (in the stacker), spoiled (with its reason) or still in the line"),
  position: z.number().int().nullable().describe('stacker position of a good card'),
  reason: z.string().nullable().describe('reason code of a spoiled card'),
  unit: z.string().nullable().describe('the last unit the card was in'),
  suspect: z.boolean().describe('inside a station at a crash: checked or re-made, never shipped unchecked'),
});

const requestView = z.object({
  id: z.string(),
  kind: z.enum(['release', 'purge']),
  batchId: z.string(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  status: z.enum(['pending', 'approved', 'withdrawn']),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
});

function requestAnswer(r: ApprovalRequest): z.infer<typeof requestView> {
  return {
    id: r.id,
    kind: r.kind,
    batchId: r.batchId,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt.toISOString(),
    status: r.status,
    approvedBy: r.approvedBy ?? null,
    approvedAt: r.approvedAt?.toISOString() ?? null,
  };
}

async function batchOr404(deps: ApiDeps, id: string) {
  const batch = await deps.batches.getBatch(id);
  if (!batch) throw notFound(`batch ${id} does not exist`, 'params.batchId');
  return batch;
}

async function cardOr404(deps: ApiDeps, serial: string) {
  const card = await new LineStore(deps.db, '').card(serial);
  if (!card) throw notFound(`card ${serial} is not known`, 'params.cardSerial');
  return card;
}

export const qaRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/batches/:batchId/cards',
    permission: 'batch.read',
    summary: "The cards of a batch with the controller's verdict (cardline qa list); awaiting=true: the stacked cards QA has still to inspect",
    tags: ['qa'],
    params: batchParams,
    query: z.object({
      status: z.enum(['in-line', 'good', 'spoiled']).optional(),
      awaiting: z.enum(['true', 'false']).optional().describe('only the good cards of a batch not yet released'),
    }),
    response: z.array(cardView),
    handler: async ({ params, query }) => {
      const batch = await batchOr404(deps, params.batchId);
      let cards = await new LineStore(deps.db, '').batchCards(params.batchId);
      if (query.awaiting === 'true') cards = batch.status === 'released' ? [] : cards.filter((c) => c.status === 'good');
      if (query.status) cards = cards.filter((c) => c.status === query.status);
      return cards.map((c) => ({ cardSerial: c.cardSerial, seq: c.seq, attempt: c.attempt, status: c.status, position: c.position, reason: c.reason, unit: c.unit, suspect: c.suspect }));
    },
  }),
  route({
    method: 'GET',
    url: '/cards/:cardSerial/preview',
    permission: 'batch.export',
    summary: "A card's rendered preview (PNG or the laser job's PDF) from its record; audited, as it shows the citizen's data",
    tags: ['qa'],
    params: cardParams,
    query: z.object({
      side: z.enum(['front', 'back']).default('front'),
      format: z.enum(['png', 'pdf']).default('png'),
      dpi: z.coerce.number().int().min(MIN_DPI).max(MAX_DPI).default(150).describe('PNG resolution'),
    }),
    produces: ['image/png', 'application/pdf'],
    handler: async ({ params, query, user, reply }) => {
      const card = await cardOr404(deps, params.cardSerial);
      const batch = await batchOr404(deps, card.batchId);
      if (batch.purgedAt) throw new HttpProblem(409, `batch ${card.batchId} was purged: its personal data is gone, there is nothing to preview`, { field: 'params.cardSerial' });
      // Decrypting a citizen's record into a picture is an export of personal data: audited before it is made.
      await appendAudit(deps.db, { actor: user!.name, action: 'card.previewed', subjectType: 'card', subjectId: card.cardSerial, details: { batchId: card.batchId, seq: card.seq, side: query.side, format: query.format } });
      // pdfkit and pdfjs load on first use: a server that never previews does not pay for them.
      const { CardRenderer, pdfToPng } = await import('../../render/index.ts');
      const personal = await deps.batches.recordPersonal(card.batchId, card.seq);
      const portrait = await deps.batches.recordPortrait(card.batchId, card.seq);
      const rendered = await new CardRenderer().renderCard({ record: personal, portrait });
      const pdf = rendered[query.side];
      void reply.header('cache-control', 'no-store');
      if (query.format === 'pdf') {
        void reply.type('application/pdf');
        return pdf;
      }
      void reply.type('image/png');
      return pdfToPng(pdf, query.dpi);
    },
  }),
  route({
    method: 'POST',
    url: '/cards/:cardSerial/reject',
    permission: 'qa.reject',
    summary: 'An inspector rejects a stacked card: spoil log, its record re-made at top priority, during a run by the running line (cardline qa reject)',
    tags: ['qa'],
    params: cardParams,
    body: z.object({ reason: reasonCode, note: note.optional() }),
    response: z.object({ batchId: z.string(), seq: z.number().int(), record: z.string(), proofRemoved: z.boolean() }),
    handler: async ({ params, body, user }) => {
      const card = await cardOr404(deps, params.cardSerial);
      const input = { reason: body.reason, ...(body.note ? { note: body.note } : {}) };
      // A batch a line of this server runs: its controller re-makes the record during the run.
      const r =
        (await deps.site?.rejectRunningCard(card.batchId, params.cardSerial, input, user!)) ??
        (await inspectorReject(new LineStore(deps.db, ''), params.cardSerial, { ...input, by: user!.name }));
      const stale = await dropStaleProof(path.join(deps.dataDir, 'reports'), r.batchId, params.cardSerial);
      return { ...r, proofRemoved: stale !== undefined };
    },
  }),
  route({
    method: 'POST',
    url: '/cards/:cardSerial/recall',
    permission: 'qa.recall',
    summary: 'A card of a released batch found defective: its record re-issued as a new batch of one (cardline qa recall)',
    tags: ['qa'],
    params: cardParams,
    body: z.object({ reason: reasonCode, note: note.optional() }),
    status: 201,
    response: z.object({ batchId: z.string(), seq: z.number().int(), newBatchId: z.string() }),
    handler: async ({ params, body, user }) => {
      await cardOr404(deps, params.cardSerial);
      return reissueRecord(deps.batches, new LineStore(deps.db, ''), params.cardSerial, { reason: body.reason, by: user!.name, ...(body.note ? { note: body.note } : {}) });
    },
  }),
  route({
    method: 'POST',
    url: '/batches/:batchId/release-requests',
    permission: 'qa.release',
    summary: 'Ask for the release of a reconciled batch (role qa, not one who operated it); a second person approves',
    tags: ['qa'],
    params: batchParams,
    status: 201,
    response: requestView,
    handler: async ({ params, user }) => requestAnswer(await requestRelease(deps.db, user!, await batchOr404(deps, params.batchId))),
  }),
  route({
    method: 'POST',
    url: '/batches/:batchId/purge-requests',
    permission: 'purge.request',
    summary: 'Ask for the purge of a released batch before its retention date; a second person approves',
    tags: ['qa'],
    params: batchParams,
    status: 201,
    response: requestView,
    handler: async ({ params, user }) => {
      const batch = await batchOr404(deps, params.batchId);
      if (batch.purgedAt) throw new HttpProblem(409, `batch ${params.batchId} is already purged`, { field: 'params.batchId' });
      return requestAnswer(await requestPurge(deps.db, user!, batch));
    },
  }),
  route({
    method: 'GET',
    url: '/approvals',
    permission: 'approve',
    summary: 'The pending release and purge requests (cardline approve --list)',
    tags: ['qa'],
    response: z.array(requestView),
    handler: async () => (await new ApprovalStore(deps.db).pending()).map(requestAnswer),
  }),
  route({
    method: 'POST',
    url: '/approvals/:requestId/approve',
    permission: 'approve',
    summary: 'Approve a request as the second person (not the one who asked, not one who operated the batch)',
    tags: ['qa'],
    params: z.object({ requestId: z.string().regex(/^R-[0-9a-f]{1,32}$/, 'a request id, e.g. R-1a2b3c4d') }),
    response: z.object({
      kind: z.enum(['release', 'purge']),
      request: requestView,
      purgeDueAt: z.string().optional().describe('release: when its personal data falls due for purge'),
      retentionDays: z.number().int().optional(),
      purged: z.object({ records: z.number().int(), portraits: z.number().int(), files: z.number().int() }).optional(),
    }),
    handler: async ({ params, user }) => {
      if (!(await new ApprovalStore(deps.db).get(params.requestId))) throw notFound(`request ${params.requestId} does not exist`, 'params.requestId');
      const done = await approveRequest(deps.db, deps.dataDir, user!, params.requestId, (id) => deps.batches.getBatch(id));
      if (done.kind === 'release') return { kind: done.kind, request: requestAnswer(done.request), purgeDueAt: done.purgeDueAt.toISOString(), retentionDays: done.retentionDays };
      return { kind: done.kind, request: requestAnswer(done.request), purged: { records: done.purged.records, portraits: done.purged.portraits, files: done.purged.files } };
    },
  }),
  // The QA desk's look at cards: what the controller wants a person to see, and what was measured.
  ...inspectionRoutes(deps),
];

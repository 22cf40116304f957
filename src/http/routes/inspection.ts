/**
 * The QA desk's look at cards (issue 18): the cards of a batch the controller wants a person to
 * see (src/qa/queue.ts: failed, rejected, borderline, re-made, sampled at the site file's
 * qa.sampleRate), and one card's inspection in detail: what the QA station measured and how the
 * controller judged it (src/qa/figures.ts), or null where it was not recorded. No personal data:
 * the pictures of the card are GET /cards/{serial}/preview (batch.export, audited).
 */
import { z } from 'zod';
import { BORDERLINE_BELOW_GRADE, lookReasons, qaQueue } from '../../qa/queue.ts';
import { DEFAULT_QA_SAMPLE_RATE, inQaSample } from '../../qa/sample.ts';
import { qaVerdicts } from '../../store/inspection-store.ts';
import { LineStore } from '../../store/line-store.ts';
import { notFound } from '../problem.ts';
import { route, type ApiDeps, type RouteFactory } from '../route-spec.ts';
import { batchParams, cardParams } from './schemas.ts';

const lookReason = z.enum(['failed', 'rejected', 'borderline', 'remake', 'sample']);
const recordNow = z.object({ status: z.enum(['queued', 'in-line', 'produced', 'failed', 'cancelled']), cardSerial: z.string().nullable().describe("the record's current card (another serial once re-made)") });

const figures = z
  .object({
    v: z.literal(1),
    chipRead: z.boolean().describe('the chip answered BAC with the keys of the engraved MRZ'),
    files: z.array(z.object({ fid: z.string(), name: z.string(), ok: z.boolean(), problems: z.array(z.string()), hashMatches: z.boolean().nullable().describe("a data group's hash against EF.SOD") })),
    sod: z
      .object({
        signatureValid: z.boolean().nullable(),
        chainValid: z.boolean().nullable(),
        hashAlgorithm: z.string().nullable(),
        signer: z.object({ subject: z.string(), issuer: z.string(), serialNumber: z.string(), notAfter: z.string() }).nullable().describe('the Document Signer certificate'),
        csca: z.string().nullable(),
      })
      .nullable(),
    dg1MatchesMrz: z.boolean().nullable(),
    ocrMrzLinesMatch: z.array(z.boolean()).nullable().describe("the OCR'd MRZ line by line against the record's; null: no MRZ found"),
    printGrade: z.number(),
    minPrintGrade: z.number(),
  })
  .nullable()
  .describe('what the QA station measured; null when it was not recorded (a card judged before the figures were kept, or no inspection result)');

const sampleRateOf = (deps: ApiDeps): number => deps.site?.settings.qaSampleRate ?? DEFAULT_QA_SAMPLE_RATE;

export const inspectionRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/batches/:batchId/qa-queue',
    permission: 'batch.read',
    summary: 'The cards of a batch a person at the QA desk should look at, and why (failed, rejected, borderline, re-made, in the random sample)',
    tags: ['qa'],
    params: batchParams,
    response: z.object({
      batchId: z.string(),
      batchStatus: z.string(),
      sampleRate: z.number().describe("the site file's qa.sampleRate"),
      borderlineBelowGrade: z.number(),
      cards: z.array(
        z.object({
          cardSerial: z.string(),
          seq: z.number().int(),
          attempt: z.number().int(),
          status: z.enum(['in-line', 'good', 'spoiled']),
          reason: z.string().nullable(),
          verdict: z.enum(['passed', 'failed']).nullable(),
          printGrade: z.number().nullable(),
          why: z.array(lookReason),
          record: recordNow,
        }),
      ),
    }),
    handler: async ({ params }) => {
      const batch = await deps.batches.getBatch(params.batchId);
      if (!batch) throw notFound(`batch ${params.batchId} does not exist`, 'params.batchId');
      const lines = new LineStore(deps.db, '');
      const rate = sampleRateOf(deps);
      const cards = qaQueue(await lines.batchCards(batch.id), await lines.records(batch.id), await qaVerdicts(deps.db, { batchId: batch.id }), rate);
      return { batchId: batch.id, batchStatus: batch.status, sampleRate: rate, borderlineBelowGrade: BORDERLINE_BELOW_GRADE, cards };
    },
  }),
  route({
    method: 'GET',
    url: '/cards/:cardSerial/inspection',
    permission: 'batch.read',
    summary: "A card's QA inspection: the controller's verdict and what the QA station measured (chip through BAC, EF.SOD and its chain, each data group's hash, DG1 = MRZ, the OCR'd MRZ, the print grade)",
    tags: ['qa'],
    params: cardParams,
    response: z.object({
      cardSerial: z.string(),
      batchId: z.string(),
      lineId: z.string(),
      seq: z.number().int(),
      attempt: z.number().int(),
      status: z.enum(['in-line', 'good', 'spoiled']),
      reason: z.string().nullable(),
      suspect: z.boolean(),
      record: recordNow,
      why: z.array(lookReason),
      sampled: z.boolean(),
      verdict: z.object({ outcome: z.enum(['passed', 'failed']), reason: z.string().nullable(), detail: z.string().nullable(), at: z.string() }).nullable().describe('null: the card never reached a QA verdict'),
      figures,
    }),
    handler: async ({ params }) => {
      const lines = new LineStore(deps.db, '');
      const card = await lines.card(params.cardSerial);
      if (!card) throw notFound(`card ${params.cardSerial} is not known`, 'params.cardSerial');
      const verdict = (await qaVerdicts(deps.db, { cardSerial: card.cardSerial })).at(-1);
      const record = (await lines.records(card.batchId)).find((r) => r.seq === card.seq);
      const rate = sampleRateOf(deps);
      return {
        cardSerial: card.cardSerial,
        batchId: card.batchId,
        lineId: card.lineId,
        seq: card.seq,
        attempt: card.attempt,
        status: card.status,
        reason: card.reason,
        suspect: card.suspect,
        record: { status: record?.status ?? 'queued', cardSerial: record?.cardSerial ?? null },
        why: lookReasons(card, verdict, rate),
        sampled: inQaSample(card.cardSerial, rate),
        verdict: verdict ? { outcome: verdict.outcome, reason: verdict.reason, detail: verdict.detail, at: verdict.at } : null,
        figures: verdict?.figures ?? null,
      };
    },
  }),
];

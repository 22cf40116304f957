/**
 * Batches: import by upload (a batch file, or a zip of it with its portraits) or from a file on the
 * server, list, show with the accounting of `batch show --json`, the quarantine report, close
 * (reconcile). The same functions as `cardline import|batch`; the store audits each change with the
 * authenticated user.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { closeBatch } from '../../line/batch-actions.ts';
import { batchListEntry, batchSummary } from '../../line/batch-summary.ts';
import { importServerFile, importUpload, IMPORT_FOLDERS, UPLOAD_MAX_BYTES, UPLOAD_MEDIA_TYPES } from '../../import/upload.ts';
import type { ImportSummary } from '../../import/importer.ts';
import { quarantineReportFile } from '../../import/quarantine-report.ts';
import { LineStore } from '../../store/line-store.ts';
import { HttpProblem, notFound } from '../problem.ts';
import { route, type RouteFactory } from '../route-spec.ts';
import { batchParams } from './schemas.ts';

const listEntry = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  quarantineOnly: z.boolean(),
  accepted: z.number().int(),
  quarantined: z.number().int(),
  createdAt: z.string(),
});

export const batchSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  records: z.object({ total: z.number().int(), produced: z.number().int(), failed: z.number().int(), cancelled: z.number().int(), pending: z.number().int() }),
  cards: z.object({ blanksConsumed: z.number().int(), good: z.number().int(), spoiled: z.number().int(), inLine: z.number().int() }),
  spoiledByReason: z.record(z.string(), z.number().int()),
  auditHead: z.object({ id: z.number().int(), hash: z.string() }).nullable(),
});

const importResult = z.object({
  batchId: z.string(),
  format: z.enum(['jsonl', 'csv']),
  accepted: z.number().int(),
  quarantined: z.number().int(),
  namesShortened: z.number().int(),
});

const batchName = z.string().min(1).max(200);

function importAnswer(s: ImportSummary): z.infer<typeof importResult> {
  return { batchId: s.batchId, format: s.format, accepted: s.accepted, quarantined: s.quarantined, namesShortened: s.namesShortened };
}

function uploadKind(contentType: string | undefined): keyof typeof UPLOAD_MEDIA_TYPES {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  for (const [kind, types] of Object.entries(UPLOAD_MEDIA_TYPES)) {
    if ((types as readonly string[]).includes(type)) return kind as keyof typeof UPLOAD_MEDIA_TYPES;
  }
  throw new HttpProblem(415, `an upload is a zip (application/zip), JSON Lines (application/x-ndjson) or CSV (text/csv), not ${type || 'untyped'}`, { field: 'header.Content-Type' });
}

export const batchRoutes: RouteFactory = (deps) => [
  route({
    method: 'GET',
    url: '/batches',
    permission: 'batch.read',
    summary: 'Every batch, newest first (cardline batch list --json)',
    tags: ['batches'],
    response: z.array(listEntry),
    handler: async () => Promise.all((await deps.batches.listBatches()).map((b) => batchListEntry(deps.db, b))),
  }),
  route({
    method: 'POST',
    url: '/batches/uploads',
    permission: 'import',
    summary: 'Import an uploaded batch: a JSON Lines or CSV file, or a zip of one with its portraits',
    tags: ['batches'],
    query: z.object({
      name: batchName.optional().describe('batch name (default: the file name)'),
      fileName: z.string().max(200).optional().describe('the uploaded file name, recorded as the batch source'),
    }),
    upload: {
      mediaTypes: [...UPLOAD_MEDIA_TYPES.zip, ...UPLOAD_MEDIA_TYPES.jsonl, ...UPLOAD_MEDIA_TYPES.csv],
      maxBytes: UPLOAD_MAX_BYTES,
      description: 'a batch file (docs/record-format.md), or a zip holding one batch file and the portraits it names (paths relative to it)',
    },
    status: 201,
    response: importResult,
    handler: async ({ query, body, user, request }) => {
      const kind = uploadKind(request.headers['content-type']);
      if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpProblem(422, 'the upload is empty', { field: 'body' });
      const summary = await importUpload({ store: deps.batches, dataDir: deps.dataDir, actor: user!.name, name: query.name }, { kind, body, fileName: query.fileName });
      return importAnswer(summary);
    },
  }),
  route({
    method: 'POST',
    url: '/batches/imports',
    permission: 'import',
    summary: `Import a batch file on the server, under the data directory's ${IMPORT_FOLDERS.join(' or ')} folder`,
    tags: ['batches'],
    body: z.object({ path: z.string().min(1).max(1000).describe(`relative to the data directory, e.g. ${IMPORT_FOLDERS[0]}/batch.jsonl`), name: batchName.optional() }),
    status: 201,
    response: importResult,
    handler: async ({ body, user }) => importAnswer(await importServerFile({ store: deps.batches, dataDir: deps.dataDir, actor: user!.name, name: body.name }, body.path)),
  }),
  route({
    method: 'GET',
    url: '/batches/:batchId',
    permission: 'batch.read',
    summary: 'A batch and its accounting (cardline batch show --json)',
    tags: ['batches'],
    params: batchParams,
    response: batchSummarySchema,
    handler: async ({ params }) => {
      const summary = await batchSummary(deps.db, deps.batches, params.batchId);
      if (!summary) throw notFound(`batch ${params.batchId} does not exist`, 'params.batchId');
      return summary;
    },
  }),
  route({
    method: 'GET',
    url: '/batches/:batchId/quarantine-report',
    permission: 'batch.read',
    summary: "The import's quarantine report: line, field and reason of each refused record (no values)",
    tags: ['batches'],
    params: batchParams,
    response: z.object({ batchId: z.string(), entries: z.array(z.unknown()) }).catchall(z.unknown()),
    handler: async ({ params }) => {
      const batch = await deps.batches.getBatch(params.batchId);
      if (!batch) throw notFound(`batch ${params.batchId} does not exist`, 'params.batchId');
      const file = batch.reportPath ?? quarantineReportFile(path.join(deps.dataDir, 'reports'), batch.id);
      try {
        return JSON.parse(await readFile(file, 'utf8')) as { batchId: string; entries: unknown[] };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`the quarantine report of batch ${params.batchId} is gone from this server`, 'params.batchId');
        throw error;
      }
    },
  }),
  route({
    method: 'POST',
    url: '/batches/:batchId/close',
    permission: 'batch.close',
    summary: 'Close (reconcile) a completed or aborted batch: blanks consumed = good + spoiled',
    tags: ['batches'],
    params: batchParams,
    response: z.object({ closed: z.literal(true), blanksConsumed: z.number().int(), good: z.number().int(), spoiled: z.number().int() }),
    handler: async ({ params, user }) => {
      if (!(await deps.batches.getBatch(params.batchId))) throw notFound(`batch ${params.batchId} does not exist`, 'params.batchId');
      const result = await closeBatch(deps.batches, new LineStore(deps.db, ''), params.batchId, user!.name);
      if (!result.closed) {
        throw new HttpProblem(
          409,
          `batch ${params.batchId} does not reconcile: ${result.blanksConsumed} blanks consumed, ${result.good} good + ${result.spoiled} spoiled; ${result.unaccounted.length} card(s) unaccounted (a card still in the line is accounted for when a run brings it out; one no longer there is written off)`,
          { slug: 'does-not-reconcile', extensions: { unaccounted: result.unaccounted, blanksConsumed: result.blanksConsumed, good: result.good, spoiled: result.spoiled } },
        );
      }
      return { closed: true as const, blanksConsumed: result.blanksConsumed, good: result.good, spoiled: result.spoiled };
    },
  }),
];

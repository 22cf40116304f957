/**
 * The composition root of a production run: from a line file and a batch to a LineController with
 * everything it needs, through the line's session (src/line/line-session.ts: the station links,
 * the data preparation, the QA judge, the lease and, for a simulated line, the simulator started
 * through the `startSimulator` the application's composition root gives, src/app/run-line.ts).
 * `cardline run` opens a session for one batch; `cardline serve` keeps one per line. It knows
 * neither the CLI nor simulators/.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseCivilDate } from '../domain/dates.ts';
import { ProofSheet } from '../render/proof.ts';
import { CardRenderer } from '../render/renderer.ts';
import { LineSession, runnableBatch, type BatchRunOptions, type LineContext, type LineRunResult, type LineSessionOptions } from './line-session.ts';
import { cardRecord } from './prepare.ts';

export { RunError, LineSession, runnableBatch, type LineContext, type LineSessionOptions, type BatchRunOptions, type LineRunResult, type RunControl } from './line-session.ts';

/** A run of one batch: the line session it opens and the batch it runs. */
export type LineRunOptions = LineSessionOptions & BatchRunOptions;

/**
 * Runs (or resumes) a batch on a line to its end: `cardline run` opens the line's session (lease,
 * PKI, links, simulator), runs the one batch and closes it — the same session `cardline serve`
 * keeps open between batches.
 */
export async function runBatchOnLine(ctx: LineContext, options: LineRunOptions): Promise<LineRunResult> {
  // The batch is checked before the line is taken: a batch that cannot run leaves the line alone.
  await runnableBatch(ctx, options.batchId, options.resume ?? false);
  const session = await LineSession.open(ctx, { ...options, batchId: options.batchId });
  try {
    return await session.runBatch(options);
  } finally {
    await session.close();
  }
}

/**
 * The A4 proof sheet of a batch's produced cards (8 a page, labelled by record number and card
 * serial), in the line's template, written 0600: it shows every citizen's card (docs/security.md).
 * The caller audits the export.
 */
export async function writeProofSheet(ctx: LineContext, batchId: string, produced: ReadonlyMap<number, string>, file: string, template: string): Promise<void> {
  const renderer = new CardRenderer();
  const stream = createWriteStream(file, { mode: 0o600 });
  const done = finished(stream);
  const sheet = new ProofSheet(`batch ${batchId} — proof of the produced cards`, stream);
  for await (const r of ctx.batches.batchRecords(batchId)) {
    if (!produced.has(r.seq)) continue;
    const issue = parseCivilDate(String(r.personal.issueDate));
    const layout = renderer.layout({ record: cardRecord(renderer.template(template), r.personal), portrait: r.portrait }, { template, ...(issue ? { today: issue } : {}) });
    sheet.add({ label: `record ${r.seq} · card ${produced.get(r.seq) ?? ''}`, layout });
  }
  await sheet.end();
  await done;
}

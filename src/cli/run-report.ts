/**
 * The reports a run writes under `<data dir>/reports/<batch>/`: one per run, named by its start time
 * (`run-<UTC time>.json`, never replaced), and the batch's cumulative `report.json` (the accounting
 * of the whole batch and the list of its runs), rewritten by each run. With --proof, `proof.pdf`
 * shows the produced cards; the cards it shows are listed in report.json, and a proof whose cards
 * are no longer the batch's produced ones is rewritten (with --proof) or removed, so an old proof
 * never shows a card rejected since. Record numbers, card serials and reason codes only: never
 * personal data.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LineRunResult } from '../line/compose.ts';
import { appendAudit } from '../store/audit.ts';
import { LineStore } from '../store/line-store.ts';
import type { AppContext } from './context.ts';
import { runRates, type RunRates } from './run-progress.ts';
import { readCumulative, REPORT_FILE } from '../line/batch-report-file.ts';

// Moved to src/line/batch-report-file.ts (the API's QA reject uses it too); re-exported for the commands.
export { dropStaleProof, REPORT_FILE } from '../line/batch-report-file.ts';

export const PROOF_FILE = 'proof.pdf';

export interface RunReportFiles {
  /** The batch's cumulative report. */
  readonly file: string;
  /** This run's own report. */
  readonly runFile: string;
  readonly proof?: string;
  /** A proof of earlier cards that was removed because they changed. */
  readonly proofRemoved?: string;
}

/** This run's figures, as the summary prints them and both reports hold them. */
export interface RunFigures {
  readonly outcome: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly elapsedMs: number;
  readonly producingMs: number;
  readonly pausedMs: number;
  readonly good: number;
  readonly recordsEnded: number;
  /** This run's good cards an hour of production (paused time excluded), wall clock: src/kpi/throughput.ts's definition. */
  readonly cardsPerHour: number;
  /** A simulated line runs `timeScale` times faster than real time; null on a real line. */
  readonly simulated: { readonly timeScale: number } | null;
}

export function runFigures(result: LineRunResult): RunFigures {
  const rates: RunRates = runRates(result.progress);
  const timeScale = result.line.simulation?.timeScale;
  return {
    outcome: result.status,
    startedAt: new Date(result.progress.startedAt).toISOString(),
    endedAt: new Date(result.progress.at).toISOString(),
    elapsedMs: result.elapsedMs,
    producingMs: rates.producingMs,
    pausedMs: rates.pausedMs,
    good: rates.good,
    recordsEnded: rates.ended,
    cardsPerHour: Math.round(rates.cardsPerHour),
    simulated: timeScale === undefined ? null : { timeScale },
  };
}

/** The produced cards of a batch, by record: what a proof shows. */
async function producedCards(store: LineStore, batchId: string): Promise<Map<number, string>> {
  return new Map((await store.records(batchId)).filter((r) => r.status === 'produced' && r.cardSerial).map((r) => [r.seq, r.cardSerial!]));
}

export async function writeRunReport(ctx: AppContext, result: LineRunResult, options: { proof?: boolean } = {}): Promise<RunReportFiles> {
  const store = new LineStore(ctx.db, result.line.id);
  const accounting = await store.accounting(result.batchId);
  const spoils = await store.spoilLog(result.batchId);
  const batch = await ctx.batches.getBatch(result.batchId);
  const byReason: Record<string, number> = {};
  const byUnit: Record<string, number> = {};
  for (const s of spoils) {
    byReason[s.reason] = (byReason[s.reason] ?? 0) + 1;
    byUnit[s.unit ?? 'unknown'] = (byUnit[s.unit ?? 'unknown'] ?? 0) + 1;
  }
  const dir = path.join(ctx.reportDir, result.batchId);
  // Reports name card serials and records, and the proof shows every citizen's card: 0700 (docs/security.md).
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const run = runFigures(result);
  const runFile = path.join(dir, `run-${run.startedAt.replace(/[:.]/g, '').replace(/-/g, '')}.json`);
  const common = {
    batchId: result.batchId,
    status: batch?.status ?? result.status,
    line: result.line.id,
    ...accounting,
    spoiledByReason: byReason,
    spoiledByUnit: byUnit,
    failedRecords: result.failedRecords,
    stock: await store.stock(),
    pki: result.pkiDir,
    // The audit chain's head: a printed report anchors the log (cardline audit verify --anchor).
    auditHead: (await ctx.batches.auditHead()) ?? null,
  };
  await writeFile(runFile, `${JSON.stringify({ kind: 'run', run, ...common, writtenAt: new Date().toISOString() }, null, 2)}\n`);

  const file = path.join(dir, REPORT_FILE);
  const before = await readCumulative(file);
  const produced = await producedCards(store, result.batchId);
  const serials = [...produced.values()].sort();
  const proofFile = path.join(dir, PROOF_FILE);
  let proof: { file: string; cards: string[] } | null = before.proof ?? null;
  let proofRemoved: string | undefined;
  if (options.proof && produced.size > 0) {
    // The proof sheet decrypts every produced record: an export of personal data, audited first.
    await appendAudit(ctx.db, { actor: ctx.actor, action: 'batch.exported', subjectType: 'batch', subjectId: result.batchId, details: { kind: 'proof', out: proofFile } });
    // Loaded here, not at the top: compose.ts brings in node-opcua, pdfkit and the line, which
    // `cardline qa` and `approve` (they import this file) would otherwise load on every start.
    const { writeProofSheet } = await import('../line/compose.ts');
    await writeProofSheet(ctx, result.batchId, produced, proofFile, result.line.template);
    proof = { file: proofFile, cards: serials };
  } else if (proof && proof.cards.join(' ') !== serials.join(' ')) {
    await rm(proofFile, { force: true });
    proofRemoved = proofFile;
    proof = null;
  }
  const runs = [...(before.runs ?? []), { file: path.basename(runFile), startedAt: run.startedAt, outcome: run.outcome, good: run.good, cardsPerHour: run.cardsPerHour }];
  await writeFile(file, `${JSON.stringify({ kind: 'batch', ...common, run, runs, proof, writtenAt: new Date().toISOString() }, null, 2)}\n`);
  return { file, runFile, ...(proof && options.proof ? { proof: proof.file } : {}), ...(proofRemoved ? { proofRemoved } : {}) };
}


import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { LineRunResult } from '../../app/run-line.ts';
import { LineStore } from '../../store/line-store.ts';
import type { AppContext } from '../context.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeError, writeLine } from '../io.ts';
import { formatDuration, ProgressView } from '../run-progress.ts';
import { printImportSummary, runImport } from './import.ts';

/** Errors whose message tells the operator what to fix: printed without a stack trace. */
const OPERATOR_ERRORS = new Set(['RunError', 'ConfigError', 'PkiError', 'LinkConfigError', 'PreparationError']);

/** How long an aborted run may take to empty the line before it quits anyway (SIGINT/SIGTERM). */
const ABORT_GRACE_MS = 10_000;

export const DEFAULT_LINE = path.resolve(import.meta.dirname, '../../../config/lines/demo-opcua.yaml');

export interface RunCommandOptions {
  line?: string;
  sim?: string;
  resume?: boolean;
  proof?: boolean;
  wip?: string;
  maxAttempts?: string;
  onAbort?: string;
  /** Demo: top up the simulated magazine to this many blanks. */
  ensureBlanks?: number;
}

function positiveInt(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be a whole number ≥ 1, got '${text}'`);
  return n;
}

function printSummary(result: LineRunResult, accounting: { records: Record<string, number>; cards: Record<string, number> }, batchStatus: string): void {
  const r = accounting.records;
  const c = accounting.cards;
  const hours = result.elapsedMs / 3_600_000;
  writeLine(`batch ${result.batchId} on line ${result.line.id}: ${result.status} in ${formatDuration(result.elapsedMs)} — batch ${batchStatus}`);
  writeLine(`records: ${r.total} — ${r.produced} produced, ${r.failed} failed after the maximum attempts, ${r.cancelled} cancelled, ${r.pending} pending`);
  writeLine(`cards:   ${c.blanksConsumed} blanks consumed = ${c.good} good + ${c.spoiled} spoiled${c.inLine ? ` + ${c.inLine} still in the line` : ''}; ${hours > 0 ? Math.round(c.good! / hours) : 0} good cards/h`);
  const rejects = Object.entries(result.progress.rejects).sort((a, b) => b[1] - a[1]);
  for (const [code, n] of rejects) writeLine(`  rejected ${String(n).padStart(5)}  ${code}`);
  for (const f of result.failedRecords) {
    const reasons = (f.reasons as { code?: string; station?: string }[]).map((x) => `${x.code ?? '?'}${x.station ? `@${x.station}` : ''}`).join(', ');
    writeLine(`  failed record ${f.seq}: ${reasons}`);
  }
}

/** On a line with a packer: the delivery packs made (none are listed for a line without one). */
async function printPacks(store: LineStore, batchId: string): Promise<void> {
  const packs = await store.packs.packs(batchId);
  if (packs.length === 0) return;
  const closed = packs.filter((p) => p.closed);
  const offices = new Set(packs.map((p) => p.office)).size;
  const remainders = closed.filter((p) => p.remainder).length;
  writeLine(`packs:   ${closed.length} delivery packs made for ${offices} offices (${remainders} remainder packs${closed.length < packs.length ? `, ${packs.length - closed.length} still open` : ''}); cardline pack list ${batchId}`);
}

/** Runs a batch (by id, or a record file imported first) on a line: the heart of `run` and `npm start`. */
export async function runCommand(target: string, options: RunCommandOptions, ctxOverride?: AppContext): Promise<number> {
  const sim = options.sim ?? 'in-process';
  if (sim !== 'in-process' && sim !== 'external') throw new CliError(`--sim must be in-process or external, got '${sim}'`);
  const onAbort = options.onAbort ?? 'requeue';
  if (onAbort !== 'requeue' && onAbort !== 'cancel') throw new CliError(`--on-abort must be requeue or cancel, got '${onAbort}'`);
  const wip = positiveInt(options.wip, '--wip');
  const maxAttempts = positiveInt(options.maxAttempts, '--max-attempts');
  const lineFile = path.resolve(options.line ?? DEFAULT_LINE);
  let batchId = target;
  if (existsSync(target) && statSync(target).isFile()) {
    if (options.resume) throw new CliError('--resume continues a batch by its id, not a file');
    const summary = await runImport(target, {});
    printImportSummary(summary, false);
    if (summary.accepted === 0) return EXIT.nothingAccepted;
    batchId = summary.batchId;
  }
  const go = async (ctx: AppContext): Promise<number> => {
    const view = new ProgressView();
    let interrupted = 0;
    let control: { abort(records: 'requeue' | 'cancel'): void; pause(): boolean; resume(): boolean } | undefined;
    const onSignal = (): void => {
      interrupted += 1;
      if (interrupted === 1 && control) {
        writeError(
          `\ncardline: aborting — no more blanks are fed; the cards in the line go to the reject bin and their records ${onAbort === 'cancel' ? 'are cancelled' : 'back to the queue (`cardline run ID --resume` continues)'}; Ctrl-C again quits at once`,
        );
        control.abort(onAbort);
        // The run ends when the line has emptied; it ends within seconds in any case (a card that
        // never comes out must not keep it): the batch then shows interrupted, and --resume goes on.
        setTimeout(() => {
          writeError(`\ncardline: the line did not empty within ${ABORT_GRACE_MS / 1000} s; quitting — cardline run ${batchId} --resume continues the batch`);
          process.exit(130);
        }, ABORT_GRACE_MS).unref();
      } else {
        process.exit(130);
      }
    };
    // The operator's pause and resume: p / r on a terminal, SIGUSR1 / SIGUSR2 from an HMI or a script.
    const onPause = (): void => {
      if (!control) return;
      writeError(control.pause() ? '\ncardline: paused — no blanks are fed and every station holds (cycles under way end); r or SIGUSR2 resumes' : '\ncardline: not paused: the line is not running');
    };
    const onResume = (): void => {
      if (!control) return;
      writeError(control.resume() ? '\ncardline: resumed — the stations unhold, feeding goes on' : '\ncardline: not resumed: the line is not paused');
    };
    const keys = process.stdin.isTTY ? process.stdin : undefined;
    const onKey = (key: Buffer): void => {
      const k = key.toString('utf8');
      if (k === '\u0003') onSignal(); // Ctrl-C: raw mode delivers it as a key
      else if (k === 'p' || k === 'P') onPause();
      else if (k === 'r' || k === 'R') onResume();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGUSR1', onPause);
    process.on('SIGUSR2', onResume);
    if (keys) {
      keys.setRawMode(true);
      keys.on('data', onKey);
    }
    view.start();
    let result: LineRunResult;
    // Loaded here, not at the top: the line brings node-opcua, which other commands do not need.
    const { runBatch, writeBatchReport } = await import('../../app/run-line.ts');
    try {
      result = await runBatch(ctx, {
        lineFile,
        batchId,
        sim,
        resume: options.resume ?? false,
        ...(process.env.CARDLINE_CRASH_AT ? { crashAt: process.env.CARDLINE_CRASH_AT } : {}),
        ...(wip !== undefined ? { wip } : {}),
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        ...(options.ensureBlanks !== undefined ? { ensureBlanks: options.ensureBlanks } : {}),
        onProgress: (p) => view.update(p),
        onStarted: (c) => {
          control = c;
        },
        log: (m) => writeError(`cardline: ${m}`),
        warn: (m) => writeError(`cardline: WARNING: ${m}`),
      });
    } catch (error) {
      if (error instanceof Error && OPERATOR_ERRORS.has(error.name)) {
        throw new CliError(error.message, 1);
      }
      throw error;
    } finally {
      view.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGUSR1', onPause);
      process.off('SIGUSR2', onResume);
      if (keys) {
        keys.off('data', onKey);
        keys.setRawMode(false);
        keys.pause();
      }
    }
    const report = await writeBatchReport(ctx, result, { proof: options.proof ?? false });
    const batch = await ctx.batches.getBatch(result.batchId);
    const lineStore = new LineStore(ctx.db, result.line.id);
    printSummary(result, await lineStore.accounting(result.batchId), batch?.status ?? '?');
    await printPacks(lineStore, result.batchId);
    writeLine(`report: ${report.file}${report.proof ? `\nproof:  ${report.proof}` : ''}`);
    return result.status === 'completed' ? EXIT.ok : EXIT.invalid;
  };
  return ctxOverride ? go(ctxOverride) : withContext(go);
}

export function registerRun(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('run')
    .description('run a batch on a line to its end, with a live progress bar and a final summary and report')
    .argument('<batch>', 'a batch id (cardline batch list), or a record file (JSON Lines) to import first')
    .option('--line <file>', 'the line configuration (default: the demo line config/lines/demo-opcua.yaml)')
    .option('--sim <mode>', 'a simulated line: in-process (start its simulator here) or external (connect to a running cardline plc-sim)', 'in-process')
    .option('--resume', 'continue a batch whose run was interrupted (cards that were in the line are re-checked or re-made)')
    .option('--proof', 'also write the proof PDF of the produced cards beside the report')
    .option('--wip <n>', 'cards allowed in the line at once (default: 2 a station unit + 2)')
    .option('--max-attempts <n>', 'attempts per record before it fails (default 3)')
    .option('--on-abort <choice>', 'what Ctrl-C (abort) does with the records of the cards in the line: requeue (default) or cancel')
    .addHelpText(
      'after',
      '\nWhile it runs: p pauses (every station holds; SIGUSR1 does the same), r resumes (SIGUSR2), Ctrl-C aborts.\nExit status: 0 when the batch ran to its end (records that failed after the maximum attempts are reported, not an error); 1 when the run could not finish (aborted, a station unreachable, no PKI); 2 for bad input.\nCARDLINE_CRASH_AT=<point> (crash tests) kills the process at after-persist-before-ack, after-done-before-persist, during-snapshot or during-signing.',
    )
    .action((batch: string, options: RunCommandOptions) => run(() => runCommand(batch, options)));
}

import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { LineRunResult } from '../../app/run-line.ts';
import { DecryptError } from '../../store/keys.ts';
import { loadLineConfig } from '../../config/line-config.ts';
import { lineFileOf } from '../../site/line-ref.ts';
import { LineStore } from '../../store/line-store.ts';
import type { AppContext } from '../context.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { requireFile, writeError, writeLine, writeWarning } from '../io.ts';
import { formatDuration, formatRate, ProgressView } from '../run-progress.ts';
import { runFigures, writeRunReport, type RunFigures } from '../run-report.ts';
import { importInto, printImportSummary } from './import.ts';

/** Statuses a run refuses, with the next step to advise (a batch of another status goes to the line). */
const NOT_RUNNABLE: Readonly<Record<string, (id: string) => string>> = {
  importing: () => 'its import has not finished',
  failed: () => 'its import accepted no record: it holds only a quarantine report',
  completed: (id) => `nothing is left to make: cardline batch close ${id} reconciles it`,
  reconciled: (id) => `nothing is left to make: cardline qa release ${id} releases it`,
  released: () => 'it was released',
};

/** A target that names a file rather than a batch id: a path, or a record file's extension. */
function looksLikeFile(target: string): boolean {
  return /[\\/]/.test(target) || /\.(jsonl|json|csv|ndjson)$/i.test(target);
}

/** Whether `target` is an existing path (file or folder). */
function exists(target: string): boolean {
  try {
    statSync(target);
    return true;
  } catch {
    return false;
  }
}

/** How long an aborted run may take to empty the line before it quits anyway (SIGINT/SIGTERM). */
const ABORT_GRACE_MS = 10_000;

export const DEFAULT_LINE = path.resolve(import.meta.dirname, '../../../config/lines/demo-opcua.yaml');

export interface RunCommandOptions {
  /** A line id of the site, or a line file. */
  line?: string;
  /** The site file whose line ids --line names (default config/site.yaml). */
  site?: string;
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

export function printSummary(result: LineRunResult, accounting: { records: Record<string, number>; cards: Record<string, number> }, batchStatus: string, run: RunFigures): void {
  const r = accounting.records;
  const c = accounting.cards;
  const paused = run.pausedMs >= 1000 ? `, ${formatDuration(run.pausedMs)} of it paused` : '';
  writeLine(`batch ${result.batchId} on line ${result.line.id}: ${result.status} in ${formatDuration(result.elapsedMs)}${paused} — batch ${batchStatus}`);
  writeLine(`records: ${r.total} — ${r.produced} produced, ${r.failed} failed after the maximum attempts, ${r.cancelled} cancelled, ${r.pending} pending`);
  writeLine(`cards:   ${c.blanksConsumed} blanks consumed = ${c.good} good + ${c.spoiled} spoiled${c.inLine ? ` + ${c.inLine} still in the line` : ''}`);
  writeLine(`this run: ${run.good} good card(s) in ${formatDuration(run.producingMs)} of production; ${formatRate(run.cardsPerHour, run.simulated?.timeScale)}`);
  const rejects = Object.entries(result.progress.rejects).sort((a, b) => b[1] - a[1]);
  for (const [code, n] of rejects) writeLine(`  rejected ${String(n).padStart(5)}  ${code}`);
  for (const f of result.failedRecords) {
    const reasons = (f.reasons as { code?: string; station?: string }[]).map((x) => `${x.code ?? '?'}${x.station ? `@${x.station}` : ''}`).join(', ');
    writeLine(`  failed record ${f.seq}: ${reasons}`);
  }
}

/**
 * Every record and portrait of the batch decrypts, before the line starts: a record that does not
 * (altered in the database) would otherwise fail its job preparation again and again while the line
 * waits for it. Names the record, never its content.
 */
async function checkDecryptable(ctx: AppContext, batchId: string): Promise<void> {
  try {
    for await (const record of ctx.batches.batchRecords(batchId)) void record;
  } catch (error) {
    if (error instanceof DecryptError) {
      throw new CliError(`batch ${batchId} cannot run: ${error.message}. Nothing was started; restore the database from a backup or contact the key custodian`, EXIT.invalid);
    }
    throw error;
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
export async function runCommand(target: string, options: RunCommandOptions, ctxOverride?: AppContext, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const sim = options.sim ?? 'in-process';
  if (sim !== 'in-process' && sim !== 'external') throw new CliError(`--sim must be in-process or external, got '${sim}'`);
  const onAbort = options.onAbort ?? 'requeue';
  if (onAbort !== 'requeue' && onAbort !== 'cancel') throw new CliError(`--on-abort must be requeue or cancel, got '${onAbort}'`);
  const wip = positiveInt(options.wip, '--wip');
  const maxAttempts = positiveInt(options.maxAttempts, '--max-attempts');
  const lineFile = options.line !== undefined ? await lineFileOf(options.line, options.site) : DEFAULT_LINE;
  const line = await loadLineConfig(lineFile);
  let batchId = target;
  const fromFile = exists(target) || looksLikeFile(target);
  if (fromFile) {
    requireFile(target);
    if (options.resume) throw new CliError('--resume continues a batch by its id, not a file');
  }
  const go = async (ctx: AppContext): Promise<number> => {
    if (fromFile) {
      const summary = await importInto(ctx, target, {});
      await printImportSummary(summary, false);
      if (summary.accepted === 0) return EXIT.nothingAccepted;
      batchId = summary.batchId;
    }
    const batch = await ctx.batches.getBatch(batchId);
    if (!batch) throw new CliError(`batch ${batchId} does not exist, nor is there such a file (cardline batch list shows the batches)`);
    const refused = NOT_RUNNABLE[batch.status];
    if (refused) throw new CliError(`batch ${batchId} is ${batch.status}: only an imported, ready, paused or interrupted batch can run; ${refused(batchId)}`);
    await checkDecryptable(ctx, batchId);
    const view = new ProgressView(process.stderr, 10_000, line.simulation?.timeScale);
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
    let result: LineRunResult | undefined;
    // Loaded here, not at the top: the line brings node-opcua, which other commands do not need.
    const { runBatch } = await import('../../app/run-line.ts');
    try {
      result = await runBatch(ctx, {
        lineFile,
        line,
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
        warn: (m) => writeWarning(`cardline: WARNING: ${m}`),
      });
    } finally {
      view.stop(result?.progress);
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
    const report = await writeRunReport(ctx, result, { proof: options.proof ?? false });
    const after = await ctx.batches.getBatch(result.batchId);
    printSummary(result, await new LineStore(ctx.db, result.line.id).accounting(result.batchId), after?.status ?? '?', runFigures(result));
    writeLine(`report: ${report.file}`);
    writeLine(`        ${report.runFile} (this run)`);
    if (report.proof) writeLine(`proof:  ${report.proof}`);
    if (report.proofRemoved) writeLine(`proof:  ${report.proofRemoved} removed: its cards are no longer the batch's produced ones (--proof writes a new one)`);
    await printPacks(new LineStore(ctx.db, result.line.id), result.batchId);
    return result.status === 'completed' ? EXIT.ok : EXIT.invalid;
  };
  const access = fromFile ? ({ permissions: ['import', 'run'], what: 'import and run a batch' } as const) : ({ permissions: ['run'], what: 'run a batch' } as const);
  return ctxOverride ? go(ctxOverride) : withContext(access, go, env);
}

export function registerRun(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('run')
    .description('run a batch on a line to its end, with a live progress bar and a final summary and report')
    .argument('<batch>', 'a batch id (cardline batch list), or a record file (JSON Lines) to import first')
    .option('--line <id|file>', 'the line: a line of the site by its id (e.g. demo-mixed), or a line file (default: the demo line config/lines/demo-opcua.yaml)')
    .option('--site <file>', 'the site file whose lines --line names by id (default config/site.yaml)')
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

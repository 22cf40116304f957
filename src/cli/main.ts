/**
 * The `cardline` command line. Each subcommand lives in commands/; this file wires them and
 * turns errors into exit codes (errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { registerAudit } from './commands/audit.ts';
import { registerApprove } from './commands/approve.ts';
import { registerBatch } from './commands/batch.ts';
import { registerCard } from './commands/card.ts';
import { registerChip } from './commands/chip.ts';
import { registerDb } from './commands/db.ts';
import { registerDemo } from './commands/demo.ts';
import { registerImport } from './commands/import.ts';
import { registerKpi } from './commands/kpi.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMrz } from './commands/mrz.ts';
import { registerPack } from './commands/pack.ts';
import { registerPki } from './commands/pki.ts';
import { registerPlcSim } from './commands/plc-sim.ts';
import { registerQa } from './commands/qa.ts';
import { registerRender } from './commands/render.ts';
import { registerReport } from './commands/report.ts';
import { registerRun } from './commands/run.ts';
import { registerSample } from './commands/sample.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerServe } from './commands/serve.ts';
import { registerStock } from './commands/stock.ts';

import { registerUser } from './commands/user.ts';
import { EXIT, explainError } from './errors.ts';
import { writeError } from './io.ts';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cardline')
    .description('Production-line controller for secure card personalization (Vietnamese căn cước, ICAO 9303 TD1)')
    .option('--debug', 'on an error, also print its stack trace (CARDLINE_DEBUG=1 does the same)')
    .showHelpAfterError()
    .exitOverride();

  const run = async (action: () => Promise<number>): Promise<void> => {
    setExit(await action());
  };
  registerMrz(program, run);
  registerImport(program, run);
  registerSample(program, run);
  registerDemo(program, run);
  registerPlcSim(program, run);
  registerSimulate(program, run);
  registerPki(program, run);
  registerChip(program, run);
  registerStock(program, run);
  registerRun(program, run);
  registerServe(program, run);
  registerBatch(program, run);
  registerQa(program, run);
  registerCard(program, run);
  registerRender(program, run);
  registerAudit(program, run);
  registerDb(program, run);
  registerKeys(program, run);
  registerUser(program, run);
  registerApprove(program, run);
  registerPack(program, run);
  registerKpi(program, run);
  registerReport(program, run);
  return program;
}

/** Whether errors print their stack: `--debug` anywhere on the command line, or CARDLINE_DEBUG=1. */
function debugWanted(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--debug') || env.CARDLINE_DEBUG === '1';
}

/**
 * The one error path of every command: a person's message on standard error and the exit code of
 * the README's table; the stack only with --debug.
 */
export function reportError(error: unknown, debug: boolean): number {
  const { message, exitCode, unexpected } = explainError(error);
  writeError(`cardline: ${message}`);
  if (debug && error instanceof Error && error.stack) writeError(error.stack);
  else if (unexpected) writeError('cardline: this was not expected: run the command again with --debug for the details, and report them');
  return exitCode;
}

/**
 * A reader that stops reading (`cardline qa list | head`) closes the pipe: the command ends quietly
 * instead of failing on its next write.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const debug = debugWanted(argv, env);
  endQuietlyOnClosedPipe();
  // An error thrown outside the command's promise (a server's socket event): the same person's message.
  const onStray = (error: unknown): void => {
    process.exit(reportError(error, debug));
  };
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    return reportError(error, debug);
  }
}

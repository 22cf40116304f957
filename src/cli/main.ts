/**
 * The `cardline` command line. Each subcommand lives in commands/; this file wires them and
 * turns errors into exit codes (errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { EXIT, explainError } from './errors.ts';
import { writeError } from './io.ts';

type CommandRunner = (action: () => Promise<number>) => Promise<void>;
type Register = (program: Command, run: CommandRunner) => void;

/**
 * Each command's module, loaded only when it is the command being run (or for the whole help):
 * a long-lived `cardline serve` then holds none of the other commands' code in memory (about 40 MB
 * of resident memory), and a short command starts faster.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  mrz: async () => (await import('./commands/mrz.ts')).registerMrz,
  import: async () => (await import('./commands/import.ts')).registerImport,
  sample: async () => (await import('./commands/sample.ts')).registerSample,
  demo: async () => (await import('./commands/demo.ts')).registerDemo,
  'plc-sim': async () => (await import('./commands/plc-sim.ts')).registerPlcSim,
  simulate: async () => (await import('./commands/simulate.ts')).registerSimulate,
  pki: async () => (await import('./commands/pki.ts')).registerPki,
  chip: async () => (await import('./commands/chip.ts')).registerChip,
  stock: async () => (await import('./commands/stock.ts')).registerStock,
  run: async () => (await import('./commands/run.ts')).registerRun,
  serve: async () => (await import('./commands/serve.ts')).registerServe,
  batch: async () => (await import('./commands/batch.ts')).registerBatch,
  qa: async () => (await import('./commands/qa.ts')).registerQa,
  card: async () => (await import('./commands/card.ts')).registerCard,
  render: async () => (await import('./commands/render.ts')).registerRender,
  audit: async () => (await import('./commands/audit.ts')).registerAudit,
  db: async () => (await import('./commands/db.ts')).registerDb,
  keys: async () => (await import('./commands/keys.ts')).registerKeys,
  user: async () => (await import('./commands/user.ts')).registerUser,
  approve: async () => (await import('./commands/approve.ts')).registerApprove,
  pack: async () => (await import('./commands/pack.ts')).registerPack,
  kpi: async () => (await import('./commands/kpi.ts')).registerKpi,
  report: async () => (await import('./commands/report.ts')).registerReport,
};

/** The command word of a command line (`cardline --debug serve …` → serve), if it names one. */
function commandOf(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return word !== undefined && Object.hasOwn(COMMANDS, word) ? word : undefined;
}

/** The program with every command (`only`: just that one, for running it). */
export async function buildProgram(setExit: (code: number) => void, only?: string): Promise<Command> {
  const program = new Command('cardline')
    .description('Production-line controller for secure card personalization (Vietnamese căn cước, ICAO 9303 TD1)')
    .option('--debug', 'on an error, also print its stack trace (CARDLINE_DEBUG=1 does the same)')
    .showHelpAfterError()
    .exitOverride();

  const run: CommandRunner = async (action) => {
    setExit(await action());
  };
  const names = only !== undefined ? [only] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((name) => COMMANDS[name]!()))) register(program, run);
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
  const program = await buildProgram((code) => {
    exitCode = code;
  }, commandOf(argv));
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

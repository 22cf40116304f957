/**
 * The `cardline` command line. Each subcommand lives in commands/; this file wires them and
 * turns errors into exit codes (errors.ts).
 */
import { Command, CommanderError } from 'commander';
import { registerBatch } from './commands/batch.ts';
import { registerCard } from './commands/card.ts';
import { registerChip } from './commands/chip.ts';
import { registerDemo } from './commands/demo.ts';
import { registerImport } from './commands/import.ts';
import { registerMrz } from './commands/mrz.ts';
import { registerPack } from './commands/pack.ts';
import { registerPki } from './commands/pki.ts';
import { registerPlcSim } from './commands/plc-sim.ts';
import { registerQa } from './commands/qa.ts';
import { registerRender } from './commands/render.ts';
import { registerRun } from './commands/run.ts';
import { registerSample } from './commands/sample.ts';
import { registerStock } from './commands/stock.ts';
import { CliError, EXIT } from './errors.ts';
import { writeError } from './io.ts';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cardline')
    .description('Production-line controller for secure card personalization (Vietnamese căn cước, ICAO 9303 TD1)')
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
  registerPki(program, run);
  registerChip(program, run);
  registerStock(program, run);
  registerRun(program, run);
  registerBatch(program, run);
  registerQa(program, run);
  registerCard(program, run);
  registerRender(program, run);
  registerPack(program, run);
  return program;
}

export async function main(argv: string[]): Promise<number> {
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
    if (error instanceof CliError) {
      writeError(`cardline: ${error.message}`);
      return error.exitCode;
    }
    writeError(`cardline: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadLineConfig, ConfigError } from '../../config/line-config.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeError, writeLine } from '../io.ts';

/**
 * Blanks put into a simulated line's magazine through its simulator's control surface; false when
 * the simulator does not answer (it is not running).
 */
export async function loadSimulatorBlanks(controlPort: number, dataDir: string, count: number, lot: string): Promise<boolean> {
  // The simulator writes its control token into the data directory at start (simulators/control-http.ts).
  let token: string;
  try {
    token = (await readFile(path.join(dataDir, 'sim', 'control-token'), 'utf8')).trim();
  } catch {
    return false; // no simulator has run with this data directory
  }
  try {
    const response = await fetch(`http://127.0.0.1:${controlPort}/blanks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ count, lot }),
      signal: AbortSignal.timeout(3000),
    });
    if (!response.ok) throw new CliError(`the simulator refused the load: ${response.status} ${await response.text()}`);
    return true;
  } catch (error) {
    if (error instanceof CliError) throw error;
    return false;
  }
}

async function load(options: { line: string; count: string; lot?: string }): Promise<number> {
  const count = Number(options.count);
  if (!Number.isInteger(count) || count < 1) throw new CliError(`--count must be a whole number ≥ 1, got '${options.count}'`);
  const line = await loadLineConfig(options.line).catch((error: unknown) => {
    throw error instanceof ConfigError ? new CliError(error.message) : error;
  });
  const lot = options.lot ?? `lot-${new Date().toISOString().slice(0, 10)}`;
  return withContext(async (ctx) => {
    const store = new LineStore(ctx.db, line.id);
    await store.loadStock(count, lot, ctx.actor);
    const stock = await store.stock();
    writeLine(`line ${line.id}: ${count} blanks of lot ${lot} recorded; ${stock.available} available (${stock.loaded} loaded, ${stock.consumed} used)`);
    const port = line.simulation?.controlPort;
    if (line.simulation && port !== undefined) {
      if (await loadSimulatorBlanks(port, ctx.dataDir, count, lot)) writeLine(`simulator: ${count} blanks added to the feeder magazine`);
      else writeError(`warning: the simulator of line ${line.id} does not answer on 127.0.0.1:${port}; the blanks are recorded, start cardline plc-sim --line ${options.line} and load them again into its magazine`);
    }
    return EXIT.ok;
  });
}

export function registerStock(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const stock = program.command('stock').description('blank-card stock of a line');
  stock
    .command('load')
    .description('record blank cards loaded into the feeder (on a running simulated line, they go into its magazine)')
    .requiredOption('--line <file>', 'the line configuration, e.g. config/lines/demo-opcua.yaml')
    .requiredOption('--count <n>', 'number of blanks')
    .option('--lot <lot>', 'the blanks’ lot number (default lot-<date>)')
    .action((o: { line: string; count: string; lot?: string }) => run(() => load(o)));
}

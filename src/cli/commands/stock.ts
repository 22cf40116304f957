import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadLineConfig, type LineConfig } from '../../config/line-config.ts';
import { lineFileOf } from '../../site/line-ref.ts';
import { LineStore } from '../../store/line-store.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine, writeWarning } from '../io.ts';

/**
 * What a simulated line's simulator says over its control surface (with the token the simulator keeps
 * in the data directory, simulators/control-http.ts); undefined when it does not answer.
 */
async function simulator(controlPort: number, dataDir: string, request: { method: 'GET' | 'POST'; path: string; body?: unknown }): Promise<unknown> {
  let token: string;
  try {
    token = (await readFile(path.join(dataDir, 'sim', 'control-token'), 'utf8')).trim();
  } catch {
    return undefined; // no simulator has run with this data directory
  }
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${controlPort}${request.path}`, {
      method: request.method,
      headers: { authorization: `Bearer ${token}`, ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(3000),
    });
  } catch {
    return undefined;
  }
  if (!response.ok) throw new CliError(`the simulator refused ${request.method} ${request.path}: ${response.status} ${await response.text()}`, EXIT.environment);
  return response.json();
}

interface MagazineStatus {
  readonly magazine: { readonly blanks: number; readonly lots: readonly { lot: string; count: number }[] };
}

/**
 * Blanks put into a simulated line's magazine through its simulator's control surface; false when
 * the simulator does not answer (it is not running).
 */
export async function loadSimulatorBlanks(controlPort: number, dataDir: string, count: number, lot: string): Promise<boolean> {
  return (await simulator(controlPort, dataDir, { method: 'POST', path: '/blanks', body: { count, lot } })) !== undefined;
}

/** The magazine of a simulated line with a control port, or undefined (a real line, or its simulator is not running). */
async function magazine(line: LineConfig, dataDir: string): Promise<MagazineStatus['magazine'] | undefined> {
  const port = line.simulation?.controlPort;
  if (port === undefined) return undefined;
  return ((await simulator(port, dataDir, { method: 'GET', path: '/status' })) as MagazineStatus | undefined)?.magazine;
}

/** Warns, and audits, when the store's count and the line's magazine differ. */
async function reconcile(store: LineStore, line: LineConfig, blanks: number, actor: string, when: string): Promise<boolean> {
  const mismatch = await store.reconcileStock(blanks, actor, when);
  if (!mismatch) return true;
  writeWarning(
    `warning: stock of line ${line.id}: the store holds ${mismatch.store} blanks available, the line's magazine ${mismatch.line} ` +
      `(${mismatch.difference > 0 ? '+' : ''}${mismatch.difference}); recorded in the audit log (stock.mismatch). Count the magazine, and record blanks that were loaded without cardline stock load with their own --lot`,
  );
  return false;
}

async function load(options: { line: string; site?: string; count: string; lot?: string }): Promise<number> {
  const count = Number(options.count);
  if (!Number.isInteger(count) || count < 1) throw new CliError(`--count must be a whole number ≥ 1, got '${options.count}'`);
  const line = await loadLineConfig(await lineFileOf(options.line, options.site));
  const lot = options.lot ?? `lot-${new Date().toISOString().replace(/[:.]/g, '')}`;
  return withContext({ permissions: ['stock.load'], what: 'record blank stock' }, async (ctx) => {
    const store = new LineStore(ctx.db, line.id);
    const earlier = (await store.stockLoads()).find((l) => l.lot === lot);
    if (earlier && earlier.count !== count) {
      await store.loadStock(count, lot, ctx.actor); // refuses, naming the earlier load
    }
    if (earlier) {
      writeLine(`line ${line.id}: lot ${lot} is already loaded (${earlier.count} blanks, ${earlier.at}): nothing recorded again, nothing added to the magazine`);
      return EXIT.ok;
    }
    const port = line.simulation?.controlPort;
    if (line.simulation) {
      // A simulated line's blanks are the simulator's magazine: recorded only once they are in it.
      if (port === undefined) throw new CliError(`line ${line.id} is simulated without a control port (simulation.controlPort): its blanks cannot be loaded from here; nothing was recorded`);
      if (!(await loadSimulatorBlanks(port, ctx.dataDir, count, lot))) {
        throw new CliError(
          `the simulator of line ${line.id} does not answer on 127.0.0.1:${port}: nothing was recorded. Start it (cardline plc-sim --line ${options.line}) and run this command again`,
          EXIT.environment,
        );
      }
      writeLine(`simulator: ${count} blanks of lot ${lot} added to the feeder magazine`);
    }
    await store.loadStock(count, lot, ctx.actor);
    const stock = await store.stock();
    writeLine(`line ${line.id}: ${count} blanks of lot ${lot} recorded; ${stock.available} available (${stock.loaded} loaded, ${stock.consumed} used)`);
    const inMagazine = await magazine(line, ctx.dataDir);
    if (inMagazine) await reconcile(store, line, inMagazine.blanks, ctx.actor, 'stock load');
    return EXIT.ok;
  });
}

async function show(options: { line: string; site?: string; json?: boolean }): Promise<number> {
  const line = await loadLineConfig(await lineFileOf(options.line, options.site));
  return withContext({ permissions: ['batch.read'], what: 'see the blank stock' }, async (ctx) => {
    const store = new LineStore(ctx.db, line.id);
    const stock = await store.stock();
    const lots = await store.stockLoads();
    const inMagazine = await magazine(line, ctx.dataDir);
    const agrees = inMagazine ? await reconcile(store, line, inMagazine.blanks, ctx.actor, 'stock show') : undefined;
    if (options.json) {
      writeLine(JSON.stringify({ line: line.id, ...stock, lots, magazine: inMagazine ? { blanks: inMagazine.blanks, agrees } : null }));
      return EXIT.ok;
    }
    writeLine(`line ${line.id}: ${stock.available} blanks available (${stock.loaded} loaded, ${stock.consumed} used)`);
    if (inMagazine) writeLine(`magazine (simulator): ${inMagazine.blanks} blanks${agrees ? ', as the store says' : ''}`);
    for (const l of lots) writeLine(`  lot ${l.lot.padEnd(28)} ${String(l.count).padStart(7)} blanks  ${l.at.slice(0, 16).replace('T', ' ')}  ${l.actor}`);
    return EXIT.ok;
  });
}

export function registerStock(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const stock = program.command('stock').description('blank-card stock of a line');
  stock
    .command('load')
    .description(
      'record a lot of blank cards loaded into the feeder; a lot is loaded once (the same --lot again changes nothing). ' +
        'On a simulated line the blanks go into its running simulator’s magazine, and are recorded only then',
    )
    .requiredOption('--line <id|file>', 'the line: a line of the site by its id (e.g. demo-mixed), or a line file such as config/lines/demo-opcua.yaml')
    .option('--site <file>', 'the site file whose lines --line names by id (default config/site.yaml)')
    .requiredOption('--count <n>', 'number of blanks')
    .option('--lot <lot>', 'the blanks’ lot number (default lot-<time>)')
    .action((o: { line: string; site?: string; count: string; lot?: string }) => run(() => load(o)));
  stock
    .command('show')
    .description('blanks available on a line and its lots; on a running simulated line, its magazine too (a difference is a warning, audited)')
    .requiredOption('--line <id|file>', 'the line: a line of the site by its id, or a line file')
    .option('--site <file>', 'the site file whose lines --line names by id (default config/site.yaml)')
    .option('--json', 'print {"line","loaded","consumed","available","lots":[{"lot","count","at","actor"}],"magazine":{"blanks","agrees"}|null}')
    .action((o: { line: string; site?: string; json?: boolean }) => run(() => show(o)));
}

import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, loadLineConfig } from '../../config/line-config.ts';
import { lineFileOf } from '../../site/line-ref.ts';
import { ensureDataDir, resolveDataDir } from '../../store/data-dir.ts';
import { ledgerFile, summarizeLedger, type LedgerSummary } from '../../../simulators/ledger.ts';
import type { LineSimulator, SimEndpoint } from '../../../simulators/line-simulator.ts';
import { CliError, EXIT, explainError } from '../errors.ts';
import { writeError, writeLine } from '../io.ts';

function parsePort(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${option} must be a port number from 0 to 65535 (0: any free port), got '${text}'`);
  return n;
}

function describeEndpoint(e: SimEndpoint): string {
  const a = e.address;
  if (a.transport === 'opcua') return `${e.unit.padEnd(12)} opcua   ${a.endpointUrl}  ${a.objectPath.join('/')}`;
  return `${e.unit.padEnd(12)} modbus  ${a.host}:${a.port} unit ${a.unitId}  jobs ${a.jobDir}`;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function runSimulator(options: { line?: string; site?: string; controlPort?: string; allowRemote?: boolean }): Promise<number> {
  if (options.line === undefined) throw new CliError('plc-sim needs --line ID or FILE: the line to simulate, e.g. --line demo-mixed (a line of config/site.yaml) or --line config/lines/demo-opcua.yaml');
  const controlPort = parsePort(options.controlPort, '--control-port');
  const line = await lineFileOf(options.line, options.site).then(loadLineConfig).catch((error: unknown) => {
    throw error instanceof ConfigError ? new CliError(error.message) : error;
  });
  if (!line.simulation) throw new CliError(`${line.source}: line ${line.id} has no simulation block: plc-sim simulates only lines that have one`);
  const dataDir = await ensureDataDir(resolveDataDir());
  // Loaded here, not at the top: node-opcua takes a second to load, fastify a tenth, and other commands need neither.
  const [{ LineSimulator }, { controlTokenFile }] = await Promise.all([import('../../../simulators/line-simulator.ts'), import('../../../simulators/control-http.ts')]);
  let simulator: LineSimulator;
  try {
    simulator = await LineSimulator.start({
      line,
      dataDir,
      ...(controlPort === undefined ? {} : { ports: { control: controlPort } }),
      allowRemote: options.allowRemote ?? false,
      log: (message) => writeError(`plc-sim: ${message}`),
    });
  } catch (error) {
    // A port in use is the environment's (exit 4, said plainly); any other start failure exits 1.
    const explained = explainError(error);
    throw explained.exitCode === EXIT.environment ? new CliError(explained.message, explained.exitCode) : new CliError((error as Error).message, 1);
  }
  const stopped = untilSignal();
  writeLine(`plc-sim: line ${line.id} (${line.source}), time scale ${line.simulation.timeScale}, ${simulator.control.status().magazine.blanks} blanks in the magazine`);
  for (const e of simulator.endpoints()) writeLine(describeEndpoint(e));
  writeLine(`control      ${simulator.controlUrl ?? 'none (no simulation.controlPort and no --control-port)'}`);
  if (simulator.controlToken !== undefined) {
    writeLine(`control token ${simulator.controlToken} (Authorization: Bearer …; also in ${controlTokenFile(dataDir)}, mode 0600)`);
  }
  writeLine(`ledger       ${ledgerFile(dataDir)}`);
  writeLine('plc-sim: running; Ctrl-C stops it');
  const signal = await stopped;
  await simulator.stop();
  writeLine(`plc-sim: stopped (${signal})`);
  return EXIT.ok;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
}

function printSummary(file: string, s: LedgerSummary): void {
  writeLine(`ledger ${file}`);
  writeLine(`blanks: ${s.blanksLoaded} loaded, ${s.fed} fed, ${s.magazine} in the magazine`);
  const positions = s.stacker.map((c) => c.position);
  writeLine(`stacker: ${s.stacker.length} cards${positions.length > 0 ? ` (positions ${Math.min(...positions)}–${Math.max(...positions)})` : ''}; ${s.unloaded.length} unloaded earlier`);
  writeLine(`reject bin: ${s.rejectBin.length} cards${s.rejectBin.length > 0 ? ` (${countBy(s.rejectBin, (c) => c.reason)})` : ''}`);
  writeLine(`in the machine: ${s.inMachine.length} cards${s.inMachine.length > 0 ? ` (${s.inMachine.map((c) => `${c.cardSerial} at ${c.station}`).join(', ')})` : ''}`);
  if (s.badLines > 0) writeLine(`warning: ${s.badLines} ledger lines did not parse (a torn last line after a crash?)`);
}

async function printLedger(options: { json?: boolean }): Promise<number> {
  const file = ledgerFile(resolveDataDir());
  const summary = await summarizeLedger(file);
  if (options.json) {
    writeLine(JSON.stringify(summary));
    return EXIT.ok;
  }
  if (!existsSync(file)) {
    writeLine(`no simulator ledger at ${file}: plc-sim has not run with this data directory (set CARDLINE_DATA_DIR)`);
    return EXIT.ok;
  }
  printSummary(file, summary);
  return EXIT.ok;
}

export function registerPlcSim(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const plcSim = program
    .command('plc-sim')
    .description('simulate a line\'s PLCs: real OPC UA and Modbus TCP servers over one physical model, until Ctrl-C (ledger in <data dir>/sim/)')
    .option('--line <id|file>', 'the line to simulate: a line of the site by its id (e.g. demo-mixed), or a line file (config/lines/*.yaml); it needs a simulation block')
    .option('--site <file>', 'the site file whose lines --line names by id (default config/site.yaml)')
    .option('--control-port <n>', 'HTTP port of the control API on 127.0.0.1 (default simulation.controlPort; 0: any free port)')
    .option('--allow-remote', 'serve OPC UA / Modbus on the non-loopback hosts the line file names (refused otherwise)')
    .addHelpText(
      'after',
      '\nPrints one line per unit (id, transport, endpoint and object path, or host:port, unit and job folder), the control URL\n' +
        'and its token (requests need Authorization: Bearer <token>; the token is also in <data dir>/sim/control-token, 0600).',
    )
    .action((options: { line?: string; site?: string; controlPort?: string; allowRemote?: boolean }) => run(() => runSimulator(options)));

  plcSim
    .command('ledger')
    .description('summarize the simulator ledger <data dir>/sim/ledger.jsonl: stacker, reject bin, cards still in the machine')
    .option('--json', 'print {"stacker":[{cardSerial,position,dg1Digest}],"rejectBin":[{cardSerial,reason}],"inMachine":[{cardSerial,station}],…counters}')
    .action((options: { json?: boolean }) => run(() => printLedger(options)));
}

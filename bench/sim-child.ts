/**
 * A line's simulator in a process of its own, for the benchmarks that measure the controller's CPU:
 * the simulated PLCs then cost the controller's process nothing. Reads a LineConfig as JSON from
 * the file in argv[2] and a data directory in argv[3] (argv[4] `fast`: every cycle time at 0),
 * starts the LineSimulator (OPC UA on a free port, no control surface), prints `PORT <n>` and runs
 * until its parent closes stdin. Commands on stdin, one a line, each answered `OK` or `ERR <why>`:
 * `stop` (every unit to Stopped), `start` (Reset, then Start: every unit in Execute), `reload N`
 * (stacker emptied, N blanks loaded).
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { LineSimulator } from '../simulators/line-simulator.ts';
import type { LineConfig } from '../src/config/line-config.ts';

const [file, dataDir, mode] = process.argv.slice(2);
if (!file || !dataDir) throw new Error('usage: sim-child.ts LINE.json DATA_DIR [fast]');
const line = JSON.parse(await readFile(file, 'utf8')) as LineConfig;
const simulator = await LineSimulator.start({ line, dataDir, ports: { opcua: 0, control: false } });
const control = simulator.control;
if (mode === 'fast') control.slow('all', 0);

async function waitForStates(state: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (control.status().units.some((u) => u.state !== state)) {
    if (performance.now() > deadline) throw new Error(`the units did not all reach ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const port = Number(new URL(simulator.opcuaEndpointUrl!.replace(/^opc\.tcp:/, 'http:')).port);
console.log(`PORT ${port}`);
const input = createInterface({ input: process.stdin });
input.on('line', (text) => {
  const [command, arg] = text.trim().split(/\s+/);
  void (async () => {
    if (command === 'stop') {
      control.command('all', 'Stop');
      await waitForStates('Stopped');
    } else if (command === 'start') {
      control.command('all', 'Reset');
      await waitForStates('Idle');
      control.command('all', 'Start');
      await waitForStates('Execute');
    } else if (command === 'reload') {
      control.emptyStacker();
      control.loadBlanks(Number(arg));
    } else throw new Error(`unknown command ${command}`);
  })().then(
    () => console.log('OK'),
    (error: unknown) => console.log(`ERR ${(error as Error).message}`),
  );
});
input.on('close', () => {
  void simulator.stop().finally(() => process.exit(0));
});

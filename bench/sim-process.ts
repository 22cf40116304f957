/** Starts bench/sim-child.ts for a line and waits for its OPC UA port; the benches' simulator in another process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LineConfig } from '../src/config/line-config.ts';

export interface SimProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** The line with its OPC UA endpoint pointing at the child's port. */
  readonly linkLine: LineConfig;
  /** Sends a command (`stop`, `start`, `reload N`: bench/sim-child.ts) and waits for its answer. */
  command(text: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimProcess(line: LineConfig, dataDir: string, workDir: string, options: { fast?: boolean } = {}): Promise<SimProcess> {
  const file = path.join(workDir, `${line.id}.line.json`);
  await writeFile(file, JSON.stringify(line));
  const runner = path.resolve(import.meta.dirname, '../bin/run-ts.js');
  const child = spawn(process.execPath, [runner, path.join(import.meta.dirname, 'sim-child.ts'), file, dataDir, ...(options.fast ? ['fast'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const answers: ((line: string) => void)[] = [];
  let pending = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        const m = /^PORT (\d+)$/.exec(text);
        if (m) resolve(Number(m[1]));
        else if (text === 'OK' || text.startsWith('ERR')) answers.shift()?.(text);
      }
    });
    child.on('exit', (code) => reject(new Error(`the simulator process of ${line.id} exited (${code}) before it listened`)));
  });
  const linkLine: LineConfig = { ...line, simulation: { ...line.simulation!, opcua: { host: '127.0.0.1', port } } };
  return {
    port,
    child,
    linkLine,
    command: (text) =>
      new Promise<void>((resolve, reject) => {
        answers.push((answer) => (answer === 'OK' ? resolve() : reject(new Error(`simulator ${line.id}: ${text}: ${answer}`))));
        child.stdin.write(`${text}\n`);
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.stdin.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

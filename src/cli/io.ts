import { readFile } from 'node:fs/promises';
import { CliError } from './errors.ts';

/** Reads a whole input given as FILE or '-' (standard input). For small inputs only. */
export async function readTextInput(source: string | undefined): Promise<string> {
  if (source === undefined || source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

export function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function writeError(text: string): void {
  process.stderr.write(`${text}\n`);
}

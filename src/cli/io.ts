import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.ts';

/** Why a file given on the command line cannot be read, in a person's words. */
export function unreadable(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new CliError(`${file}: file not found`);
  if (code === 'EISDIR') return new CliError(`${file} is a folder, not a file`);
  if (code === 'EACCES' || code === 'EPERM') return new CliError(`${file}: permission denied`);
  return new CliError(`cannot read ${file}: ${code ?? String(error)}`);
}

/** Refuses, with a person's message, a path that is not an existing file (exit code 2). */
export function requireFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    throw unreadable(file, error);
  }
  if (!isFile) throw new CliError(`${file} is a folder, not a file`);
}

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
    throw unreadable(source, error);
  }
}

export function writeLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function writeError(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * `text` broken into lines of at most `width` characters at spaces (a word longer than the width
 * stands alone on its line); lines after the first are indented by `indent`.
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const prefix = lines.length === 0 ? '' : indent;
    if (line !== '' && prefix.length + line.length + 1 + word.length > width) {
      lines.push(prefix + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '' || lines.length === 0) lines.push((lines.length === 0 ? '' : indent) + line);
  return lines;
}

/** Writes a warning on standard error, wrapped at word boundaries to the terminal's width (100 columns elsewhere). */
export function writeWarning(text: string, stream: NodeJS.WriteStream = process.stderr): void {
  const width = Math.max(40, (stream.isTTY ? stream.columns : 0) || 100);
  stream.write(`${wrapText(text, width - 1, '  ').join('\n')}\n`);
}

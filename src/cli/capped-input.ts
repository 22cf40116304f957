import { open } from 'node:fs/promises';
import { CliError } from './errors.ts';
import { unreadable } from './io.ts';

/**
 * Reads FILE or '-' (standard input) as UTF-8, but never more than `limit` + 1 bytes: input beyond
 * the limit is refused with a clear error instead of being held in memory (hostile or mistaken
 * input, such as a multi-megabyte file, must not stall the command).
 */
export async function readCappedTextInput(source: string | undefined, limit: number): Promise<string> {
  const where = source === undefined || source === '-' ? 'standard input' : source;
  const bytes = source === undefined || source === '-' ? await readStdin(limit + 1) : await readFileHead(source, limit + 1);
  if (bytes.length > limit) {
    throw new CliError(`${where} is larger than ${limit.toLocaleString('en')} bytes, the most this command reads`);
  }
  return bytes.toString('utf8');
}

async function readFileHead(file: string, max: number): Promise<Buffer> {
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(max);
      let filled = 0;
      while (filled < max) {
        const { bytesRead } = await handle.read(buffer, filled, max - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(file, error);
  }
}

async function readStdin(max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    // Leaving the loop stops reading; the rest of the stream is never buffered.
    if (total >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max);
}

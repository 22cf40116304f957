// A scanner for personal values left in files: every file under a folder, searched for each value
// as UTF-8 and as UTF-16LE bytes.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

export function leaks(haystack: Buffer, needles: readonly string[]): string[] {
  return needles.filter((s) => haystack.includes(Buffer.from(s, 'utf8')) || haystack.includes(Buffer.from(s, 'utf16le')));
}

/** Each file under `dir` (but not one of `except` or under it) that holds any of `needles`, with the values found. */
export async function scanForLeaks(dir: string, needles: readonly string[], except: readonly string[] = []): Promise<{ file: string; leaks: string[] }[]> {
  const found = [];
  for (const file of await filesUnder(dir)) {
    if (except.some((e) => file === e || file.startsWith(e + path.sep))) continue;
    const hit = leaks(await readFile(file), needles);
    if (hit.length > 0) found.push({ file, leaks: hit });
  }
  return found;
}

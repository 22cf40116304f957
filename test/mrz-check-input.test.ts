/**
 * `cardline mrz check` against hostile and pasted input (issue 15 finding 6, issue 20 item 13):
 * input is capped at 64 KiB and refused beyond with a clear error (exit 2), never read whole;
 * 10 MB of newlines ends at once (before the fix it never finished); pasted lines with
 * whitespace around them are checked, with a note.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDLINE_BIN, cardline, type CliResult } from './helpers/cli.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-mrz-input-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// ICAO 9303 Part 5 specimen (test/vectors/mrz-td1-vectors.json, ICAO-P5-specimen).
const specimen = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

/** Feeds `input` on standard input; the command may stop reading early (EPIPE on our side is expected). */
function withStdin(args: string[], input: Buffer): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CARDLINE_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('mrz check input', () => {
  it('refuses 10 MB of newlines from a file with a clear error, at once', async () => {
    const file = path.join(work, 'newlines.txt');
    await writeFile(file, Buffer.alloc(10 * 1024 * 1024, 0x0a));
    const r = await cardline(['mrz', 'check', file]);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe(`cardline: ${file} is larger than 65,536 bytes, the most this command reads\n`);
  }, 20_000);

  it('refuses 10 MB of newlines on standard input, without reading it all', async () => {
    const r = await withStdin(['mrz', 'check'], Buffer.alloc(10 * 1024 * 1024, 0x0a));
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'cardline: standard input is larger than 65,536 bytes, the most this command reads\n' });
  }, 20_000);

  it('reads input up to the cap: 64 KiB of blank lines around a valid MRZ is checked', async () => {
    const mrz = `${specimen.join('\n')}\n`;
    const padding = '\n'.repeat(64 * 1024 - mrz.length);
    const r = await withStdin(['mrz', 'check'], Buffer.from(padding + mrz));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, errors: [], notes: [] });
    const over = await withStdin(['mrz', 'check'], Buffer.from(`\n${padding}${mrz}`));
    expect(over.code).toBe(2);
  }, 20_000);

  it('checks lines pasted with whitespace around them, with a note per line (pdftotext -layout)', async () => {
    const r = await cardline(['mrz', 'check'], { input: `    ${specimen[0]}   \n    ${specimen[1]}\n    ${specimen[2]}\n` });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({
      valid: true,
      icaoValid: true,
      vnProfileValid: null,
      errors: [],
      notes: [
        { line: 1, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 1: removed 4 leading and 3 trailing whitespace characters' },
        { line: 2, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 2: removed 4 leading whitespace characters' },
        { line: 3, start: 1, end: 30, field: 'line', rule: 'input', message: 'line 3: removed 4 leading whitespace characters' },
      ],
    });
  });
});

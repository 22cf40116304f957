import type { Command } from 'commander';
import { formatIssues } from '../../domain/issues.ts';
import { composeFromInput } from '../../domain/mrz/compose-input.ts';
import { checkTd1, MRZ_TEXT_LIMIT, splitMrzText } from '../../domain/mrz/validate.ts';
import { readCappedTextInput } from '../capped-input.ts';
import { CliError, EXIT } from '../errors.ts';
import { readTextInput, writeError, writeLine } from '../io.ts';

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

async function compose(source: string | undefined, options: { jsonl?: boolean }): Promise<number> {
  const text = await readTextInput(source);
  const where = source === undefined || source === '-' ? 'standard input' : source;
  if (!options.jsonl) {
    const result = composeFromInput(parseJson(text, where));
    if (!result.ok) throw new CliError(`${where}: ${formatIssues(result.issues)}`);
    for (const warning of result.warnings) writeError(`warning: ${warning}`);
    for (const line of result.mrz) writeLine(line);
    return EXIT.ok;
  }
  let failed = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      failed += 1;
      writeLine(JSON.stringify({ error: `line ${index + 1}: not valid JSON` }));
      return;
    }
    const result = composeFromInput(input);
    if (result.ok) {
      writeLine(JSON.stringify({ mrz: result.mrz, expiryDate: result.expiryDate }));
    } else {
      failed += 1;
      writeLine(JSON.stringify({ error: `line ${index + 1}: ${formatIssues(result.issues)}` }));
    }
  });
  return failed === 0 ? EXIT.ok : EXIT.badInput;
}

async function check(source: string | undefined): Promise<number> {
  const text = splitMrzText(await readCappedTextInput(source, MRZ_TEXT_LIMIT));
  const result = checkTd1(text.lines);
  writeLine(JSON.stringify({ ...result, notes: [...text.notes, ...result.notes] }));
  return result.valid ? EXIT.ok : EXIT.invalid;
}

export function registerMrz(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const mrz = program.command('mrz').description('compose and check ICAO 9303 TD1 machine-readable zones');

  mrz
    .command('compose')
    .description(
      'compose the three TD1 lines from a JSON object: a personalization record (has "pid": Vietnamese căn cước ' +
        'profile) or a generic field set {"format":"TD1",...} (docs/mrz.md)',
    )
    .argument('[file]', "JSON input file, or '-' for standard input", '-')
    .option('--jsonl', 'input is JSON Lines; prints one JSON line per input: {"mrz":[l1,l2,l3],"expiryDate"} or {"error"}')
    .addHelpText('after', '\nExit codes: 0 composed; 2 bad input (the message names the field; with --jsonl: any line failed).')
    .action((file: string, options: { jsonl?: boolean }) => run(() => compose(file, options)));

  mrz
    .command('check')
    .description('validate three MRZ lines (ICAO 9303 TD1, plus the Vietnamese profile when the issuer is VNM)')
    .argument('[file]', "text file with the three lines, or '-' for standard input", '-')
    .addHelpText(
      'after',
      '\nPrints {"valid","icaoValid","vnProfileValid","errors":[{"line","start","end","field","message","rule"}],"notes":[...]}.\n' +
        'Whitespace around each line is removed (with a note); input over 64 KiB is refused.\n' +
        'Exit codes: 0 valid; 1 not valid; 2 the file cannot be read or is over 64 KiB.',
    )
    .action((file: string) => run(() => check(file)));
}

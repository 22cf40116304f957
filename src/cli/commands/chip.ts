import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { parseCivilDate, parsePartialDate } from '../../domain/dates.ts';
import { formatIssues } from '../../domain/issues.ts';
import { cardChipData, fileByFid, fileByFileName, LdsBuilder, LDS_FILES, verifyLds, type LdsFile, type LdsVerdict } from '../../domain/lds/index.ts';
import { composeVietnameseMrz } from '../../domain/mrz/compose.ts';
import { validateRecord, type PersonalizationRecord } from '../../domain/record.ts';
import { cardVariant } from '../../domain/validity.ts';
import { defaultPkiDir, openFileSigner, PkiError, readCertificates, resolvePassphrase } from '../../pki/index.ts';
import { resolveDataDir } from '../../store/data-dir.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

async function readRecord(file: string, portraitRules: boolean): Promise<PersonalizationRecord> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON (one personalization record, docs/record-format.md): ${(error as Error).message}`);
  }
  const result = validateRecord(input, { portraitRules });
  if (!result.ok) throw new CliError(`${file}: ${formatIssues(result.issues)}`);
  return result.value.record;
}

export interface ChipBuildOptions {
  record: string;
  out: string;
  pki?: string;
  json?: boolean;
}

export interface ChipBuildResult {
  readonly out: string;
  readonly files: readonly { readonly fid: string; readonly name: string; readonly path: string; readonly bytes: number }[];
}

export async function runChipBuild(options: ChipBuildOptions, env: NodeJS.ProcessEnv = process.env): Promise<ChipBuildResult> {
  const record = await readRecord(options.record, true);
  let portrait: Buffer | undefined;
  if (record.portrait !== undefined) {
    const portraitFile = path.resolve(path.dirname(options.record), record.portrait);
    try {
      portrait = await readFile(portraitFile);
    } catch (error) {
      throw new CliError(`cannot read the portrait ${portraitFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  let data: ReturnType<typeof cardChipData>;
  try {
    data = cardChipData(record, portrait);
  } catch (error) {
    throw new CliError(`${options.record}: ${(error as Error).message.replace(/^cardChipData: /, '')}`);
  }

  const dataDir = resolveDataDir(env);
  const pkiDir = path.resolve(options.pki ?? defaultPkiDir(dataDir));
  const passphrase = await resolvePassphrase(dataDir, env);
  let builder: LdsBuilder;
  try {
    builder = await LdsBuilder.create(await openFileSigner(pkiDir, passphrase?.passphrase, passphrase?.source));
  } catch (error) {
    if (error instanceof PkiError || error instanceof RangeError) throw new CliError(error.message);
    throw error;
  }
  const image = await builder.build(data.input);

  const out = path.resolve(options.out);
  // Chip images carry personal data: the folder 0700 and each file 0600 (docs/security.md).
  await mkdir(out, { recursive: true, mode: 0o700 });
  // A DG2.bin left from an earlier card in the same folder would make the chip look altered.
  const written = new Set(image.files.map((f) => fileByFid(f.fid)!.fileName));
  for (const name of await readdir(out)) {
    if (fileByFileName(name) !== undefined && !written.has(name)) await rm(path.join(out, name));
  }
  const files = [];
  for (const file of image.files) {
    const info = fileByFid(file.fid)!;
    const target = path.join(out, info.fileName);
    await writeFile(target, file.data, { mode: 0o600 });
    files.push({ fid: file.fid, name: info.name, path: target, bytes: file.data.length });
  }
  return { out, files };
}

export interface ChipVerifyOptions {
  csca: string;
  record?: string;
  json?: boolean;
}

/** The LDS files in a folder written by `chip build` (EF.COM, DG1.bin … DG16.bin, EF.SOD). */
export async function readLdsFolder(dir: string): Promise<LdsFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new CliError(`cannot read the folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const files: LdsFile[] = [];
  for (const info of LDS_FILES) {
    if (names.includes(info.fileName)) files.push({ fid: info.fid, data: await readFile(path.join(dir, info.fileName)) });
  }
  return files;
}

export async function runChipVerify(dir: string, options: ChipVerifyOptions): Promise<LdsVerdict> {
  let csca: Buffer[];
  try {
    csca = await readCertificates(options.csca);
  } catch (error) {
    if (error instanceof PkiError) throw new CliError(error.message);
    throw error;
  }
  let expectation = {};
  if (options.record !== undefined) {
    const record = await readRecord(options.record, false);
    const birthDate = parsePartialDate(record.birthDate)!;
    const issueDate = parseCivilDate(record.issueDate)!;
    const mrz = composeVietnameseMrz({ pid: record.pid, fullName: record.fullName, birthDate, sex: record.sex, issueDate });
    expectation = { expectedMrz: mrz.lines, expectedDataGroups: cardVariant(birthDate, issueDate) === 'with-portrait' ? [1, 2, 13] : [1, 13] };
  }
  return verifyLds(await readLdsFolder(dir), { csca, ...expectation });
}

export function printVerdict(verdict: LdsVerdict): void {
  for (const file of verdict.files) {
    const status = file.ok ? 'ok' : 'FAIL';
    writeLine(`${file.name.padEnd(7)} ${file.fid}  ${status}${file.ok ? '' : `  ${file.problem ?? ''}`}`);
  }
  if (verdict.sod.signer) writeLine(`signed by: ${verdict.sod.signer.subject} (serial ${verdict.sod.signer.serialNumber})`);
  if (verdict.sod.csca) writeLine(`chain to:  ${verdict.sod.csca}`);
  writeLine(verdict.ok ? 'verdict: OK' : `verdict: FAIL (${verdict.problems.length} problem${verdict.problems.length === 1 ? '' : 's'})`);
}

export function registerChip(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const chip = program.command('chip').description('chip data: build and verify the ICAO 9303 LDS files and the signed EF.SOD (docs/chip-data.md)');

  chip
    .command('build')
    .description('build the chip files of one record: EF.COM, DG1 (MRZ), DG2 (portrait, from age 6), DG13 (national data), EF.SOD (signed)')
    .requiredOption('--record <file>', 'one personalization record as a JSON object (docs/record-format.md); its portrait path is relative to the file')
    .requiredOption('--out <dir>', 'folder for EF.COM, DG1.bin, DG2.bin, DG13.bin and EF.SOD (created if needed)')
    .option('--pki <dir>', 'PKI folder with ds.pem and ds-key.pem (default: <data dir>/pki)')
    .option('--json', 'print {"out","files":[{"fid","name","path","bytes"}]}')
    .addHelpText(
      'after',
      '\nThe Document Signer key is decrypted with CARDLINE_PKI_PASSPHRASE (or the demo PKI\'s passphrase file in the data\n' +
        'directory). Create a TEST PKI with `cardline pki init`.\n' +
        'Exit codes: 0 built; 2 bad input (record, portrait, PKI or passphrase; the message says which).',
    )
    .action((options: ChipBuildOptions) =>
      run(async () => {
        const result = await runChipBuild(options);
        if (options.json) writeLine(JSON.stringify(result));
        else for (const f of result.files) writeLine(`${f.name.padEnd(7)} ${f.fid}  ${String(f.bytes).padStart(6)} bytes  ${f.path}`);
        return EXIT.ok;
      }),
    );

  chip
    .command('verify')
    .description('verify chip files: parse each, recompute the data group hashes, check the EF.SOD signature and the chain to the CSCA')
    .argument('<dir>', 'folder with the files `chip build` writes (EF.COM, DG1.bin, …, EF.SOD)')
    .requiredOption('--csca <file>', 'trusted CSCA certificate(s), PEM (one or more) or DER')
    .option('--record <file>', "the record the chip belongs to: DG1 must hold its MRZ, and DG2 must be present exactly from age 6")
    .option('--json', 'print the verdict as JSON: {"ok","files":[{"fid","name","ok","problems"}],"sod",…}')
    .addHelpText('after', '\nPrints one line per file, ok or FAIL with the problem.\nExit codes: 0 every file verified; 1 any file failed; 2 bad input (folder, CSCA or record unreadable).')
    .action((dir: string, options: ChipVerifyOptions) =>
      run(async () => {
        const verdict = await runChipVerify(dir, options);
        if (options.json) writeLine(JSON.stringify(verdict));
        else printVerdict(verdict);
        return verdict.ok ? EXIT.ok : EXIT.invalid;
      }),
    );
}

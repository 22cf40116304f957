import path from 'node:path';
import type { Command } from 'commander';
import { defaultPkiDir, initPki, MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV, PkiError, type PkiSummary } from '../../pki/index.ts';
import { resolveDataDir } from '../../store/data-dir.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

export interface PkiInitOptions {
  dir?: string;
  json?: boolean;
}

export async function runPkiInit(options: PkiInitOptions, env: NodeJS.ProcessEnv = process.env): Promise<PkiSummary> {
  const dir = path.resolve(options.dir ?? defaultPkiDir(resolveDataDir(env)));
  try {
    return await initPki(dir, env[PASSPHRASE_ENV]);
  } catch (error) {
    if (error instanceof PkiError) throw new CliError(error.message);
    throw error;
  }
}

export function registerPki(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const pki = program
    .command('pki')
    .description('the TEST PKI that signs chip data: a Country Signing CA and a Document Signer (ICAO 9303-12)');

  pki
    .command('init')
    .description('create a TEST Country Signing CA and Document Signer certificate (ECDSA P-256, SHA-256) with encrypted keys')
    .option('--dir <dir>', 'folder for csca.pem, ds.pem, csca-key.pem and ds-key.pem (default: <data dir>/pki)')
    .option('--json', 'print {"dir","files","csca","ds"}')
    .addHelpText(
      'after',
      `\nThe private keys are encrypted (PKCS#8, AES-256) with the passphrase in ${PASSPHRASE_ENV}\n` +
        `(at least ${MIN_PASSPHRASE_LENGTH} characters) and written with mode 0600. An existing PKI is never overwritten.\n` +
        'The certificates are marked TEST: they are for development, demos and tests, not for issuing cards.\n' +
        'Exit codes: 0 created; 2 no passphrase, or the folder already holds a PKI.',
    )
    .action((options: PkiInitOptions) =>
      run(async () => {
        const summary = await runPkiInit(options);
        if (options.json) {
          writeLine(JSON.stringify(summary));
          return EXIT.ok;
        }
        writeLine(`TEST PKI created in ${summary.dir}`);
        writeLine(`  CSCA: ${summary.csca.subject} (serial ${summary.csca.serialNumber}, valid to ${summary.csca.validTo})`);
        writeLine(`  DS:   ${summary.ds.subject} (serial ${summary.ds.serialNumber}, valid to ${summary.ds.validTo})`);
        writeLine(`  files: ${summary.files.map((f) => path.basename(f)).join(', ')} (keys encrypted, mode 0600)`);
        writeLine('  trust anchor for `cardline chip verify --csca`: ' + path.join(summary.dir, 'csca.pem'));
        return EXIT.ok;
      }),
    );
}

import path from 'node:path';
import type { Command } from 'commander';
import {
  CSCA_PASSPHRASE_ENV,
  defaultCscaKeyDir,
  defaultPkiDir,
  initPki,
  KEY_FILE_ITERATIONS,
  MIN_PASSPHRASE_LENGTH,
  PASSPHRASE_ENV,
  PkiError,
  type PkiSummary,
} from '../../pki/index.ts';
import { resolveDataDir } from '../../store/data-dir.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

export interface PkiInitOptions {
  dir?: string;
  cscaKeyDir?: string;
  json?: boolean;
}

export async function runPkiInit(options: PkiInitOptions, env: NodeJS.ProcessEnv = process.env): Promise<PkiSummary> {
  const dir = path.resolve(options.dir ?? defaultPkiDir(resolveDataDir(env)));
  try {
    const cscaKeyDir = path.resolve(options.cscaKeyDir ?? defaultCscaKeyDir(dir));
    return await initPki(dir, env[PASSPHRASE_ENV], { cscaKeyDir, cscaPassphrase: env[CSCA_PASSPHRASE_ENV] });
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
    .option('--dir <dir>', "the line's folder: csca.pem, ds.pem and ds-key.pem (default: <data dir>/pki)")
    .option('--csca-key-dir <dir>', 'folder for the CSCA private key csca-key.pem, to be kept offline (default: <dir>-csca-offline)')
    .option('--json', 'print {"dir","files","cscaKeyFile","csca","ds"}')
    .addHelpText(
      'after',
      `\nThe Document Signer key is encrypted with the passphrase in ${PASSPHRASE_ENV}, the CSCA key with its own\n` +
        `passphrase in ${CSCA_PASSPHRASE_ENV} (each at least ${MIN_PASSPHRASE_LENGTH} characters; PKCS#8, PBKDF2-HMAC-SHA256 with\n` +
        `${KEY_FILE_ITERATIONS.toLocaleString('en')} iterations, AES-256-CBC), mode 0600. A line needs only csca.pem, ds.pem and ds-key.pem;\n` +
        'the CSCA key belongs offline. An existing PKI is never overwritten.\n' +
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
        writeLine(`  line files: ${summary.files.map((f) => path.basename(f)).join(', ')} (DS key encrypted, mode 0600)`);
        writeLine('  trust anchor for `cardline chip verify --csca`: ' + path.join(summary.dir, 'csca.pem'));
        writeLine(`  CSCA private key: ${summary.cscaKeyFile} (its own passphrase, ${CSCA_PASSPHRASE_ENV})`);
        writeLine('  The CSCA key belongs OFFLINE: move its folder off this machine (an offline computer or an HSM). A line');
        writeLine('  needs only the CSCA certificate and the Document Signer; the CSCA key is needed only to issue the next DS.');
        return EXIT.ok;
      }),
    );
}

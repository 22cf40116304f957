/**
 * `cardline render`: laser jobs (one PDF per card side), optional PNG previews for the QA screen and
 * an optional A4 proof sheet, for one record file or for every record of an imported batch. The
 * work is in render-run.ts, loaded when the command runs: pdfkit and pdfjs-dist took 1.7 s of every
 * `cardline` start, whatever the command.
 */
import type { Command } from 'commander';
import { DEFAULT_TEMPLATE, MAX_DPI, MIN_DPI } from '../../render/defaults.ts';
import { EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

/** The template a TD1 field set gets when --template is not given. */
export const DEFAULT_TD1_TEMPLATE = 'icao-td1-generic';

export interface RenderCommandOptions {
  record?: string;
  batch?: string;
  template?: string;
  out: string;
  png?: string;
  proof?: boolean;
  json?: boolean;
}

export function registerRender(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  program
    .command('render')
    .description('render laser jobs (one PDF per card side at ID-1 size), PNG previews and an A4 proof sheet from a record file or an imported batch')
    .option('--record <file>', 'one record as JSON: a personalization record (docs/record-format.md) or a TD1 field set (docs/mrz.md); its portrait path is relative to the file')
    .option('--batch <id>', 'every record of an imported batch, in seq order')
    .option('--template <name>', `template folder under templates/ (default: ${DEFAULT_TEMPLATE}; ${DEFAULT_TD1_TEMPLATE} for a TD1 field set)`)
    .requiredOption('--out <dir>', 'output folder (created)')
    .option('--png <dpi>', `also write PNG previews at this resolution (${MIN_DPI}–${MAX_DPI} dpi)`)
    .option('--proof', 'also write proof.pdf: A4, 8 cards a page with crop marks and record labels')
    .option('--json', 'print {"rendered","failed","warnings","files"}')
    .addHelpText(
      'after',
      '\nFiles: NAME-front.pdf, NAME-back.pdf (and .png), NAME = the record file name or seq-NNNNNN for a batch.\n' +
        'Texts shrunk or cut to fit are reported on standard error (field names only).\n' +
        'Exit codes: 0 every card rendered; 2 bad input (the message names the field) or, for a batch, any record not rendered.',
    )
    .action((options: RenderCommandOptions) =>
      run(async () => {
        const { runRender } = await import('./render-run.ts');
        const summary = await runRender(options);
        if (options.json) {
          writeLine(JSON.stringify({ rendered: summary.rendered, failed: summary.failed, warnings: summary.warnings, files: summary.files }));
        } else {
          writeLine(`rendered ${summary.rendered} card(s) to ${options.out}${summary.failed > 0 ? `; ${summary.failed} record(s) not rendered` : ''}`);
          if (summary.warnings > 0) writeLine(`  ${summary.warnings} text(s) shrunk or cut to fit: see the warnings above`);
        }
        return summary.failed === 0 ? EXIT.ok : EXIT.badInput;
      }),
    );
}

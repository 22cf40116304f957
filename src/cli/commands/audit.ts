import type { Command } from 'commander';
import { verifyAuditChain } from '../../store/audit.ts';
import { withContext } from '../context.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

const HASH = /^[0-9a-f]{64}$/i;

async function verify(options: { json?: boolean; anchor?: string }): Promise<number> {
  if (options.anchor !== undefined && !HASH.test(options.anchor.trim())) {
    throw new CliError(`--anchor must be a head hash of 64 hex characters as a batch report prints it, got ${options.anchor.trim().length} characters`);
  }
  return withContext({ permissions: ['audit.verify'], what: 'verify the audit chain' }, async (ctx) => {
    const verdict = await verifyAuditChain(ctx.db, ctx.keys, options.anchor === undefined ? {} : { anchor: options.anchor });
    if (options.json) {
      writeLine(JSON.stringify(verdict));
    } else if (verdict.ok) {
      const head = verdict.head ? `head row ${verdict.head.id} ${verdict.head.hash}` : 'no chained row yet';
      const legacy = verdict.legacyRows > 0 ? ` (and ${verdict.legacyRows} written before the chain, covered by its first row)` : '';
      writeLine(`audit chain intact: ${verdict.rows} rows${legacy}; ${head}`);
      if (verdict.anchorRow !== undefined) writeLine(`anchor found at row ${verdict.anchorRow}`);
    } else {
      writeLine(`audit chain broken${verdict.rowId === undefined ? '' : ` at row ${verdict.rowId}`}: ${verdict.problem}`);
    }
    return verdict.ok ? EXIT.ok : EXIT.invalid;
  });
}

export function registerAudit(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const audit = program.command('audit').description('the audit log');
  audit
    .command('verify')
    .description('walk the audit chain; exit 0 when untouched, 1 naming the first broken row')
    .option('--json', 'print {"ok","rows",…,"head":{"id","hash"}} or {"ok":false,"rowId","problem"}')
    .option('--anchor <hash>', 'a head hash printed earlier (batch report, batch show): it must still be in the chain')
    .action((options: { json?: boolean; anchor?: string }) => run(() => verify(options)));
}

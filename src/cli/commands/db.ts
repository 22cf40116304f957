import type { Command } from 'commander';
import path from 'node:path';
import { ensureDataDir, resolveDataDir } from '../../store/data-dir.ts';
import { connectDatabase, dbUrlFromEnv, describePgUrl, openDatabase, pendingMigrations, SQLITE_FILE } from '../../store/db.ts';
import { grantRuntimeRole } from '../../store/pg-roles.ts';
import { CliError, EXIT } from '../errors.ts';
import { writeLine } from '../io.ts';

export const DB_OWNER_URL_ENV = 'CARDLINE_DB_OWNER_URL';

async function migrate(options: { url?: string; grantTo?: string }): Promise<number> {
  const dataDir = await ensureDataDir(resolveDataDir());
  let url: string | undefined;
  try {
    url = options.url !== undefined ? dbUrlFromEnv(dataDir, { URL: options.url }, 'URL') : dbUrlFromEnv(dataDir, process.env, DB_OWNER_URL_ENV);
  } catch (error) {
    throw new CliError((error as Error).message.replace(/^URL /, '--url '));
  }
  if (options.grantTo !== undefined && !url) throw new CliError('--grant-to is for PostgreSQL: give the owner URL with --url or CARDLINE_DB_OWNER_URL');
  const where = url ? describePgUrl(url) : path.join(dataDir, SQLITE_FILE);
  // Migrations need no data key: they change the schema, never personal data.
  const probe = await connectDatabase({ dataDir, url });
  let pending: string[];
  try {
    pending = await pendingMigrations(probe);
  } finally {
    await probe.destroy();
  }
  const db = await openDatabase({ dataDir, url });
  try {
    if (options.grantTo !== undefined) await grantRuntimeRole(db, options.grantTo);
  } catch (error) {
    throw new CliError((error as Error).message);
  } finally {
    await db.destroy();
  }
  writeLine(pending.length === 0 ? `${where}: schema up to date` : `${where}: ${pending.length} migration(s) applied: ${pending.join(', ')}`);
  if (options.grantTo !== undefined) writeLine(`runtime role ${options.grantTo}: granted (audit_log: INSERT and SELECT only)`);
  return EXIT.ok;
}

export function registerDb(program: Command, run: (action: () => Promise<number>) => Promise<void>): void {
  const db = program.command('db').description('the database schema');
  db.command('migrate')
    .description('bring the schema up to date; on PostgreSQL run it as the owner role, the runtime role does not migrate (docs/security.md)')
    .option('--url <url>', `the owner's PostgreSQL URL (default: ${DB_OWNER_URL_ENV}; neither: SQLite in the data directory)`)
    .option('--grant-to <role>', 'PostgreSQL: grant the runtime role its privileges (audit_log: INSERT and SELECT only)')
    .action((options: { url?: string; grantTo?: string }) => run(() => migrate(options)));
}

/**
 * A site file (config/site.yaml): the site's lines (each a line file), its time zone and shifts,
 * retention, QA sampling and the screens' idle logout. Validated once at load; every error names
 * the file, the line of the YAML text and the field, and for a line entry the line's id.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatPath, offsetAt } from '../config/yaml-location.ts';
import { z } from 'zod';
import { ConfigError, loadLineConfig, type LineConfig } from '../config/line-config.ts';
import { DB_URL_ENV } from '../store/db.ts';
import { DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, shiftsSchema, type ShiftSpec } from '../kpi/shifts.ts';
import { LogoError, readLogo } from '../reports/logo.ts';

export const DEFAULT_SITE_FILE = path.resolve(import.meta.dirname, '../../config/site.yaml');

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A server's name in a site: its `--name`, else its host name. */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const serverName = z.string().regex(SERVER_NAME, "a server's name (its --name, or its host name): letters, digits, dots, dashes and underscores");

/** A database reference: a PostgreSQL URL, or `${VARIABLE}`, the environment variable holding it. */
const DB_ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const databaseSchema = z
  .string()
  .refine((v) => DB_ENV_REF.test(v) || /^postgres(ql)?:\/\/\S+$/.test(v), 'a PostgreSQL URL (postgres://user@host:5432/cardline) or an environment variable holding one, written ${SITE_DB_URL}');

const lineEntrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'a line id: lower-case letters, digits and dashes'),
  /** The line file, relative to the site file. */
  file: z.string().min(1, 'the line file (relative to the site file)'),
  /** Shown on screens; the line file's description when absent. */
  name: z.string().min(1).max(80).optional(),
  /** The server that drives the line; absent (and no standby): whichever server takes it first. */
  active: serverName.optional(),
  /** Servers that take the line over when the one driving it dies. */
  standby: z.array(serverName).optional(),
});

export const siteConfigSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'a site id: lower-case letters, digits and dashes'),
    name: z.string().min(1).max(120),
    timeZone: z.string().refine(knownTimeZone, 'an IANA time zone such as Asia/Ho_Chi_Minh').default(DEFAULT_TIME_ZONE),
    retentionDays: z.number().int().min(1).max(3650).default(30),
    shifts: shiftsSchema.default([...DEFAULT_SHIFTS]),
    qa: z.strictObject({ sampleRate: z.number().min(0).max(1) }).default({ sampleRate: 0.02 }),
    ui: z
      .strictObject({
        idleLogoutMinutes: z.number().int().min(1).max(240).default(5),
        // Logins one client address may try a minute: raise it when many panels share one address (NAT).
        loginAttemptsPerMinute: z.number().int().min(1).max(1000).default(10),
      })
      .default({ idleLogoutMinutes: 5, loginAttemptsPerMinute: 10 }),
    /** The reports' header: the site's logo (PNG or JPEG, at most 1 MB, relative to the site file); absent: the site's name in its place. */
    report: z.strictObject({ logo: z.string().min(1, 'the logo file (PNG or JPEG, relative to the site file)').optional() }).optional(),
    /** The site's PostgreSQL database, shared by its servers (CARDLINE_DB_URL wins); absent: the data directory's SQLite. */
    database: databaseSchema.optional(),
    lines: z.array(lineEntrySchema).min(1, 'a site has at least one line'),
  })
  .superRefine((site, ctx) => {
    const seen = new Set<string>();
    site.lines.forEach((l, i) => {
      if (seen.has(l.id)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'id'], message: `line ${l.id} is listed twice` });
      seen.add(l.id);
      const named = new Set<string>(l.active !== undefined ? [l.active] : []);
      (l.standby ?? []).forEach((name, j) => {
        if (named.has(name)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'standby', j], message: `server ${name} is named twice for line ${l.id} (active and standby are different servers)` });
        named.add(name);
      });
    });
  });

export interface SiteLine {
  readonly id: string;
  readonly name: string;
  /** The line file, absolute. */
  readonly file: string;
  readonly config: LineConfig;
  /** The servers named for the line (active first, then standbys); empty: any server may drive it. */
  readonly servers: readonly string[];
}

export interface SiteConfig {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
  readonly retentionDays: number;
  readonly shifts: readonly ShiftSpec[];
  readonly qa: { readonly sampleRate: number };
  readonly ui: { readonly idleLogoutMinutes: number; readonly loginAttemptsPerMinute: number };
  /** The reports' logo file (absolute, checked at load), or null: the reports show the site's name. */
  readonly report: { readonly logo: string | null };
  readonly lines: readonly SiteLine[];
  /** The site's PostgreSQL URL (a `${VARIABLE}` read from the environment given at load); undefined: none named. */
  readonly database: string | undefined;
  /** The site file, as given. */
  readonly source: string;
}

/** Whether a server of this name may drive the line (it is named for it, or the line names no server). */
export function mayDrive(line: SiteLine, server: string): boolean {
  return line.servers.length === 0 || line.servers.includes(server);
}


/**
 * Loads a site file and every line file it names; throws ConfigError naming file, line and field.
 * A `database: ${VARIABLE}` is read from `env`; it must be set unless CARDLINE_DB_URL is (which wins).
 * `database: false`: the caller needs no database (a line's file); a reference is left unread.
 */
export async function loadSiteConfig(file: string, env: NodeJS.ProcessEnv = process.env, options: { readonly database?: boolean } = {}): Promise<SiteConfig> {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read site file ${shown}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${shown}${pos ? ` line ${pos.line}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const where = (keys: readonly PropertyKey[]): string => {
    const offset = offsetAt(doc.contents, keys);
    return offset === undefined ? '' : ` line ${counter.linePos(offset).line}`;
  };
  const raw: unknown = doc.toJS();
  const parsed = siteConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const unknown = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const keys = unknown === undefined ? issue.path : [...issue.path, unknown];
      const lineIndex = issue.path[0] === 'lines' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
      const lineId = lineIndex !== undefined ? (raw as { lines?: { id?: unknown }[] }).lines?.[lineIndex]?.id : undefined;
      return `${shown}${where(keys)}: ${typeof lineId === 'string' ? `line ${lineId}: ` : ''}${formatPath(keys) || '(top level)'}: ${issue.message}`;
    });
    throw new ConfigError(`invalid site file:\n  ${lines.join('\n  ')}`);
  }
  const site = parsed.data;
  let logo: string | null = null;
  if (site.report?.logo !== undefined) {
    logo = path.resolve(path.dirname(file), site.report.logo);
    try {
      await readLogo(logo);
    } catch (error) {
      if (!(error instanceof LogoError)) throw error;
      throw new ConfigError(`${shown}${where(['report', 'logo'])}: report.logo: ${error.message}`);
    }
  }
  const lines: SiteLine[] = [];
  for (const [i, entry] of site.lines.entries()) {
    const lineFile = path.resolve(path.dirname(file), entry.file);
    let config: LineConfig;
    try {
      config = await loadLineConfig(lineFile);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`${shown}${where(['lines', i, 'file'])}: line ${entry.id}: lines[${i}].file: ${error.message}`);
    }
    if (config.id !== entry.id) {
      throw new ConfigError(`${shown}${where(['lines', i, 'id'])}: line ${entry.id}: lines[${i}].id: the line file ${entry.file} describes line '${config.id}'; a site's line id must be its line file's id`);
    }
    lines.push({ id: entry.id, name: entry.name ?? (config.description || entry.id), file: lineFile, config, servers: [...(entry.active !== undefined ? [entry.active] : []), ...(entry.standby ?? [])] });
  }
  let database = options.database === false ? undefined : site.database;
  const ref = database !== undefined ? DB_ENV_REF.exec(database) : null;
  if (ref) {
    database = env[ref[1]!] || undefined;
    if (database === undefined && !env[DB_URL_ENV]) throw new ConfigError(`${shown}${where(['database'])}: database: the environment variable ${ref[1]} is not set: set it to the site's PostgreSQL URL (or set ${DB_URL_ENV}, which wins)`);
    if (database !== undefined && !/^postgres(ql)?:\/\//.test(database)) throw new ConfigError(`${shown}${where(['database'])}: database: the environment variable ${ref[1]} holds no PostgreSQL URL (postgres://…)`);
  }
  return { id: site.id, name: site.name, timeZone: site.timeZone, retentionDays: site.retentionDays, shifts: site.shifts, qa: site.qa, ui: site.ui, report: { logo }, lines, database, source: shown };
}

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
import { DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, shiftsSchema, type ShiftSpec } from '../kpi/shifts.ts';

export const DEFAULT_SITE_FILE = path.resolve(import.meta.dirname, '../../config/site.yaml');

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const lineEntrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'a line id: lower-case letters, digits and dashes'),
  /** The line file, relative to the site file. */
  file: z.string().min(1, 'the line file (relative to the site file)'),
  /** Shown on screens; the line file's description when absent. */
  name: z.string().min(1).max(80).optional(),
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
    lines: z.array(lineEntrySchema).min(1, 'a site has at least one line'),
  })
  .superRefine((site, ctx) => {
    const seen = new Set<string>();
    site.lines.forEach((l, i) => {
      if (seen.has(l.id)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'id'], message: `line ${l.id} is listed twice` });
      seen.add(l.id);
    });
  });

export interface SiteLine {
  readonly id: string;
  readonly name: string;
  /** The line file, absolute. */
  readonly file: string;
  readonly config: LineConfig;
}

export interface SiteConfig {
  readonly id: string;
  readonly name: string;
  readonly timeZone: string;
  readonly retentionDays: number;
  readonly shifts: readonly ShiftSpec[];
  readonly qa: { readonly sampleRate: number };
  readonly ui: { readonly idleLogoutMinutes: number; readonly loginAttemptsPerMinute: number };
  readonly lines: readonly SiteLine[];
  /** The site file, as given. */
  readonly source: string;
}



/** Loads a site file and every line file it names; throws ConfigError naming file, line and field. */
export async function loadSiteConfig(file: string): Promise<SiteConfig> {
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
    lines.push({ id: entry.id, name: entry.name ?? (config.description || entry.id), file: lineFile, config });
  }
  return { id: site.id, name: site.name, timeZone: site.timeZone, retentionDays: site.retentionDays, shifts: site.shifts, qa: site.qa, ui: site.ui, lines, source: shown };
}

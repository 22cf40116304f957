/**
 * The site's time zone and shifts from a site file (config/site.yaml: `timeZone:` and `shifts:`;
 * the other keys belong to the site's server and are not read here). Without a file: the defaults
 * (src/kpi/shifts.ts). Errors name the file and the field.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { DEFAULT_SHIFTS, DEFAULT_TIME_ZONE, shiftsSchema, timeZoneSchema, type ShiftSpec } from './shifts.ts';

export interface SiteShifts {
  readonly timeZone: string;
  readonly shifts: readonly ShiftSpec[];
  /** The file they came from, or null for the defaults. */
  readonly source: string | null;
}

export const DEFAULT_SITE_SHIFTS: SiteShifts = Object.freeze({ timeZone: DEFAULT_TIME_ZONE, shifts: DEFAULT_SHIFTS, source: null });

export class SiteFileError extends Error {
  override name = 'SiteFileError';
}

/** Reads `file`; `optional`: a missing file gives the defaults. */
export async function loadSiteShifts(file: string, optional = false): Promise<SiteShifts> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_SITE_SHIFTS;
    throw new SiteFileError(`cannot read the site file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new SiteFileError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const site = (doc ?? {}) as Record<string, unknown>;
  if (typeof site !== 'object' || Array.isArray(site)) throw new SiteFileError(`${file}: expected a mapping with timeZone and shifts`);
  const zone = site.timeZone === undefined ? { success: true as const, data: DEFAULT_TIME_ZONE } : timeZoneSchema.safeParse(site.timeZone);
  if (!zone.success) throw new SiteFileError(`${file}: timeZone: ${JSON.stringify(site.timeZone)} is not ${zone.error.issues[0]!.message}`);
  const shifts = site.shifts === undefined ? { success: true as const, data: [...DEFAULT_SHIFTS] } : shiftsSchema.safeParse(site.shifts);
  if (!shifts.success) {
    const issue = shifts.error.issues[0]!;
    const key = issue.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : `${acc}.${String(k)}`), 'shifts');
    throw new SiteFileError(`${file}: ${key}: ${issue.message}`);
  }
  const names = new Set<string>();
  for (const [i, s] of shifts.data.entries()) {
    if (names.has(s.name)) throw new SiteFileError(`${file}: shifts[${i}].name: shift '${s.name}' is named twice`);
    names.add(s.name);
  }
  return { timeZone: zone.data, shifts: shifts.data, source: file };
}

/**
 * What a report's header shows of the site: its name and its logo (`name:` and `report.logo:` of
 * the site file, the logo relative to it). The reports read only these keys, as the KPIs read only
 * the shifts (src/kpi/site-file.ts): `cardline report` runs without the site's lines or database.
 * `cardline serve` has checked the same keys when it loaded the site file (src/site/site-config.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { offsetAt } from '../config/yaml-location.ts';
import { LogoError, readLogo, type ReportLogo } from './logo.ts';

export interface ReportBranding {
  /** The site's name, shown in the logo's box when there is no logo. */
  readonly siteName: string;
  readonly logo: ReportLogo | null;
}

/** Without a site file: no site name to show, so the product's. */
export const DEFAULT_BRANDING: ReportBranding = Object.freeze({ siteName: 'cardline', logo: null });

export class BrandingError extends Error {
  override name = 'BrandingError';
}

/** Reads `file`'s name and logo; `optional`: a missing file gives DEFAULT_BRANDING. Errors name the file, the line and the key. */
export async function loadReportBranding(file: string, optional = false): Promise<ReportBranding> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_BRANDING;
    throw new BrandingError(`cannot read the site file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) throw new BrandingError(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const at = (keys: readonly PropertyKey[]): string => {
    const offset = offsetAt(doc.contents, keys);
    return offset === undefined ? '' : ` line ${counter.linePos(offset).line}`;
  };
  const site: unknown = doc.toJS();
  if (site === null || typeof site !== 'object' || Array.isArray(site)) throw new BrandingError(`${file}: expected a mapping (a site file)`);
  const { name, report } = site as { name?: unknown; report?: unknown };
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) throw new BrandingError(`${file}${at(['name'])}: name: expected the site's name, a text`);
  const siteName = typeof name === 'string' ? name : DEFAULT_BRANDING.siteName;
  if (report === undefined || report === null) return { siteName, logo: null };
  if (typeof report !== 'object' || Array.isArray(report)) throw new BrandingError(`${file}${at(['report'])}: report: expected a mapping such as { logo: logo.png }`);
  const logo = (report as { logo?: unknown }).logo;
  if (logo === undefined) return { siteName, logo: null };
  if (typeof logo !== 'string' || logo.length === 0) throw new BrandingError(`${file}${at(['report', 'logo'])}: report.logo: expected a file name (PNG or JPEG, relative to the site file)`);
  try {
    return { siteName, logo: await readLogo(path.resolve(path.dirname(file), logo)) };
  } catch (error) {
    if (error instanceof LogoError) throw new BrandingError(`${file}${at(['report', 'logo'])}: report.logo: ${error.message}`);
    throw error;
  }
}

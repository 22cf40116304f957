/**
 * What a command's `--line` names: a line id of the site (the site file's `lines`, config/site.yaml
 * unless `--site` says otherwise) or, for the commands that also take one, a line file. A value that
 * looks like a file (a path, or ending in .yaml/.yml) is a file; anything else is a line id, and an
 * id the site does not have is refused with the site's line ids.
 */
import path from 'node:path';
import { ConfigError } from '../config/line-config.ts';
import { DEFAULT_SITE_FILE, loadSiteConfig } from './site-config.ts';

/** Whether a `--line` value names a file rather than a line id. */
export function isLineFile(ref: string): boolean {
  return /\.ya?ml$/i.test(ref) || ref.includes('/') || ref.includes(path.sep);
}

/**
 * The line file a `--line` value stands for: the value itself when it is a file, else the file of
 * the site's line of that id. Throws ConfigError naming the site file and its lines.
 */
export async function lineFileOf(ref: string, siteFile: string = DEFAULT_SITE_FILE): Promise<string> {
  if (isLineFile(ref)) return path.resolve(ref);
  // The site's database is not needed to find a line file.
  const site = await loadSiteConfig(path.resolve(siteFile), process.env, { database: false });
  const line = site.lines.find((l) => l.id === ref);
  if (!line) throw new ConfigError(`--line ${ref}: site ${site.id} (${site.source}) has no line ${ref}; its lines: ${site.lines.map((l) => l.id).join(', ')} (or give a line file, e.g. config/lines/demo-opcua.yaml)`);
  return line.file;
}

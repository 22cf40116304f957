/**
 * The site file: the shipped demo site loads with its line; bad input is refused with the file,
 * the YAML line, the line id and the field named.
 */
import { mkdtemp, rm, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/line-config.ts';
import { jpegHeader, pngImage } from '../../test/helpers/images.ts';
import { DEFAULT_SITE_FILE, loadSiteConfig, mayDrive } from './site-config.ts';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-sitecfg-'));
  await mkdir(path.join(work, 'lines'));
  await copyFile(path.resolve(import.meta.dirname, '../../config/lines/demo-mixed.yaml'), path.join(work, 'lines', 'demo-mixed.yaml'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function site(text: string): Promise<string> {
  const file = path.join(work, `site-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return file;
}

describe('site file', () => {
  it('config/site.yaml loads: the demo line, the Vietnamese time zone, three shifts, 5 minutes idle logout', async () => {
    const s = await loadSiteConfig(DEFAULT_SITE_FILE);
    expect(s.id).toBe('demo-site');
    expect(s.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(s.shifts.map((x) => x.name)).toEqual(['morning', 'afternoon', 'night']);
    expect(s.ui.idleLogoutMinutes).toBe(5);
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]!.id).toBe('demo-mixed');
    expect(s.lines[0]!.config.id).toBe('demo-mixed');
    expect(path.isAbsolute(s.lines[0]!.file)).toBe(true);
  });

  it('defaults: time zone, shifts, idle logout when left out', async () => {
    const s = await loadSiteConfig(await site('id: s1\nname: Site one\nlines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n'));
    expect(s.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(s.shifts).toHaveLength(3);
    expect(s.ui.idleLogoutMinutes).toBe(5);
    expect(s.lines[0]!.name).toMatch(/Demo line/);
  });

  it('a bad field names the file, the YAML line, the line id and the field', async () => {
    const file = await site('id: s1\nname: Site one\nlines:\n  - id: demo-mixed\n    file: lines/demo-mixed.yaml\n    colour: red\n');
    const error = await loadSiteConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`${path.basename(file)} line 6: line demo-mixed: lines[0].colour`);
  });

  it('an unknown time zone and a bad shift are refused by field', async () => {
    const file = await site("id: s1\nname: S\ntimeZone: Mars/Olympus\nshifts:\n  - { name: early, start: '25:00', end: '06:00' }\nlines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n");
    const message = ((await loadSiteConfig(file).catch((e: unknown) => e)) as Error).message;
    expect(message).toMatch(/line 3: timeZone: an IANA time zone/);
    expect(message).toMatch(/line 5: shifts\[0\]\.start: a local time HH:MM/);
  });

  it('a missing line file and a line file of another line are named with the line', async () => {
    const missing = ((await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - { id: hall-b, file: lines/nope.yaml }\n')).catch((e: unknown) => e)) as Error).message;
    expect(missing).toMatch(/line 4: line hall-b: lines\[0\]\.file: cannot read line configuration .*nope\.yaml: ENOENT/);
    const other = ((await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - { id: hall-b, file: lines/demo-mixed.yaml }\n')).catch((e: unknown) => e)) as Error).message;
    expect(other).toMatch(/line 4: line hall-b: lines\[0\]\.id: the line file lines\/demo-mixed\.yaml describes line 'demo-mixed'/);
  });

  it('a line listed twice is refused', async () => {
    const message = ((await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n')).catch((e: unknown) => e)) as Error).message;
    expect(message).toMatch(/line 5: line demo-mixed: lines\[1\]\.id: line demo-mixed is listed twice/);
  });

  it('the servers of a line: active first, then the standbys; a line naming none may be driven by any server', async () => {
    const s = await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - id: demo-mixed\n    file: lines/demo-mixed.yaml\n    active: hall-a.local\n    standby: [hall-b, hall_c]\n'));
    expect(s.lines[0]!.servers).toStrictEqual(['hall-a.local', 'hall-b', 'hall_c']);
    expect([mayDrive(s.lines[0]!, 'hall-b'), mayDrive(s.lines[0]!, 'hall-d')]).toStrictEqual([true, false]);
    const open = await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n'));
    expect(open.lines[0]!.servers).toStrictEqual([]);
    expect(mayDrive(open.lines[0]!, 'anyone')).toBe(true);
  });

  it('a bad server name, and a server named twice for a line, are refused with the YAML line', async () => {
    const bad = ((await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - id: demo-mixed\n    file: lines/demo-mixed.yaml\n    standby:\n      - hall b\n')).catch((e: unknown) => e)) as Error).message;
    expect(bad).toMatch(/line 7: line demo-mixed: lines\[0\]\.standby\[0\]: a server's name/);
    const twice = ((await loadSiteConfig(await site('id: s1\nname: S\nlines:\n  - id: demo-mixed\n    file: lines/demo-mixed.yaml\n    active: hall-a\n    standby: [hall-b, hall-a]\n')).catch((e: unknown) => e)) as Error).message;
    expect(twice).toMatch(/line 7: line demo-mixed: lines\[0\]\.standby\[1\]: server hall-a is named twice for line demo-mixed/);
  });

  it('the database: a PostgreSQL URL, or ${VARIABLE} read from the environment; CARDLINE_DB_URL may stand in for an unset variable', async () => {
    const lines = 'lines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n';
    expect((await loadSiteConfig(await site(`id: s1\nname: S\ndatabase: postgres://cardline@db-host:5432/site\n${lines}`), {})).database).toBe('postgres://cardline@db-host:5432/site');
    const byRef = await site(`id: s1\nname: S\ndatabase: \${SITE_DB}\n${lines}`);
    expect((await loadSiteConfig(byRef, { SITE_DB: 'postgresql://u@h/site' })).database).toBe('postgresql://u@h/site');
    expect((await loadSiteConfig(byRef, { CARDLINE_DB_URL: 'postgres://u@h/other' })).database).toBeUndefined();
    expect(((await loadSiteConfig(byRef, {}).catch((e: unknown) => e)) as Error).message).toMatch(/line 3: database: the environment variable SITE_DB is not set/);
    expect(((await loadSiteConfig(byRef, { SITE_DB: 'mysql://u@h/site' }).catch((e: unknown) => e)) as Error).message).toMatch(/line 3: database: the environment variable SITE_DB holds no PostgreSQL URL/);
    const wrong = ((await loadSiteConfig(await site(`id: s1\nname: S\n${lines}database: mysql://u@h/site\n`), {}).catch((e: unknown) => e)) as Error).message;
    expect(wrong).toMatch(/line 5: database: a PostgreSQL URL/);
  });

  describe('report.logo: a PNG or JPEG of at most 1 MB, relative to the site file, checked at load', () => {
    const LINES = 'lines:\n  - { id: demo-mixed, file: lines/demo-mixed.yaml }\n';
    beforeAll(async () => {
      await mkdir(path.join(work, 'brand'), { recursive: true });
      await writeFile(path.join(work, 'brand', 'logo.png'), pngImage(120, 60));
      await writeFile(path.join(work, 'brand', 'logo.jpg'), jpegHeader(300, 100));
      await writeFile(path.join(work, 'brand', 'text.png'), 'not an image at all\n');
      await writeFile(path.join(work, 'brand', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      await writeFile(path.join(work, 'brand', 'big.png'), Buffer.concat([pngImage(8, 8), Buffer.alloc(1024 * 1024)]));
      await writeFile(path.join(work, 'brand', 'cut.png'), pngImage(8, 8).subarray(0, 12));
    });
    const cases: readonly { readonly report: string; readonly logo?: string; readonly error?: RegExp }[] = [
      { report: 'report: { logo: brand/logo.png }', logo: 'brand/logo.png' },
      { report: 'report: { logo: brand/logo.jpg }', logo: 'brand/logo.jpg' },
      { report: 'report: {}' },
      { report: 'report: { logo: brand/none.png }', error: /line 3: report\.logo: \S*brand\/none\.png does not exist \(the path is relative to the site file\)/ },
      { report: 'report: { logo: brand/text.png }', error: /line 3: report\.logo: \S*brand\/text\.png is not a PNG or JPEG image \(by its content\)/ },
      { report: 'report: { logo: brand/logo.svg }', error: /line 3: report\.logo: \S*brand\/logo\.svg is not a PNG or JPEG image \(by its content; SVG is not taken: export the logo as PNG\)/ },
      { report: 'report: { logo: brand/big.png }', error: /line 3: report\.logo: \S*brand\/big\.png has 1,048,\d{3} bytes, more than the 1 MB/ },
      { report: 'report: { logo: brand/cut.png }', error: /line 3: report\.logo: \S*brand\/cut\.png is a damaged PNG image/ },
      { report: 'report: { logo: brand }', error: /line 3: report\.logo: \S*brand is not a file/ },
      { report: "report: { logo: '' }", error: /line 3: report\.logo: the logo file \(PNG or JPEG, relative to the site file\)/ },
      { report: 'report: { logos: brand/logo.png }', error: /line 3: report\.logos: Unrecognized key/ },
    ];
    it.each(cases)('$report', async ({ report, logo, error }) => {
      const file = await site(`id: s1\nname: S\n${report}\n${LINES}`);
      const loaded = loadSiteConfig(file);
      if (error) {
        const e = await loaded.catch((x: unknown) => x);
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as Error).message).toContain(path.basename(file));
        expect((e as Error).message).toMatch(error);
      } else {
        expect((await loaded).report).toStrictEqual({ logo: logo === undefined ? null : path.join(work, logo) });
      }
    });
  });
});

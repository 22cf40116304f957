/**
 * `--line` names a line of the site by its id, or a line file: ids resolve to the site file's line
 * files (config/site.yaml, or the one given); an id the site lacks is refused with the site's lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/line-config.ts';
import { isLineFile, lineFileOf } from './line-ref.ts';

const CONFIG = path.resolve(import.meta.dirname, '../../config');
let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'cardline-lineref-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('--line ID or FILE', () => {
  it('tells files from ids', () => {
    expect(['demo-mixed', 'hall-b', 'config/lines/demo-opcua.yaml', 'line.yml', './x'].map(isLineFile)).toStrictEqual([false, false, true, true, true]);
  });

  it("an id is the site's line: config/site.yaml by default, or the site file given", async () => {
    expect(await lineFileOf('demo-mixed')).toBe(path.join(CONFIG, 'lines/demo-mixed.yaml'));
    const site = path.join(work, 'site.yaml');
    // The site's database reference is not read to find a line file.
    await writeFile(site, `id: s2\nname: S2\ndatabase: \${NOT_SET_ANYWHERE}\nlines:\n  - { id: demo-opcua, file: ${path.join(CONFIG, 'lines/demo-opcua.yaml')} }\n`);
    expect(await lineFileOf('demo-opcua', site)).toBe(path.join(CONFIG, 'lines/demo-opcua.yaml'));
  });

  it('a file is taken as it is; an unknown id is refused with the lines the site has', async () => {
    expect(await lineFileOf('config/lines/demo-modbus.yaml')).toBe(path.resolve('config/lines/demo-modbus.yaml'));
    const error = await lineFileOf('hall-z').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^--line hall-z: site demo-site \(.*site\.yaml\) has no line hall-z; its lines: demo-mixed \(or give a line file/);
  });
});

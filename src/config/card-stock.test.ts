/**
 * The line file's product keys (issue 14 deliverable 3, issue 20 items 11–12): `template` names the
 * card template, `cardStock` says whether the bodies are pre-printed and where a chip module keeps
 * the laser away. Defaults keep every existing line file valid; errors name the file, the YAML line
 * and the key. The ISO/IEC 7816-2 default area: contacts C1–C8 at 10.25–19.87 mm × 19.23–28.55 mm
 * from the left and top edges of the face carrying them, 1.5 mm around.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ISO_7816_MODULE_AREA, loadLineConfig, parseLineConfig } from './line-config.ts';

const DEMO = path.resolve(import.meta.dirname, '../../config/lines/demo-opcua.yaml');

describe('template and cardStock in the line file', () => {
  let dir: string;
  let demo: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cardline-stock-'));
    // The demo line without its product lines, so each case can put its own before `stations:`.
    demo = (await readFile(DEMO, 'utf8')).replace(/^# The product and its blank card stock.*\ntemplate: .*\ncardStock: .*\n/m, '');
    expect(demo).not.toMatch(/^(template|cardStock):/m);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = async (extra: string): Promise<ReturnType<typeof loadLineConfig>> => {
    const file = path.join(dir, `line-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, demo.replace(/^stations:/m, `${extra}\nstations:`));
    return loadLineConfig(file);
  };

  it('the demo line names its product: the căn cước template on plain stock without a surface chip module', async () => {
    const line = await loadLineConfig(DEMO);
    expect(line.template).toBe('vn-cancuoc-2024');
    expect(line.cardStock).toStrictEqual({ prePrinted: false });
  });

  it('defaults when the keys are absent: the same product', async () => {
    const line = await load('');
    expect(line.template).toBe('vn-cancuoc-2024');
    expect(line.cardStock).toStrictEqual({ prePrinted: false });
  });

  it('reads a template, pre-printed stock and a chip module (its area defaulting to ISO/IEC 7816-2)', async () => {
    const line = await load('template: icao-td1-generic\ncardStock:\n  prePrinted: true\n  chipModule: { side: back }');
    expect(line.template).toBe('icao-td1-generic');
    expect(line.cardStock).toStrictEqual({ prePrinted: true, chipModule: { side: 'back', x: 8.75, y: 17.73, width: 12.62, height: 12.32 } });
    expect(ISO_7816_MODULE_AREA).toStrictEqual({ x: 8.75, y: 17.73, width: 12.62, height: 12.32 });
    const placed = await load('cardStock:\n  chipModule: { side: front, x: 60, y: 20, width: 12, height: 11 }');
    expect(placed.cardStock).toStrictEqual({ prePrinted: false, chipModule: { side: 'front', x: 60, y: 20, width: 12, height: 11 } });
  });

  it.each([
    ['template: ../etc', /line-\w+\.yaml line 22: template: must name a template folder/],
    ['cardStock:\n  chipModule: { side: top }', /line 23: cardStock\.chipModule\.side: /],
    ['cardStock:\n  chipModule: { side: back, x: 80 }', /line 23: cardStock\.chipModule: the module area must lie on the 85\.6 × 53\.98 mm card/],
    ['cardStock:\n  preprinted: true', /cardStock: .*preprinted/],
    ['cardStock:\n  prePrinted: "yes"', /line 23: cardStock\.prePrinted: /],
  ])('refuses %j, naming file, line and key', async (extra, message) => {
    const error = await load(extra).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it('parseLineConfig applies the same defaults to an object', async () => {
    const { parse } = await import('yaml');
    const line = parseLineConfig(parse(demo), 'demo.yaml');
    expect([line.template, line.cardStock]).toStrictEqual(['vn-cancuoc-2024', { prePrinted: false }]);
  });
});

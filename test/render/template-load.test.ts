/**
 * Templates are data checked on load (src/render/template/load.ts, docs/templates.md): the shipped
 * ones load, and a broken one is refused with every problem at once, each naming its file and key.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/render/index.ts';
import { DEFAULT_TEMPLATES_DIR, loadTemplate } from '../../src/render/template/load.ts';

const work = mkdtempSync(path.join(tmpdir(), 'cardline-templates-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('loadTemplate', () => {
  it.each(['vn-cancuoc-2024', 'icao-td1-generic'])('loads the shipped template %s with both variants', (name) => {
    const t = loadTemplate(name);
    expect(t.name).toBe(name);
    expect(t.card).toStrictEqual({ width: 85.6, height: 53.98, cornerRadius: 3.18 });
    expect([...t.fonts.keys()].sort()).toStrictEqual(['bold', 'ocrb', 'regular']);
    expect(t.variants['with-portrait'].front.some((e) => e.type === 'portrait')).toBe(true);
    expect(t.variants['without-portrait'].front.some((e) => e.type === 'portrait')).toBe(false);
    expect(t.variants['with-portrait'].back.filter((e) => e.type === 'mrz')).toHaveLength(1);
  });

  it('reports every problem of a broken template with its file and key', () => {
    const dir = path.join(work, 'templates');
    cpSync(path.join(DEFAULT_TEMPLATES_DIR, 'vn-cancuoc-2024'), path.join(dir, 'broken'), { recursive: true });
    cpSync(path.join(DEFAULT_TEMPLATES_DIR, 'fonts'), path.join(dir, 'fonts'), { recursive: true });
    const edit = (file: string, change: (json: { name?: string; elements: Record<string, unknown>[] }) => void): void => {
      const p = path.join(dir, 'broken', file);
      const json = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; elements: Record<string, unknown>[] };
      change(json);
      writeFileSync(p, JSON.stringify(json));
    };
    edit('template.json', (t) => (t.name = 'broken'));
    edit('back.json', (b) => {
      b.elements[1]!.field = 'residense'; // misspelt field
      b.elements[0]!.font = 'italic'; // no such font
      b.elements.push({ type: 'qr', x: 80, y: 3, size: 18 }); // runs off the card
    });
    edit('front-portrait.json', (f) => {
      f.elements = f.elements.filter((e) => e.type !== 'portrait'); // the 6+ variant without portrait
    });
    const error = (() => {
      try {
        loadTemplate('broken', dir);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TemplateError);
    const problems = (error as TemplateError).problems;
    const back = path.relative(process.cwd(), path.join(dir, 'broken', 'back.json'));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${escape(back)}: elements\\[0\\]\\.font: "italic" is not one of the template's fonts \\(regular, bold, ocrb\\)$`)),
        expect.stringMatching(new RegExp(`^${escape(back)}: elements\\[1\\]\\.field: "residense" is not a text field of vn-record input`)),
        expect.stringMatching(new RegExp(`^${escape(back)}: elements\\[12\\]: the QR code spans x 80\\.00–98\\.00 mm, y 3\\.00–21\\.00 mm, outside the 85\\.6 × 53\\.98 mm card$`)),
        expect.stringMatching(/template\.json: variants\.with-portrait: has no portrait element$/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('refuses a name that is not a folder name', () => {
    expect(() => loadTemplate('../etc')).toThrow(/lower case letters, digits and hyphens/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

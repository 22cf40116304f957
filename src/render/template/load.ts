/**
 * Loads a template folder, validates it completely and resolves it for the renderer: fonts opened,
 * colour names replaced by values, side files (with their includes) read per variant, every field
 * name and font checked against what the input kind provides, every element checked to lie on the
 * card. All problems are reported at once, each with its file and key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { z } from 'zod';
import { MRZ_FIELD_NAMES, QR_FIELD_NAMES, TEXT_FIELDS } from '../context.ts';
import { openFont, type LoadedFont } from '../fonts.ts';
import {
  SideFileSchema,
  TemplateFileSchema,
  VARIANTS,
  type Element,
  type InputKind,
  type SideName,
  type TemplateFile,
  type Variant,
} from './schema.ts';

/** The templates shipped with cardline. */
export const DEFAULT_TEMPLATES_DIR = path.resolve(import.meta.dirname, '../../../templates');

/** An element with its colours resolved to #rrggbb and the place it was defined, for messages. */
export type ResolvedElement = Element & { readonly source: string };

export interface LoadedTemplate {
  readonly name: string;
  readonly title: string;
  readonly dir: string;
  readonly input: InputKind;
  readonly card: TemplateFile['card'];
  readonly fonts: ReadonlyMap<string, LoadedFont>;
  readonly variants: Readonly<Record<Variant, Readonly<Record<SideName, readonly ResolvedElement[]>>>>;
}

export class TemplateError extends Error {
  constructor(
    readonly template: string,
    readonly problems: readonly string[],
  ) {
    super(`template ${template} is not valid:\n  ${problems.join('\n  ')}`);
    this.name = 'TemplateError';
  }
}

const fontCache = new Map<string, LoadedFont>();
const requireFromHere = createRequire(import.meta.url);

/** Where each element's ink may go: the card, less nothing (margins are the template's business). */
const EPSILON = 1e-6;

export function loadTemplate(name: string, templatesDir: string = DEFAULT_TEMPLATES_DIR): LoadedTemplate {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new TemplateError(name, ['a template name is lower case letters, digits and hyphens (a folder under templates/)']);
  }
  const dir = path.join(templatesDir, name);
  const templateFile = path.join(dir, 'template.json');
  const problems: string[] = [];
  const rel = (file: string): string => path.relative(process.cwd(), file) || file;

  const raw = readJson(templateFile, problems, rel);
  if (raw === undefined) throw new TemplateError(name, problems);
  const parsed = TemplateFileSchema.safeParse(raw);
  if (!parsed.success) throw new TemplateError(name, zodProblems(rel(templateFile), parsed.error));
  const file = parsed.data;
  if (file.name !== name) problems.push(`${rel(templateFile)}: name: is "${file.name}" but the folder is "${name}"; they must match`);

  const fonts = new Map<string, LoadedFont>();
  for (const [key, source] of Object.entries(file.fonts)) {
    const where = `${rel(templateFile)}: fonts.${key}`;
    let fontPath: string;
    if ('npm' in source) {
      try {
        fontPath = requireFromHere.resolve(source.npm);
      } catch {
        problems.push(`${where}.npm: ${source.npm} is not installed; run npm install (fonts never come from the system)`);
        continue;
      }
    } else {
      fontPath = path.resolve(dir, source.file);
      if (!existsSync(fontPath)) {
        problems.push(`${where}.file: ${rel(fontPath)} does not exist`);
        continue;
      }
    }
    try {
      let font = fontCache.get(fontPath);
      if (!font) {
        font = openFont(key, fontPath);
        fontCache.set(fontPath, font);
      }
      fonts.set(key, font);
    } catch (error) {
      problems.push(`${where}: cannot be opened as a font: ${(error as Error).message}`);
    }
  }

  const variants = {} as Record<Variant, Record<SideName, ResolvedElement[]>>;
  const sideCache = new Map<string, ResolvedElement[]>();
  for (const variant of VARIANTS) {
    variants[variant] = { front: [], back: [] };
    for (const side of ['front', 'back'] as const) {
      const sideFile = path.resolve(dir, file.variants[variant][side]);
      let elements = sideCache.get(sideFile);
      if (!elements) {
        elements = readSide(sideFile, [], problems, rel).map((e) => resolveColours(e, file.colours, problems));
        for (const e of elements) checkElement(e, file, fonts, problems);
        sideCache.set(sideFile, elements);
      }
      variants[variant][side] = elements;
    }
    const portraits = [...variants[variant].front, ...variants[variant].back].filter((e) => e.type === 'portrait');
    const where = `${rel(templateFile)}: variants.${variant}`;
    if (variant === 'with-portrait' && portraits.length === 0) problems.push(`${where}: has no portrait element`);
    if (variant === 'without-portrait' && portraits.length > 0) {
      problems.push(`${where}: must not have a portrait element (${portraits.map((p) => p.source).join(', ')})`);
    }
  }

  if (problems.length > 0) throw new TemplateError(name, problems);
  return { name: file.name, title: file.title, dir, input: file.input, card: file.card, fonts, variants };
}

function readJson(file: string, problems: string[], rel: (f: string) => string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`${rel(file)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    problems.push(`${rel(file)}: is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
}

function zodProblems(where: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length > 0 ? `${keyPath(issue.path)}.` : '';
      return `${where}: ${issue.keys.map((k) => at + k).join(', ')}: unknown key`;
    }
    return `${where}: ${keyPath(issue.path) || '(file)'}: ${issue.message}`;
  });
}

function keyPath(p: readonly PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i > 0 ? '.' : ''}${String(k)}`)).join('');
}

function readSide(file: string, stack: readonly string[], problems: string[], rel: (f: string) => string): ResolvedElement[] {
  if (stack.includes(file)) {
    problems.push(`${rel(file)}: includes itself (${[...stack, file].map(rel).join(' → ')})`);
    return [];
  }
  const raw = readJson(file, problems, rel);
  if (raw === undefined) return [];
  const parsed = SideFileSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...zodProblems(rel(file), parsed.error));
    return [];
  }
  const included = parsed.data.include.flatMap((inc) => readSide(path.resolve(path.dirname(file), inc), [...stack, file], problems, rel));
  return [...included, ...parsed.data.elements.map((e, i) => ({ ...e, source: `${rel(file)}: elements[${i}]` }))];
}

function resolveColours(element: ResolvedElement, colours: Readonly<Record<string, string>>, problems: string[]): ResolvedElement {
  const resolve = (value: string, key: string): string => {
    if (value.startsWith('#')) return value;
    const hex = colours[value];
    if (hex === undefined) {
      problems.push(`${element.source}.${key}: colour "${value}" is not defined in the template's colours`);
      return '#000000';
    }
    return hex;
  };
  if (element.type === 'shape') {
    return {
      ...element,
      paths: element.paths.map((p, i) => ({
        ...p,
        ...(p.fill !== undefined ? { fill: resolve(p.fill, `paths[${i}].fill`) } : {}),
        ...(p.stroke !== undefined ? { stroke: resolve(p.stroke, `paths[${i}].stroke`) } : {}),
      })),
    };
  }
  if (element.type === 'portrait') return element;
  return { ...element, colour: resolve(element.colour, 'colour') };
}

function checkElement(e: ResolvedElement, file: TemplateFile, fonts: ReadonlyMap<string, LoadedFont>, problems: string[]): void {
  const { width: cardW, height: cardH } = file.card;
  const outside = (what: string, x0: number, y0: number, x1: number, y1: number): void => {
    if (x0 < -EPSILON || y0 < -EPSILON || x1 > cardW + EPSILON || y1 > cardH + EPSILON) {
      problems.push(
        `${e.source}: ${what} spans x ${x0.toFixed(2)}–${x1.toFixed(2)} mm, y ${y0.toFixed(2)}–${y1.toFixed(2)} mm, ` +
          `outside the ${cardW} × ${cardH} mm card`,
      );
    }
  };
  const fontFor = (key: string): LoadedFont | undefined => {
    const font = fonts.get(key);
    if (!font && file.fonts[key] === undefined) problems.push(`${e.source}.font: "${key}" is not one of the template's fonts (${Object.keys(file.fonts).join(', ')})`);
    return font;
  };
  const PT = 25.4 / 72;
  switch (e.type) {
    case 'text': {
      if (e.field !== undefined && !TEXT_FIELDS[file.input].includes(e.field)) {
        problems.push(`${e.source}.field: "${e.field}" is not a text field of ${file.input} input (${TEXT_FIELDS[file.input].join(', ')})`);
      }
      const font = fontFor(e.font);
      if (!font) return;
      const lastBaseline = e.y + (e.maxLines - 1) * e.lineHeight * e.size * PT;
      outside('the text box', e.x, e.y - font.ascentEm * e.size * PT, e.x + e.width, lastBaseline + 0.3 * e.size * PT);
      if (e.text !== undefined) {
        const shown = e.transform === 'upper' ? e.text.toUpperCase() : e.text;
        const missing = font.missingCharacters(shown.normalize('NFC'));
        if (missing.length > 0) problems.push(`${e.source}.text: font "${e.font}" has no glyph for ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
        if (font.widthPt(shown.normalize('NFC'), e.size) * PT > e.width * e.maxLines + EPSILON) {
          problems.push(`${e.source}.text: the label does not fit in ${e.width} mm at ${e.size} pt; widen the box or make the text smaller`);
        }
      }
      return;
    }
    case 'portrait':
      outside('the portrait box', e.x, e.y, e.x + e.width, e.y + e.height);
      return;
    case 'qr': {
      if (!QR_FIELD_NAMES[file.input].includes(e.field)) {
        problems.push(`${e.source}.field: "${e.field}" is not a QR payload of ${file.input} input (${QR_FIELD_NAMES[file.input].join(', ') || 'none'})`);
      }
      outside('the QR code', e.x, e.y, e.x + e.size, e.y + e.size);
      return;
    }
    case 'mrz': {
      if (!MRZ_FIELD_NAMES[file.input].includes(e.field)) problems.push(`${e.source}.field: "${e.field}" is not an MRZ of ${file.input} input`);
      fontFor(e.font);
      const top = Math.min(...e.lineCentres) - e.capHeight / 2;
      const bottom = Math.max(...e.lineCentres) + e.capHeight / 2;
      outside('the MRZ', e.x, top, e.x + 30 * e.pitch, bottom);
      return;
    }
    case 'shape':
      outside('the artwork', e.x, e.y, e.x + e.width, e.y + e.height);
      return;
  }
}

/**
 * Areas of a card face the laser must not engrave — the card stock's chip module (its contact
 * plate) — checked against a template before a run: every element the laser job would carry whose
 * box reaches into such an area is a conflict, named by its file and index. The renderer also clips
 * those areas out of the laser job (pdf.ts), so even a text longer than its box leaves them blank.
 */
import { layerOf, type LayerSelection } from './layout.ts';
import type { KeepClearArea } from './pdf.ts';
import type { LoadedTemplate, ResolvedElement } from './template/load.ts';
import { VARIANTS, type SideName } from './template/schema.ts';

export type { KeepClearArea };

const MM_PER_PT = 25.4 / 72;

interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** The box an element may put ink in, in mm (the loader's on-card check measures the same boxes). */
export function elementBox(template: LoadedTemplate, e: ResolvedElement): Box {
  switch (e.type) {
    case 'text': {
      const font = template.fonts.get(e.font);
      const ascent = (font?.ascentEm ?? 1) * e.size * MM_PER_PT;
      const lastBaseline = e.y + (e.maxLines - 1) * e.lineHeight * e.size * MM_PER_PT;
      return { x0: e.x, y0: e.y - ascent, x1: e.x + e.width, y1: lastBaseline + 0.3 * e.size * MM_PER_PT };
    }
    case 'portrait':
    case 'shape':
      return { x0: e.x, y0: e.y, x1: e.x + e.width, y1: e.y + e.height };
    case 'qr':
      return { x0: e.x, y0: e.y, x1: e.x + e.size, y1: e.y + e.size };
    case 'mrz':
      return { x0: e.x, y0: Math.min(...e.lineCentres) - e.capHeight / 2, x1: e.x + 30 * e.pitch, y1: Math.max(...e.lineCentres) + e.capHeight / 2 };
  }
}

function overlaps(b: Box, a: KeepClearArea): boolean {
  return b.x0 < a.x + a.width && a.x < b.x1 && b.y0 < a.y + a.height && a.y < b.y1;
}

function describe(e: ResolvedElement): string {
  const name = 'id' in e && e.id !== undefined ? e.id : 'field' in e && e.field !== undefined ? e.field : e.type === 'text' ? `"${e.text ?? ''}"` : e.type;
  return `${e.source} (${name})`;
}

/** Elements of the laser job (per the layers it carries) that reach into a keep-clear area, each named once. */
export function keepClearConflicts(template: LoadedTemplate, areas: readonly KeepClearArea[], layers: LayerSelection = 'all'): string[] {
  const conflicts = new Set<string>();
  for (const variant of VARIANTS) {
    for (const side of ['front', 'back'] as const satisfies readonly SideName[]) {
      const here = areas.filter((a) => a.side === side);
      if (here.length === 0) continue;
      for (const e of template.variants[variant][side]) {
        if (layers === 'personal' && layerOf(e) !== 'personal') continue;
        const box = elementBox(template, e);
        if (here.some((a) => overlaps(box, a))) conflicts.add(describe(e));
      }
    }
  }
  return [...conflicts];
}

/**
 * The card renderer: the API the line controller calls to make a laser job, and the engine of
 * `cardline render`. One renderer per process keeps the templates, fonts and artwork it has loaded;
 * each card is then validated, laid out once and painted into one PDF per side.
 */
import type { CivilDate } from '../domain/dates.ts';
import { formatIssues, type FieldIssue } from '../domain/issues.ts';
import type { Job } from '../plc/job-data.ts';
import { buildContext, type CardInput } from './context.ts';
import { layoutCard, UnprintableFieldError, type CardLayout, type LayerSelection, type RenderWarning } from './layout.ts';
import { sidePdf, type KeepClearArea } from './pdf.ts';
import { DEFAULT_TEMPLATE } from './defaults.ts';
import { DEFAULT_TEMPLATES_DIR, loadTemplate, type LoadedTemplate } from './template/load.ts';
import type { Variant } from './template/schema.ts';

export { DEFAULT_TEMPLATE };

export interface RenderOptions {
  /** Template folder name under templates/; default vn-cancuoc-2024. */
  readonly template?: string;
  /** The day validation takes as today (issue dates may not lie more than a year ahead). */
  readonly today?: CivilDate;
  /**
   * What the laser job (the `front`/`back` PDFs) carries: 'personal' leaves out the card-body
   * artwork and labels, for card bodies that come pre-printed. The layout for previews and proofs
   * (`RenderedCard.layout`) always has both.
   */
  readonly layers?: LayerSelection;
  /** Areas of the card faces the laser job leaves blank (the card stock's chip module). */
  readonly keepClear?: readonly KeepClearArea[];
}

export interface RenderedCard {
  readonly template: string;
  readonly variant: Variant;
  /** One PDF page at the card's size: the laser job for the front (its layers and keep-clear areas as asked). */
  readonly front: Buffer;
  readonly back: Buffer;
  /** The MRZ lines engraved on the card (what QA's OCR must read back). */
  readonly mrz: readonly string[];
  /** Texts that were shrunk or cut to fit; never carry personal data. */
  readonly warnings: readonly RenderWarning[];
  /** The laid-out card with every layer, for previews and proof sheets. */
  readonly layout: CardLayout;
}

/** The input cannot make a card: the issues say which field and why, without personal values. */
export class RenderInputError extends Error {
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`cannot render the card: ${formatIssues(issues)}`);
    this.name = 'RenderInputError';
  }
}

export class CardRenderer {
  private readonly templates = new Map<string, LoadedTemplate>();

  constructor(private readonly templatesDir: string = DEFAULT_TEMPLATES_DIR) {}

  /** Loads (once) and returns a template; throws TemplateError listing every problem. */
  template(name: string = DEFAULT_TEMPLATE): LoadedTemplate {
    let template = this.templates.get(name);
    if (!template) {
      template = loadTemplate(name, this.templatesDir);
      this.templates.set(name, template);
    }
    return template;
  }

  /** Validates the input and lays the card out (no PDF yet). Throws RenderInputError for bad input. */
  layout(input: CardInput, options: RenderOptions = {}): CardLayout {
    const template = this.template(options.template);
    const built = buildContext(template.input, input, options.today);
    if (!built.ok) throw new RenderInputError(built.issues);
    try {
      return layoutCard(template, built.context, options.layers);
    } catch (error) {
      if (error instanceof UnprintableFieldError) throw new RenderInputError([{ field: error.field, message: error.message }]);
      throw error;
    }
  }

  async renderCard(input: CardInput, options: RenderOptions = {}): Promise<RenderedCard> {
    const layout = this.layout(input, { ...options, layers: 'all' });
    const laser = (options.layers ?? 'all') === 'all' ? layout : this.layout(input, options);
    const keepClear = options.keepClear ?? [];
    const [front, back] = await Promise.all([sidePdf(laser, 'front', keepClear), sidePdf(laser, 'back', keepClear)]);
    return { template: layout.template, variant: layout.variant, front, back, mrz: layout.mrz, warnings: layout.warnings, layout };
  }
}

let shared: CardRenderer | undefined;

/** Renders with the process's shared renderer (templates and fonts loaded once). */
export function renderCard(input: CardInput, options: RenderOptions = {}): Promise<RenderedCard> {
  shared ??= new CardRenderer();
  return shared.renderCard(input, options);
}

/**
 * The laser station's job for a rendered card (src/plc/job-data.ts, docs/plc-interface.md): both
 * sides as PDF, and the MRZ the engraving must read back as.
 */
export function laserJob(card: Pick<RenderedCard, 'front' | 'back' | 'mrz'>): Job {
  const [l1, l2, l3] = card.mrz;
  return {
    v: 1,
    kind: 'laser',
    sides: [
      { side: 'front', mediaType: 'application/pdf', data: card.front },
      { side: 'back', mediaType: 'application/pdf', data: card.back },
    ],
    ...(l1 !== undefined && l2 !== undefined && l3 !== undefined ? { mrz: [l1, l2, l3] as [string, string, string] } : {}),
  };
}

/**
 * The template format (docs/templates.md is its description): a card product is a folder under
 * templates/ holding `template.json` and one JSON file per card side and variant. Everything about
 * the layout lives there — millimetre coordinates from the card's top-left corner, fonts, sizes in
 * points, colours, labels and which value goes where; the renderer only interprets it.
 */
import { z } from 'zod';
import { DEFAULT_QR_LAYOUT, QR_LAYOUTS } from '../qr-payload.ts';

const mm = z.number({ error: 'must be a number of millimetres' }).finite();
const positiveMm = mm.positive({ error: 'must be > 0 mm' });
const points = z.number({ error: 'must be a size in points' }).positive({ error: 'must be > 0 pt' });
/** `#rrggbb`, or the name of an entry in the template's `colours`. */
const colour = z.string().regex(/^(#[0-9a-fA-F]{6}|[a-z][a-zA-Z0-9-]*)$/, { error: 'must be #rrggbb or a colour name from the template' });
/** Where an element belongs: on the pre-printed card body, or in the personalization (laser) layer. */
const layer = z.enum(['card-body', 'personal']);
/** Any element may carry a note for the template's readers. */
const comment = z.string().optional();

export const TextElementSchema = z
  .strictObject({
    type: z.literal('text'),
    $comment: comment,
    /** Names the element in warnings; defaults to the field name or "text". */
    id: z.string().min(1).optional(),
    /** A fixed text (labels, headings)... */
    text: z.string().min(1).optional(),
    /** ...or the name of a render-context value (docs/templates.md lists them). */
    field: z.string().min(1).optional(),
    x: mm,
    /** Baseline of the first line. */
    y: mm,
    width: positiveMm,
    font: z.string().min(1),
    size: points,
    /** The smallest size the text may shrink to before it is truncated; default: `size` (never shrinks). */
    minSize: points.optional(),
    maxLines: z.number().int().min(1).max(6).default(1),
    /** Distance between baselines, as a multiple of the size in use. */
    lineHeight: z.number().min(0.8).max(3).default(1.2),
    align: z.enum(['left', 'center', 'right']).default('left'),
    colour: colour.default('ink'),
    transform: z.enum(['none', 'upper']).default('none'),
    layer: layer.optional(),
  })
  .refine((e) => (e.text === undefined) !== (e.field === undefined), { error: 'must have exactly one of "text" and "field"' })
  .refine((e) => e.minSize === undefined || e.minSize <= e.size, { error: 'minSize must not be larger than size', path: ['minSize'] });

export const PortraitElementSchema = z.strictObject({
  type: z.literal('portrait'),
  $comment: comment,
  x: mm,
  y: mm,
  width: positiveMm,
  height: positiveMm,
  /** cover: fill the box, crop the overflow (centred); contain: whole image inside the box, centred. */
  fit: z.enum(['cover', 'contain']).default('cover'),
  layer: layer.optional(),
});

export const QrElementSchema = z.strictObject({
  type: z.literal('qr'),
  $comment: comment,
  field: z.string().min(1).default('qr'),
  x: mm,
  y: mm,
  /** Side of the symbol itself, without its quiet zone. */
  size: positiveMm,
  eclevel: z.enum(['L', 'M', 'Q', 'H']).default('M'),
  /** The payload's fields (docs/qr-payload.md): the 2024 card's, or the 7 of the 2021 card for legacy readers. */
  layout: z.enum(QR_LAYOUTS).default(DEFAULT_QR_LAYOUT),
  /** Modules of quiet zone kept clear around the symbol (ISO/IEC 18004 asks for 4). */
  quietZone: z.number().int().min(0).max(8).default(4),
  colour: colour.default('ink'),
  layer: layer.optional(),
});

export const MrzElementSchema = z.strictObject({
  type: z.literal('mrz'),
  $comment: comment,
  field: z.string().min(1).default('mrz'),
  font: z.string().min(1),
  /** Left edge of the first character cell. */
  x: mm,
  /** Reference centre line of each MRZ line, top line first. */
  lineCentres: z.array(mm).min(1).max(3),
  /** Character pitch (ICAO 9303-3 §4.4: 2.54 mm). */
  pitch: positiveMm,
  /** Height of the capitals (OCR-B size I: 2.46 mm, ISO 1073-2 Table 1). */
  capHeight: positiveMm,
  colour: colour.default('ink'),
  layer: layer.optional(),
});

export const PathSchema = z
  .strictObject({
    /** SVG path data in millimetres, relative to the shape's x, y. */
    d: z.string().min(1),
    fill: colour.optional(),
    stroke: colour.optional(),
    /** Stroke width in millimetres. */
    lineWidth: positiveMm.default(0.2),
  })
  .refine((p) => p.fill !== undefined || p.stroke !== undefined, { error: 'must have a fill or a stroke (or both)' });

export const ShapeElementSchema = z.strictObject({
  type: z.literal('shape'),
  $comment: comment,
  id: z.string().min(1).optional(),
  x: mm,
  y: mm,
  /** Bounding box of the artwork, used to check that it stays on the card. */
  width: positiveMm,
  height: positiveMm,
  paths: z.array(PathSchema).min(1),
  layer: layer.optional(),
});

export const ElementSchema = z.discriminatedUnion('type', [
  TextElementSchema,
  PortraitElementSchema,
  QrElementSchema,
  MrzElementSchema,
  ShapeElementSchema,
]);

export const SideFileSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Side files whose elements come first (shared artwork and labels), relative to this file. */
  include: z.array(z.string().min(1)).default([]),
  elements: z.array(ElementSchema),
});

const FontSourceSchema = z.union([
  z.strictObject({
    /** A file of an installed npm package: `package/path/in/package`. */
    npm: z.string().regex(/^(@[a-z0-9-._]+\/)?[a-z0-9-._]+\/.+$/, { error: 'must be "package/path/inside/package"' }),
    licence: z.string().optional(),
  }),
  z.strictObject({
    /** A font committed with its licence, relative to the template folder. */
    file: z.string().min(1),
    licence: z.string().optional(),
  }),
]);

export const INPUT_KINDS = ['vn-record', 'td1'] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

export const VARIANTS = ['with-portrait', 'without-portrait'] as const;
export type Variant = (typeof VARIANTS)[number];

const SidesSchema = z.strictObject({ front: z.string().min(1), back: z.string().min(1) });

export const TemplateFileSchema = z.strictObject({
  $comment: z.string().optional(),
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be lower case letters, digits and hyphens' }),
  title: z.string().min(1),
  /** What the template prints: a Vietnamese personalization record, or a generic TD1 document. */
  input: z.enum(INPUT_KINDS),
  card: z.strictObject({
    width: positiveMm,
    height: positiveMm,
    cornerRadius: mm.nonnegative().default(0),
  }),
  fonts: z.record(z.string().regex(/^[a-z][a-zA-Z0-9-]*$/), FontSourceSchema),
  colours: z.record(z.string().regex(/^[a-z][a-zA-Z0-9-]*$/), z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be #rrggbb' })),
  variants: z.strictObject({ 'with-portrait': SidesSchema, 'without-portrait': SidesSchema }),
});

export type TemplateFile = z.output<typeof TemplateFileSchema>;
export type TextElement = z.output<typeof TextElementSchema>;
export type PortraitElement = z.output<typeof PortraitElementSchema>;
export type QrElement = z.output<typeof QrElementSchema>;
export type MrzElement = z.output<typeof MrzElementSchema>;
export type ShapeElement = z.output<typeof ShapeElementSchema>;
export type Element = z.output<typeof ElementSchema>;
export type SideName = 'front' | 'back';

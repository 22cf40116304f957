/**
 * Card rendering: templates as data (templates/, docs/templates.md) → one PDF per card side (the
 * laser job), PNG previews and proof sheets. The line controller calls `renderCard` (or a
 * `CardRenderer` it keeps) and `laserJob`.
 */
export { CardRenderer, DEFAULT_TEMPLATE, laserJob, renderCard, RenderInputError, type RenderedCard, type RenderOptions } from './renderer.ts';
export type { CardInput } from './context.ts';
export type { CardLayout, RenderWarning, LayerSelection } from './layout.ts';
export { TemplateError } from './template/load.ts';
export { pdfToPng, pdfToRaster, type Raster } from './raster.ts';
export { ProofSheet, proofSheet, type ProofCard } from './proof.ts';
export { decodeQrPayload, encodeQrPayload, QR_LAYOUT_FIELDS, QR_LAYOUTS, type QrFieldsOf, type QrLayout, type QrPayload } from './qr-payload.ts';

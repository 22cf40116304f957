// The rendering defaults the command line shows in its help: kept apart from the renderer and the
// rasterizer so that `cardline --help` (and every other command) does not load pdfkit and pdfjs-dist.

/** The template a personalization record gets when none is named. */
export const DEFAULT_TEMPLATE = 'vn-cancuoc-2024';

/** The resolutions PNG previews may be drawn at. */
export const MIN_DPI = 36;
export const MAX_DPI = 1200;

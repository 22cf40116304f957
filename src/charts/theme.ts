/**
 * What every chart of the reports and the screens shares: the palette (ISA-101: grey for the
 * normal, colour only for what is lost or wrong) and the font family. No Node imports: the browser
 * bundle imports the option builders too.
 */
export const CHART_COLORS = {
  /** A level: planned, available, performing, good time; good cards. */
  level: '#5b6b7b',
  /** Producing time (APT). */
  producing: '#4f7f5f',
  /** Delay (ADET): starved or blocked. */
  delay: '#d9a441',
  /** Down (ADOT): a fault. */
  down: '#c0392b',
  /** Planned down (an operator's pause). */
  plannedDown: '#b9c2cb',
  /** A loss or scrap. */
  loss: '#c0392b',
  /** A rate or cumulative line. */
  line: '#1f4e79',
  grid: '#d0d5da',
  text: '#333333',
} as const;

/** Noto Sans draws Vietnamese; the PDF writer maps this family onto its embedded font. */
export const CHART_FONT = 'Noto Sans';

export const baseTextStyle = { fontFamily: CHART_FONT, color: CHART_COLORS.text, fontSize: 11 } as const;

/** A number with thin grouping: 12 345. */
export function groupDigits(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/**
 * What the capacity study's charts share: the text style of the reports (ISA-101: grey, colour
 * for what matters), and number formats. Pure: no Node imports, so a screen can use it too.
 */
export const CAPACITY_GREY = '#6b7280';
export const CAPACITY_ACCENT = '#1d4ed8';
/** State colours: working stands out, waiting is grey, stopped states are warm. */
export const STATE_COLOURS: Readonly<Record<string, string>> = {
  working: '#1d4ed8',
  idle: '#d1d5db',
  blocked: '#9ca3af',
  held: '#f59e0b',
  down: '#dc2626',
  paused: '#e5e7eb',
};

export const wholeNumber = (x: number): string => Math.round(x).toLocaleString('en-US');
export const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

export const baseTextStyle = { fontFamily: 'sans-serif', fontSize: 12, color: '#111827' } as const;

/**
 * The one cards-an-hour definition (issue 17): good cards an hour of planned busy time — the time
 * a run was under way, operator pauses left out. The run summary and its progress line
 * (src/cli/run-progress.ts), the KPIs and the screens all use this function.
 */
const HOUR_MS = 3_600_000;

export function cardsPerHour(goodCards: number, busyMs: number): number {
  return busyMs > 0 ? (goodCards * HOUR_MS) / busyMs : 0;
}

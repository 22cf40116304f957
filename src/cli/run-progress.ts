/**
 * The live progress of a run on the terminal: done/total, good, rejects, cards per hour and the time
 * left, and the rejects by reason on a line of their own. On a terminal both lines are redrawn in
 * place (at most five times a second) and fit its width; elsewhere (a log file, CI) a line is
 * printed every `everyMs` or each tenth of the batch.
 *
 * The rates here are the ones the summary and report.json give too (`runRates`): this run's good
 * cards over the time the line produced in this run, paused time left out — the one cards/h
 * definition of the KPIs (src/kpi/throughput.ts: good cards an hour of planned busy time).
 */
import type { Progress } from '../line/controller.ts';
import { cardsPerHour as goodCardsPerHour } from '../kpi/throughput.ts';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export interface RunRates {
  /** Good cards made in this run. */
  readonly good: number;
  /** Records that ended (produced, failed, cancelled) in this run. */
  readonly ended: number;
  /** The time the line produced in this run: from its start to `now`, paused time left out. */
  readonly producingMs: number;
  readonly pausedMs: number;
  /** This run's good cards an hour of production (wall clock: on a simulated line, at its time scale). */
  readonly cardsPerHour: number;
  /** The time left for the records still to make, at this run's pace; NaN before a record ended. */
  readonly etaMs: number;
}

/** This run's rates: its good cards and ended records over the time the line produced, paused time excluded. */
export function runRates(p: Progress, now: number = p.at): RunRates {
  const pausedMs = p.pausedMs + (now > p.at && isPaused(p) ? now - p.at : 0);
  const producingMs = p.producingSince > 0 ? Math.max(0, now - p.producingSince - pausedMs) : 0;
  const done = p.produced + p.failed + p.cancelled;
  const ended = Math.max(0, done - p.endedBefore);
  const cardsPerHour = goodCardsPerHour(p.good, producingMs);
  const etaMs = ended > 0 ? (producingMs / ended) * (p.total - done) : Number.NaN;
  return { good: p.good, ended, producingMs, pausedMs, cardsPerHour, etaMs };
}

function isPaused(p: Progress): boolean {
  return p.line === JSON.stringify('paused');
}

/** "1,234 cards/h", and on a simulated line its time scale: "1,234 cards/h (simulated ×5)". */
export function formatRate(cardsPerHour: number, timeScale: number | undefined): string {
  const rate = `${Math.round(cardsPerHour).toLocaleString('en-US')} cards/h`;
  return timeScale === undefined ? rate : `${rate} (simulated ×${timeScale})`;
}

/**
 * The progress as lines: the counts with the rate and ETA (which are never cut: the bar and the
 * less useful counts go first when the width is short), and the rejects by reason when there are
 * any. `width` undefined: no limit (a log file).
 */
export function progressLines(p: Progress, now: number, options: { width?: number; timeScale?: number } = {}): string[] {
  const done = p.produced + p.failed + p.cancelled;
  const { cardsPerHour, etaMs } = runRates(p, now);
  const paused = isPaused(p) ? 'PAUSED (r or SIGUSR2 resumes)' : '';
  const rate = formatRate(cardsPerHour, options.timeScale);
  const eta = `ETA ${Number.isFinite(etaMs) ? formatDuration(etaMs) : '--:--'}`;
  const counts = [`${done}/${p.total}`, `good ${p.good}`, `rejects ${p.spoiled}`, `failed ${p.failed}`, `in line ${p.inLine}`];
  const width = options.width ?? Number.POSITIVE_INFINITY;
  const compose = (bar: number, keep: number): string => {
    const filled = p.total === 0 ? bar : Math.round((done / p.total) * bar);
    const parts = [paused, bar > 0 ? `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, bar - filled))}` : '', ...counts.slice(0, keep), rate, eta].filter((x) => x !== '');
    return parts.join(' · ');
  };
  let main = compose(24, counts.length);
  for (const [bar, keep] of [
    [12, counts.length],
    [0, counts.length],
    [0, 3],
    [0, 2],
    [0, 1],
  ] as const) {
    if (main.length <= width) break;
    main = compose(bar, keep);
  }
  if (main.length > width) main = `${main.slice(0, Math.max(1, width - 1))}…`;
  const lines = [main];
  const rejects = Object.entries(p.rejects).sort((a, b) => b[1] - a[1]);
  if (rejects.length > 0) {
    let reasons = `rejects: ${rejects.map(([code, n]) => `${code} ${n}`).join(', ')}`;
    if (reasons.length > width) reasons = `${reasons.slice(0, Math.max(1, width - 1))}…`;
    lines.push(reasons);
  }
  return lines;
}

export class ProgressView {
  private last: Progress | undefined;
  private drawnAt = 0;
  private lastDone = -1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 10_000,
    /** A simulated line's time scale, said beside the rate. */
    private readonly timeScale?: number,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY;
  }

  start(): void {
    // The clock moves even when no card does (a starved feeder): keep the rate and ETA honest.
    this.timer = setInterval(() => this.draw(true), this.tty ? 1000 : this.everyMs);
    this.timer.unref();
  }

  update(p: Progress): void {
    this.last = p;
    this.draw(false);
  }

  private draw(tick: boolean, final = false): void {
    const p = this.last;
    if (!p) return;
    const now = final ? p.at : Date.now();
    const done = p.produced + p.failed + p.cancelled;
    const timeScale = this.timeScale !== undefined ? { timeScale: this.timeScale } : {};
    if (this.tty) {
      if (!tick && now - this.drawnAt < 200) return;
      const lines = progressLines(p, now, { width: Math.max(20, (this.out.columns || 120) - 1), ...timeScale });
      // The cursor waits at the start of the first row: clear to the end of the screen, draw, and
      // go back there (or below the last row when this is the final drawing).
      const back = final ? '\n' : lines.length > 1 ? `\u001b[${lines.length - 1}A\r` : '\r';
      this.out.write(`\r\u001b[J${lines.join('\n')}${back}`);
    } else {
      const step = Math.max(1, Math.ceil(p.total / 10));
      const crossed = Math.floor(done / step) > Math.floor(this.lastDone / step);
      if (!crossed && !(tick && done !== this.lastDone)) return;
      this.out.write(`${progressLines(p, now, timeScale).join(' · ')}\n`);
      this.lastDone = done;
    }
    this.drawnAt = now;
  }

  /**
   * Stops redrawing. With the run's final progress, draws it once more at the time it was taken, so
   * the last rate shown is the one of the summary and report.json.
   */
  stop(final?: Progress): void {
    if (this.timer) clearInterval(this.timer);
    if (final) {
      this.last = final;
      this.lastDone = -1;
    }
    if (this.last && (this.tty || final)) this.draw(true, true);
  }
}

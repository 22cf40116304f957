/**
 * The live progress of a run on the terminal: done/total, good, rejects by reason, cards per hour
 * and the time left. On a terminal one line is redrawn in place (at most five times a second);
 * elsewhere (a log file, CI) a line is printed every `everyMs` or each tenth of the batch.
 */
import type { Progress } from '../line/controller.ts';

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

/** Cards per hour and the estimated time left, from the good cards so far. */
export function rates(p: Progress, now: number): { cardsPerHour: number; etaMs: number } {
  const elapsed = Math.max(1, now - p.startedAt);
  const done = p.produced + p.failed + p.cancelled;
  const cardsPerHour = (p.good / elapsed) * 3_600_000;
  const perRecord = done > 0 ? elapsed / done : Number.NaN;
  return { cardsPerHour, etaMs: perRecord * (p.total - done) };
}

export function progressLine(p: Progress, now: number, width = 24): string {
  const done = p.produced + p.failed + p.cancelled;
  const filled = p.total === 0 ? width : Math.round((done / p.total) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, width - filled))}`;
  const { cardsPerHour, etaMs } = rates(p, now);
  const rejects = Object.entries(p.rejects)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const paused = p.line === JSON.stringify('paused') ? 'PAUSED (r or SIGUSR2 resumes) · ' : '';
  return (
    `${paused}${bar} ${done}/${p.total} · good ${p.good} · failed ${p.failed} · in line ${p.inLine}` +
    ` · rejects ${p.spoiled}${rejects ? ` (${rejects})` : ''} · ${Math.round(cardsPerHour)} cards/h · ETA ${done > 0 ? formatDuration(etaMs) : '--:--'}`
  );
}

export class ProgressView {
  private last: Progress | undefined;
  private drawnAt = 0;
  private lastDone = -1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 10_000,
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

  private draw(tick: boolean): void {
    const p = this.last;
    if (!p) return;
    const now = Date.now();
    const done = p.produced + p.failed + p.cancelled;
    if (this.tty) {
      if (!tick && now - this.drawnAt < 200) return;
      const line = progressLine(p, now);
      const columns = this.out.columns || 120;
      this.out.write(`\r${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}\u001b[K`);
    } else {
      const step = Math.max(1, Math.ceil(p.total / 10));
      const crossed = Math.floor(done / step) > Math.floor(this.lastDone / step);
      if (!crossed && !(tick && done !== this.lastDone)) return;
      this.out.write(`${progressLine(p, now)}\n`);
      this.lastDone = done;
    }
    this.drawnAt = now;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.last && this.tty) {
      this.draw(true);
      this.out.write('\n');
    }
  }
}

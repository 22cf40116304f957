/**
 * When no card moved since the last look, the log says what the line is waiting for: the line's
 * state, the queue, the feeder, the records not ended, the cards in the line and every station's
 * state. Card serials and states only, no personal data.
 */
import type { Feeder } from './feeding.ts';
import type { LineRun } from './line-run.ts';

export class StallWatch {
  private last = '';

  constructor(
    private readonly run: LineRun,
    private readonly feeder: Feeder,
  ) {}

  /** Looks every `ms` until the returned stop is called. */
  every(ms: number): () => void {
    const clock = this.run.clock;
    const timer = clock.setInterval(() => this.look(), ms);
    clock.unref(timer);
    return () => clock.clearInterval(timer);
  }

  look(): void {
    const run = this.run;
    const p = run.progress();
    const key = `${p.produced}/${p.failed}/${p.cancelled}/${p.good}/${p.spoiled}/${p.inLine}`;
    if (key !== this.last) {
      this.last = key;
      return;
    }
    const waiting = run.records.notEnded();
    const states = [...run.stations].map(([unit, st]) => `${unit}=${String(st.getSnapshot().value)}/${st.getSnapshot().context.packml ?? '?'}`);
    const cards = [...run.cards.values()].filter((t) => !t.ended).map((t) => `${t.serial}@${t.lastUnit ?? 'feeder'}${t.suspect ? ' suspect' : ''}${t.reject ? ` ${t.reject.code}` : ''}${run.records.qaPassed(t) ? ' qa-ok' : ''}`);
    run.log(
      `no card moved lately: line ${p.line}; ${run.queue.size} records queued, ${this.feeder.describe()}; ` +
        `${waiting.length} records not ended (${waiting.slice(0, 8).map((r) => `${r.seq}:${r.state}`).join(', ')}); ` +
        `cards in line: ${cards.join(', ') || 'none'}; stations: ${states.join(' ')}` +
        (cards.length > 0 ? '. A card no longer in the line keeps the run waiting: stop the run, write it off (cardline card write-off SERIAL), run --resume' : ''),
    );
  }
}

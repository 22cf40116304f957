/**
 * The live progress lines and the run's rates (issue 20, items 2 and 6): rates from this run's good
 * cards over the time the line produced in it, paused time left out; throughput and ETA kept on the
 * first line at any width once rejects appear, the reasons on a line of their own.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../line/controller.ts';
import { progressLines, runRates } from './run-progress.ts';

const T0 = 1_000_000;

function progress(over: Partial<Progress> = {}): Progress {
  return {
    total: 10,
    produced: 4,
    failed: 0,
    cancelled: 0,
    inLine: 2,
    good: 4,
    spoiled: 0,
    rejects: {},
    startedAt: T0,
    line: JSON.stringify('running'),
    producingSince: T0 + 5_000,
    pausedMs: 0,
    endedBefore: 0,
    at: T0 + 5_000 + 3_600_000,
    ...over,
  };
}

describe('runRates', () => {
  it('counts this run’s good cards over the time the line produced, without the start-up', () => {
    expect(runRates(progress())).toMatchObject({ good: 4, ended: 4, producingMs: 3_600_000, cardsPerHour: 4 });
  });

  it('leaves paused time out', () => {
    const r = runRates(progress({ pausedMs: 1_800_000 }));
    expect(r.producingMs).toBe(1_800_000);
    expect(r.cardsPerHour).toBe(8);
  });

  it('after a re-run: only the records that ended in this run count for the ETA', () => {
    // 9 of 10 records were produced before; this run re-made 1 in half an hour: 0 left.
    const r = runRates(progress({ produced: 10, good: 1, endedBefore: 9, at: T0 + 5_000 + 1_800_000 }));
    expect(r).toMatchObject({ good: 1, ended: 1, cardsPerHour: 2, etaMs: 0 });
  });

  it('a paused line’s clock stops: a later `now` adds to the paused time, not to production', () => {
    const p = progress({ line: JSON.stringify('paused') });
    expect(runRates(p, p.at + 60_000).producingMs).toBe(3_600_000);
  });
});

describe('progressLines', () => {
  it('says when the line is simulated, with its time scale', () => {
    expect(progressLines(progress(), progress().at, { timeScale: 5 })[0]).toMatch(/4 cards\/h \(simulated ×5\) · ETA 1:30:00$/);
  });

  it('puts the rejects by reason on a line of their own and keeps rate and ETA on the first, at any width', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 200 }),
        fc.dictionary(fc.constantFrom('LASER_MISALIGNED', 'CHIP_WRITE_FAILED', 'QA_PRINT_GRADE', 'FEED_JAM', 'SUSPECT_AFTER_RESTART'), fc.integer({ min: 1, max: 9999 }), { minKeys: 1 }),
        (width, rejects) => {
          const p = progress({ rejects, spoiled: Object.values(rejects).reduce((a, b) => a + b, 0) });
          const lines = progressLines(p, p.at, { width, timeScale: 20 });
          expect(lines).toHaveLength(2);
          for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
          expect(lines[1]).toMatch(/^rejects: /);
          if (width >= 60) expect(lines[0]).toMatch(/cards\/h \(simulated ×20\) · ETA \S+$/);
        },
      ),
    );
  });
});

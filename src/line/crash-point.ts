/**
 * The crash test's kill points: CARDLINE_CRASH_AT=<point>[:<n>] kills the controller with SIGKILL
 * (no cleanup, as a power cut) the n-th time it reaches the point.
 */

/** Where a crash test may kill the controller (CARDLINE_CRASH_AT=<point>[:<n>]). */
export const CRASH_POINTS = ['after-persist-before-ack', 'after-done-before-persist', 'during-snapshot', 'during-signing', 'after-pack-plan-before-job'] as const;

export class CrashPoint {
  private readonly point: string | undefined;
  private remaining: number;

  /** `at`: `<point>` (the first time it is reached) or `<point>:<n>` (the n-th time). */
  constructor(at: string | undefined) {
    const [point, n] = (at ?? '').split(':');
    if (at && !(CRASH_POINTS as readonly string[]).includes(point!)) throw new RangeError(`CARDLINE_CRASH_AT: unknown point '${point}'; points: ${CRASH_POINTS.join(', ')}`);
    this.point = at ? point : undefined;
    this.remaining = n === undefined ? 1 : Math.max(1, Number.parseInt(n, 10) || 1);
  }

  /** Kills the process right here (SIGKILL: no cleanup, as a power cut) when the crash test asks for this point. */
  hit(name: (typeof CRASH_POINTS)[number]): void {
    if (this.point !== name) return;
    this.remaining -= 1;
    if (this.remaining === 0) process.kill(process.pid, 'SIGKILL');
  }
}

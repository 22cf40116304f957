/**
 * Failed logins counted per user name, across addresses: an attacker spreading guesses over many
 * addresses still meets this limit (the per-address limit is @fastify/rate-limit's, in server.ts).
 * A success clears the name's count. In memory: one server process sees its own attempts, which is
 * what throttling needs; the audit log keeps the evidence.
 */
export interface ThrottleLimit {
  readonly max: number;
  readonly windowMs: number;
}

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limit: ThrottleLimit) {}

  /** Milliseconds until the name may try again, or 0 when it may now. */
  retryAfterMs(name: string, now: number = Date.now()): number {
    const recent = this.recent(name, now);
    if (recent.length < this.limit.max) return 0;
    return recent[0]! + this.limit.windowMs - now;
  }

  fail(name: string, now: number = Date.now()): void {
    const recent = this.recent(name, now);
    recent.push(now);
    this.failures.set(this.key(name), recent);
    // Bounded: names nobody tried for a window go.
    if (this.failures.size > 10_000) {
      for (const [k, times] of this.failures) if (times.every((t) => t <= now - this.limit.windowMs)) this.failures.delete(k);
    }
  }

  succeed(name: string): void {
    this.failures.delete(this.key(name));
  }

  private key(name: string): string {
    return name.normalize('NFC').toLowerCase();
  }

  private recent(name: string, now: number): number[] {
    return (this.failures.get(this.key(name)) ?? []).filter((t) => t > now - this.limit.windowMs);
  }
}

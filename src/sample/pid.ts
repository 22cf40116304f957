/**
 * Unique personal ID numbers for a sample without remembering the numbers drawn. Digits 1–6 (place
 * code, century/sex digit, year of birth) come from the record; digits 7–12 are the n-th value of a
 * keyed pseudo-random permutation of 000000–999999 for that prefix — a four-round Feistel network on
 * two base-1000 halves, which is a bijection — so they look random, are reproducible from the seed,
 * and never repeat within a sample. Memory is one counter per prefix in use (at most a few tens of
 * thousands), not one entry per record, so a 1,000,000-record sample stays small.
 */
import { mix32 } from './rng.ts';

const HALF = 1000;
const ROUNDS = 4;
export const SERIALS_PER_PREFIX = HALF * HALF;

export class PidAllocator {
  private readonly used = new Map<number, number>();

  constructor(private readonly key: number) {}

  /** prefix: the first six digits. */
  allocate(prefix: string): string {
    const p = Number(prefix);
    const n = this.used.get(p) ?? 0;
    if (n >= SERIALS_PER_PREFIX) {
      throw new RangeError(`sample: all ${SERIALS_PER_PREFIX} numbers with prefix ${prefix} are used; a sample this large cannot keep PIDs unique`);
    }
    this.used.set(p, n + 1);
    return prefix + String(permute(n, mix32(this.key ^ Math.imul(p, 0x9e3779b1)))).padStart(6, '0');
  }
}

/** A keyed bijection of [0, 1,000,000). */
export function permute(n: number, key: number): number {
  let left = Math.floor(n / HALF);
  let right = n % HALF;
  for (let round = 0; round < ROUNDS; round++) {
    const f = mix32(right + Math.imul(key + round, 0x85ebca6b)) % HALF;
    const next = (left + f) % HALF;
    left = right;
    right = next;
  }
  return left * HALF + right;
}

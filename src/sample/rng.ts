/**
 * A small seeded PRNG for synthetic samples: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, as in PractRand) seeded through a cyrb128-style string hash. Only 32-bit integer
 * arithmetic (Math.imul, shifts) and exact divisions by powers of two are used, so a seed gives
 * the same stream on every machine and JavaScript engine — unlike Math.random, or anything
 * built on Math.sin/exp/log, whose last bits are left to the implementation.
 */

export type Seed = string | number;

/** Four 32-bit words from a seed. Numbers are hashed as their decimal text: 7 and "7" are one seed. */
export function seedWords(seed: Seed): [number, number, number, number] {
  const text = typeof seed === 'number' ? String(seed) : seed.normalize('NFC');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A 32-bit avalanche mix (the murmur3 finalizer); used to derive independent streams. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // sfc32's first outputs still show the seed's structure; discard them.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  static from(seed: Seed): Rng {
    const [a, b, c, d] = seedWords(seed);
    return new Rng(a, b, c, d);
  }

  /**
   * An independent stream for (seed words, key, key2): record i of a sample uses stream(words, i),
   * so a record depends on the seed and its index only, not on how many draws earlier records made.
   */
  static stream(words: readonly [number, number, number, number], key: number, key2 = 0): Rng {
    const k = mix32(key ^ mix32(key2 + 0x9e3779b9));
    return new Rng(words[0] ^ k, words[1] ^ mix32(k + 1), words[2] ^ mix32(k + 2), words[3] ^ mix32(k + 3));
  }

  /** The next 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** An integer in [min, max], both inclusive. The bias for ranges far below 2^32 is negligible here. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`Rng.int needs integers min <= max, got ${min} and ${max}`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick needs a non-empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Fisher–Yates, in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

/**
 * A weighted choice prepared once, drawn in constant time with Vose's alias method: one random
 * number picks a column and, from its fractional part, the column's value or its alias.
 * sampleRecords draws a dozen of these per record, from tables of up to a hundred entries.
 * Construction uses only exact float arithmetic, so tables are the same on every machine.
 */
export class WeightedTable<T> {
  readonly values: readonly T[];
  readonly total: number;
  private readonly threshold: Float64Array;
  private readonly alias: Uint32Array;

  constructor(entries: readonly (readonly [T, number])[]) {
    for (const [value, w] of entries) {
      if (!Number.isFinite(w) || w < 0) throw new RangeError(`WeightedTable: weight of ${String(value)} must be a finite number >= 0, got ${w}`);
    }
    const kept = entries.filter(([, w]) => w > 0);
    if (kept.length === 0) throw new RangeError('WeightedTable needs at least one entry with a positive weight');
    const n = kept.length;
    this.values = kept.map(([v]) => v);
    this.total = kept.reduce((sum, [, w]) => sum + w, 0);
    this.threshold = new Float64Array(n);
    this.alias = new Uint32Array(n);
    const scaled = kept.map(([, w]) => (w * n) / this.total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      this.threshold[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l] < 1) small.push(large.pop()!);
    }
    // What remains is 1 up to rounding: always the column's own value.
    for (const i of [...small, ...large]) {
      this.threshold[i] = 1;
      this.alias[i] = i;
    }
  }

  pick(rng: Rng): T {
    const u = rng.next() * this.threshold.length;
    const column = Math.floor(u);
    return this.values[u - column < this.threshold[column]! ? column : this.alias[column]!]!;
  }
}

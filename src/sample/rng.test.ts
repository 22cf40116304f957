import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mix32, Rng, seedWords, WeightedTable } from './rng.ts';

describe('Rng', () => {
  it('produces the pinned stream for a seed (values recorded from this implementation: a change here changes every sample)', () => {
    expect(seedWords('cardline')).toStrictEqual([2288820250, 1248034549, 3475701176, 2997174851]);
    const rng = Rng.from('cardline');
    expect(Array.from({ length: 5 }, () => rng.uint32())).toStrictEqual([1092483501, 1847132894, 4030093385, 1559740965, 2587724663]);
    const stream = Rng.stream(seedWords(42), 7, 1);
    expect(Array.from({ length: 3 }, () => stream.uint32())).toStrictEqual([3933555922, 4158992257, 1886241493]);
  });

  it('treats a number seed as its decimal text and a seed in NFD as its NFC form', () => {
    expect(seedWords(7)).toStrictEqual(seedWords('7'));
    expect(seedWords('Nguyễn'.normalize('NFD'))).toStrictEqual(seedWords('Nguyễn'));
    expect(seedWords('a')).not.toStrictEqual(seedWords('b'));
  });

  it('gives independent streams per key', () => {
    const words = seedWords('x');
    const a = Rng.stream(words, 0).uint32();
    const b = Rng.stream(words, 1).uint32();
    const c = Rng.stream(words, 0, 1).uint32();
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('int stays in [min, max] and reaches both ends', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 20 }), (seed, min, span) => {
        const rng = Rng.from(seed);
        const seen = new Set<number>();
        for (let i = 0; i < 400; i++) {
          const v = rng.int(min, min + span);
          expect(v).toBeGreaterThanOrEqual(min);
          expect(v).toBeLessThanOrEqual(min + span);
          seen.add(v);
        }
        expect(seen.has(min) && seen.has(min + span)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects misuse', () => {
    const rng = Rng.from(1);
    expect(() => rng.int(5, 4)).toThrow(RangeError);
    expect(() => rng.int(0.5, 4)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
    expect(() => new WeightedTable([['a', 0]])).toThrow(RangeError);
    expect(() => new WeightedTable([['a', 1], ['b', -1]])).toThrow(RangeError);
  });

  it('shuffle is a permutation', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer(), { maxLength: 50 }), (seed, items) => {
        const shuffled = Rng.from(seed).shuffle([...items]);
        expect([...shuffled].sort((a, b) => a - b)).toStrictEqual([...items].sort((a, b) => a - b));
      }),
    );
  });

  it('next() is uniform enough and WeightedTable follows its weights', () => {
    const rng = Rng.from('uniform');
    const buckets = new Array<number>(10).fill(0);
    const table = new WeightedTable([['a', 1], ['b', 3], ['c', 0], ['d', 6]] as const);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      buckets[Math.floor(rng.next() * 10)]! += 1;
      counts[table.pick(rng)]! += 1;
    }
    for (const b of buckets) expect(Math.abs(b / n - 0.1)).toBeLessThan(0.006);
    expect(counts.c).toBe(0);
    expect(Math.abs(counts.a! / n - 0.1)).toBeLessThan(0.006);
    expect(Math.abs(counts.b! / n - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(counts.d! / n - 0.6)).toBeLessThan(0.01);
  });

  it('mix32 is a 32-bit unsigned value', () => {
    fc.assert(fc.property(fc.integer(), (x) => {
      const h = mix32(x);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }));
  });
});

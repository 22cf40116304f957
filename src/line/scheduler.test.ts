import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultWip, FeedQueue, underWipLimit } from './scheduler.ts';

describe('FeedQueue', () => {
  it('feeds re-makes first, in rejection order, then records in order', () => {
    const q = new FeedQueue([3, 1, 2, 4]);
    expect(q.take()).toBe(1);
    q.remake(9);
    q.remake(7);
    expect(q.peek(3)).toStrictEqual([9, 7, 2]);
    expect([q.take(), q.take(), q.take(), q.take(), q.take(), q.take()]).toStrictEqual([9, 7, 2, 3, 4, undefined]);
  });

  it('drops cancelled records and drains the rest', () => {
    const q = new FeedQueue([1, 2, 3]);
    q.remake(5);
    q.drop(2);
    q.drop(5);
    expect(q.drain()).toStrictEqual([1, 3]);
    expect(q.size).toBe(0);
  });

  it('gives every record exactly once, whatever the interleaving of re-makes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 50 }), fc.array(fc.boolean(), { maxLength: 100 }), (seqs, plan) => {
        const q = new FeedQueue(seqs);
        const taken: number[] = [];
        let remade = 0;
        for (const remake of plan) {
          const s = q.take();
          if (s === undefined) break;
          taken.push(s);
          if (remake && remade < 20) {
            q.remake(s);
            remade += 1;
          }
        }
        let s: number | undefined;
        while ((s = q.take()) !== undefined) taken.push(s);
        expect(taken.length).toBe(seqs.length + remade);
        expect(new Set(taken)).toStrictEqual(new Set(seqs));
      }),
    );
  });

  it('appends records that arrive later, after the others and behind re-makes', () => {
    const q = new FeedQueue([1, 2]);
    q.append(3);
    expect(q.take()).toBe(1);
    q.remake(1);
    q.append(4);
    expect([q.take(), q.take(), q.take(), q.take(), q.take()]).toStrictEqual([1, 2, 3, 4, undefined]);
    expect(() => q.append(4)).toThrow(/record 4 must come after 4/);
  });

  it('feeds under the WIP limit only: two cards a unit and two more by default, or none at all', () => {
    expect(defaultWip(11)).toBe(24);
    expect(underWipLimit(23, 24)).toBe(true);
    expect(underWipLimit(24, 24)).toBe(false);
    expect(underWipLimit(1e9, Number.POSITIVE_INFINITY)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { permute, PidAllocator, SERIALS_PER_PREFIX } from './pid.ts';

describe('PID serials', () => {
  it('permute is a bijection of 000000–999999 (so a prefix never repeats a serial)', () => {
    for (const key of [0, 0xdeadbeef]) {
      const seen = new Uint8Array(SERIALS_PER_PREFIX);
      let bad = 0;
      for (let n = 0; n < SERIALS_PER_PREFIX; n++) {
        const v = permute(n, key);
        if (!(v >= 0 && v < SERIALS_PER_PREFIX && seen[v] === 0)) bad++;
        seen[v] = 1;
      }
      expect(bad).toBe(0);
    }
  });

  it('allocates 12-digit numbers that keep the prefix, differ across keys and look scattered', () => {
    const a = new PidAllocator(1);
    const first = Array.from({ length: 5 }, () => a.allocate('079219'));
    for (const pid of first) expect(pid).toMatch(/^079219\d{6}$/);
    expect(new Set(first).size).toBe(5);
    expect(new PidAllocator(2).allocate('079219')).not.toBe(first[0]);
    // Consecutive serials are not consecutive numbers.
    expect(Math.abs(Number(first[1]!.slice(6)) - Number(first[0]!.slice(6)))).toBeGreaterThan(1);
  });

  it('refuses a prefix whose serials are used up', () => {
    const a = new PidAllocator(3);
    for (let i = 0; i < SERIALS_PER_PREFIX; i++) a.allocate('001090');
    expect(() => a.allocate('001090')).toThrow(/all 1000000 numbers with prefix 001090 are used/);
    expect(a.allocate('001091')).toMatch(/^001091\d{6}$/);
  });
});

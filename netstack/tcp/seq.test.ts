import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Prng } from '../core/prng.ts';
import { HashKey, hsiphash3, hsiphash4 } from './hash.ts';
import { seqAdd, seqBetween, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from './seq.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('sequence arithmetic', () => {
  it('orders numbers less than 2^31 apart across the wrap', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 0x7fffffff }), (a, n) => {
        const b = seqAdd(a, n);
        expect(seqLt(a, b) && seqLeq(a, b) && seqGt(b, a) && seqGeq(b, a)).toBe(true);
        expect(seqLt(b, a) || seqGt(a, b)).toBe(false);
        expect(seqDiff(b, a)).toBe(n);
        expect(seqBetween(seqAdd(a, n >>> 1), a, b)).toBe(true);
      }),
    );
  });
});

describe('keyed hash', () => {
  it('is a function of key and input, and spreads its output', () => {
    const k1 = HashKey.random(new Prng(1));
    const k2 = HashKey.random(new Prng(2));
    expect(hsiphash3(k1, 1, 2, 3)).toBe(hsiphash3(k1, 1, 2, 3));
    expect(hsiphash3(k1, 1, 2, 3)).not.toBe(hsiphash3(k2, 1, 2, 3));
    expect(hsiphash3(k1, 1, 2, 3)).not.toBe(hsiphash3(k1, 1, 2, 4));
    expect(hsiphash4(k1, 1, 2, 3, 0)).not.toBe(hsiphash3(k1, 1, 2, 3));
    // Flipping one input bit flips about half the output bits.
    let flips = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const a = hsiphash3(k1, i, 7, 9);
      const b = hsiphash3(k1, i ^ (1 << (i % 32)), 7, 9);
      let x = (a ^ b) >>> 0;
      while (x) {
        flips += x & 1;
        x >>>= 1;
      }
    }
    expect(flips / n).toBeGreaterThan(14);
    expect(flips / n).toBeLessThan(18);
  });
});

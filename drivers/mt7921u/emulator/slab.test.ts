import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chipAlloc, chipCopy } from './slab.ts';

describe('chip packet memory', () => {
  it('every packet is fresh zeros and its own memory, across slab boundaries and for large packets', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 200 }), (sizes) => {
        const pkts = sizes.map((n, i) => {
          const p = chipAlloc(n);
          expect(p.length).toBe(n);
          expect(p.every((b) => b === 0)).toBe(true);
          p.fill((i % 255) + 1);
          return p;
        });
        // Writing each packet left every other one as it was.
        for (const [i, p] of pkts.entries()) expect(p.every((b) => b === (i % 255) + 1)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('a copy has the same bytes in other memory', () => {
    const src = Uint8Array.from([1, 2, 3, 4, 5]);
    const c = chipCopy(src);
    expect(c).toEqual(src);
    src[0] = 9;
    expect(c[0]).toBe(1);
  });
});

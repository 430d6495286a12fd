import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, fcsValid, writeFcs } from './fcs.ts';

describe('FCS', () => {
  it('is the IEEE CRC-32 (check value of "123456789")', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('writeFcs produces a frame that fcsValid accepts, and any flipped bit is caught', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (body, flip) => {
        const f = new Uint8Array(body.length + 4);
        f.set(body);
        writeFcs(f, 0, f.length);
        expect(fcsValid(f)).toBe(true);
        const bit = flip % (f.length * 8);
        f[bit >> 3] ^= 1 << (bit & 7);
        expect(fcsValid(f)).toBe(false);
      }),
    );
  });

  it('rejects a buffer too short to hold an FCS', () => {
    expect(fcsValid(Uint8Array.of(1, 2, 3))).toBe(false);
  });
});

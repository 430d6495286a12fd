import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, copyBytes, copyOf, readU16, readU32, writeU16, writeU32 } from './bytes.ts';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('byte helpers', () => {
  it('copyBytes copies exactly n bytes, short (DataView words) or long (native)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 700 }), fc.nat(40), fc.nat(40), (data, so, doff) => {
        const src = Buffer.alloc(so + data.length);
        src.set(data, so);
        const dst = Buffer.alloc(doff + data.length + 8, 0xee);
        copyBytes(src, dv(src), so, dst, dv(dst), doff, data.length);
        expect(dst.subarray(doff, doff + data.length)).toEqual(Buffer.from(data));
        expect(dst.subarray(0, doff).every((x) => x === 0xee)).toBe(true);
        expect(dst.subarray(doff + data.length).every((x) => x === 0xee)).toBe(true);
      }),
    );
  });

  it('reads and writes big-endian numbers; copyOf is a private plain copy', () => {
    const b = Buffer.alloc(8);
    writeU32(b, 0, 0xdeadbeef);
    writeU16(b, 4, 0xcafe);
    expect(readU32(b, 0)).toBe(0xdeadbeef);
    expect(readU16(b, 4)).toBe(0xcafe);
    const c = copyOf(b, 0, 4);
    b[0] = 0;
    expect([...c]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect(Buffer.isBuffer(c)).toBe(false);
  });

  it('concatBytes puts the parts one after another in a new array', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 }), (parts) => {
        const c = concatBytes(parts);
        expect(Buffer.from(c)).toEqual(Buffer.concat(parts));
        if (parts.length > 0) expect(c).not.toBe(parts[0]);
      }),
    );
  });
});

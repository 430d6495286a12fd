import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkBuff } from './skb.ts';
import { csumFold, csumPartial, csumPartialDv, csumVerify, inetChecksum } from './checksum.ts';
import { Prng } from './prng.ts';

describe('SkBuff', () => {
  it('push/pull/put/trim move offsets without copying', () => {
    const skb = SkBuff.alloc(100, 32);
    expect(skb.len).toBe(0);
    const p = skb.put(10);
    skb.buf.fill(7, p, p + 10);
    const h = skb.push(4);
    expect(h).toBe(28);
    expect(skb.len).toBe(14);
    skb.pull(4);
    expect(skb.bytes()).toEqual(Buffer.alloc(10, 7));
    skb.trim(3);
    expect(skb.len).toBe(3);
    expect(() => skb.pull(4)).toThrow();
    expect(() => skb.push(1000)).toThrow();
  });

  it('runs the destructor exactly once', () => {
    let n = 0;
    const skb = SkBuff.fromBytes(new Uint8Array([1, 2, 3]));
    skb.destructor = () => n++;
    skb.free();
    skb.drop();
    expect(n).toBe(1);
  });

  it('ensureRoom keeps header offsets pointing at the same bytes', () => {
    const skb = SkBuff.fromBytes(new Uint8Array([9, 8, 7, 6]), 2);
    skb.resetNetworkHeader();
    skb.ensureRoom(64, 16);
    expect(skb.headroom).toBeGreaterThanOrEqual(64);
    expect(skb.buf[skb.networkHeader]).toBe(9);
  });
});

describe('Internet checksum', () => {
  it('matches the RFC 1071 example', () => {
    const b = new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(inetChecksum(b, 0, b.length)).toBe(~0xddf2 & 0xffff);
  });

  it('verifies after insertion, for odd and even lengths', () => {
    const rng = new Prng(42);
    for (let len = 2; len < 80; len++) {
      const b = rng.bytes(len + 2);
      b[0] = 0;
      b[1] = 0;
      const c = inetChecksum(b, 0, b.length);
      b[0] = c >> 8;
      b[1] = c & 0xff;
      expect(csumVerify(b, 0, b.length)).toBe(true);
    }
  });
});

describe('Prng', () => {
  it('is reproducible by seed and forks independently', () => {
    expect(new Prng(7).bytes(16)).toEqual(new Prng(7).bytes(16));
    expect(new Prng(7).bytes(16)).not.toEqual(new Prng(8).bytes(16));
    expect(new Prng(7).fork('loss').nextU32()).not.toBe(new Prng(7).fork('delay').nextU32());
  });
});

describe('SkBuff.dv', () => {
  it('follows skb.buf, even to another buffer carved from the same pooled slab', () => {
    const a = Buffer.allocUnsafe(64).fill(1);
    const b = Buffer.allocUnsafe(64).fill(2);
    const skb = SkBuff.wrap(a);
    expect(skb.dv.getUint8(0)).toBe(1);
    skb.buf = b;
    expect(skb.dv.getUint8(0)).toBe(2);
    expect(skb.dv.byteLength).toBe(64);
  });
});

describe('csumPartialDv', () => {
  it('folds to the same checksum as csumPartial for every offset and length', () => {
    const rng = new Prng(7);
    const b = Buffer.from(rng.bytes(3000));
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    for (let off = 0; off < 9; off++) {
      for (const len of [0, 1, 2, 3, 4, 5, 15, 16, 17, 20, 64, 72, 1480, 2990]) {
        expect(csumFold(csumPartialDv(dv, off, len, 17))).toBe(csumFold(csumPartial(b, off, len, 17)));
      }
    }
  });
});

describe('SkBuff: non-linear packets (frag list)', () => {
  /** A head with `head` bytes and fragments of the given sizes; byte i of the packet is i & 0xff. */
  function chain(head: number, frags: number[]): { skb: SkBuff; freed: number[] } {
    const freed: number[] = [];
    let v = 0;
    const mk = (n: number, id: number) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = v++ & 0xff;
      const s = SkBuff.fromBytes(b, 16, 4);
      s.destructor = () => freed.push(id);
      return s;
    };
    const skb = mk(head, 0);
    for (let i = 0; i < frags.length; i++) skb.appendFrag(mk(frags[i]!, i + 1));
    return { skb, freed };
  }
  const expectBytes = (skb: SkBuff, from: number) => {
    const b = skb.copyBytes();
    expect(b.length).toBe(skb.len);
    for (let i = 0; i < b.length; i++) if (b[i] !== ((from + i) & 0xff)) throw new Error(`byte ${i}: ${b[i]}`);
  };

  it('len counts the fragments; copyBytes and copyBits gather them in order', () => {
    const { skb } = chain(10, [5, 7]);
    expect(skb.len).toBe(22);
    expect(skb.headLen).toBe(10);
    expect(skb.dataLen).toBe(12);
    expect(skb.nonlinear).toBe(true);
    expectBytes(skb, 0);
    const dst = new Uint8Array(6);
    skb.copyBits(8, dst, 0, 6);
    expect([...dst]).toEqual([8, 9, 10, 11, 12, 13]);
  });

  it('advance() reaches into the fragments and frees the ones it empties', () => {
    const { skb, freed } = chain(10, [5, 7]);
    skb.advance(12);
    expect(skb.len).toBe(10);
    expect(freed).toEqual([]);
    expectBytes(skb, 12);
    skb.advance(4);
    expect(freed).toEqual([1]);
    expectBytes(skb, 16);
    skb.advance(6);
    expect(skb.len).toBe(0);
    expect(() => skb.advance(1)).toThrow();
  });

  it('trim() cuts inside a fragment and frees the ones past the cut', () => {
    const { skb, freed } = chain(10, [5, 7, 3]);
    skb.trim(13);
    expect(skb.len).toBe(13);
    expect(freed).toEqual([2, 3]);
    expectBytes(skb, 0);
    skb.trim(4);
    expect(skb.len).toBe(4);
    expect(skb.nonlinear).toBe(false);
    expect(freed).toEqual([2, 3, 1]);
  });

  it('free() ends the head and every fragment exactly once', () => {
    const { skb, freed } = chain(4, [4, 4]);
    skb.free();
    skb.drop();
    expect(freed.sort()).toEqual([0, 1, 2]);
  });

  it('linearize(), copy() and clone() give the same bytes in one buffer', () => {
    const a = chain(6, [9, 2]).skb;
    const c = a.copy();
    const k = a.clone();
    expect(c.nonlinear || k.nonlinear).toBe(false);
    expectBytes(c, 0);
    expectBytes(k, 0);
    a.linearize();
    expect(a.nonlinear).toBe(false);
    expectBytes(a, 0);
    expect(a.bytes().length).toBe(17);
  });

  it('random advance/trim sequences keep exactly the expected bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 5 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(30)), { maxLength: 6 }),
        (head, frags, ops) => {
          const { skb } = chain(head, frags);
          let start = 0;
          let len = skb.len;
          for (const [isTrim, n] of ops) {
            if (isTrim) {
              skb.trim(n);
              len = Math.min(len, n);
            } else {
              const k = Math.min(n, len);
              skb.advance(k);
              start += k;
              len -= k;
            }
            expect(skb.len).toBe(len);
            expectBytes(skb, start);
          }
        },
      ),
    );
  });
});

describe('csumPartial (32-bit word path)', () => {
  /** The definition: big-endian 16-bit words from `off`, a last odd byte as the high byte. */
  function reference(b: Uint8Array, off: number, len: number, initial: number): number {
    let s = initial;
    for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
    return s;
  }

  it('folds to the definition for every alignment, offset, length and initial value', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat(7),
        fc.nat(),
        fc.nat(),
        fc.nat(0xffffff),
        (bytes, shift, a, b, initial) => {
          // A view that starts at any byte of its ArrayBuffer, as subarrays of pooled slabs do.
          const backing = new Uint8Array(bytes.length + 8);
          backing.set(bytes, shift);
          const view = backing.subarray(shift, shift + bytes.length);
          const off = bytes.length === 0 ? 0 : a % bytes.length;
          const len = bytes.length === 0 ? 0 : b % (bytes.length - off + 1);
          const got = csumPartial(view, off, len, initial);
          const want = reference(view, off, len, initial);
          expect(csumFold(got)).toBe(csumFold(want));
          expect(got === 0).toBe(want === 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('all ones and all zeros keep the one’s-complement distinction (0xffff vs 0)', () => {
    for (const len of [64, 68, 1448, 1500]) {
      for (const shift of [0, 1, 2, 3]) {
        const b = new Uint8Array(len + 4).subarray(shift, shift + len);
        expect(csumFold(csumPartial(b, 0, len))).toBe(0);
        b.fill(0xff);
        expect(csumFold(csumPartial(b, 0, len))).toBe(0xffff);
      }
    }
  });
});

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

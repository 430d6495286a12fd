import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  csumFinish,
  csumFold,
  csumPartial,
  csumPartialDv,
  csumReplace16,
  csumReplace32,
  csumVerify,
  inetChecksum,
} from './checksum.ts';

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('Internet checksum', () => {
  it("gives RFC 1071's example sum (section 3: 00 01 f2 03 f4 f5 f6 f7 → ddf2)", () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(csumFold(csumPartial(b, 0, b.length))).toBe(0xddf2);
    expect(inetChecksum(b, 0, b.length)).toBe(~0xddf2 & 0xffff);
  });

  it('verifies a message that carries its own checksum, and the DataView sum folds to the same value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 300 }), fc.nat(), (b, k) => {
        const off = k % (b.length - 1);
        const len = b.length - off;
        expect(csumFold(csumPartialDv(dv(b), off, len))).toBe(csumFold(csumPartial(b, off, len)));
        // Put the checksum in the first word of the message; the whole then sums to 0xffff.
        b[off] = 0;
        b[off + 1] = 0;
        const c = inetChecksum(b, off, len);
        b[off] = c >> 8;
        b[off + 1] = c & 0xff;
        expect(csumVerify(b, off, len)).toBe(true);
      }),
    );
  });

  it('updates a checksum for a changed 16- or 32-bit field as a full recomputation would (RFC 1624)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 64 }), fc.integer({ min: 0, max: 0xffffffff }), (b, v) => {
        const sum = (x: Uint8Array) => csumFinish(csumPartial(x, 0, x.length));
        const check = sum(b);
        const w = Buffer.from(b);
        const old16 = w.readUInt16BE(2);
        w.writeUInt16BE(v & 0xffff, 2);
        expect(verifies(withCheck(w, csumReplace16(check, old16, v & 0xffff)))).toBe(true);
        const x = Buffer.from(b);
        const old32 = x.readUInt32BE(4);
        x.writeUInt32BE(v, 4);
        expect(verifies(withCheck(x, csumReplace32(check, old32, v)))).toBe(true);
      }),
    );
  });
});

const verifies = (m: Uint8Array) => csumVerify(m, 0, m.length);

/** The message followed by a checksum word (even length, so the word lands on a word boundary). */
function withCheck(msg: Uint8Array, check: number): Uint8Array {
  const out = new Uint8Array(msg.length + (msg.length & 1) + 2);
  out.set(msg);
  out[out.length - 2] = check >> 8;
  out[out.length - 1] = check & 0xff;
  return out;
}

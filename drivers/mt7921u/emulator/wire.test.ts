import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { legacyCommand, u32, uniCommand, usbFrame } from './test-host.ts';
import { buildUniResult, parseMcuCommand, parseUsbFrame, rxTailPadding, usbFramedLength } from './wire.ts';

describe('USB framing (FACTS.md §5.1)', () => {
  it('accepts header + body + pad + 4-byte tail and returns the body length', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 72, 4096]) {
      const f = usbFrame(new Uint8Array(n));
      expect(f.length).toBe(usbFramedLength(n));
      expect(parseUsbFrame(f)).toBe(n);
    }
  });

  it('refuses a missing tail, extra bytes, a non-zero packet type and a short buffer', () => {
    const f = usbFrame(new Uint8Array(10));
    expect(parseUsbFrame(f.subarray(0, f.length - 4))).toBe('usb-length');
    expect(parseUsbFrame(new Uint8Array([...f, 0, 0, 0, 0]))).toBe('usb-length');
    const t = f.slice();
    t[2] = 1;
    expect(parseUsbFrame(t)).toBe('usb-pkt-type');
    expect(parseUsbFrame(new Uint8Array(3))).toBe('usb-short');
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const r = parseUsbFrame(b);
        expect(typeof r === 'string' || (r >= 0 && r <= 0xffff)).toBe(true);
      }),
    );
  });
});

describe('MCU command descriptors (FACTS.md §5.2, §5.3)', () => {
  const body = (framed: Uint8Array) => framed.subarray(4, 4 + (parseUsbFrame(framed) as number));

  it('parses a legacy base command', () => {
    const c = parseMcuCommand(body(legacyCommand({ cid: 0x10, seq: 1, payload: u32(1) })));
    expect(c).toMatchObject({ uni: false, cid: 0x10, extCid: 0, setQuery: 3, seq: 1 });
    expect(typeof c !== 'string' && [...c.payload]).toEqual([1, 0, 0, 0]);
  });

  it('parses EXT and CE commands', () => {
    expect(parseMcuCommand(body(legacyCommand({ cid: 0, ext: 0x21, seq: 5, payload: u32(0x100) })))).toMatchObject({
      uni: false,
      cid: 0xed,
      extCid: 0x21,
      setQuery: 1,
      seq: 5,
    });
    expect(parseMcuCommand(body(legacyCommand({ cid: 0xc0, ce: true, setQuery: 0, seq: 7 })))).toMatchObject({
      cid: 0xc0,
      setQuery: 0,
    });
  });

  it('parses a UNI command by its option byte', () => {
    const c = parseMcuCommand(body(uniCommand(0x0203, 9, u32(1, 2))));
    expect(c).toMatchObject({ uni: true, cid: 0x0203, seq: 9, option: 7, setQuery: 1 });
    expect(typeof c !== 'string' && c.payload.length).toBe(8);
  });

  it('refuses each wrong field with its own reason', () => {
    const good = body(legacyCommand({ cid: 0x10, seq: 1, payload: u32(1) }));
    const bad = (off: number, v: number) => {
      const b = good.slice();
      b[off] = v;
      return parseMcuCommand(b);
    };
    expect(bad(0, 0x43)).toBe('txd-tx-bytes');
    expect(bad(2, 0x80)).toBe('txd-pkt-fmt');
    expect(bad(3, 0x43)).toBe('txd-q-idx');
    expect(bad(6, 0x02)).toBe('txd-hdr-format');
    expect(bad(32, 0x25)).toBe('txd-len');
    expect(bad(37, 0xa1)).toBe('txd-pkt-type');
    expect(bad(35, 0x00)).toBe('txd-pq-id');
    expect(bad(42, 2)).toBe('txd-s2d');
    expect(parseMcuCommand(good.subarray(0, 40))).toBe('txd-short');
  });

  it('never throws on random or truncated input', () => {
    const valid = body(uniCommand(1, 1, new Uint8Array(16)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(100), (b, cut) => {
        parseMcuCommand(b);
        parseMcuCommand(valid.subarray(0, cut));
      }),
    );
  });
});

describe('events', () => {
  it('a UNI result is 44 bytes, DW0 0x3800002c, eid 1, option 2, {cid, status} (FACTS.md §5.6)', () => {
    const p = buildUniResult(0x03, 4, 0);
    expect(p.length).toBe(44);
    expect(new DataView(p.buffer).getUint32(0, true)).toBe(0x3800002c);
    expect([p[28], p[29], p[30], p[36]]).toEqual([0x01, 4, 0x02, 0x03]);
    expect(new DataView(p.buffer).getUint32(40, true)).toBe(0);
  });

  it('IN packets carry 4 to 7 padding bytes after their length', () => {
    for (let n = 36; n < 44; n++) {
      const pad = rxTailPadding(n);
      expect(pad).toBeGreaterThanOrEqual(4);
      expect(pad).toBeLessThanOrEqual(7);
      expect((n + pad) % 4).toBe(0);
    }
  });
});

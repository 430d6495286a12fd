import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TCP_ACK,
  TCP_HLEN,
  TCP_SYN,
  TcpHeader,
  type TcpOption,
  TcpOptionsOut,
  TcpParseStatus,
  decodeTcpOptions,
  encodeTcpOptions,
  encodeTcpSegment,
  parseTcpHeader,
  tcpChecksum,
  tcpChecksumOk,
  tcpOptionsSize,
  writeTcpOptions,
} from './wire.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  u16.map<TcpOption>((value) => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 255 }).map<TcpOption>((value) => ({ kind: 'wscale', value })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.array(fc.tuple(u32, u32), { minLength: 1, maxLength: 4 }).map<TcpOption>((blocks) => ({ kind: 'sack', blocks })),
  fc.tuple(u32, u32).map<TcpOption>(([val, ecr]) => ({ kind: 'ts', val, ecr })),
  fc
    .tuple(
      fc.integer({ min: 9, max: 253 }).filter((k) => k !== 8),
      fc.uint8Array({ maxLength: 6 }),
    )
    .map<TcpOption>(([type, data]) => ({ kind: 'unknown', type, data })),
);

/** Option lists that fit in 40 bytes. */
const optionsArb = fc.array(optionArb, { maxLength: 8 }).filter((l) => encodeTcpOptions(l).length <= 40);

describe('TCP header codec', () => {
  it('parses the fixed header fields', () => {
    const seg = encodeTcpSegment({
      sport: 1234,
      dport: 80,
      seq: 0xdeadbeef,
      ack: 0x01020304,
      flags: TCP_SYN | TCP_ACK,
      window: 65535,
      urgPtr: 7,
      payload: Buffer.from('hello'),
    });
    const h = new TcpHeader();
    expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.OK);
    expect(h).toMatchObject({ sport: 1234, dport: 80, seq: 0xdeadbeef, ack: 0x01020304, hlen: 20, window: 65535 });
    expect(h.flags).toBe(TCP_SYN | TCP_ACK);
    expect(h.urgPtr).toBe(7);
  });

  it('reads MSS, window scale, SACK-permitted, timestamps and SACK blocks', () => {
    const opts: TcpOption[] = [
      { kind: 'mss', value: 1460 },
      { kind: 'sackOK' },
      { kind: 'ts', val: 100, ecr: 200 },
      { kind: 'nop' },
      { kind: 'wscale', value: 7 },
    ];
    const seg = encodeTcpSegment({ sport: 1, dport: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 1, options: opts });
    const h = new TcpHeader();
    expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.OK);
    expect([h.mss, h.wscale, h.sackOk, h.tsPresent, h.tsVal, h.tsEcr]).toEqual([1460, 7, true, true, 100, 200]);
    const sack = encodeTcpSegment({
      sport: 1,
      dport: 2,
      seq: 0,
      ack: 0,
      flags: TCP_ACK,
      window: 1,
      options: [
        { kind: 'nop' },
        { kind: 'nop' },
        {
          kind: 'sack',
          blocks: [
            [10, 20],
            [30, 40],
          ],
        },
      ],
    });
    expect(parseTcpHeader(sack, 0, sack.length, h)).toBe(TcpParseStatus.OK);
    expect(h.sackCount).toBe(2);
    expect(Array.from(h.sack.subarray(0, 4))).toEqual([10, 20, 30, 40]);
  });

  it('skips unknown options by their length and stops at EOL', () => {
    const opts: TcpOption[] = [
      { kind: 'unknown', type: 99, data: Uint8Array.of(1, 2, 3) },
      { kind: 'mss', value: 536 },
    ];
    const seg = encodeTcpSegment({ sport: 1, dport: 2, seq: 0, ack: 0, flags: TCP_SYN, window: 1, options: opts });
    const h = new TcpHeader();
    expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.OK);
    expect(h.unknownOptions).toBe(1);
    expect(h.mss).toBe(536);
    const eol = encodeTcpSegment({
      sport: 1,
      dport: 2,
      seq: 0,
      ack: 0,
      flags: TCP_SYN,
      window: 1,
      options: [{ kind: 'eol' }, { kind: 'mss', value: 536 }],
    });
    expect(parseTcpHeader(eol, 0, eol.length, h)).toBe(TcpParseStatus.OK);
    expect(h.mss).toBe(0);
  });

  it('rejects malformed options', () => {
    const h = new TcpHeader();
    const bad = (optBytes: number[]) => {
      const seg = encodeTcpSegment({ sport: 1, dport: 2, seq: 0, ack: 0, flags: TCP_ACK, window: 1 });
      const padded = [...optBytes];
      while (padded.length % 4) padded.push(0);
      const out = Buffer.concat([seg, Buffer.from(padded)]);
      out[12] = ((TCP_HLEN + padded.length) / 4) << 4;
      return parseTcpHeader(out, 0, out.length, h);
    };
    expect(bad([2, 4, 5, 180])).toBe(TcpParseStatus.OK);
    expect(bad([2, 0])).toBe(TcpParseStatus.BAD_OPTION); // length below 2
    expect(bad([2, 3, 1])).toBe(TcpParseStatus.BAD_OPTION); // MSS of the wrong length
    expect(bad([8, 10, 0, 0])).toBe(TcpParseStatus.BAD_OPTION); // runs past the header
    expect(bad([5, 9, 0, 0, 0, 0, 0, 0, 0])).toBe(TcpParseStatus.BAD_OPTION); // SACK not 2+8n
    expect(bad([1, 1, 1, 99])).toBe(TcpParseStatus.BAD_OPTION); // length byte missing
  });

  it('rejects short segments and bad data offsets', () => {
    const h = new TcpHeader();
    const seg = encodeTcpSegment({ sport: 1, dport: 2, seq: 0, ack: 0, flags: 0, window: 0 });
    expect(parseTcpHeader(seg, 0, 19, h)).toBe(TcpParseStatus.SHORT);
    seg[12] = 4 << 4;
    expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.BAD_DOFF);
    seg[12] = 6 << 4;
    expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.BAD_DOFF);
  });

  it('never throws on random or truncated bytes', () => {
    const h = new TcpHeader();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(80), (bytes, cut) => {
        const b = Buffer.from(bytes);
        const len = Math.min(cut, b.length);
        const st = parseTcpHeader(b, 0, len, h);
        expect(Object.values(TcpParseStatus)).toContain(st);
        decodeTcpOptions(b, 0, len);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips option lists (encode → decode)', () => {
    fc.assert(
      fc.property(optionsArb, (opts) => {
        const enc = encodeTcpOptions(opts);
        const dec = decodeTcpOptions(enc);
        expect(dec).not.toBeNull();
        const norm = (l: TcpOption[]) => l.map((o) => (o.kind === 'unknown' ? { ...o, data: Array.from(o.data) } : o));
        expect(norm(dec!)).toEqual(norm(opts));
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips whole segments (encode → parse)', () => {
    fc.assert(
      fc.property(
        u16,
        u16,
        u32,
        u32,
        fc.integer({ min: 0, max: 255 }),
        u16,
        optionsArb,
        fc.uint8Array({ maxLength: 64 }),
        (sport, dport, seq, ack, flags, window, opts, payload) => {
          const seg = encodeTcpSegment({ sport, dport, seq, ack, flags, window, options: opts, payload });
          const h = new TcpHeader();
          expect(parseTcpHeader(seg, 0, seg.length, h)).toBe(TcpParseStatus.OK);
          expect([h.sport, h.dport, h.seq, h.ack, h.flags, h.window]).toEqual([sport, dport, seq, ack, flags, window]);
          expect(seg.length - h.hlen).toBe(payload.length);
          const last = <K extends TcpOption['kind']>(k: K) => opts.filter((o) => o.kind === k).at(-1);
          const mss = last('mss') as { value: number } | undefined;
          expect(h.mss).toBe(mss?.value ?? 0);
          const ts = last('ts') as { val: number; ecr: number } | undefined;
          expect(h.tsPresent).toBe(ts !== undefined);
          if (ts) expect([h.tsVal, h.tsEcr]).toEqual([ts.val, ts.ecr]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('writes the option layouts it sizes, and they parse back', () => {
    fc.assert(
      fc.property(
        fc.record({
          mss: u16,
          wscale: fc.integer({ min: -1, max: 14 }),
          sackOk: fc.boolean(),
          ts: fc.boolean(),
          tsVal: u32,
          tsEcr: u32,
          blocks: fc.array(fc.tuple(u32, u32), { maxLength: 4 }),
        }),
        (r) => {
          const o = new TcpOptionsOut();
          o.mss = r.mss;
          o.wscale = r.wscale;
          o.sackOk = r.sackOk;
          o.ts = r.ts;
          o.tsVal = r.tsVal;
          o.tsEcr = r.tsEcr;
          o.sackCount = r.blocks.length;
          r.blocks.forEach(([a, b], i) => {
            o.sack[2 * i] = a;
            o.sack[2 * i + 1] = b;
          });
          const size = tcpOptionsSize(o);
          expect(size % 4).toBe(0);
          expect(size).toBeLessThanOrEqual(40);
          const buf = Buffer.alloc(20 + size);
          expect(writeTcpOptions(buf, 20, o)).toBe(size);
          buf[12] = ((20 + size) / 4) << 4;
          const h = new TcpHeader();
          expect(parseTcpHeader(buf, 0, buf.length, h)).toBe(TcpParseStatus.OK);
          expect(h.mss).toBe(r.mss);
          expect(h.wscale).toBe(r.wscale);
          expect(h.sackOk).toBe(r.sackOk);
          expect(h.tsPresent).toBe(r.ts);
          if (r.ts) expect([h.tsVal, h.tsEcr]).toEqual([r.tsVal, r.tsEcr]);
          for (let i = 0; i < h.sackCount; i++) {
            expect([h.sack[2 * i], h.sack[2 * i + 1]]).toEqual(r.blocks[i]);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('computes and verifies the checksum over the pseudo-header', () => {
    fc.assert(
      fc.property(u32, u32, fc.uint8Array({ minLength: 20, maxLength: 90 }), (src, dst, bytes) => {
        const b = Buffer.from(bytes);
        b[16] = 0;
        b[17] = 0;
        const c = tcpChecksum(b, 0, b.length, src, dst);
        b[16] = c >> 8;
        b[17] = c & 0xff;
        expect(tcpChecksumOk(b, 0, b.length, src, dst)).toBe(true);
        b[b.length - 1]! ^= 0x10;
        expect(tcpChecksumOk(b, 0, b.length, src, dst)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

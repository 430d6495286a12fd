import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../../test/support/shared.ts';
import { haveTshark, tshark } from '../../test/support/tshark.ts';
import { type CaptureRecord, openCapture, PcapFormatError, readCapture } from './reader.ts';

// ---- a tiny test-local writer (the project's pcapng writer lives elsewhere) ----

function u16(v: number, le: boolean): number[] {
  return le ? [v & 0xff, (v >> 8) & 0xff] : [(v >> 8) & 0xff, v & 0xff];
}
function u32(v: number, le: boolean): number[] {
  const b = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return le ? b.reverse() : b;
}
function pad4(b: number[]): number[] {
  while (b.length % 4) b.push(0);
  return b;
}

interface Rec {
  sec: number;
  frac: number;
  data: number[];
  orig?: number;
}

function pcapFile(le: boolean, nano: boolean, linkType: number, recs: Rec[], snap = 65535): Uint8Array {
  const out = [...u32(nano ? 0xa1b23c4d : 0xa1b2c3d4, le), ...u16(2, le), ...u16(4, le)];
  out.push(...u32(0, le), ...u32(0, le), ...u32(snap, le), ...u32(linkType, le));
  for (const r of recs) {
    out.push(...u32(r.sec, le), ...u32(r.frac, le), ...u32(r.data.length, le), ...u32(r.orig ?? r.data.length, le));
    out.push(...r.data);
  }
  return Uint8Array.from(out);
}

function block(type: number, body: number[], le: boolean): number[] {
  const b = pad4([...body]);
  const total = b.length + 12;
  return [...u32(type, le), ...u32(total, le), ...b, ...u32(total, le)];
}
function option(code: number, value: number[], le: boolean): number[] {
  return pad4([...u16(code, le), ...u16(value.length, le), ...value]);
}
function shb(le: boolean): number[] {
  return block(0x0a0d0d0a, [...u32(0x1a2b3c4d, le), ...u16(1, le), ...u16(0, le), ...Array(8).fill(0xff)], le);
}
function idb(le: boolean, linkType: number, opts: number[] = [], snap = 0): number[] {
  const body = [...u16(linkType, le), 0, 0, ...u32(snap, le), ...opts];
  if (opts.length) body.push(...u32(0, le)); // opt_endofopt
  return block(1, body, le);
}
function epb(le: boolean, ifId: number, ts: bigint, data: number[], orig = data.length): number[] {
  const body = [...u32(ifId, le), ...u32(Number(ts >> 32n), le), ...u32(Number(ts & 0xffffffffn), le)];
  body.push(...u32(data.length, le), ...u32(orig, le), ...pad4([...data]));
  return block(6, body, le);
}
function spb(le: boolean, data: number[], orig = data.length): number[] {
  return block(3, [...u32(orig, le), ...pad4([...data])], le);
}

function all(bytes: Uint8Array): CaptureRecord[] {
  return [...openCapture(bytes)];
}

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${nano ? 'ns' : 'µs'} files`, () => {
        const file = pcapFile(le, nano, 105, [
          { sec: 1148425950, frac: nano ? 635085123 : 635085, data: [1, 2, 3] },
          { sec: 1148425951, frac: 7, data: [9, 8, 7, 6, 5], orig: 1500 },
        ]);
        const r = openCapture(file);
        expect(r.format).toBe('pcap');
        expect(r.interfaces[0].linkType).toBe(105);
        const recs = [...r];
        expect(recs).toHaveLength(2);
        expect(recs[0].linkType).toBe(105);
        expect(Array.from(recs[0].data)).toEqual([1, 2, 3]);
        expect(recs[0].timestamp).toBe(1148425950_000_000_000n + (nano ? 635085123n : 635085000n));
        expect(recs[1].timestamp).toBe(1148425951_000_000_000n + (nano ? 7n : 7000n));
        expect(recs[1].originalLength).toBe(1500);
        expect(recs[1].data.length).toBe(5);
      });
    }
  }

  it('takes the link type from the low 16 bits and the FCS length from the upper bits', () => {
    const file = pcapFile(true, false, 0x30000069, []);
    expect(openCapture(file).interfaces[0].linkType).toBe(105);
    expect(openCapture(file).interfaces[0].fcsLength).toBeUndefined();
    const withFcs = pcapFile(true, false, 0x2400007f, []);
    expect(openCapture(withFcs).interfaces[0]).toMatchObject({ linkType: 127, fcsLength: 4 });
  });

  it('returns views of the input, not copies', () => {
    const file = pcapFile(true, false, 1, [{ sec: 0, frac: 0, data: [1, 2, 3, 4] }]);
    const [rec] = all(file);
    expect(rec.data.buffer).toBe(file.buffer);
  });

  it('reports a truncated record after yielding the complete ones', () => {
    const file = pcapFile(true, false, 1, [
      { sec: 0, frac: 0, data: [1, 2, 3, 4] },
      { sec: 0, frac: 0, data: [5, 6, 7, 8] },
    ]);
    const { records, error } = readCapture(file.subarray(0, file.length - 2));
    expect(records).toHaveLength(1);
    expect(error).toBeInstanceOf(PcapFormatError);
    expect(error?.what).toMatch(/truncated record/);
    expect(error?.offset).toBe(24 + 16 + 4);
  });

  it('rejects bad headers with what and where', () => {
    expect(() => openCapture(Uint8Array.from([1, 2, 3, 4, 5]))).toThrow(/not a pcap or pcapng file/);
    expect(() => openCapture(pcapFile(true, false, 1, []).subarray(0, 20))).toThrow(/needs 24 bytes/);
    const badVersion = pcapFile(true, false, 1, []);
    badVersion[4] = 3;
    expect(() => openCapture(badVersion)).toThrow(PcapFormatError);
    const huge = pcapFile(true, false, 1, [{ sec: 0, frac: 0, data: [1] }]);
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const { error } = readCapture(huge);
    expect(error?.what).toMatch(/exceeds the snap length/);
    expect(error?.offset).toBe(32);
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`reads ${le ? 'little' : 'big'}-endian sections with several interfaces, EPB, SPB and unknown blocks`, () => {
      const name = Array.from(Buffer.from('wlan0mon'));
      const bytes = Uint8Array.from([
        ...shb(le),
        ...idb(le, 127, [...option(2, name, le), ...option(9, [9], le), ...option(13, [4], le)]),
        ...idb(le, 1, [...option(9, [0x80 | 10], le), ...option(14, [...u32(0, le), ...u32(0, le)], le)]),
        ...block(4, [0, 0, 0, 0], le), // name resolution block: skipped
        ...block(0x40000bad, [1, 2, 3, 4, 5], le), // custom block: skipped
        ...epb(le, 0, 1762353246575064000n, [0xaa, 0xbb, 0xcc]),
        ...epb(le, 1, 3n << 10n, [1, 2, 3, 4, 5, 6, 7], 60),
        ...block(5, [...u32(1, le), 0, 0, 0, 0, 0, 0, 0, 0], le), // interface statistics: skipped
      ]);
      const r = openCapture(bytes);
      const recs = [...r];
      expect(r.interfaces).toHaveLength(2);
      expect(r.interfaces[0]).toMatchObject({ linkType: 127, name: 'wlan0mon', fcsLength: 4 });
      expect(r.interfaces[0].tsResolution).toEqual({ base: 10, exponent: 9 });
      expect(r.interfaces[1].tsResolution).toEqual({ base: 2, exponent: 10 });
      expect(recs.map((x) => [x.linkType, x.interfaceId, x.timestamp, x.originalLength])).toEqual([
        [127, 0, 1762353246575064000n, 3],
        [1, 1, 3_000_000_000n, 60],
      ]);
      expect(Array.from(recs[1].data)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
  }

  it('reads simple packet blocks (cut at the snap length) and restarts interface numbering per section', () => {
    const bytes = Uint8Array.from([
      ...shb(true),
      ...idb(true, 105, [], 4),
      ...spb(true, [1, 2, 3, 4, 5, 6], 6),
      ...shb(false),
      ...idb(false, 1),
      ...epb(false, 0, 5n, [7, 7]),
    ]);
    const r = openCapture(bytes);
    const recs = [...r];
    expect(recs.map((x) => [x.linkType, x.interfaceId, x.originalLength, Array.from(x.data)])).toEqual([
      [105, 0, 6, [1, 2, 3, 4]],
      [1, 1, 2, [7, 7]],
    ]);
    expect(r.interfaces.map((i) => i.section)).toEqual([0, 1]);
    expect(recs[1].timestamp).toBe(5000n);
  });

  it('applies if_tsoffset', () => {
    const bytes = Uint8Array.from([
      ...shb(true),
      ...idb(true, 1, [...option(14, [...u32(100, true), ...u32(0, true)], true)]),
      ...epb(true, 0, 1n, [0]),
    ]);
    expect(all(bytes)[0].timestamp).toBe(100_000_001_000n);
  });

  const cases: [string, number[], RegExp][] = [
    ['a packet for an undescribed interface', [...shb(true), ...epb(true, 0, 0n, [1])], /interface 0/],
    ['a block before the section header', [...idb(true, 1), ...shb(true)], /not a pcap or pcapng file/],
    [
      'a bad byte-order magic',
      [...block(0x0a0d0d0a, [1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], true)],
      /byte-order/,
    ],
    [
      'a block length that is not a multiple of 4',
      [...shb(true), 1, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0],
      /bad block length/,
    ],
    [
      'a captured length larger than its block',
      [...shb(true), ...idb(true, 1), ...epbBadCaplen()],
      /overruns its block/,
    ],
    ['mismatched block lengths', [...shb(true), ...mismatched()], /does not match/],
    ['a truncated block', [...shb(true), ...idb(true, 1).slice(0, 12)], /truncated block/],
    [
      'an option that overruns its block',
      [...shb(true), ...block(1, [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 40, 0], true)],
      /option 2/,
    ],
  ];
  for (const [what, bytes, re] of cases) {
    it(`rejects ${what}`, () => {
      const { error } = readCapture(Uint8Array.from(bytes));
      expect(error).toBeInstanceOf(PcapFormatError);
      expect(error?.message).toMatch(re);
      expect(error?.offset).toBeGreaterThanOrEqual(0);
    });
  }
});

function epbBadCaplen(): number[] {
  const b = epb(true, 0, 0n, [1, 2, 3, 4]);
  b[8 + 12] = 200; // captured length
  return b;
}
function mismatched(): number[] {
  const b = idb(true, 1);
  b[b.length - 4] = 99;
  return b;
}

describe('robustness', () => {
  const sample = Uint8Array.from([
    ...shb(true),
    ...idb(true, 127, [...option(9, [9], true)]),
    ...epb(true, 0, 123n, [1, 2, 3, 4, 5]),
    ...spb(true, [6, 7]),
  ]);
  const samplePcap = pcapFile(false, true, 105, [
    { sec: 1, frac: 2, data: [1, 2, 3] },
    { sec: 3, frac: 4, data: [4, 5] },
  ]);

  it('never throws anything but PcapFormatError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, ng) => {
        // Random bytes after a valid magic reach the deeper parsers, not just the format check.
        const head = ng ? sample.subarray(0, 28) : samplePcap.subarray(0, 24);
        for (const input of [tail, Uint8Array.from([...head, ...tail])]) {
          const { error, records } = readCapture(input);
          if (error !== null) expect(error).toBeInstanceOf(PcapFormatError);
          for (const r of records) expect(r.data.length).toBeLessThanOrEqual(input.length);
        }
      }),
    );
  });

  it('gives a prefix of the records of a truncated or corrupted file', () => {
    for (const file of [sample, samplePcap]) {
      const full = readCapture(file).records.map((r) => Array.from(r.data));
      fc.assert(
        fc.property(fc.nat(file.length), fc.nat(file.length), fc.integer({ min: 0, max: 255 }), (cut, at, v) => {
          const truncated = readCapture(file.subarray(0, cut));
          expect(truncated.records.map((r) => Array.from(r.data))).toEqual(full.slice(0, truncated.records.length));
          const corrupt = Uint8Array.from(file);
          corrupt[at] = v;
          const { error } = readCapture(corrupt);
          if (error !== null) expect(error).toBeInstanceOf(PcapFormatError);
        }),
      );
    }
  });
});

// ---- external truth: tshark reads the same records from every capture in ../shared ----

/**
 * Every pcapng and nanosecond pcap in ../shared, plus one microsecond pcap per folder (tshark costs a third of a
 * second per file; the rest add no new case for the reader).
 */
function sharedCaptures(): string[] {
  const out: string[] = [];
  for (const dir of [
    'testdata/80211/aircrack-ng',
    'testdata/80211/wlanpi-profiler',
    'testdata/80211/decrypted',
    'testdata/net/tcpdump-tests',
    'testdata/net/dhcp',
  ]) {
    const d = sharedPath(dir);
    if (d === null) continue;
    let usPcap = false;
    for (const f of readdirSync(d).sort()) {
      if (!/\.(pcap|pcapng|cap)$/.test(f)) continue;
      const magic = readFileSync(join(d, f)).subarray(0, 4).toString('hex');
      if (magic === 'd4c3b2a1') {
        if (usPcap) continue;
        usPcap = true;
      }
      out.push(join(d, f));
    }
  }
  return out;
}

describe('shared captures against tshark', () => {
  const files = sharedCaptures();
  it.skipIf(files.length === 0 || !haveTshark())(
    files.length === 0 ? missingShared('testdata captures') : 'reads every record as tshark does',
    () => {
      for (const f of files) {
        const { records, error } = readCapture(readFileSync(f));
        expect(error, f).toBeNull();
        const lines = tshark([
          '-r',
          f,
          '-T',
          'fields',
          '-e',
          'frame.time_epoch',
          '-e',
          'frame.cap_len',
          '-e',
          'frame.len',
          '-e',
          'frame.interface_id',
        ])
          .split('\n')
          .filter((l) => l !== '');
        expect(records.length, f).toBe(lines.length);
        lines.forEach((line, i) => {
          const [epoch, capLen, len, ifId] = line.split('\t');
          const r = records[i];
          const [s, frac = ''] = epoch.split('.');
          const ns = BigInt(s) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
          expect(r.timestamp, `${f} #${i + 1}`).toBe(ns);
          expect(r.data.length, `${f} #${i + 1}`).toBe(Number(capLen));
          expect(r.originalLength, `${f} #${i + 1}`).toBe(Number(len));
          expect(r.interfaceId, `${f} #${i + 1}`).toBe(Number(ifId || '0'));
        });
      }
    },
  );
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FW_START_OVERRIDE, ramDlMode } from './dlmode.ts';
import { FirmwareError } from './errors.ts';
import { RAM_REGION_SIZE, RAM_TRAILER_SIZE, encodeRamCode, parseRamCode } from './ram.ts';
import { DEFAULT_SYNTHETIC_REGIONS, type SyntheticRegion, buildRamCode } from './synthetic.ts';
import { fwError, mutate, onlyFirmwareErrors } from './testutil.ts';

/** File offset of region descriptor `i` and of the trailer in an image with `n` regions. */
const trailer = (b: Uint8Array) => b.length - RAM_TRAILER_SIZE;
const desc = (b: Uint8Array, i: number, n = 5) => trailer(b) - (n - i) * RAM_REGION_SIZE;
const payloadEnd = DEFAULT_SYNTHETIC_REGIONS.reduce((n, r) => n + r.len, 0);
const relInfo = payloadEnd + 16;

describe('RAM code: synthetic images', () => {
  it('parses the default image like the real one, scaled down', () => {
    const r = parseRamCode(buildRamCode(), { file: 'syn', chip: 0x7961 });
    expect([r.chipId, r.ecoCode, r.nRegion, r.formatVer, r.formatFlag, r.fwVer]).toEqual([
      0x0d,
      1,
      5,
      2,
      1,
      '____010000',
    ]);
    expect(r.regions.map((g) => [g.addr, g.featureSet, g.type, g.download, g.dlMode, g.chunks])).toEqual([
      [0x00915000, 0x37, 0, true, 0x8000004f, 2],
      [0x02015c00, 0x17, 0, true, 0x8000004f, 2],
      [0x00404400, 0x17, 0, true, 0x8000004f, 1],
      [0xe0270000, 0x17, 0, true, 0x8000004f, 1],
      [0x00000000, 0x40, 2, false, 0x80000000, 0],
    ]);
    expect(r.regions.map((g) => g.fileOffset)).toEqual([0, 5000, 9200, 9900, 11400]);
    expect([r.overrideAddr, r.startOption, r.cnm]).toEqual([0x00915000, FW_START_OVERRIDE, true]);
    expect(r.releaseInfo?.offset).toBe(relInfo);
    expect(r.releaseInfo?.feature).toEqual({ segment: 2, data: 0xc0 });
    expect(r.downloadBytes).toBe(11400);
  });

  it('CNM follows the FEATURE entry; no release info means no CNM', () => {
    expect(parseRamCode(buildRamCode({ cnm: false })).cnm).toBe(false);
    const bare = parseRamCode(buildRamCode({ releaseInfo: null }));
    expect([bare.releaseInfo, bare.cnm, bare.filler.length, bare.padding.length]).toEqual([null, false, 0, 0]);
    const only = buildRamCode({ releaseInfo: { entries: [{ tag: 1, data: 'x', padLen: 3 }] } });
    expect(parseRamCode(only).releaseInfo?.feature).toBeNull();
  });

  it('computes download modes from feature_set (mt76_connac_mcu_gen_dl_mode)', () => {
    expect(ramDlMode(0x00)).toBe(0x80000000);
    expect(ramDlMode(0x01)).toBe(0x80000009); // ENCRYPT | RESET_SEC_IV
    expect(ramDlMode(0x10)).toBe(0x80000040); // ENCRY_MODE_SEL
    expect(ramDlMode(0x04)).toBe(0x80000004); // key index 2
    expect(ramDlMode(0x37)).toBe(0x8000004f);
  });

  it('no OVERRIDE_ADDR: no start address; OVERRIDE_ADDR on a NON_DL region is ignored as Linux does', () => {
    const regions: SyntheticRegion[] = [
      { addr: 0x1000, len: 10, featureSet: 0 },
      { addr: 0x2000, len: 10, featureSet: 0x60 },
    ];
    const r = parseRamCode(buildRamCode({ regions }));
    expect([r.overrideAddr, r.startOption]).toEqual([null, 0]);
  });
});

describe('RAM code: malformed images give their specific error', () => {
  const base = buildRamCode();
  const cases: Array<[string, () => Uint8Array, string, string]> = [
    ['shorter than the trailer', () => base.subarray(base.length - 20), 'truncated', 'trailer'],
    ['n_region 0', () => mutate(base, (_dv, b) => (b[trailer(b) + 2] = 0)), 'bad-count', 'n_region'],
    [
      'region payload past the descriptors',
      () => mutate(base, (dv, b) => dv.setUint32(desc(b, 3) + 20, 100_000, true)),
      'outside-file',
      'region[3].len',
    ],
    ['region type 1', () => mutate(base, (_dv, b) => (b[desc(b, 1) + 25] = 1)), 'bad-region-type', 'region[1].type'],
    [
      'undefined feature bit',
      () => mutate(base, (_dv, b) => (b[desc(b, 2) + 24] = 0x17 | 0x08)),
      'bad-feature',
      'region[2].feature_set',
    ],
    [
      'two OVERRIDE_ADDR regions',
      () => mutate(base, (_dv, b) => (b[desc(b, 2) + 24] = 0x37)),
      'bad-feature',
      'region[2].feature_set',
    ],
    [
      'overlapping targets',
      () => mutate(base, (dv, b) => dv.setUint32(desc(b, 1) + 16, 0x00915100, true)),
      'overlap',
      'region[1].addr',
    ],
    [
      'target wraps past 4 GiB',
      () => mutate(base, (dv, b) => dv.setUint32(desc(b, 3) + 16, 0xffffff00, true)),
      'bad-length',
      'region[3].addr',
    ],
    [
      'release-info length past the descriptors',
      () => mutate(base, (dv) => dv.setUint16(relInfo, 500, true)),
      'outside-file',
      'release_info.len',
    ],
    [
      'release-info entry running past its block',
      () => mutate(base, (dv) => dv.setUint16(relInfo + 4, 200, true)),
      'bad-length',
      'release_info.entry[0].len',
    ],
    [
      'release-info entries not filling the block',
      () => mutate(base, (dv) => dv.setUint16(relInfo, dv.getUint16(relInfo, true) + 2, true)),
      'bad-length',
      'release_info.entry[2]',
    ],
    ['binary fw_ver', () => mutate(base, (_dv, b) => (b[trailer(b) + 8] = 0xc3)), 'bad-text', 'fw_ver'],
    ['binary build_date', () => mutate(base, (_dv, b) => (b[trailer(b) + 20] = 0x01)), 'bad-text', 'build_date'],
  ];
  for (const [name, make, problem, field] of cases) {
    it(name, () => {
      const err = fwError(() => parseRamCode(make(), { file: 'bad.bin' }));
      expect([err.problem, err.field, err.file]).toEqual([problem, field, 'bad.bin']);
    });
  }

  it('n_region beyond the file', () => {
    const small = buildRamCode({ regions: [{ addr: 0, len: 1, featureSet: 0 }], releaseInfo: null });
    const err = fwError(() => parseRamCode(mutate(small, (_dv, b) => (b[trailer(b) + 2] = 200))));
    expect([err.problem, err.field]).toEqual(['bad-count', 'n_region']);
  });

  it('a downloaded region of length 0', () => {
    const img = buildRamCode({ regions: [{ addr: 0x1000, len: 0, featureSet: 0 }] });
    const err = fwError(() => parseRamCode(img));
    expect([err.problem, err.field]).toEqual(['bad-length', 'region[0].len']);
    // A NON_DL region may be empty.
    expect(
      parseRamCode(
        buildRamCode({
          regions: [
            { addr: 0x1000, len: 4, featureSet: 0 },
            { addr: 0, len: 0, featureSet: 0x40 },
          ],
        }),
      ).nRegion,
    ).toBe(2);
  });

  it('too few bytes for the release info after the payloads', () => {
    // Remove the release info and padding but leave 10 stray bytes before the descriptors.
    const bare = buildRamCode({ releaseInfo: null });
    const cut = payloadEnd;
    const img = new Uint8Array(bare.length + 10);
    img.set(bare.subarray(0, cut));
    img.set(bare.subarray(cut), cut + 10);
    const err = fwError(() => parseRamCode(img));
    expect([err.problem, err.field]).toEqual(['truncated', 'release_info']);
  });

  it('a FEATURE entry too short to hold its data byte', () => {
    const img = buildRamCode({ releaseInfo: { entries: [{ tag: 4, data: new Uint8Array([2]) }] } });
    const err = fwError(() => parseRamCode(img));
    expect([err.problem, err.field]).toEqual(['bad-length', 'release_info.entry[0].len']);
  });

  it('wrong chip: another chip_id is refused when a chip is named, accepted otherwise', () => {
    const img = buildRamCode({ chipId: 0x0e });
    const err = fwError(() => parseRamCode(img, { chip: 0x7961 }));
    expect([err.problem, err.field]).toEqual(['wrong-chip', 'chip_id']);
    expect(parseRamCode(img).chipId).toBe(0x0e);
  });
});

const regionArb = fc.record({
  len: fc.integer({ min: 1, max: 6000 }),
  featureSet: fc.constantFrom(0x00, 0x01, 0x17, 0x37, 0x40, 0x16, 0x11),
});
const entryArb = fc.record({
  tag: fc.integer({ min: 0, max: 255 }),
  data: fc.uint8Array({ minLength: 2, maxLength: 40 }),
  padLen: fc.integer({ min: 0, max: 3 }),
});

describe('RAM code: properties', () => {
  it('build → parse round-trips the fields, parse → encode reproduces the bytes', () => {
    fc.assert(
      fc.property(
        fc.array(regionArb, { minLength: 1, maxLength: 6 }),
        fc.option(fc.array(entryArb, { maxLength: 4 }), { nil: null }),
        fc.boolean(),
        fc.string({ maxLength: 10, unit: fc.constantFrom(...'0123456789_.ab') }),
        (specs, entries, cnm, fwVer) => {
          // At most one downloaded OVERRIDE_ADDR region; targets 16 MiB apart.
          let seenOverride = false;
          const regions = specs.map((s, i) => {
            let featureSet = s.featureSet;
            if (featureSet & 0x20 && !(featureSet & 0x40)) {
              if (seenOverride) featureSet &= ~0x20;
              seenOverride = true;
            }
            return { ...s, featureSet, addr: i * 0x1000000 };
          });
          const releaseInfo = entries === null ? undefined : { entries };
          const bytes = buildRamCode({ regions, releaseInfo, cnm, fwVer });
          const r = parseRamCode(bytes);
          expect(r.regions.map((g) => [g.addr, g.len, g.featureSet])).toEqual(
            regions.map((g) => [g.addr, g.len, g.featureSet]),
          );
          expect(r.fwVer.replace(/\0+$/, '')).toBe(fwVer);
          const dl = regions.filter((g) => !(g.featureSet & 0x40));
          expect(r.downloadBytes).toBe(dl.reduce((n, g) => n + g.len, 0));
          expect(r.overrideAddr).toBe(dl.find((g) => g.featureSet & 0x20)?.addr ?? null);
          if (entries === null) expect(r.cnm).toBe(cnm);
          else expect(r.releaseInfo?.entries.map((e) => e.tag)).toEqual(entries.map((e) => e.tag));
          expect(Buffer.from(encodeRamCode(r)).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('random bytes, truncations and byte flips never throw anything but FirmwareError', () => {
    const base = buildRamCode();
    const onlyFw = onlyFirmwareErrors(parseRamCode);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), onlyFw), { numRuns: 300 });
    // Cutting the front keeps the trailer but shifts everything: must fail with a typed error or parse.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length }), (n) => onlyFw(base.subarray(n))),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), (n) => {
        expect(() => parseRamCode(base.subarray(0, n))).toThrow(FirmwareError);
      }),
      { numRuns: 200 },
    );
    const tail = base.length - 400;
    fc.assert(
      fc.property(fc.integer({ min: tail - 200, max: base.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) =>
        onlyFw(mutate(base, (_dv, b) => (b[at] = v))),
      ),
      { numRuns: 400 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkPlan, patchDlMode } from './dlmode.ts';
import { FirmwareError } from './errors.ts';
import { PATCH_HDR_SIZE, PATCH_SEC_SIZE, encodePatch, parsePatch } from './patch.ts';
import { buildPatch } from './synthetic.ts';
import { fwError, mutate, onlyFirmwareErrors } from './testutil.ts';

const SEC0 = PATCH_HDR_SIZE; // first section descriptor
const two = () =>
  buildPatch({
    sections: [
      { addr: 0x900000, len: 5000 },
      { addr: 0x910000, len: 300, extra: 20 },
    ],
  });

describe('ROM patch: synthetic images', () => {
  it('parses the default image: one INFO section at 0x900000, plain, 3 chunks', () => {
    const p = parsePatch(buildPatch(), { file: 'syn', chip: 0x7961 });
    expect(p.kind).toBe('patch');
    expect(p.platform).toBe('ALPS');
    expect(p.desc.nRegion).toBe(1);
    const s = p.sections[0]!;
    expect([s.addr, s.len, s.offs, s.encryption, s.dlMode, s.chunks, s.patchStartReq]).toEqual([
      0x900000,
      9000,
      PATCH_HDR_SIZE + PATCH_SEC_SIZE,
      'plain',
      0x80000000,
      3,
      true,
    ]);
    expect(p.downloadBytes).toBe(9000);
  });

  it('lays out several sections back to back and downloads info.len of each', () => {
    const p = parsePatch(two());
    expect(p.sections.map((s) => [s.offs, s.size, s.len, s.data.length])).toEqual([
      [224, 5000, 5000, 5000],
      [5224, 320, 300, 300],
    ]);
    expect(p.sections[1]!.patchStartReq).toBe(false);
    expect(p.size).toBe(5544);
  });

  it('computes download modes from security info (mt76_connac2_get_data_mode)', () => {
    expect(patchDlMode(0xffffffff)).toBe(0x80000000);
    expect(patchDlMode(0x00000000)).toBe(0x80000000);
    expect(patchDlMode(0x01000002)).toBe(0x8000000d); // AES key 2: ENCRYPT | key<<1 | RESET_SEC_IV
    expect(patchDlMode(0x01000007)).toBe(0x8000000f); // key masked to 2 bits
    expect(patchDlMode(0x02000000)).toBe(0x80000049); // scramble: ENCRYPT | ENCRY_MODE_SEL | RESET_SEC_IV
    expect(patchDlMode(0x03000000)).toBeNull();
    const p = parsePatch(buildPatch({ sections: [{ addr: 0x900000, len: 64, secKeyIdx: 0x01000001 }] }));
    expect([p.sections[0]!.encryption, p.sections[0]!.dlMode]).toEqual(['aes', 0x8000000b]);
  });

  it('plans ≤ 4096-byte scatter chunks', () => {
    expect(chunkPlan(9000).map((c) => [c.offset, c.length])).toEqual([
      [0, 4096],
      [4096, 4096],
      [8192, 808],
    ]);
    expect(chunkPlan(8192)).toHaveLength(2);
    expect(chunkPlan(0)).toEqual([]);
    expect(chunkPlan(5000, 2048).map((c) => c.length)).toEqual([2048, 2048, 904]);
  });
});

describe('ROM patch: malformed images give their specific error', () => {
  const cases: Array<[string, () => Uint8Array, string, string]> = [
    ['truncated header', () => buildPatch().subarray(0, 50), 'truncated', 'header'],
    ['empty file', () => new Uint8Array(0), 'truncated', 'header'],
    ['n_region 0', () => mutate(buildPatch(), (dv) => dv.setUint32(44, 0)), 'bad-count', 'desc.n_region'],
    [
      'n_region past the file',
      () => mutate(buildPatch(), (dv) => dv.setUint32(44, 2000)),
      'bad-count',
      'desc.n_region',
    ],
    [
      'non-INFO section type',
      () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0, 0x00040003)),
      'bad-section-type',
      'section[0].type',
    ],
    ['payload cut off', () => buildPatch().subarray(0, 5000), 'outside-file', 'section[0].size'],
    [
      'size past the end',
      () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0 + 8, 9001)),
      'outside-file',
      'section[0].size',
    ],
    [
      'payload inside the descriptors',
      () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0 + 4, 100)),
      'overlap',
      'section[0].offs',
    ],
    ['info.len 0', () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0 + 16, 0)), 'bad-length', 'section[0].info.len'],
    [
      'info.len larger than the section',
      () => mutate(two(), (dv) => dv.setUint32(SEC0 + 64 + 16, 321)),
      'bad-length',
      'section[1].info.len',
    ],
    [
      'target wraps past 4 GiB',
      () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0 + 12, 0xfffff000)),
      'bad-length',
      'section[0].info.addr',
    ],
    [
      'unknown encryption type',
      () => mutate(buildPatch(), (dv) => dv.setUint32(SEC0 + 20, 0x05000000)),
      'unknown-encryption',
      'section[0].info.sec_key_idx',
    ],
    [
      'sections sharing file bytes',
      () => mutate(two(), (dv) => dv.setUint32(SEC0 + 64 + 4, 5000)),
      'overlap',
      'section[1].offs',
    ],
    [
      'sections sharing target addresses',
      () => mutate(two(), (dv) => dv.setUint32(SEC0 + 64 + 12, 0x900100)),
      'overlap',
      'section[1].info.addr',
    ],
    ['binary build date', () => mutate(buildPatch(), (_dv, b) => (b[3] = 0xff)), 'bad-text', 'build_date'],
    ['binary platform', () => mutate(buildPatch(), (_dv, b) => (b[17] = 0x80)), 'bad-text', 'platform'],
  ];
  for (const [name, make, problem, field] of cases) {
    it(name, () => {
      const err = fwError(() => parsePatch(make(), { file: 'bad.bin' }));
      expect([err.problem, err.field, err.file]).toEqual([problem, field, 'bad.bin']);
      expect(err.message).toContain(`bad.bin: ${field}: `);
    });
  }

  it('wrong chip: another platform is refused when a chip is named, accepted otherwise', () => {
    const img = buildPatch({ platform: 'XXXX' });
    const err = fwError(() => parsePatch(img, { chip: 0x7961 }));
    expect([err.problem, err.field]).toEqual(['wrong-chip', 'platform']);
    expect(parsePatch(img).platform).toBe('XXXX');
  });
});

const sectionArb = fc.record({
  len: fc.integer({ min: 1, max: 9000 }),
  extra: fc.integer({ min: 0, max: 40 }),
  secKeyIdx: fc.constantFrom(0, 0xffffffff, 0x01000000, 0x01000003, 0x02000000),
  type: fc.integer({ min: 0, max: 0xffff }).map((hi) => ((hi << 16) | 2) >>> 0),
  alignLen: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('ROM patch: properties', () => {
  it('build → parse round-trips the fields, parse → encode reproduces the bytes', () => {
    fc.assert(
      fc.property(fc.array(sectionArb, { minLength: 1, maxLength: 4 }), fc.integer(), (specs, seed) => {
        // Non-overlapping targets: each section 1 MiB apart.
        const sections = specs.map((s, i) => ({ ...s, addr: 0x900000 + i * 0x100000 }));
        const bytes = buildPatch({ seed, sections });
        const p = parsePatch(bytes);
        expect(p.sections.map((s) => [s.addr, s.len, s.size - s.len, s.secKeyIdx, s.type, s.alignLen])).toEqual(
          sections.map((s) => [s.addr, s.len, s.extra, s.secKeyIdx, s.type, s.alignLen]),
        );
        expect(p.sections.reduce((n, s) => n + s.chunks, 0)).toBe(
          sections.reduce((n, s) => n + Math.ceil(s.len / 4096), 0),
        );
        expect(Buffer.from(encodePatch(p)).equals(bytes)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('random bytes, truncations and byte flips never throw anything but FirmwareError', () => {
    const base = two();
    const onlyFw = onlyFirmwareErrors(parsePatch);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), onlyFw), { numRuns: 300 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length - 1 }), (n) => {
        expect(() => parsePatch(base.subarray(0, n))).toThrow(FirmwareError);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 223 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        onlyFw(mutate(base, (_dv, b) => (b[at] = v)));
      }),
      { numRuns: 300 },
    );
  });
});

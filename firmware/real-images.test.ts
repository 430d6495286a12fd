/**
 * The real MT7961 images in ../shared/firmware/ parse to exactly the values of FACTS §4.5.
 * Skipped with a message when ../shared is not checked out.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../test/support/shared.ts';
import { parseFirmware } from './image.ts';
import { encodePatch, parsePatch } from './patch.ts';
import { encodeRamCode, parseRamCode } from './ram.ts';

const PATCH = 'WIFI_MT7961_patch_mcu_1_2_hdr.bin';
const RAM = 'WIFI_RAM_CODE_MT7961_1.bin';
const patchPath = sharedPath('firmware', PATCH);
const ramPath = sharedPath('firmware', RAM);

describe.skipIf(!patchPath)(`ROM patch ${PATCH}`, () => {
  const bytes = patchPath ? readFileSync(patchPath) : new Uint8Array();
  const p = () => parsePatch(bytes, { file: PATCH, chip: 0x7961 });

  it('header fields', () => {
    const h = p();
    expect(h.size).toBe(92_192);
    expect(h.buildDate).toBe('20231109190918a\n');
    expect(h.platform).toBe('ALPS');
    expect(h.hwSwVer).toBe(0x8a108a10);
    expect(h.patchVer).toBe(0xffffffff);
    expect(h.checksum).toBe(0x0000);
    expect(h.reserved).toBe(0);
    expect(h.desc).toEqual({
      patchVer: 0x44332211,
      subsys: 0x00000004,
      feature: 0,
      nRegion: 1,
      crc: 0x0000ffff,
      reserved: new Array(11).fill(0),
    });
  });

  it('section 0, download mode and chunk plan', () => {
    const [s, ...rest] = p().sections;
    expect(rest).toEqual([]);
    expect(s!.type).toBe(0x00040002);
    expect(s!.offs).toBe(0xa0);
    expect(s!.size).toBe(0x16780);
    expect(s!.addr).toBe(0x00900000);
    expect(s!.len).toBe(0x16780);
    expect(s!.secKeyIdx).toBe(0);
    expect(s!.encryption).toBe('plain');
    expect(s!.alignLen).toBe(0);
    expect(s!.reserved).toEqual([0x00000100, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(s!.offs + s!.size).toBe(bytes.length); // payload ends exactly at EOF
    expect(s!.patchStartReq).toBe(true);
    expect(s!.dlMode).toBe(0x80000000);
    expect(s!.chunks).toBe(23); // 22 × 4096 + 1 × 1920
    expect(s!.len - 22 * 4096).toBe(1920);
  });

  it('is recognised as a patch and re-encodes byte for byte', () => {
    expect(parseFirmware(bytes).kind).toBe('patch');
    expect(Buffer.from(encodePatch(p())).equals(bytes)).toBe(true);
  });
});

describe.skipIf(!ramPath)(`RAM code ${RAM}`, () => {
  const bytes = ramPath ? readFileSync(ramPath) : new Uint8Array();
  const r = () => parseRamCode(bytes, { file: RAM, chip: 0x7961 });

  it('trailer fields', () => {
    const t = r();
    expect(t.size).toBe(797_300);
    expect(t.size - 36).toBe(797_264);
    expect(t.chipId).toBe(0x0d);
    expect(t.ecoCode).toBe(0x01);
    expect(t.nRegion).toBe(5);
    expect(t.formatVer).toBe(0x02);
    expect(t.formatFlag).toBe(0x01);
    expect(t.fwVer).toBe('____010000');
    expect(t.buildDate).toBe('20231109190959\0');
    expect(t.crc).toBe(0x3894ae1d);
  });

  it('region table, modes and chunk counts', () => {
    const t = r();
    expect(t.regions.map((g) => [g.addr, g.len, g.featureSet, g.type, g.fileOffset, g.download])).toEqual([
      [0x00915000, 363_536, 0x37, 0, 0x00000, true],
      [0x02015c00, 272_400, 0x17, 0, 0x58c10, true],
      [0x00404400, 15_376, 0x17, 0, 0x9b420, true],
      [0xe0270000, 54_480, 0x17, 0, 0x9f030, true],
      [0x00000000, 91_120, 0x40, 2, 0xac500, false],
    ]);
    expect(t.regions.map((g) => g.len)).toEqual([0x58c10, 0x42810, 0x3c10, 0xd4d0, 0x163f0]);
    expect(t.regions.slice(0, 4).map((g) => g.dlMode)).toEqual([0x8000004f, 0x8000004f, 0x8000004f, 0x8000004f]);
    expect(t.regions.map((g) => g.chunks)).toEqual([89, 67, 4, 14, 0]);
    for (const g of t.regions) expect([g.decompCrc, g.decompLen, g.decompBlkSz]).toEqual([0, 0, 0]);
    expect(t.regions.reduce((n, g) => n + g.len, 0)).toBe(796_912);
  });

  it('override start address', () => {
    const t = r();
    expect(t.overrideAddr).toBe(0x00915000);
    expect(t.startOption).toBe(1); // FW_START_OVERRIDE
  });

  it('release info with CNM', () => {
    const t = r();
    expect(Buffer.from(t.filler).toString('latin1')).toBe('#'.repeat(16));
    const ri = t.releaseInfo!;
    expect(ri.offset).toBe(796_928);
    expect(ri.len).toBe(116);
    expect(ri.entries.map((e) => [e.tag, e.data.length, e.pad.length])).toEqual([
      [1, 91, 1],
      [4, 16, 0],
    ]);
    expect(Buffer.from(ri.entries[0]!.data).toString('latin1')).toBe(
      't-neptune-main-mt7961e2-2017-MT7961_MT7972_E2_MAIN_ASIC_ROM_RAM_MOBILE_CCN16-20231109190801',
    );
    expect([...ri.entries[1]!.data]).toEqual([0x02, 0xc0, ...new Array(14).fill(0)]);
    expect(ri.feature).toEqual({ segment: 0x02, data: 0xc0 });
    expect(t.cnm).toBe(true);
  });

  it('is recognised as RAM code and re-encodes byte for byte', () => {
    expect(parseFirmware(bytes).kind).toBe('ram');
    expect(Buffer.from(encodeRamCode(r())).equals(bytes)).toBe(true);
  });
});

describe.skipIf(patchPath && ramPath)('real MT7961 firmware images', () => {
  it.skip(missingShared(`firmware/${PATCH} and firmware/${RAM}`), () => {});
});

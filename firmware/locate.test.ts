import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirmwareError } from './errors.ts';
import { detectKind, parseFirmware, readFirmwareFile } from './image.ts';
import { firmwareDirs, locateFirmware, requireFirmware } from './locate.ts';
import { buildPatch, buildRamCode } from './synthetic.ts';
import { fwError } from './testutil.ts';

const root = mkdtempSync(join(tmpdir(), 'airstack-fw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('locating images on disk', () => {
  it('searches $AIRSTACK_FIRMWARE_DIR (and its mediatek/), then the system folders', () => {
    expect(firmwareDirs({ AIRSTACK_FIRMWARE_DIR: '/opt/fw' })).toEqual([
      '/opt/fw',
      '/opt/fw/mediatek',
      '/lib/firmware/mediatek',
      '/usr/lib/firmware/mediatek',
    ]);
    expect(firmwareDirs({})).toEqual(['/lib/firmware/mediatek', '/usr/lib/firmware/mediatek']);
  });

  it('finds the chip’s files by name, first folder wins, each file independently', () => {
    const a = join(root, 'a');
    const b = join(root, 'b', 'mediatek');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    writeFileSync(join(a, 'WIFI_RAM_CODE_MT7961_1.bin'), buildRamCode());
    writeFileSync(join(b, 'WIFI_MT7961_patch_mcu_1_2_hdr.bin'), buildPatch());
    writeFileSync(join(b, 'WIFI_RAM_CODE_MT7961_1.bin'), buildRamCode());
    const found = locateFirmware(0x7961, { dirs: [a, b] });
    expect(found.ram).toBe(join(a, 'WIFI_RAM_CODE_MT7961_1.bin'));
    expect(found.patch).toBe(join(b, 'WIFI_MT7961_patch_mcu_1_2_hdr.bin'));
    expect(requireFirmware(0x7961, { env: { AIRSTACK_FIRMWARE_DIR: join(root, 'b') } }).patch).toBe(found.patch);
    // 0x7922 has other names: none of these files match.
    expect(locateFirmware(0x7922, { dirs: [a, b] })).toMatchObject({ patch: null, ram: null });
  });

  it('reports missing and compressed files with what to do', () => {
    const z = join(root, 'z');
    mkdirSync(z);
    writeFileSync(join(z, 'WIFI_RAM_CODE_MT7961_1.bin.zst'), 'x');
    const err = fwError(() => requireFirmware(0x7961, { dirs: [z] }));
    expect(err.problem).toBe('not-found');
    expect(err.message).toContain('WIFI_MT7961_patch_mcu_1_2_hdr.bin');
    expect(err.message).toContain('.zst');
    expect(err.message).toContain(z);
  });

  it('refuses a chip with no known firmware', () => {
    expect(fwError(() => locateFirmware(0x7603)).problem).toBe('wrong-chip');
  });
});

describe('reading images', () => {
  it('tells patch from RAM code by content', () => {
    expect(detectKind(buildPatch())).toBe('patch');
    expect(detectKind(buildRamCode())).toBe('ram');
    expect(parseFirmware(buildRamCode()).kind).toBe('ram');
    // RAM code read as a patch fails on its first field, the build date.
    expect(fwError(() => parseFirmware(buildRamCode(), { kind: 'patch' })).field).toBe('build_date');
  });

  it('a missing file or a folder is a FirmwareError naming the path', async () => {
    const missing = join(root, 'nope.bin');
    const err = await readFirmwareFile(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareError);
    expect((err as FirmwareError).file).toBe(missing);
    expect((err as FirmwareError).message).toContain('no such file');
    expect((err as FirmwareError).problem).toBe('unreadable');
    const dir = await readFirmwareFile(root).catch((e: unknown) => e);
    expect((dir as FirmwareError).message).toContain('is a directory');
  });

  it('reads and parses a file, naming it in errors', async () => {
    const p = join(root, 'p.bin');
    writeFileSync(p, buildPatch());
    expect((await readFirmwareFile(p)).kind).toBe('patch');
    writeFileSync(p, buildPatch().subarray(0, 40));
    const err = (await readFirmwareFile(p).catch((e: unknown) => e)) as FirmwareError;
    expect([err.file, err.problem]).toEqual([p, 'truncated']);
  });
});

/**
 * The driver's bring-up and firmware download against the emulated MT7921U (written independently from FACTS.md),
 * through the shared UsbTransport and the vendor-request register layer: the real images from ../shared/firmware
 * and synthetic ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import type { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import { buildPatch, buildRamCode } from '../../firmware/index.ts';
import { missingShared, sharedPath } from '../support/shared.ts';
import { emulatorWorld, settle } from './world.ts';

function world(patch: Uint8Array, ram: Uint8Array, start: 'cold' | 'warm' = 'cold') {
  const progress: number[] = [];
  const w = emulatorWorld({ patch, ram, emulator: { start }, device: { onProgress: (p) => progress.push(p.done) } });
  return { ...w, progress };
}

/** The emulator's own accounting: every region complete, byte-identical to the file, nothing poisoned. */
function expectDownloadVerified(emu: EmulatedMt7921u, device: Mt7921uDevice) {
  const fw = emu.download;
  expect(fw.error).toBeNull();
  expect(fw.regions.length).toBeGreaterThan(0);
  for (const r of fw.regions) {
    expect(r.received).toBe(r.len);
    expect(r.overrun).toBe(0);
    expect(r.matchesFile).toBe(true);
  }
  expect(fw.totalReceived).toBe(device.download!.patchBytes + device.download!.ramBytes);
  // the emulated MCU understood and accepted every command in its stage
  const c = emu.counters;
  expect({
    malformed: c.mcuMalformed,
    unknown: c.mcuUnknown,
    wrongStage: c.mcuWrongStage,
    errors: c.mcuErrors,
  }).toEqual({
    malformed: 0,
    unknown: 0,
    wrongStage: 0,
    errors: 0,
  });
  expect(c.drops).toEqual({});
}

function expectHealthy(device: Mt7921uDevice) {
  expect(device.state).toBe('ready');
  expect(device.chip?.asicRevision).toBe(0x79610010);
  expect(device.mcu.stats.timeouts).toBe(0);
  expect(device.dispatch.totalDrops).toBe(0);
  expect(device.events.stats.malformed).toBe(0);
  expect(device.caps?.macAddr).not.toBeNull();
  expect(device.caps?.antennaMask).toBe(3);
}

describe('bring-up on the emulator with synthetic images', () => {
  it('cold chip: probe, download, NIC capability, MAC init, start', async () => {
    const patch = buildPatch();
    const ram = buildRamCode();
    const { clock, emu, device, progress } = world(patch, ram);
    await settle(clock, device.probe());
    expectHealthy(device);
    expect(device.initAttempts).toBe(1);
    expect(progress.at(-1)).toBe(device.download!.patchBytes + device.download!.ramBytes);
    expectDownloadVerified(emu, device);
    await settle(clock, device.start({ band: '2g', channel: 1, width: '20-noht', center1: 1 }));
    expect(device.state).toBe('running');
    expect(device.mcu.stats.timeouts).toBe(0);
    expect(emu.counters.mcuMalformed + emu.counters.mcuUnknown + emu.counters.mcuErrors).toBe(0);
    expect(emu.counters.drops).toEqual({});
  });

  it('warm chip (firmware left running): WFSYS reset first, then the same bring-up', async () => {
    const { clock, device } = world(buildPatch(), buildRamCode(), 'warm');
    await settle(clock, device.probe());
    expectHealthy(device);
  });
});

const patchPath = sharedPath('firmware', 'WIFI_MT7961_patch_mcu_1_2_hdr.bin');
const ramPath = sharedPath('firmware', 'WIFI_RAM_CODE_MT7961_1.bin');

describe.skipIf(!(patchPath && ramPath))('bring-up on the emulator with the real MT7961 images', () => {
  it('downloads 92,032 + 705,792 bytes and boots', async () => {
    const { clock, emu, device } = world(readFileSync(patchPath!), readFileSync(ramPath!));
    await settle(clock, device.probe());
    expectHealthy(device);
    expectDownloadVerified(emu, device);
    expect(device.download!.patchBytes).toBe(92_032);
    expect(device.download!.ramBytes).toBe(705_792);
    expect(device.download!.scatterChunks).toBe(23 + 89 + 67 + 4 + 14);
  });
});

describe.skipIf(!!(patchPath && ramPath))('bring-up on the emulator with the real MT7961 images', () => {
  it.skip(missingShared('firmware/WIFI_MT7961_patch_mcu_1_2_hdr.bin and WIFI_RAM_CODE_MT7961_1.bin'), () => {});
});

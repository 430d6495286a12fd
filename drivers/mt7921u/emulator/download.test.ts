import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../../../test/support/shared.ts';
import {
  buildPatch,
  buildRam,
  download,
  legacyCommand,
  MISC,
  pattern,
  patchSteps,
  ramSteps,
  syntheticFirmware,
  TestHost,
  u32,
  usbFrame,
} from './test-host.ts';

/** FACTS.md §5.6: PATCH_SEM_CONTROL GET, seq 1, 76 bytes to EP 0x08. */
const WORKED_EXAMPLE = Uint8Array.from([
  0x44,
  0x00,
  0x00,
  0x00,
  0x44,
  0x00,
  0x00,
  0x41,
  0x00,
  0x00,
  0x01,
  0x80,
  ...new Array(24).fill(0),
  0x24,
  0x00,
  0x00,
  0x80,
  0x10,
  0xa0,
  0x03,
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  ...new Array(20).fill(0),
  0x01,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
  0x00,
]);

async function romReady(opts = {}): Promise<TestHost> {
  const h = new TestHost(opts);
  h.startReading();
  expect(await h.powerOnAndWait()).toBe(true);
  await h.dmaInit(false);
  return h;
}

describe('the §5.6 worked example', () => {
  it('is 76 bytes and our hand framing produces the same bytes', () => {
    expect(WORKED_EXAMPLE.length).toBe(76);
    expect(legacyCommand({ cid: 0x10, seq: 1, payload: u32(1) })).toEqual(WORKED_EXAMPLE);
  });

  it('gets the 40-byte ROM reply with status 2 on EP 0x85 before EP4 routing', async () => {
    const h = await romReady();
    await h.send(0x08, WORKED_EXAMPLE);
    const ev = await h.event(1);
    expect(ev).toBeDefined();
    expect(ev!.ep).toBe(0x85);
    const d = ev!.data;
    expect(new DataView(d.buffer, d.byteOffset).getUint32(0, true)).toBe(0x38000028);
    expect(ev!.len).toBe(40);
    expect(d.length).toBeGreaterThanOrEqual(40);
    expect(d[28]).toBe(0x04);
    expect(d[29]).toBe(0x01);
    expect(d[30]).toBe(0);
    expect(d[32]).toBe(0x02);
    expect([...d.subarray(4, 24)].every((b) => b === 0)).toBe(true);
  });

  it('arrives on EP 0x84 once HOST_CONFIG BIT6 routes events there', async () => {
    const h = await romReady();
    await h.rmw(0x7c027030, 0, 1 << 6);
    await h.send(0x08, WORKED_EXAMPLE);
    expect((await h.event(1))?.ep).toBe(0x84);
  });
});

describe('firmware download', () => {
  it('boots the synthetic images: MISC reaches 3 within 1.5 s and every byte is accounted and checked', async () => {
    const fw = syntheticFirmware();
    const h = await romReady({ firmware: fw });
    expect((await h.rr(MISC)) & 7).toBe(1);
    const r = await download(h, fw.patch, fw.ram);
    expect(r).toEqual({ sem: 2, finish: 0, release: 3, start: 0 });
    const t0 = h.clock.now();
    let misc = 0;
    while (h.clock.now() - t0 < 1500 && (misc & 3) !== 3) {
      misc = await h.rr(MISC);
      await h.advance(10);
    }
    expect(misc & 3).toBe(3);
    const regions = h.emu.download.regions;
    expect(regions.map((x) => [x.kind, x.addr, x.len, x.received, x.matchesFile])).toEqual([
      ['patch', 0x900000, 5000, 5000, true],
      ['ram', 0x915000, 9000, 9000, true],
      ['ram', 0x404400, 300, 300, true],
    ]);
    expect(regions[1]!.mode).toBe(0x8000004f);
    expect(h.emu.counters.fwScatterBytes).toBe(5000 + 9000 + 300);
    expect(h.emu.counters.fwErrors).toBe(0);
    expect(h.emu.counters.fwBoots).toBe(1);
  });

  it('downloads the real MT7961 images from ../shared/firmware', async (ctx) => {
    const pp = sharedPath('firmware', 'WIFI_MT7961_patch_mcu_1_2_hdr.bin');
    const rp = sharedPath('firmware', 'WIFI_RAM_CODE_MT7961_1.bin');
    if (!pp || !rp) return ctx.skip(missingShared('firmware/WIFI_MT7961_patch_mcu_1_2_hdr.bin and RAM code'));
    const patch = new Uint8Array(readFileSync(pp));
    const ram = new Uint8Array(readFileSync(rp));
    // FACTS §4.5: what Linux sends for these files.
    const ps = patchSteps(patch);
    expect(ps.map((s) => [s.addr, s.data.length, s.mode])).toEqual([[0x900000, 92032, 0x80000000]]);
    const rs = ramSteps(ram);
    expect(rs.map((s) => [s.addr, s.data.length, s.mode])).toEqual([
      [0x915000, 363536, 0x8000004f],
      [0x02015c00, 272400, 0x8000004f],
      [0x00404400, 15376, 0x8000004f],
      [0xe0270000, 54480, 0x8000004f],
    ]);
    const h = await romReady({ firmware: { patch, ram } });
    const r = await download(h, patch, ram);
    expect(r).toEqual({ sem: 2, finish: 0, release: 3, start: 0 });
    expect(await h.until(() => h.emu.mcu.running, 1500)).toBe(true);
    expect((await h.rr(MISC)) & 3).toBe(3);
    const regions = h.emu.download.regions;
    expect(regions.map((x) => x.received)).toEqual([92032, 363536, 272400, 15376, 54480]);
    expect(regions.every((x) => x.matchesFile === true)).toBe(true);
    expect(regions[0]!.sha256).toBe(createHash('sha256').update(ps[0]!.data).digest('hex'));
    // 23 + 89 + 67 + 4 + 14 scatter chunks (FACTS §4.5).
    expect(h.emu.counters.fwScatterChunks).toBe(23 + 89 + 67 + 4 + 14);
    expect(h.emu.counters.fwScatterBytes).toBe(92032 + 363536 + 272400 + 15376 + 54480);
  });

  /** Boot the synthetic images, then WFSYS-reset the chip. */
  async function bootedThenReset(opts = {}) {
    const fw = syntheticFirmware();
    const h = await romReady({ firmware: fw, ...opts });
    await download(h, fw.patch, fw.ram);
    await h.until(() => h.emu.mcu.running, 1500);
    await h.wfsysReset();
    return { h, fw };
  }

  it('answers PATCH_IS_DL (1) after a WFSYS reset once the patch is applied, and the RAM download still works', async () => {
    const { h, fw } = await bootedThenReset();
    expect(await h.rr(MISC)).toBe(0);
    expect((await h.uhwRr(0x74000a20)) & (1 << 22)).not.toBe(0);
    await h.powerOnAndWait();
    await h.dmaInit(false);
    const r = await download(h, fw.patch, fw.ram);
    expect(r.sem).toBe(1);
    expect(r.start).toBe(0);
    expect(await h.until(() => h.emu.mcu.running, 1500)).toBe(true);
  });

  it("after a WFSYS reset the ROM takes a download without a new POWER_ON (Linux's init-reset retry)", async () => {
    const { h, fw } = await bootedThenReset();
    expect(await h.rr(MISC)).toBe(0);
    await h.dmaInit(false);
    await h.send(0x08, legacyCommand({ cid: 0x04, seq: 9, payload: u32(1) })); // NIC_POWER_CTRL
    await h.advance(5);
    expect((await h.rr(MISC)) & 7).toBe(1);
    const r = await download(h, fw.patch, fw.ram);
    expect(r).toMatchObject({ sem: 1, start: 0 });
    expect(await h.until(() => h.emu.mcu.running, 1500)).toBe(true);
  });

  it('can be configured to lose the patch on reset', async () => {
    const { h, fw } = await bootedThenReset({ patchSurvivesReset: false });
    await h.powerOnAndWait();
    await h.dmaInit(false);
    expect((await download(h, fw.patch, fw.ram)).sem).toBe(2);
  });
});

describe('out-of-order and malformed download steps fail as a real MCU would', () => {
  const cmd = async (h: TestHost, cid: number, seq: number, payload: Uint8Array) => {
    await h.send(0x08, legacyCommand({ cid, seq, payload }));
    return (await h.event(seq))?.data[32];
  };

  it('PATCH_SEM: GET twice fails the second time; RELEASE without GET fails', async () => {
    const h = await romReady();
    expect(await cmd(h, 0x10, 1, u32(0))).toBe(0);
    expect(await cmd(h, 0x10, 2, u32(1))).toBe(2);
    expect(await cmd(h, 0x10, 3, u32(1))).toBe(0);
    expect(await cmd(h, 0x10, 4, u32(0))).toBe(3);
  });

  it('scatter without a start poisons the download: PATCH_FINISH fails and the MCU never boots', async () => {
    const h = await romReady();
    await h.rmw(0x74000008, 0, 1 << 3);
    expect(await cmd(h, 0x10, 1, u32(1))).toBe(2);
    await h.send(0x04, usbFrame(pattern(100)));
    expect(h.emu.download.error).toBe('scatter-without-start');
    expect(await cmd(h, 0x05, 2, u32(0x900000, 100, 0x80000000))).toBe(0);
    await h.send(0x04, usbFrame(pattern(100)));
    expect(await cmd(h, 0x07, 3, u32(0))).not.toBe(0);
    expect(h.emu.counters.drops['scatter-without-start']).toBeGreaterThan(0);
  });

  it('more bytes than announced are an overrun; a start while a region is incomplete is refused', async () => {
    const h = await romReady();
    await h.rmw(0x74000008, 0, 1 << 3);
    await cmd(h, 0x10, 1, u32(1));
    expect(await cmd(h, 0x05, 2, u32(0x900000, 100, 0x80000000))).toBe(0);
    await h.send(0x04, usbFrame(pattern(60)));
    expect(await cmd(h, 0x05, 3, u32(0x900000, 100, 0x80000000))).toBe(1);
    expect(h.emu.download.error).toBe('start-while-region-incomplete');
    await h.send(0x04, usbFrame(pattern(60)));
    const r = h.emu.download.regions[0]!;
    expect(r.received).toBe(100);
    expect(r.overrun).toBe(20);
    expect(await cmd(h, 0x07, 4, u32(0))).toBe(1);
  });

  it('RAM before the patch, FW_START before the RAM, and a wrong override address are refused', async () => {
    const fw = syntheticFirmware();
    let h = await romReady();
    await h.rmw(0x74000008, 0, 1 << 3);
    expect(await cmd(h, 0x01, 1, u32(0x915000, 10, 0x80000000))).toBe(1);
    expect(h.emu.download.error).toBe('ram-start-before-patch');

    h = await romReady({ firmware: fw });
    const steps = ramSteps(fw.ram);
    const good = await download(h, fw.patch, buildRam([])); // patch only, no RAM regions: FW_START fails
    expect(good.finish).toBe(0);
    expect(good.start).toBe(1);
    expect(h.emu.download.error).toBe('fw-start-without-ram');
    await h.advance(2000);
    expect((await h.rr(MISC)) & 3).not.toBe(3);

    h = await romReady({ firmware: fw });
    const wrong = buildRam(steps.map((s) => ({ addr: s.addr, data: s.data, feature: s.override ? 0x17 : 0x37 })));
    const r = await download(h, fw.patch, wrong);
    expect(r.start).toBe(1);
    expect(h.emu.download.error).toBe('fw-start-bad-override-address');
  });

  it('bytes that differ from the firmware file make FW_START fail', async () => {
    const fw = syntheticFirmware();
    const h = await romReady({ firmware: fw });
    const corrupt = fw.ram.slice();
    corrupt[5] = (corrupt[5]! + 1) & 0xff;
    const r = await download(h, fw.patch, corrupt);
    expect(r.start).toBe(1);
    expect(h.emu.download.regions[1]!.matchesFile).toBe(false);
    expect(h.emu.download.error).toBe('fw-content-mismatch');
  });

  it('download commands before POWER_ON, and RAM commands in the ROM, get no reply', async () => {
    const h = new TestHost();
    h.startReading();
    await h.dmaInit(false);
    await h.send(0x08, WORKED_EXAMPLE);
    expect(await h.event(1, 100)).toBeUndefined();
    expect(h.emu.counters.mcuIgnored).toBe(1);
    await h.powerOnAndWait();
    await h.send(0x08, legacyCommand({ cid: 0x8a, seq: 2, ce: true }));
    expect(await h.event(2, 100)).toBeUndefined();
    expect(h.emu.counters.mcuWrongStage).toBe(1);
  });

  it('a malformed patch file given to the emulator is a clear error', () => {
    expect(() => new TestHost({ firmware: { patch: new Uint8Array(10) } })).toThrow(/shorter than the 96-byte header/);
    const bad = buildPatch([{ addr: 0x900000, data: pattern(10) }]);
    bad[96 + 3] = 0x05;
    expect(() => new TestHost({ firmware: { patch: bad } })).toThrow(/PATCH_SEC_TYPE_INFO/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { missingShared, sharedPath } from '../../test/support/shared.ts';
import { Mt7921uDevice } from './device.ts';
import { Mt7921uError } from './errors.ts';
import type { DownloadProgress, FirmwareImages } from './firmware-load.ts';
import { MCU_CE_CMD, MCU_CMD, MCU_EXT_CMD, McuCeCmdId, McuCmdId, McuExtCmdId } from './mcu/cmd.ts';
import { McuTimeoutError } from './mcu/mcu.ts';
import {
  MT_CONN_ON_MISC,
  MT_DMASHDL_GROUP_QUOTA,
  MT_FW_DL_EN,
  MT_SWDEF_MODE,
  MT_UDMA_TX_QSEL,
  MT_UWFDMA0_GLO_CFG,
  MT_WFDMA_HOST_CONFIG,
} from './regs.ts';
import { defaultNicCapPayload, FakeMt7921u, type FakeOp } from './testing/fake-mt7921u.ts';

function syntheticImages(): FirmwareImages {
  return { patch: parsePatch(buildPatch()), ram: parseRamCode(buildRamCode()) };
}

function setup(images: FirmwareImages = syntheticImages()) {
  const clock = new VirtualClock();
  const fake = new FakeMt7921u(clock);
  const progress: DownloadProgress[] = [];
  const dev = new Mt7921uDevice({
    bus: fake,
    regs: fake,
    clock,
    firmware: images,
    onProgress: (p) => progress.push(p),
    rxReadsPerEp: 4,
  });
  return { clock, fake, dev, progress, images };
}

async function run<T>(clock: VirtualClock, p: Promise<T>, maxMs = 600_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown = null;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  await clock.runAsync({ until: () => done, maxTime: clock.now() + maxMs });
  if (!done) throw new Error('did not finish');
  if (error !== null) throw error;
  return value as T;
}

const cmdName = (o: FakeOp) => (o.op === 'cmd' ? o.cmd.cmd : null);

describe('bring-up against a scripted fake (FACTS §3, §4.6)', () => {
  it('runs the probe steps in Linux order and downloads patch and RAM', async () => {
    const { clock, fake, dev, progress, images } = setup();
    await run(clock, dev.probe());
    expect(dev.state).toBe('ready');
    expect(dev.chip).toEqual({ chip: 0x7961, rev: 0x10, asicRevision: 0x79610010 });
    const log = fake.log;
    const idx = (pred: (o: FakeOp) => boolean) => log.findIndex(pred);
    const iReset = idx((o) => o.op === 'reset');
    const iChip = idx((o) => o.op === 'rr' && o.addr === 0x70010200);
    const iPower = idx((o) => o.op === 'power-on');
    const iEp4 = idx((o) => o.op === 'wr' && o.addr === MT_WFDMA_HOST_CONFIG);
    const iSwdef = idx((o) => o.op === 'wr' && o.addr === MT_SWDEF_MODE && o.val === 0);
    const iDlEn = idx((o) => o.op === 'wr' && o.addr === MT_UDMA_TX_QSEL && (o.val & MT_FW_DL_EN) !== 0);
    const iFirstCmd = idx((o) => o.op === 'cmd');
    expect(iReset).toBe(0);
    expect(
      iReset < iChip && iChip < iPower && iPower < iEp4 && iEp4 < iSwdef && iSwdef < iDlEn && iDlEn < iFirstCmd,
    ).toBe(true);
    // no WFSYS reset on a cold chip
    expect(log.some((o) => o.op === 'uhw-wr' && o.addr === 0x70002600)).toBe(false);

    const cmds = fake.commands().map((c) => c.cmd);
    const patchLen = images.patch.sections[0]!.len;
    const ramRegions = images.ram.regions.filter((r) => r.download);
    expect(cmds.slice(0, 5)).toEqual([
      MCU_CMD(McuCmdId.NIC_POWER_CTRL),
      MCU_CMD(McuCmdId.PATCH_SEM_CONTROL),
      MCU_CMD(McuCmdId.PATCH_START_REQ),
      MCU_CMD(McuCmdId.PATCH_FINISH_REQ),
      MCU_CMD(McuCmdId.PATCH_SEM_CONTROL),
    ]);
    const start = fake.commands()[2]!;
    expect([start.payload.readUInt32LE(0), start.payload.readUInt32LE(4), start.payload.readUInt32LE(8)]).toEqual([
      0x900000,
      patchLen,
      0x80000000,
    ]);
    const rest = cmds.slice(5);
    expect(rest.slice(0, ramRegions.length + 1)).toEqual([
      ...ramRegions.map(() => MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ)),
      MCU_CMD(McuCmdId.FW_START_REQ),
    ]);
    const tal = fake.commands().filter((c) => c.cmd === MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ));
    expect(tal.map((c) => [c.payload.readUInt32LE(0), c.payload.readUInt32LE(4), c.payload.readUInt32LE(8)])).toEqual(
      ramRegions.map((r) => [r.addr, r.len, 0x8000004f]),
    );
    const fwStart = fake.commands().find((c) => c.cmd === MCU_CMD(McuCmdId.FW_START_REQ))!;
    expect([fwStart.payload.readUInt32LE(0), fwStart.payload.readUInt32LE(4)]).toEqual([1, 0x915000]);
    expect(rest.slice(ramRegions.length + 1)).toEqual([
      MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB),
      MCU_CE_CMD(McuCeCmdId.FWLOG_2_HOST),
      MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE),
      MCU_EXT_CMD(McuExtCmdId.PROTECT_CTRL),
      MCU_CE_CMD(McuCeCmdId.CHIP_CONFIG),
    ]);
    // FW_DL_EN cleared after the firmware run, before EFUSE_BUFFER_MODE
    const iDlClr = log.findIndex((o) => o.op === 'wr' && o.addr === MT_UDMA_TX_QSEL && (o.val & MT_FW_DL_EN) === 0);
    const iEfuse = log.findIndex((o) => cmdName(o) === MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE));
    expect(iDlClr).toBeGreaterThan(iDlEn);
    expect(iDlClr).toBeLessThan(iEfuse);
    // scatter chunks: ≤ 4096, per section/region, summing to the announced lengths
    const chunks = log.flatMap((o) => (o.op === 'scatter' ? [o.len] : []));
    expect(chunks.every((n) => n > 0 && n <= 4096)).toBe(true);
    const total = patchLen + ramRegions.reduce((s, r) => s + r.len, 0);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(total);
    expect(dev.download!.patchBytes + dev.download!.ramBytes).toBe(total);
    // progress: monotonic, ends at total
    expect(progress.at(-1)).toMatchObject({ done: total, total });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.done).toBeGreaterThan(progress[i - 1]!.done);
    // NIC capability applied
    expect(dev.caps!.antennaMask).toBe(3);
    expect(Buffer.from(dev.caps!.macAddr!).toString('hex')).toBe('000c43796101');
    // replies to fire-and-forget commands were discarded, not matched
    expect(dev.mcu.stats.timeouts).toBe(0);
    expect(dev.mcu.stats.unexpected + dev.mcu.stats.discardedSeq).toBeGreaterThan(0);
  });

  it('programs DMA init in the order of §3.3', async () => {
    const { clock, fake, dev } = setup();
    await run(clock, dev.probe());
    const writes = fake.log.flatMap((o) => (o.op === 'wr' ? [[o.addr, o.val] as const] : []));
    const ringWrites = writes
      .filter(([a]) => a >= 0x7c024600 && a < 0x7c024700)
      .map(([a, v]) => [(a - 0x7c024600) / 4, v]);
    expect(ringWrites).toEqual([
      [0, 0x00800004],
      [1, 0x00c00004],
      [2, 0x01000004],
      [3, 0x01400004],
      [4, 0x01800004],
      [16, 0x02800004],
      [17, 0x02c00004],
    ]);
    expect(fake.reg(MT_DMASHDL_GROUP_QUOTA(0))).toBe(0x0fff0003);
    expect(fake.reg(MT_DMASHDL_GROUP_QUOTA(5))).toBe(0);
    expect(fake.reg(0x7c026060)).toBe(0x32013201);
    expect(fake.reg(0x7c02606c)).toBe(0x55555444);
    expect(fake.reg(0x7c026070)).toBe(0x76540132);
    expect(fake.reg(0x7c026074)).toBe(0xfedcba98);
    expect(fake.reg(0x7c026010) >>> 16).toBe(0xffe0);
    expect(fake.reg(0x7c02601c)).toBe(1);
    expect(fake.reg(0x54000120) & 2).toBe(2);
    // GLO_CFG: OMIT_TX_INFO, OMIT_RX_INFO_PFET2, FW_DWLD_BYPASS, TX/RX DMA on; OMIT_RX_INFO off
    const glo = fake.reg(MT_UWFDMA0_GLO_CFG);
    expect(glo & ((1 << 28) | (1 << 21) | (1 << 9) | 1 | 4)).toBe((1 << 28) | (1 << 21) | (1 << 9) | 1 | 4);
    expect(glo & (1 << 27)).toBe(0);
    // WLCFG_0: RX_EN, TX_EN, MPSZ_PAD0, TICK_1US; no flush, no aggregation
    const w0 = fake.reg(0x74000018);
    expect(w0 & 0xfcffff).toBe((1 << 22) | (1 << 23) | (1 << 18) | (1 << 20));
    expect(fake.reg(MT_WFDMA_HOST_CONFIG) & 0x40).toBe(0x40);
    // EP4 routing is on before the first command: every reply came on 0x84, while reads stay posted on 0x85 too
    expect(dev.rx.stats.completions[0x84]).toBeGreaterThan(0);
    expect(dev.rx.stats.completions[0x85]).toBe(0);
    expect(fake.pipes.posted(0x85)).toBe(4);
    // MAC init: WTBL update for 20 entries, DCR values
    expect(fake.log.filter((o) => o.op === 'wr' && o.addr === 0x820d4230)).toHaveLength(20);
    expect((fake.reg(0x820cd004) >>> 3) & 0x1fff).toBe(1536);
    expect(fake.reg(0x820cd000) & ((1 << 15) | (1 << 19))).toBe((1 << 15) | (1 << 19));
    expect(fake.reg(0x820e7000) & (1 << 23)).toBe(0);
    expect(fake.reg(0x820e9008) >>> 24).toBe(3);
  });

  it('resets WFSYS first when the firmware was left running', async () => {
    const { clock, fake, dev } = setup();
    fake.regs.set(MT_CONN_ON_MISC, 3);
    await run(clock, dev.probe());
    const i = fake.log.findIndex((o) => o.op === 'uhw-wr' && o.addr === 0x70002600 && (o.val & 1) === 1);
    const j = fake.log.findIndex((o) => o.op === 'uhw-wr' && o.addr === 0x70002600 && (o.val & 1) === 0);
    const p = fake.log.findIndex((o) => o.op === 'power-on');
    expect(i).toBeGreaterThan(0);
    expect(i < j && j < p).toBe(true);
    expect(fake.log.some((o) => o.op === 'uhw-wr' && o.addr === 0x74000a24 && o.val === 0)).toBe(true);
  });

  it('skips the patch when the ROM reports it downloaded (status 1), without releasing the semaphore', async () => {
    const { clock, fake, dev } = setup();
    fake.patchApplied = true;
    await run(clock, dev.probe());
    const sem = fake.commands().filter((c) => c.cmd === MCU_CMD(McuCmdId.PATCH_SEM_CONTROL));
    expect(sem.map((c) => c.payload.readUInt32LE(0))).toEqual([1]);
    expect(fake.commands().some((c) => c.cmd === MCU_CMD(McuCmdId.PATCH_START_REQ))).toBe(false);
    expect(dev.download!.patchDownloaded).toBe(false);
  });

  it('releases the semaphore when PATCH_FINISH fails, then retries after an init reset', async () => {
    const { clock, fake, dev } = setup();
    let failures = 1;
    fake.policy.set(MCU_CMD(McuCmdId.PATCH_FINISH_REQ), () => {
      if (failures-- > 0) return { byte32: 5 };
      fake.patchApplied = true;
      return { byte32: 0 };
    });
    await run(clock, dev.probe());
    expect(dev.initAttempts).toBe(2);
    const sem = fake.commands().filter((c) => c.cmd === MCU_CMD(McuCmdId.PATCH_SEM_CONTROL));
    expect(sem.map((c) => c.payload.readUInt32LE(0))).toEqual([1, 0, 1, 0]);
    // the init reset between the attempts is a WFSYS reset and nothing more (mt792xu_init_reset): no second
    // POWER_ON, no second DMA init; NIC_POWER_CTRL of the next attempt brings FW_STATE back
    expect(fake.log.filter((o) => o.op === 'uhw-wr' && o.addr === 0x70002600 && (o.val & 1) === 1)).toHaveLength(1);
    expect(fake.log.filter((o) => o.op === 'power-on')).toHaveLength(1);
    expect(fake.log.filter((o) => o.op === 'wr' && o.addr === MT_WFDMA_HOST_CONFIG)).toHaveLength(1);
  });

  it('a lost reply times out after 3 s, the attempt is retried, and bring-up succeeds', async () => {
    const { clock, fake, dev } = setup();
    let drop = true;
    fake.policy.set(MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB), () => {
      if (drop) {
        drop = false;
        return null;
      }
      return { payload: defaultNicCapPayload() };
    });
    const t0 = clock.now();
    await run(clock, dev.probe());
    expect(dev.mcu.stats.timeouts).toBe(1);
    expect(dev.initAttempts).toBe(2);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(3000);
  });

  it('gives up after 10 attempts when the semaphore is never granted', async () => {
    const { clock, fake, dev } = setup();
    fake.policy.set(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), () => ({ byte32: 0 }));
    const err = await run(clock, dev.probe()).catch((e) => e);
    expect(err).toBeInstanceOf(Mt7921uError);
    expect((err as Mt7921uError).code).toBe('init-failed');
    expect(((err as Mt7921uError).cause as Mt7921uError).code).toBe('patch-semaphore');
    expect(fake.commands().filter((c) => c.cmd === MCU_CMD(McuCmdId.PATCH_SEM_CONTROL))).toHaveLength(10);
    expect(dev.state).toBe('failed');
  });

  it('fails with a clear error when power-on never completes', async () => {
    const { clock, fake, dev } = setup();
    fake.mcuPowerOn = async () => {};
    const t0 = clock.now();
    const err = await run(clock, dev.probe()).catch((e) => e);
    expect((err as Mt7921uError).code).toBe('power-on-timeout');
    expect(clock.now() - t0).toBeGreaterThanOrEqual(500);
  });

  it('N9 never ready: fw-init-timeout after 1.5 s per attempt', async () => {
    const { clock, fake, dev } = setup();
    fake.policy.set(MCU_CMD(McuCmdId.FW_START_REQ), () => ({}));
    const err = await run(clock, dev.probe()).catch((e) => e);
    expect(((err as Mt7921uError).cause as Mt7921uError).code).toBe('fw-init-timeout');
  });

  it('rejects a chip that is not an MT7961, and a dead bus', async () => {
    const a = setup();
    a.fake.regs.set(0x70010200, 0x7925);
    expect(((await run(a.clock, a.dev.probe()).catch((e) => e)) as Mt7921uError).code).toBe('unsupported-chip');
    const b = setup();
    b.fake.regs.set(0x70010200, 0xffffffff);
    expect(((await run(b.clock, b.dev.probe()).catch((e) => e)) as Mt7921uError).code).toBe('bus');
  });

  it('start(): MAC on, channel domain, RX path, rate-power batches each followed by REG_READ', async () => {
    const { clock, fake, dev } = setup();
    await run(clock, dev.probe());
    const n0 = fake.commands().length;
    await run(clock, dev.start({ band: '2g', channel: 1, width: '20-noht', center1: 1 }));
    const cmds = fake
      .commands()
      .slice(n0)
      .map((c) => c.cmd);
    expect(cmds.slice(0, 3)).toEqual([
      MCU_EXT_CMD(McuExtCmdId.MAC_INIT_CTRL),
      MCU_CE_CMD(McuCeCmdId.SET_CHAN_DOMAIN),
      MCU_EXT_CMD(McuExtCmdId.SET_RX_PATH),
    ]);
    const rest = cmds.slice(3);
    const batches = rest.filter((c) => c === MCU_CE_CMD(McuCeCmdId.SET_RATE_TX_POWER)).length;
    expect(batches).toBe(2 + 6 + 14); // 14 / 48 / 107 channels in batches of 8
    for (let i = 0; i < rest.length; i += 2) {
      expect(rest[i]).toBe(MCU_CE_CMD(McuCeCmdId.SET_RATE_TX_POWER));
      expect(rest[i + 1]).toBe(0x500c0);
    }
    expect(dev.state).toBe('running');
    expect(dev.dispatch.running).toBe(true);
  });

  it('an MCU timeout after init triggers the full reset, which restarts the interface', async () => {
    const { clock, fake, dev } = setup();
    await run(clock, dev.probe());
    await run(clock, dev.start({ band: '2g', channel: 6, width: '20', center1: 6 }));
    fake.policy.set(MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH), () => null);
    const err = await run(clock, dev.mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH), Buffer.alloc(76))).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(McuTimeoutError);
    await clock.runAsync({ until: () => dev.state === 'running' && dev.resets === 1, maxTime: clock.now() + 60_000 });
    expect(dev.resets).toBe(1);
    expect(dev.state).toBe('running');
    const sem = fake.commands().filter((c) => c.cmd === MCU_CMD(McuCmdId.PATCH_SEM_CONTROL));
    expect(sem.length).toBe(3); // GET+RELEASE at probe, GET (already patched) at reset
  });
});

const patchPath = sharedPath('firmware', 'WIFI_MT7961_patch_mcu_1_2_hdr.bin');
const ramPath = sharedPath('firmware', 'WIFI_RAM_CODE_MT7961_1.bin');

describe.skipIf(!(patchPath && ramPath))('download of the real MT7961 images', () => {
  it('sends 23 patch chunks and 89+67+4+14 RAM chunks with the modes of §4.5', async () => {
    const images: FirmwareImages = {
      patch: parsePatch(readFileSync(patchPath!)),
      ram: parseRamCode(readFileSync(ramPath!)),
    };
    const { clock, fake, dev } = setup(images);
    await run(clock, dev.probe());
    const log = fake.log;
    const startIdx = log.findIndex((o) => o.op === 'cmd' && o.cmd.cmd === MCU_CMD(McuCmdId.PATCH_START_REQ));
    const finishIdx = log.findIndex((o) => o.op === 'cmd' && o.cmd.cmd === MCU_CMD(McuCmdId.PATCH_FINISH_REQ));
    const patchChunks = log.slice(startIdx, finishIdx).filter((o) => o.op === 'scatter');
    expect(patchChunks).toHaveLength(23);
    expect(patchChunks.at(-1)).toMatchObject({ len: 1920 });
    const perRegion: number[] = [];
    let n = -1;
    for (const o of log.slice(finishIdx)) {
      if (o.op === 'cmd' && o.cmd.cmd === MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ)) {
        perRegion.push(0);
        n++;
        expect(o.cmd.payload.readUInt32LE(8)).toBe(0x8000004f);
      } else if (o.op === 'scatter') perRegion[n]!++;
      else if (o.op === 'cmd' && o.cmd.cmd === MCU_CMD(McuCmdId.FW_START_REQ)) break;
    }
    expect(perRegion).toEqual([89, 67, 4, 14]);
    expect(dev.download!.patchBytes).toBe(92032);
    expect(dev.download!.ramBytes).toBe(363536 + 272400 + 15376 + 54480);
  });
});

describe.skipIf(!!(patchPath && ramPath))('download of the real MT7961 images', () => {
  it.skip(missingShared('firmware/WIFI_MT7961_patch_mcu_1_2_hdr.bin and WIFI_RAM_CODE_MT7961_1.bin'), () => {});
});

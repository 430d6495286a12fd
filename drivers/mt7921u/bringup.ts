/**
 * Bring-up on probe and the reset paths (FACTS.md §3.2, §3.5, §3.7; mt7921u_probe, mt7921_init_hardware,
 * __mt7921_init_hardware, mt7921u_mcu_init, mt7921_run_firmware, mt792xu_init_reset, mt7921u_mac_reset).
 *
 * Each step is a function over a BringupContext so that the device class stays a thin holder of state and the
 * order of operations reads top to bottom here.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { type EndpointMap, type RegAccess, regClear, regSet, setEndpoints, type UsbBus } from './bus.ts';
import { dmaInit, mcuPowerOn, wfsysReset } from './dma.ts';
import { Mt7921uError } from './errors.ts';
import { type DownloadProgress, type DownloadResult, type FirmwareImages, loadFirmware } from './firmware-load.ts';
import { macInit } from './mac-init.ts';
import { MCU_CE_CMD, MCU_EXT_CMD, McuCeCmdId, McuExtCmdId } from './mcu/cmd.ts';
import {
  deepSleepPayload,
  efuseBufferModePayload,
  fwLog2HostPayload,
  type NicCapability,
  parseNicCapability,
} from './mcu/init-cmds.ts';
import type { Mt7921Mcu } from './mcu/mcu.ts';
import {
  MT_CONN_ON_MISC,
  MT_FW_DL_EN,
  MT_HW_CHIPID,
  MT_HW_REV,
  MT_SWDEF_MODE,
  MT_SWDEF_NORMAL_MODE,
  MT_UDMA_TX_QSEL,
} from './regs.ts';

const log = logger('mt7921u:init');

/** MT792x_MCU_INIT_RETRY_COUNT */
export const MCU_INIT_RETRY_COUNT = 10;
/** Chip ids this driver has firmware names for (mt792x.h); only MT7961 firmware is handled here. */
export const MT7961_CHIP_ID = 0x7961;

export interface ChipInfo {
  /** Low 16 bits of MT_HW_CHIPID. */
  chip: number;
  /** Low 8 bits of MT_HW_REV. */
  rev: number;
  /** (CHIPID << 16) | (REV & 0xff): "ASIC revision: 79610010". */
  asicRevision: number;
}

/** The pieces bring-up works on. */
export interface BringupContext {
  bus: UsbBus;
  regs: RegAccess;
  clock: Clock;
  mcu: Mt7921Mcu;
  /** Post / stop the RX reads (mt76u_submit_rx_buffers / mt76u_stop_rx). */
  rxStart(): void;
  rxStop(): void;
  /** The firmware images (loaded lazily so that a missing file fails at download time, with its own error). */
  firmware(): Promise<FirmwareImages>;
  onProgress?: (p: DownloadProgress) => void;
}

export interface InitResult {
  caps: NicCapability;
  download: DownloadResult;
  attempts: number;
}

/** Read the chip identity; 0xffffffff (a failed read) means the bus is broken (mt792xu_check_bus). */
export async function readChipInfo(regs: RegAccess): Promise<ChipInfo> {
  const id = await regs.rr(MT_HW_CHIPID);
  const rev = await regs.rr(MT_HW_REV);
  if (id >>> 0 === 0xffffffff) {
    throw new Mt7921uError(
      'bus',
      'reading MT_HW_CHIPID failed (0xffffffff): the USB device does not answer; replug it',
    );
  }
  const chip = id & 0xffff;
  return { chip, rev: rev & 0xff, asicRevision: ((chip << 16) | (rev & 0xff)) >>> 0 };
}

/**
 * mt7921u_probe up to the init work: USB reset, endpoints, chip id, WFSYS reset when firmware was left running,
 * MCU power on, RX reads posted, DMA init.
 */
export async function probeDevice(ctx: BringupContext): Promise<{ chip: ChipInfo; endpoints: EndpointMap }> {
  await ctx.bus.resetDevice();
  const endpoints = setEndpoints(ctx.bus.endpoints());
  const chip = await readChipInfo(ctx.regs);
  log('ASIC revision: %s', chip.asicRevision.toString(16).padStart(8, '0'));
  if (chip.chip !== MT7961_CHIP_ID) {
    throw new Mt7921uError(
      'unsupported-chip',
      `chip 0x${chip.chip.toString(16)} is not an MT7961 (MT7921): this driver only loads MT7961 firmware`,
    );
  }
  if ((await ctx.regs.rr(MT_CONN_ON_MISC)) & 3) {
    log('firmware left running: WFSYS reset');
    await wfsysReset(ctx.regs, ctx.clock);
  }
  await mcuPowerOn(ctx.regs, ctx.clock);
  ctx.rxStart();
  await dmaInit(ctx.regs, ctx.clock, false);
  return { chip, endpoints };
}

/** mt7921_run_firmware: download, NIC capability, (CLC: not on USB), MCU running, firmware log to host. */
export async function runFirmware(ctx: BringupContext): Promise<{ caps: NicCapability; download: DownloadResult }> {
  const images = await ctx.firmware();
  const download = await loadFirmware({
    regs: ctx.regs,
    mcu: ctx.mcu,
    clock: ctx.clock,
    images,
    onProgress: ctx.onProgress,
  });
  const r = await ctx.mcu.sendAndGet(MCU_CE_CMD(McuCeCmdId.GET_NIC_CAPAB), null);
  const caps = parseNicCapability(r.payload);
  if (caps === null) throw new Mt7921uError('nic-capability', 'GET_NIC_CAPAB reply shorter than its 4-byte header');
  await ctx.mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.FWLOG_2_HOST), fwLog2HostPayload(1));
  return { caps, download };
}

/** mt7921u_mcu_init: FW_DL_EN around the firmware run. */
export async function mcuInit(ctx: BringupContext): Promise<{ caps: NicCapability; download: DownloadResult }> {
  await regSet(ctx.regs, MT_UDMA_TX_QSEL, MT_FW_DL_EN);
  const r = await runFirmware(ctx);
  await regClear(ctx.regs, MT_UDMA_TX_QSEL, MT_FW_DL_EN);
  return r;
}

/** __mt7921_init_hardware: SWDEF_MODE, MCU init, EFUSE_BUFFER_MODE, MAC init. */
export async function initHardwareOnce(
  ctx: BringupContext,
): Promise<{ caps: NicCapability; download: DownloadResult }> {
  // the firmware operation mode must be normal before download
  await ctx.regs.wr(MT_SWDEF_MODE, MT_SWDEF_NORMAL_MODE);
  const r = await mcuInit(ctx);
  await ctx.mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE), efuseBufferModePayload());
  await macInit(ctx.regs, ctx.clock, ctx.mcu);
  return r;
}

/** True when `e` or one of its causes carries the USB error code `code` ('stall', 'nodev', ...). */
export function hasUsbCode(e: unknown, code: string): boolean {
  for (let x: unknown = e, depth = 0; x && typeof x === 'object' && depth < 8; depth++) {
    if ((x as { code?: unknown }).code === code) return true;
    x = (x as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Recovery from a halted endpoint (GUESS: mt76 has no clear-halt path; the transports expose none either): a USB
 * port reset clears the halt, then the whole probe sequence runs again, since the port reset may have cleared the
 * chip's USB-side setup.
 */
export async function reprobe(ctx: BringupContext): Promise<{ chip: ChipInfo; endpoints: EndpointMap }> {
  ctx.mcu.abortPending('USB port reset');
  ctx.rxStop();
  ctx.bus.cancelBulkIn?.();
  return probeDevice(ctx);
}

/**
 * mt792xu_init_reset, as Linux does it between init attempts: stop RX (and fail the MCU waits), WFSYS reset,
 * resubmit RX — nothing more. After the reset the ROM runs again with MT_CONN_ON_MISC reading 0 (FACTS §3.4), and
 * the next attempt's NIC_POWER_CTRL puts FW_STATE back to FW_DOWNLOAD (§4.6), so neither POWER_ON nor DMA init is
 * repeated; MCU events may come on 0x85 again (the reader reads both IN endpoints). The emulator's ROM behaves the
 * same way. Like mt7921_init_hardware, a failed WFSYS reset is only logged: the next attempt fails and is counted.
 */
export async function initReset(ctx: BringupContext): Promise<void> {
  ctx.mcu.abortPending('init reset');
  ctx.rxStop();
  ctx.bus.cancelBulkIn?.();
  try {
    await wfsysReset(ctx.regs, ctx.clock);
  } catch (e) {
    log('init reset: %s', e instanceof Error ? e.message : String(e));
  } finally {
    ctx.rxStart();
  }
}

/**
 * mt7921_init_hardware: up to 10 attempts with an init reset after each failure. Errors of the device going away
 * end it at once. Returns the last attempt's result; throws 'init-failed' with the last error as the cause.
 */
export async function initHardware(ctx: BringupContext): Promise<InitResult> {
  let last: unknown = null;
  for (let i = 1; i <= MCU_INIT_RETRY_COUNT; i++) {
    try {
      const r = await initHardwareOnce(ctx);
      return { ...r, attempts: i };
    } catch (e) {
      last = e;
      log('init attempt %d failed: %s', i, e instanceof Error ? e.message : String(e));
      if (ctx.bus.removed) throw new Mt7921uError('removed', 'the device went away during bring-up', { cause: e });
      if (e instanceof Mt7921uError && (e.code === 'bad-firmware' || e.code === 'unsupported-chip')) throw e;
      if (hasUsbCode(e, 'stall')) await reprobe(ctx);
      else await initReset(ctx);
    }
  }
  const why = last instanceof Error ? last.message : String(last);
  throw new Mt7921uError('init-failed', `hardware init failed after ${MCU_INIT_RETRY_COUNT} attempts: ${why}`, {
    cause: last,
  });
}

/** After a successful init: deep sleep off (CHIP_CONFIG "KeepFullPwr 1"), as USB never enables it. */
export async function setDeepSleep(mcu: Mt7921Mcu, enable: boolean): Promise<void> {
  await mcu.sendNoWait(MCU_CE_CMD(McuCeCmdId.CHIP_CONFIG), deepSleepPayload(enable));
}

/**
 * mt7921u_mac_reset (the full reset after an MCU timeout, §3.7): stop, WFSYS reset, RX back, power on, DMA init,
 * SWDEF_MODE, firmware, EFUSE_BUFFER_MODE, MAC init. The caller restarts the interface (__mt7921_start) after.
 */
export async function macReset(ctx: BringupContext): Promise<{ caps: NicCapability; download: DownloadResult }> {
  await readChipInfo(ctx.regs); // bus check
  ctx.mcu.abortPending('MAC reset');
  ctx.rxStop();
  ctx.bus.cancelBulkIn?.();
  await wfsysReset(ctx.regs, ctx.clock);
  ctx.rxStart();
  await mcuPowerOn(ctx.regs, ctx.clock);
  await dmaInit(ctx.regs, ctx.clock, false);
  await ctx.regs.wr(MT_SWDEF_MODE, MT_SWDEF_NORMAL_MODE);
  const r = await mcuInit(ctx);
  await ctx.mcu.sendAndGet(MCU_EXT_CMD(McuExtCmdId.EFUSE_BUFFER_MODE), efuseBufferModePayload());
  await macInit(ctx.regs, ctx.clock, ctx.mcu);
  return r;
}

/**
 * Firmware download (FACTS.md §4.6; mt792x_load_firmware, mt76_connac2_load_patch, mt76_connac2_load_ram,
 * mt76_connac_mcu_send_ram_firmware, __mt76_mcu_send_firmware).
 *
 * It takes parsed images: the parser (firmware/) validates files; this module only sends what it is given. The input
 * shapes are structural so that firmware/'s RomPatch and RamCode fit them as they are.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import type { RegAccess } from './bus.ts';
import { Mt7921uError } from './errors.ts';
import { MCU_CMD, McuCmdId, PatchSemStatus } from './mcu/cmd.ts';
import {
  FW_SCATTER_MAX,
  FW_START_OVERRIDE,
  fwStartPayload,
  initDownloadCmd,
  initDownloadPayload,
  nicPowerCtrlPayload,
  PatchSemOp,
  patchFinishPayload,
  patchSemPayload,
} from './mcu/fw-cmds.ts';
import { McuStatusError, type Mt7921Mcu } from './mcu/mcu.ts';
import { pollMsec } from './poll.ts';
import { MT_CONN_ON_MISC, MT_TOP_MISC2_FW_N9_RDY, MT_TOP_MISC2_FW_PWR_ON, MT_TOP_MISC2_FW_STATE } from './regs.ts';

const log = logger('mt7921u:fw');

/** The low 16 bits every patch section type must carry (PATCH_SEC_TYPE_INFO). */
export const PATCH_SEC_TYPE_INFO = 0x2;

/** One ROM-patch section as the download needs it. */
export interface PatchSectionInput {
  /** Section type word; the low 16 bits must be PATCH_SEC_TYPE_INFO. */
  type: number;
  addr: number;
  len: number;
  /** Download mode (mt76_connac2_get_data_mode of the security info). */
  dlMode: number;
  /** The bytes to download (at least `len`). */
  data: Uint8Array;
}

export interface PatchImageInput {
  sections: readonly PatchSectionInput[];
  /** For logs: "HW/SW Version: 0x%x, Build Time: %.16s". */
  hwSwVer?: number;
  buildDate?: string;
}

/** One RAM-code region as the download needs it. */
export interface RamRegionInput {
  addr: number;
  len: number;
  /** Download mode (mt76_connac_mcu_gen_dl_mode of feature_set). */
  dlMode: number;
  /** False for NON_DL regions (the CLC table). */
  download: boolean;
  /** The region's payload (at least `len` bytes). */
  payload: Uint8Array;
}

export interface RamImageInput {
  regions: readonly RamRegionInput[];
  /** Address of the downloaded region with OVERRIDE_ADDR, or null. */
  overrideAddr: number | null;
  /** MT792x_FW_CAP_CNM from the release info: channel contexts, ROC and the JOIN before auth/assoc. */
  cnm?: boolean;
  fwVer?: string;
  buildDate?: string;
}

export interface FirmwareImages {
  patch: PatchImageInput;
  ram: RamImageInput;
}

export type DownloadPhase = 'patch' | 'ram';

export interface DownloadProgress {
  phase: DownloadPhase;
  /** Bytes sent so far, of `total` (patch + RAM bytes to download). */
  done: number;
  total: number;
}

export interface DownloadResult {
  /** False when the ROM reported the patch already applied (PATCH_IS_DL). */
  patchDownloaded: boolean;
  patchBytes: number;
  ramBytes: number;
  scatterChunks: number;
  /** Clock time from NIC_POWER_CTRL to N9 ready. */
  elapsedMs: number;
}

export interface LoadFirmwareOptions {
  regs: RegAccess;
  mcu: Mt7921Mcu;
  clock: Clock;
  images: FirmwareImages;
  onProgress?: (p: DownloadProgress) => void;
  /** FW_SCATTER chunk size (4096 on USB). */
  chunkSize?: number;
}

/** FW_STATE poll before download (failure only logs), N9_RDY poll after FW_START. */
export const FW_DL_READY_TIMEOUT_MS = 1000;
export const FW_N9_READY_TIMEOUT_MS = 1500;

function toBuf(u: Uint8Array, len: number): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, len);
}

/** Bytes a download of these images sends. */
export function downloadTotal(images: FirmwareImages): { patch: number; ram: number } {
  let patch = 0;
  for (const s of images.patch.sections) patch += s.len;
  let ram = 0;
  for (const r of images.ram.regions) if (r.download) ram += r.len;
  return { patch, ram };
}

/** mt792x_load_firmware: NIC restart, patch, RAM, start, N9 ready. */
export async function loadFirmware(o: LoadFirmwareOptions): Promise<DownloadResult> {
  const { regs, mcu, clock, images } = o;
  const t0 = clock.now();
  const chunk = o.chunkSize ?? FW_SCATTER_MAX;
  const totals = downloadTotal(images);
  const total = totals.patch + totals.ram;
  let done = 0;
  const chunksBefore = mcu.stats.scatterChunks;

  validateImages(images);

  const sendChunks = async (phase: DownloadPhase, data: Uint8Array, len: number) => {
    for (let off = 0; off < len; off += chunk) {
      const n = Math.min(chunk, len - off);
      await mcu.sendScatter(data.subarray(off, off + n));
      done += n;
      o.onProgress?.({ phase, done, total });
    }
  };

  // 1–2. NIC_POWER_CTRL "restart" (no reply awaited), then FW_STATE == FW_DOWNLOAD (failure only logs)
  await mcu.sendNoWait(MCU_CMD(McuCmdId.NIC_POWER_CTRL), nicPowerCtrlPayload(1));
  if (
    !(await pollMsec(
      regs,
      clock,
      MT_CONN_ON_MISC,
      MT_TOP_MISC2_FW_STATE,
      MT_TOP_MISC2_FW_PWR_ON,
      FW_DL_READY_TIMEOUT_MS,
    ))
  ) {
    log('MCU is not ready for firmware download');
  }

  // 3–6. ROM patch under the patch semaphore
  const patchDownloaded = await loadPatch(o, sendChunks);
  if (!patchDownloaded) {
    done += totals.patch;
    o.onProgress?.({ phase: 'patch', done, total });
  }

  // 7–8. RAM regions, then FW_START (with the override address when a region carries OVERRIDE_ADDR)
  if (images.ram.fwVer) log('WM Firmware Version: %s, Build Time: %s', images.ram.fwVer, images.ram.buildDate ?? '');
  for (const r of images.ram.regions) {
    if (!r.download) continue;
    await mcu.sendAndGet(initDownloadCmd(r.addr), initDownloadPayload(r.addr, r.len, r.dlMode));
    await sendChunks('ram', r.payload, r.len);
  }
  const override = images.ram.overrideAddr ?? 0;
  const option = override ? FW_START_OVERRIDE : 0;
  await mcu.sendAndGet(MCU_CMD(McuCmdId.FW_START_REQ), fwStartPayload(option, override));

  // 9. N9 ready within 1.5 s
  if (
    !(await pollMsec(
      regs,
      clock,
      MT_CONN_ON_MISC,
      MT_TOP_MISC2_FW_N9_RDY,
      MT_TOP_MISC2_FW_N9_RDY,
      FW_N9_READY_TIMEOUT_MS,
    ))
  ) {
    throw new Mt7921uError(
      'fw-init-timeout',
      'Timeout for initializing firmware: N9 not ready 1.5 s after FW_START_REQ',
    );
  }
  log('firmware init done');
  return {
    patchDownloaded,
    patchBytes: patchDownloaded ? totals.patch : 0,
    ramBytes: totals.ram,
    scatterChunks: mcu.stats.scatterChunks - chunksBefore,
    elapsedMs: clock.now() - t0,
  };
}

/** Refuse images that cannot be sent as given (the parser should have refused them already). */
function validateImages(images: FirmwareImages): void {
  images.patch.sections.forEach((s, i) => {
    if (s.data.length < s.len) {
      throw new Mt7921uError('bad-firmware', `patch section ${i}: ${s.data.length} bytes of data for len ${s.len}`);
    }
  });
  images.ram.regions.forEach((r, i) => {
    if (r.download && r.payload.length < r.len) {
      throw new Mt7921uError('bad-firmware', `RAM region ${i}: ${r.payload.length} bytes of payload for len ${r.len}`);
    }
  });
}

/**
 * mt76_connac2_load_patch. Returns false when the ROM says the patch is already there. The semaphore is released
 * on every exit path after a successful GET.
 */
async function loadPatch(
  o: LoadFirmwareOptions,
  sendChunks: (phase: DownloadPhase, data: Uint8Array, len: number) => Promise<void>,
): Promise<boolean> {
  const { mcu, images } = o;
  const sem = (await mcu.sendAndGet(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), patchSemPayload(PatchSemOp.GET))).ret;
  if (sem === PatchSemStatus.IS_DL) {
    log('ROM patch already downloaded');
    return false;
  }
  if (sem !== PatchSemStatus.NOT_DL_SEM_SUCCESS) {
    throw new Mt7921uError('patch-semaphore', `Failed to get patch semaphore (status ${sem}); retry after a reset`);
  }
  if (images.patch.hwSwVer !== undefined) {
    log('HW/SW Version: 0x%s, Build Time: %s', images.patch.hwSwVer.toString(16), images.patch.buildDate ?? '');
  }
  let failure: unknown = null;
  try {
    images.patch.sections.forEach((s, i) => {
      if ((s.type & 0xffff) !== PATCH_SEC_TYPE_INFO) {
        throw new Mt7921uError('bad-firmware', `patch section ${i}: type 0x${(s.type >>> 0).toString(16)} is not INFO`);
      }
    });
    for (const s of images.patch.sections) {
      await mcu.sendAndGet(initDownloadCmd(s.addr), initDownloadPayload(s.addr, s.len, s.dlMode));
      await sendChunks('patch', toBuf(s.data, s.len), s.len);
    }
    const fin = (await mcu.sendAndGet(MCU_CMD(McuCmdId.PATCH_FINISH_REQ), patchFinishPayload(0))).ret;
    if (fin !== 0) {
      throw new Mt7921uError('patch-finish', `Failed to start patch (PATCH_FINISH_REQ status ${fin})`, {
        cause: new McuStatusError(MCU_CMD(McuCmdId.PATCH_FINISH_REQ), fin),
      });
    }
  } catch (e) {
    failure = e;
  }
  // release on every exit path
  let rel: number;
  try {
    rel = (await mcu.sendAndGet(MCU_CMD(McuCmdId.PATCH_SEM_CONTROL), patchSemPayload(PatchSemOp.RELEASE))).ret;
  } catch (e) {
    throw failure ?? e;
  }
  if (failure !== null) throw failure;
  if (rel !== PatchSemStatus.REL_SEM_SUCCESS) {
    throw new Mt7921uError('patch-semaphore', `Failed to release patch semaphore (status ${rel})`);
  }
  return true;
}

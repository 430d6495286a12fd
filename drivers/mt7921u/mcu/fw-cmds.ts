/**
 * Firmware-download commands (FACTS.md §4.6; mt76_connac_mcu_patch_sem_ctrl, _init_download, _start_patch,
 * _start_firmware, mt7921's NIC_POWER_CTRL restart).
 */
import { MCU_CMD, McuCmdId } from './cmd.ts';

export enum PatchSemOp {
  RELEASE = 0,
  GET = 1,
}

/** PATCH_SEM_CONTROL {op le32}. */
export function patchSemPayload(op: PatchSemOp): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(op, 0);
  return b;
}

/** NIC_POWER_CTRL "restart": {power_mode = 1, rsv[3]}; sent without waiting. */
export function nicPowerCtrlPayload(powerMode = 1): Buffer {
  return Buffer.from([powerMode, 0, 0, 0]);
}

/** PATCH_START_REQ / TARGET_ADDRESS_LEN_REQ {addr, len, mode} (12 bytes). */
export function initDownloadPayload(addr: number, len: number, mode: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(addr >>> 0, 0);
  b.writeUInt32LE(len >>> 0, 4);
  b.writeUInt32LE(mode >>> 0, 8);
  return b;
}

/** connac2 patch address rule: 0x900000 (and the generic 0x200000) use PATCH_START_REQ. */
export const MCU_PATCH_ADDRESS = 0x200000;
export const MCU_CONNAC2_PATCH_ADDRESS = 0x900000;

export function initDownloadCmd(addr: number): number {
  return addr >>> 0 === MCU_PATCH_ADDRESS || addr >>> 0 === MCU_CONNAC2_PATCH_ADDRESS
    ? MCU_CMD(McuCmdId.PATCH_START_REQ)
    : MCU_CMD(McuCmdId.TARGET_ADDRESS_LEN_REQ);
}

/** PATCH_FINISH_REQ {check_crc u8 = 0, rsv[3]}. */
export function patchFinishPayload(checkCrc = 0): Buffer {
  return Buffer.from([checkCrc, 0, 0, 0]);
}

/** FW_START_REQ option bits. */
export const FW_START_OVERRIDE = 1 << 0;
export const FW_START_WORKING_PDA_CR4 = 1 << 2;
export const FW_START_PDA_DSP = 1 << 3;

/** FW_START_REQ {option le32, addr le32}. */
export function fwStartPayload(option: number, addr: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(option >>> 0, 0);
  b.writeUInt32LE(addr >>> 0, 4);
  return b;
}

/** Download mode bits (the mode word of init download). */
export const DL_MODE_ENCRYPT = 1 << 0;
export const DL_MODE_KEY_IDX_SHIFT = 1;
export const DL_MODE_RESET_SEC_IV = 1 << 3;
export const DL_MODE_WORKING_PDA_CR4 = 1 << 4;
export const DL_MODE_VALID_RAM_ENTRY = 1 << 5;
export const DL_CONFIG_ENCRY_MODE_SEL = 1 << 6;
export const DL_MODE_NEED_RSP = 0x80000000;

/** Largest FW_SCATTER chunk on USB. */
export const FW_SCATTER_MAX = 4096;

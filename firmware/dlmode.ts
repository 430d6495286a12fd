/**
 * Download modes and chunking (FACTS §4.2, §4.3, §4.6; mt76_connac_mcu.h / mt76_connac_mcu.c).
 *
 * The mode word goes into PATCH_START_REQ / TARGET_ADDRESS_LEN_REQ {addr, len, mode}; it tells the ROM how to treat
 * the bytes that follow as FW_SCATTER chunks.
 */

export const DL_MODE_ENCRYPT = 1 << 0;
export const DL_MODE_KEY_IDX_SHIFT = 1;
export const DL_MODE_KEY_IDX_MASK = 0x3 << DL_MODE_KEY_IDX_SHIFT;
export const DL_MODE_RESET_SEC_IV = 1 << 3;
export const DL_MODE_WORKING_PDA_CR4 = 1 << 4;
export const DL_MODE_VALID_RAM_ENTRY = 1 << 5;
export const DL_CONFIG_ENCRY_MODE_SEL = 1 << 6;
export const DL_MODE_NEED_RSP = 0x80000000;

/** FW_START_REQ option bits. */
export const FW_START_OVERRIDE = 1 << 0;
export const FW_START_WORKING_PDA_CR4 = 1 << 2;
export const FW_START_PDA_DSP = 1 << 3;

/** RAM region feature_set bits. */
export const FW_FEATURE_SET_ENCRYPT = 1 << 0;
export const FW_FEATURE_SET_KEY_IDX_SHIFT = 1;
export const FW_FEATURE_SET_KEY_IDX_MASK = 0x3 << FW_FEATURE_SET_KEY_IDX_SHIFT;
export const FW_FEATURE_ENCRY_MODE = 1 << 4;
export const FW_FEATURE_OVERRIDE_ADDR = 1 << 5;
export const FW_FEATURE_NON_DL = 1 << 6;
/** Every feature_set bit the format defines (bits 3 and 7 are not). */
export const FW_FEATURE_KNOWN_MASK =
  FW_FEATURE_SET_ENCRYPT |
  FW_FEATURE_SET_KEY_IDX_MASK |
  FW_FEATURE_ENCRY_MODE |
  FW_FEATURE_OVERRIDE_ADDR |
  FW_FEATURE_NON_DL;

/** ROM-patch section security info: encryption type in [31:24], AES key index in [7:0]. */
export const PATCH_SEC_NOT_SUPPORT = 0xffffffff;
export const PATCH_SEC_ENC_TYPE_PLAIN = 0x00;
export const PATCH_SEC_ENC_TYPE_AES = 0x01;
export const PATCH_SEC_ENC_TYPE_SCRAMBLE = 0x02;

export type PatchEncryption = 'none' | 'plain' | 'aes' | 'scramble';

/** The encryption a section's security info announces, or null for an unknown type. */
export function patchEncryption(secInfo: number): PatchEncryption | null {
  if (secInfo >>> 0 === PATCH_SEC_NOT_SUPPORT) return 'none';
  switch (secInfo >>> 24) {
    case PATCH_SEC_ENC_TYPE_PLAIN:
      return 'plain';
    case PATCH_SEC_ENC_TYPE_AES:
      return 'aes';
    case PATCH_SEC_ENC_TYPE_SCRAMBLE:
      return 'scramble';
    default:
      return null;
  }
}

/**
 * mt76_connac2_get_data_mode: ROM-patch security info → download mode. Returns null for an unknown encryption type
 * (Linux logs an error and sends NEED_RSP alone; the parser refuses such a file before it gets here).
 */
export function patchDlMode(secInfo: number): number | null {
  const enc = patchEncryption(secInfo);
  let mode = DL_MODE_NEED_RSP;
  switch (enc) {
    case null:
      return null;
    case 'none':
    case 'plain':
      break;
    case 'aes':
      mode |= DL_MODE_ENCRYPT | (((secInfo & 0xff) << DL_MODE_KEY_IDX_SHIFT) & DL_MODE_KEY_IDX_MASK);
      mode |= DL_MODE_RESET_SEC_IV;
      break;
    case 'scramble':
      mode |= DL_MODE_ENCRYPT | DL_CONFIG_ENCRY_MODE_SEL | DL_MODE_RESET_SEC_IV;
      break;
  }
  return mode >>> 0;
}

/** mt76_connac_mcu_gen_dl_mode for WM firmware: RAM region feature_set → download mode. */
export function ramDlMode(featureSet: number): number {
  let mode = DL_MODE_NEED_RSP;
  if (featureSet & FW_FEATURE_SET_ENCRYPT) mode |= DL_MODE_ENCRYPT | DL_MODE_RESET_SEC_IV;
  if (featureSet & FW_FEATURE_ENCRY_MODE) mode |= DL_CONFIG_ENCRY_MODE_SEL;
  mode |= ((featureSet & FW_FEATURE_SET_KEY_IDX_MASK) >> FW_FEATURE_SET_KEY_IDX_SHIFT) << DL_MODE_KEY_IDX_SHIFT;
  return mode >>> 0;
}

/** Largest FW_SCATTER chunk on USB (4096; 2048 on SDIO). */
export const FW_SCATTER_MAX_USB = 4096;

export interface Chunk {
  /** Offset in the downloaded bytes of the section or region. */
  offset: number;
  length: number;
}

/** Number of FW_SCATTER chunks for `length` bytes (__mt76_mcu_send_firmware). */
export function chunkCount(length: number, max = FW_SCATTER_MAX_USB): number {
  return Math.ceil(length / max);
}

/** The FW_SCATTER chunks for `length` bytes: full `max`-byte chunks, then the remainder. */
export function chunkPlan(length: number, max = FW_SCATTER_MAX_USB): Chunk[] {
  if (!(max > 0)) throw new RangeError(`chunk size must be positive, got ${max}`);
  const out: Chunk[] = [];
  for (let offset = 0; offset < length; offset += max) out.push({ offset, length: Math.min(max, length - offset) });
  return out;
}

/** connac2 ROM patches load with PATCH_START_REQ when the section targets 0x900000 (or 0x200000), else TARGET_ADDRESS_LEN_REQ. */
export function usesPatchStartReq(addr: number): boolean {
  return addr === 0x900000 || addr === 0x200000;
}

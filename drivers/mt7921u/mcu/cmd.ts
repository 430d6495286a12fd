/**
 * MCU command ids and the driver-internal command word (FACTS.md §5.2, §6; mt76_connac_mcu.h).
 *
 * A command word packs [7:0] id, [15:8] ext id, BIT16 query, BIT17 UNI, BIT18 CE, BIT19 WA, BIT20 WM. EXT commands
 * are cid 0xED + ext id; CE commands are their CE id with no ext id; UNI commands use the 48-byte UNI descriptor.
 */

export const MCU_CMD_FIELD_ID = 0xff;
export const MCU_CMD_FIELD_EXT_ID = 0xff00;
export const MCU_CMD_FIELD_QUERY = 1 << 16;
export const MCU_CMD_FIELD_UNI = 1 << 17;
export const MCU_CMD_FIELD_CE = 1 << 18;
export const MCU_CMD_FIELD_WA = 1 << 19;
export const MCU_CMD_FIELD_WM = 1 << 20;

/** Base command ids (MCU_CMD_*). */
export enum McuCmdId {
  TARGET_ADDRESS_LEN_REQ = 0x01,
  FW_START_REQ = 0x02,
  INIT_ACCESS_REG = 0x03,
  NIC_POWER_CTRL = 0x04,
  PATCH_START_REQ = 0x05,
  PATCH_FINISH_REQ = 0x07,
  PATCH_SEM_CONTROL = 0x10,
  WA_PARAM = 0xc4,
  EXT_CID = 0xed,
  FW_SCATTER = 0xee,
  RESTART_DL_REQ = 0xef,
}

/** EXT command ids (carried in ext_cid with cid 0xED). */
export enum McuExtCmdId {
  EFUSE_ACCESS = 0x01,
  ID_RADIO_ON_OFF_CTRL = 0x05,
  PM_STATE_CTRL = 0x07,
  CHANNEL_SWITCH = 0x08,
  EFUSE_BUFFER_MODE = 0x21,
  THERMAL_CTRL = 0x2c,
  WTBL_UPDATE = 0x32,
  PROTECT_CTRL = 0x3e,
  MAC_INIT_CTRL = 0x46,
  SET_RX_PATH = 0x4e,
  WF_RF_PIN_CTRL = 0xbd,
}

/** CE command ids. */
export enum McuCeCmdId {
  START_HW_SCAN = 0x03,
  SET_PS_PROFILE = 0x05,
  SET_RX_FILTER = 0x0a,
  SET_CHAN_DOMAIN = 0x0f,
  SET_BSS_CONNECTED = 0x16,
  SET_BSS_ABORT = 0x17,
  CANCEL_HW_SCAN = 0x1b,
  SET_ROC = 0x1c,
  SET_EDCA_PARMS = 0x1d,
  SET_P2P_OPPPS = 0x33,
  SET_CLC = 0x5c,
  SET_RATE_TX_POWER = 0x5d,
  SCHED_SCAN_ENABLE = 0x61,
  SCHED_SCAN_REQ = 0x62,
  GET_NIC_CAPAB = 0x8a,
  RSSI_MONITOR = 0xa1,
  SET_MU_EDCA_PARMS = 0xb0,
  /** REG_READ (query) and REG_WRITE (set) share id 0xc0. */
  REG_READ = 0xc0,
  FWLOG_2_HOST = 0xc5,
  CHIP_CONFIG = 0xca,
  GET_WTBL = 0xcd,
  GET_TXPWR = 0xd0,
}

/** UNI command ids (16-bit cid in the UNI descriptor). */
export enum McuUniCmdId {
  DEV_INFO_UPDATE = 0x01,
  BSS_INFO_UPDATE = 0x02,
  STA_REC_UPDATE = 0x03,
  SUSPEND = 0x05,
  OFFLOAD = 0x06,
  HIF_CTRL = 0x07,
  SNIFFER = 0x24,
  ROC = 0x27,
}

/** Event ids (eid at offset 28 of an MCU event). */
export enum McuEventId {
  GENERIC = 0x01,
  ACCESS_REG = 0x02,
  MT_PATCH_SEM = 0x04,
  REG_ACCESS = 0x05,
  /** Always treated as a response (mt7921_mcu_rx_event). */
  RESPONSE_06 = 0x06,
  LP_INFO = 0x07,
  SCAN_DONE = 0x0d,
  TX_DONE = 0x0f,
  ROC = 0x10,
  BSS_ABSENCE = 0x11,
  BSS_BEACON_LOSS = 0x13,
  CH_PRIVILEGE = 0x18,
  SCHED_SCAN_DONE = 0x23,
  DBG_MSG = 0x27,
  RSSI_NOTIFY = 0x96,
  TXPWR = 0xd0,
  EXT = 0xed,
  RESTART_DL = 0xef,
  COREDUMP = 0xf0,
}

export const MCU_EXT_EVENT_RATE_REPORT = 0x87;

export enum McuUniEventId {
  RESULT = 0x01,
  ROC = 0x27,
}

/** Option bits of an MCU event (offset 30). */
export const MCU_UNI_CMD_EVENT = 1 << 1;
export const MCU_UNI_CMD_UNSOLICITED_EVENT = 1 << 2;

/** set_query values of the legacy descriptor. */
export enum McuSetQuery {
  QUERY = 0,
  SET = 1,
  RESERVED = 2,
  NA = 3,
}

/** s2d_index values. */
export enum McuS2d {
  H2N = 0,
  C2N = 1,
  H2C = 2,
  H2CN = 3,
}

/** Patch semaphore status values (byte at offset 32 of the reply, §4.6). */
export enum PatchSemStatus {
  NOT_DL_SEM_FAIL = 0,
  IS_DL = 1,
  NOT_DL_SEM_SUCCESS = 2,
  REL_SEM_SUCCESS = 3,
}

export const MCU_CMD = (id: McuCmdId): number => id & MCU_CMD_FIELD_ID;
export const MCU_EXT_CMD = (ext: McuExtCmdId): number => McuCmdId.EXT_CID | ((ext & 0xff) << 8);
export const MCU_EXT_QUERY = (ext: McuExtCmdId): number => MCU_EXT_CMD(ext) | MCU_CMD_FIELD_QUERY;
export const MCU_CE_CMD = (id: McuCeCmdId): number => MCU_CMD_FIELD_CE | (id & 0xff);
export const MCU_CE_QUERY = (id: McuCeCmdId): number => MCU_CE_CMD(id) | MCU_CMD_FIELD_QUERY;
export const MCU_UNI_CMD = (id: McuUniCmdId): number => MCU_CMD_FIELD_UNI | (id & 0xff);
export const MCU_UNI_QUERY = (id: McuUniCmdId): number => MCU_UNI_CMD(id) | MCU_CMD_FIELD_QUERY;

export const cmdId = (cmd: number): number => cmd & MCU_CMD_FIELD_ID;
export const cmdExtId = (cmd: number): number => (cmd & MCU_CMD_FIELD_EXT_ID) >>> 8;
export const cmdIsUni = (cmd: number): boolean => (cmd & MCU_CMD_FIELD_UNI) !== 0;
export const cmdIsCe = (cmd: number): boolean => (cmd & MCU_CMD_FIELD_CE) !== 0;
export const cmdIsQuery = (cmd: number): boolean => (cmd & MCU_CMD_FIELD_QUERY) !== 0;
export const cmdIsWa = (cmd: number): boolean => (cmd & MCU_CMD_FIELD_WA) !== 0;

/** A readable name for logs and errors ("EXT:CHANNEL_SWITCH", "UNI:STA_REC_UPDATE", "CE:REG_READ?"). */
export function cmdName(cmd: number): string {
  const id = cmdId(cmd);
  const q = cmdIsQuery(cmd) ? '?' : '';
  if (cmdIsUni(cmd)) return `UNI:${McuUniCmdId[id] ?? hex(id)}${q}`;
  if (cmdIsCe(cmd)) return `CE:${McuCeCmdId[id] ?? hex(id)}${q}`;
  if (id === McuCmdId.EXT_CID) return `EXT:${McuExtCmdId[cmdExtId(cmd)] ?? hex(cmdExtId(cmd))}${q}`;
  return `${McuCmdId[id] ?? hex(id)}${q}`;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}

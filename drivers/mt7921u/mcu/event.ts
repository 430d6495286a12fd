/**
 * MCU events: the 36-byte RX header, the dispatch rules and the per-command response parsing
 * (FACTS.md §5.5; mt76_connac2_mcu_rxd, mt7921_mcu_rx_event, mt7921_mcu_parse_response).
 *
 * Everything here reads bytes from the USB bus: malformed input yields null / a reason, never an exception.
 */
import {
  cmdId,
  cmdIsUni,
  MCU_CE_QUERY,
  MCU_CMD,
  MCU_EXT_CMD,
  MCU_EXT_EVENT_RATE_REPORT,
  MCU_UNI_CMD,
  MCU_UNI_CMD_UNSOLICITED_EVENT,
  McuCeCmdId,
  McuCmdId,
  McuEventId,
  McuExtCmdId,
  McuUniCmdId,
} from './cmd.ts';

/** sizeof(struct mt76_connac2_mcu_rxd) */
export const MCU_RXD_LEN = 36;
/** Shortest event we accept: DW0..DW5, len, pkt_type_id, eid, seq, option, rsv (through offset 31). */
export const MCU_EVENT_MIN_LEN = 32;

/** RX packet types (RXD DW0 [31:27]). */
export enum RxPktType {
  TXS = 0,
  TXRXV = 1,
  NORMAL = 2,
  DUP_RFB = 3,
  TMR = 4,
  RETRIEVE = 5,
  TXRX_NOTIFY = 6,
  RX_EVENT = 7,
  /** Driver-internal label: the hardware signals it as type 7 with PKT_FLAG 1. */
  NORMAL_MCU = 8,
  FW_MONITOR = 0x0c,
  TXRX_NOTIFY_V0 = 0x18,
}

export const rxdPktType = (dw0: number): number => (dw0 >>> 27) & 0x1f;
export const rxdPktFlag = (dw0: number): number => (dw0 >>> 16) & 0xf;
export const rxdLength = (dw0: number): number => dw0 & 0xffff;

/** A decoded MCU event. `buf` is a view of exactly the packet (trimmed to its DW0 length). */
export interface McuEvent {
  buf: Buffer;
  pktFlag: number;
  /** bytes 24–25 (real values unknown; not used) */
  len: number;
  /** bytes 26–27 (not used) */
  pktTypeId: number;
  eid: number;
  seq: number;
  option: number;
  /** byte 32; 0 when the packet ends before it */
  extEid: number;
  /** byte 35; 0 when absent */
  s2dIndex: number;
}

/**
 * Decode the header of an MCU event (RXD type 7, flag ≠ 1). `buf` is one received packet; bytes beyond the DW0
 * length are ignored. Returns null when the packet is not an event or is malformed.
 */
export function parseMcuEvent(buf: Buffer): McuEvent | null {
  if (buf.length < MCU_EVENT_MIN_LEN) return null;
  const dw0 = buf.readUInt32LE(0);
  if (rxdPktType(dw0) !== RxPktType.RX_EVENT || rxdPktFlag(dw0) === 1) return null;
  const len = rxdLength(dw0);
  if (len < MCU_EVENT_MIN_LEN || len > buf.length) return null;
  const b = len === buf.length ? buf : buf.subarray(0, len);
  return {
    buf: b,
    pktFlag: rxdPktFlag(dw0),
    len: b.readUInt16LE(24),
    pktTypeId: b.readUInt16LE(26),
    eid: b[28]!,
    seq: b[29]!,
    option: b[30]!,
    extEid: len > 32 ? b[32]! : 0,
    s2dIndex: len > 35 ? b[35]! : 0,
  };
}

/** Where an MCU event goes (mt7921_mcu_rx_event). */
export enum McuEventClass {
  /** option BIT2: an unsolicited UNI event (ROC grant). */
  UNI_UNSOLICITED = 0,
  /** A reply to a command: goes to the MCU waiter. */
  RESPONSE = 1,
  /** A legacy unsolicited event (scan done, beacon loss, TX done, fw log, ...). */
  UNSOLICITED = 2,
}

const UNSOLICITED_EIDS: ReadonlySet<number> = new Set([
  McuEventId.BSS_BEACON_LOSS,
  McuEventId.SCHED_SCAN_DONE,
  McuEventId.RSSI_NOTIFY,
  McuEventId.SCAN_DONE,
  McuEventId.TX_DONE,
  McuEventId.DBG_MSG,
  McuEventId.COREDUMP,
  McuEventId.LP_INFO,
]);

export function classifyMcuEvent(ev: McuEvent): McuEventClass {
  if (ev.option & MCU_UNI_CMD_UNSOLICITED_EVENT) return McuEventClass.UNI_UNSOLICITED;
  if (ev.eid === McuEventId.RESPONSE_06) return McuEventClass.RESPONSE;
  if (ev.extEid === MCU_EXT_EVENT_RATE_REPORT || UNSOLICITED_EIDS.has(ev.eid) || ev.seq === 0) {
    return McuEventClass.UNSOLICITED;
  }
  return McuEventClass.RESPONSE;
}

/** The payload of an event (from offset 36). Empty when the event is shorter. */
export function mcuEventPayload(ev: McuEvent): Buffer {
  return ev.buf.subarray(Math.min(MCU_RXD_LEN, ev.buf.length));
}

/** UNI commands whose reply is {cid, pad[3], status le32} and must match the command's cid. */
const UNI_RESULT_CMDS: ReadonlySet<number> = new Set([
  MCU_UNI_CMD(McuUniCmdId.DEV_INFO_UPDATE),
  MCU_UNI_CMD(McuUniCmdId.BSS_INFO_UPDATE),
  MCU_UNI_CMD(McuUniCmdId.STA_REC_UPDATE),
  MCU_UNI_CMD(McuUniCmdId.HIF_CTRL),
  MCU_UNI_CMD(McuUniCmdId.OFFLOAD),
  MCU_UNI_CMD(McuUniCmdId.SUSPEND),
]);

export interface McuResponse {
  /**
   * The command's return value as mt7921_mcu_parse_response computes it: the status byte for PATCH_SEM_CONTROL and
   * PATCH_FINISH_REQ, the UNI status, the REG_READ value, the temperature, the RF-pin result; otherwise 0.
   */
  ret: number;
  /** The reply's payload: from offset 36 (32 for the two ROM-stage commands). */
  payload: Buffer;
  event: McuEvent;
}

/** Why a response candidate was not accepted. */
export type ResponseReject = 'seq' | 'cid' | 'short';

/**
 * Parse the reply to command `cmd` sent with sequence `seq`. A wrong seq or (UNI) cid means "not ours, keep waiting";
 * 'short' means the reply is too short for its command's fields (dropped and counted, keep waiting).
 */
export function parseMcuResponse(cmd: number, seq: number, ev: McuEvent): McuResponse | ResponseReject {
  if (ev.seq !== seq) return 'seq';
  const b = ev.buf;
  if (cmd === MCU_CMD(McuCmdId.PATCH_SEM_CONTROL) || cmd === MCU_CMD(McuCmdId.PATCH_FINISH_REQ)) {
    if (b.length < MCU_RXD_LEN - 4 + 1) return 'short';
    return { ret: b[MCU_RXD_LEN - 4]!, payload: b.subarray(MCU_RXD_LEN - 4), event: ev };
  }
  if (cmd === MCU_EXT_CMD(McuExtCmdId.THERMAL_CTRL)) {
    if (b.length < MCU_RXD_LEN + 8) return 'short';
    return { ret: b.readUInt32LE(MCU_RXD_LEN + 4), payload: b.subarray(MCU_RXD_LEN + 4), event: ev };
  }
  if (cmdIsUni(cmd) && UNI_RESULT_CMDS.has(cmd)) {
    if (b.length < MCU_RXD_LEN + 8) return 'short';
    if (b[MCU_RXD_LEN] !== cmdId(cmd)) return 'cid';
    return { ret: b.readUInt32LE(MCU_RXD_LEN + 4), payload: b.subarray(MCU_RXD_LEN), event: ev };
  }
  if (cmd === MCU_CE_QUERY(McuCeCmdId.REG_READ)) {
    if (b.length < MCU_RXD_LEN + 8) return 'short';
    return { ret: b.readUInt32LE(MCU_RXD_LEN + 4), payload: b.subarray(MCU_RXD_LEN), event: ev };
  }
  if (cmd === MCU_EXT_CMD(McuExtCmdId.WF_RF_PIN_CTRL)) {
    if (b.length < MCU_RXD_LEN + 1) return 'short';
    return { ret: b[MCU_RXD_LEN]!, payload: b.subarray(MCU_RXD_LEN), event: ev };
  }
  return { ret: 0, payload: mcuEventPayload(ev), event: ev };
}

// ---------------------------------------------------------------------------------------------------------------
// Building events (for fakes, tests and trace tools; the emulator writes its own)

export interface McuEventFields {
  eid: number;
  seq: number;
  option?: number;
  extEid?: number;
  s2dIndex?: number;
  pktFlag?: number;
  /** bytes 24..27 */
  len?: number;
  pktTypeId?: number;
  payload?: Uint8Array;
  /** Override the header length (36); a ROM-stage reply puts its status at offset 32 = this field's byte 0. */
  byte32?: number;
}

/** One received packet carrying an MCU event (DW0 = type 7 | length). */
export function buildMcuEvent(f: McuEventFields): Buffer {
  const plen = f.payload?.length ?? 0;
  const total = MCU_RXD_LEN + plen;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(((RxPktType.RX_EVENT << 27) | ((f.pktFlag ?? 0) << 16) | total) >>> 0, 0);
  b.writeUInt16LE(f.len ?? 0, 24);
  b.writeUInt16LE(f.pktTypeId ?? 0, 26);
  b[28] = f.eid;
  b[29] = f.seq;
  b[30] = f.option ?? 0;
  b[32] = f.byte32 ?? f.extEid ?? 0;
  b[35] = f.s2dIndex ?? 0;
  if (f.payload) b.set(f.payload, MCU_RXD_LEN);
  return b;
}

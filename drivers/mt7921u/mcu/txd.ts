/**
 * MCU command descriptors (FACTS.md §5.2 legacy/EXT/CE 64 bytes, §5.3 UNI 48 bytes; mt76_connac2_mcu_fill_message)
 * and the USB transfer that carries them (§5.1).
 */
import { allocUsbFrame, MT_USB_HDR_SIZE, parseUsbFrame } from '../usb-frame.ts';
import {
  cmdExtId,
  cmdId,
  cmdIsCe,
  cmdIsQuery,
  cmdIsUni,
  cmdIsWa,
  MCU_CE_CMD,
  MCU_CMD_FIELD_QUERY,
  MCU_CMD_FIELD_UNI,
  MCU_CMD_FIELD_WA,
  McuCmdId,
  McuS2d,
  McuSetQuery,
} from './cmd.ts';

export const MCU_TXD_LEN = 64;
export const MCU_UNI_TXD_LEN = 48;
/** The generic 8-DW TXD at the start of both MCU descriptors. */
export const MCU_TXD_HW_LEN = 32;

/** MCU_PKT_ID */
export const MCU_PKT_ID = 0xa0;
/** MT_TX_MCU_PORT_RX_Q0 */
export const MT_TX_MCU_PORT_RX_Q0 = 0x20;
/** MT_TX_PORT_IDX_MCU */
export const MT_TX_PORT_IDX_MCU = 1;
/** MCU_PQ_ID(port 1, queue 0x20) = 0x8000 */
export const MCU_PQ_ID = ((MT_TX_PORT_IDX_MCU << 15) | (MT_TX_MCU_PORT_RX_Q0 << 10)) & 0xffff;
/** UNI option: ACK | UNI | SET, always on connac2. */
export const MCU_CMD_UNI_EXT_ACK = 0x07;

/** TXD DW0 PKT_FMT value for commands (MT_TX_TYPE_CMD). */
export const MT_TX_TYPE_CMD = 2;
/** TXD DW1 HDR_FORMAT value for commands (MT_HDR_FORMAT_CMD). */
export const MT_HDR_FORMAT_CMD = 1;
const MT_TXD1_LONG_FORMAT = 0x80000000;

/** TXD DW0 of an MCU command of `txBytes` bytes (descriptor + payload). */
export function mcuTxdDw0(txBytes: number): number {
  return ((txBytes & 0xffff) | (MT_TX_TYPE_CMD << 23) | (MT_TX_MCU_PORT_RX_Q0 << 25)) >>> 0;
}

/** TXD DW1 of an MCU command: LONG_FORMAT | HDR_FORMAT CMD = 0x80010000. */
export const MCU_TXD_DW1 = (MT_TXD1_LONG_FORMAT | (MT_HDR_FORMAT_CMD << 16)) >>> 0;

export function mcuTxdLen(cmd: number): number {
  return cmdIsUni(cmd) ? MCU_UNI_TXD_LEN : MCU_TXD_LEN;
}

/**
 * Write the MCU descriptor for `cmd` with `payloadLen` bytes of payload at `buf[off]` (which must be zeroed).
 * Returns the descriptor length.
 */
export function writeMcuTxd(buf: Buffer, off: number, cmd: number, seq: number, payloadLen: number): number {
  const txdLen = mcuTxdLen(cmd);
  const total = txdLen + payloadLen;
  buf.writeUInt32LE(mcuTxdDw0(total), off);
  buf.writeUInt32LE(MCU_TXD_DW1, off + 4);
  buf.writeUInt16LE(total - MCU_TXD_HW_LEN, off + 32);
  if (cmdIsUni(cmd)) {
    buf.writeUInt16LE(cmdId(cmd), off + 34);
    buf[off + 37] = MCU_PKT_ID;
    buf[off + 38] = 0; // frag_n
    buf[off + 39] = seq;
    buf.writeUInt16LE(0, off + 40); // checksum
    buf[off + 42] = McuS2d.H2N;
    buf[off + 43] = MCU_CMD_UNI_EXT_ACK;
    return txdLen;
  }
  const ext = cmdExtId(cmd);
  buf.writeUInt16LE(MCU_PQ_ID, off + 34);
  buf[off + 36] = cmdId(cmd);
  buf[off + 37] = MCU_PKT_ID;
  if (ext !== 0 || cmdIsCe(cmd)) {
    buf[off + 38] = cmdIsQuery(cmd) ? McuSetQuery.QUERY : McuSetQuery.SET;
    buf[off + 43] = ext !== 0 ? 1 : 0;
  } else {
    buf[off + 38] = McuSetQuery.NA;
  }
  buf[off + 39] = seq;
  buf[off + 40] = 0; // uc_d2b0_rev
  buf[off + 41] = ext;
  buf[off + 42] = cmdIsWa(cmd) ? McuS2d.H2C : McuS2d.H2N;
  return txdLen;
}

/**
 * The complete bulk OUT transfer of an MCU command: USB header, descriptor, payload, padding and tail.
 * FW_SCATTER is not a descriptor command: use buildScatterTransfer.
 */
export function buildMcuTransfer(cmd: number, seq: number, payload: Uint8Array | null): Buffer {
  const plen = payload?.length ?? 0;
  const txdLen = mcuTxdLen(cmd);
  const buf = allocUsbFrame(txdLen + plen);
  writeMcuTxd(buf, MT_USB_HDR_SIZE, cmd, seq, plen);
  if (payload !== null && plen > 0) buf.set(payload, MT_USB_HDR_SIZE + txdLen);
  return buf;
}

/** A FW_SCATTER transfer: raw firmware bytes behind the USB header, no descriptor (§4.6, §5.1). */
export function buildScatterTransfer(data: Uint8Array): Buffer {
  const buf = allocUsbFrame(data.length);
  buf.set(data, MT_USB_HDR_SIZE);
  return buf;
}

/** An MCU command as decoded from its transfer (used by tests, fakes and trace tools). */
export interface McuCommandView {
  /** The command word reconstructed from the descriptor. */
  cmd: number;
  uni: boolean;
  seq: number;
  /** cid (legacy: u8 at 36; UNI: le16 at 34). */
  cid: number;
  extCid: number;
  setQuery: number;
  /** UNI option byte (43), legacy ext_cid_ack (43). */
  option: number;
  s2dIndex: number;
  /** TXD DW0 TX_BYTES */
  txBytes: number;
  /** The len field at offset 32 */
  len: number;
  payload: Buffer;
}

/**
 * Decode an MCU command from a whole bulk OUT transfer (USB header included). Returns null when the transfer is not
 * a well-formed MCU command (too short, lengths inconsistent, not a CMD packet).
 */
export function parseMcuTransfer(transfer: Uint8Array): McuCommandView | null {
  const frame = parseUsbFrame(transfer);
  if (frame === null) return null;
  const b = frame.body;
  if (b.length < MCU_UNI_TXD_LEN) return null;
  const dw0 = b.readUInt32LE(0);
  const dw1 = b.readUInt32LE(4);
  const txBytes = dw0 & 0xffff;
  if (((dw0 >>> 23) & 3) !== MT_TX_TYPE_CMD || ((dw1 >>> 16) & 3) !== MT_HDR_FORMAT_CMD) return null;
  if (txBytes !== b.length) return null;
  const len = b.readUInt16LE(32);
  if (len !== b.length - MCU_TXD_HW_LEN) return null;
  const pktType = b[37]!;
  if (pktType !== MCU_PKT_ID) return null;
  const seq = b[39]!;
  // A UNI descriptor carries option 0x07 at byte 43 and a le16 cid at 34; a legacy one carries pq_id 0x8000 there.
  const pq = b.readUInt16LE(34);
  if (pq !== MCU_PQ_ID) {
    const cid = pq;
    return {
      cmd: MCU_CMD_FIELD_UNI | (cid & 0xff),
      uni: true,
      seq,
      cid,
      extCid: 0,
      setQuery: b[38]!,
      option: b[43]!,
      s2dIndex: b[42]!,
      txBytes,
      len,
      payload: b.subarray(MCU_UNI_TXD_LEN),
    };
  }
  if (b.length < MCU_TXD_LEN) return null;
  const cid = b[36]!;
  const setQuery = b[38]!;
  const extCid = b[41]!;
  const s2d = b[42]!;
  let cmd: number;
  if (cid === McuCmdId.EXT_CID && setQuery !== McuSetQuery.NA) {
    cmd = McuCmdId.EXT_CID | (extCid << 8);
  } else if (setQuery !== McuSetQuery.NA) {
    cmd = MCU_CE_CMD(cid);
  } else {
    cmd = cid;
  }
  if (setQuery === McuSetQuery.QUERY) cmd |= MCU_CMD_FIELD_QUERY;
  if (s2d === McuS2d.H2C) cmd |= MCU_CMD_FIELD_WA;
  return {
    cmd,
    uni: false,
    seq,
    cid,
    extCid,
    setQuery,
    option: b[43]!,
    s2dIndex: s2d,
    txBytes,
    len,
    payload: b.subarray(MCU_TXD_LEN),
  };
}

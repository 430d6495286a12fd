/**
 * What crosses the bus, from the chip's side: the USB framing of every bulk-OUT transfer (FACTS.md §5.1), the MCU
 * command descriptors (legacy/ext/CE §5.2, UNI §5.3), and the MCU event packets the chip sends back (§5.5, §5.6).
 *
 * Parsers return a number or a reason string instead of throwing: bad input from the bus is dropped and counted by
 * the caller. Nothing here is shared with the driver's encoders (DESIGN.md principle 4).
 */

export const USB_HDR_LEN = 4;
export const USB_TAIL_LEN = 4;
export const MCU_TXD_LEN = 64;
export const UNI_TXD_LEN = 48;
export const EVENT_HDR_LEN = 36;
/** §5.5/§5.6: ROM-stage replies carry their status at offset 32; 40 bytes in all. */
export const ROM_EVENT_LEN = 40;
export const ROM_EVENT_STATUS_OFF = 32;

export const PKT_TYPE_TXS = 0;
export const PKT_TYPE_NORMAL = 2;
export const PKT_TYPE_RX_EVENT = 7;

/** Why a bulk-OUT transfer's framing was refused. */
export type UsbFrameError = 'usb-short' | 'usb-pkt-type' | 'usb-length';

/** Total transfer size for a body of `bodyLen` bytes: header + body + pad to 4 + 4-byte tail (§5.1). */
export function usbFramedLength(bodyLen: number): number {
  return ((USB_HDR_LEN + bodyLen + 3) & ~3) + USB_TAIL_LEN;
}

/**
 * Validates the USB framing of one OUT transfer and returns the body length (the body starts at offset 4), or why
 * it is refused.
 */
export function parseUsbFrame(buf: Uint8Array): number | UsbFrameError {
  if (buf.length < USB_HDR_LEN + USB_TAIL_LEN) return 'usb-short';
  const hdr = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  const len = hdr & 0xffff;
  // §5.1: [17:16] packet type is always 0 on USB.
  if (((hdr >>> 16) & 3) !== 0) return 'usb-pkt-type';
  // GUESS: the UDMA takes exactly one packet per transfer and refuses a transfer whose size is not header + body +
  // pad + 4-byte tail (mt76 always sends exactly that; FACTS does not say what the chip does otherwise).
  if (buf.length !== usbFramedLength(len)) return 'usb-length';
  return len;
}

/** A parsed MCU command (the payload is a view into the transfer's buffer). */
export interface McuCommand {
  uni: boolean;
  /** Legacy: cid byte (0xED for EXT). UNI: the 16-bit UNI command id. */
  cid: number;
  /** EXT id (legacy, cid 0xED); 0 otherwise. */
  extCid: number;
  /** Legacy: 0 query, 1 set, 3 N/A (base command). UNI: 1 when option BIT2 (SET) else 0. */
  setQuery: number;
  seq: number;
  /** UNI option byte (BIT0 ACK, BIT1 UNI, BIT2 SET); legacy: ext_cid_ack. */
  option: number;
  payload: Uint8Array;
}

export type McuTxdError =
  | 'txd-short'
  | 'txd-tx-bytes'
  | 'txd-pkt-fmt'
  | 'txd-q-idx'
  | 'txd-hdr-format'
  | 'txd-len'
  | 'txd-pkt-type'
  | 'txd-pq-id'
  | 'txd-s2d';

export function le16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function putLe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function putLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** Parses an MCU command body (the bytes after the 4-byte USB header, without pad and tail). */
export function parseMcuCommand(body: Uint8Array): McuCommand | McuTxdError {
  if (body.length < UNI_TXD_LEN) return 'txd-short';
  const dw0 = le32(body, 0);
  const dw1 = le32(body, 4);
  if ((dw0 & 0xffff) !== body.length) return 'txd-tx-bytes';
  if (((dw0 >>> 23) & 3) !== 2) return 'txd-pkt-fmt'; // §5.2: PKT_FMT = 2 (CMD)
  if (dw0 >>> 25 !== 0x20) return 'txd-q-idx'; // §5.2: Q_IDX = 0x20 (MCU port RX Q0)
  if (((dw1 >>> 16) & 3) !== 1) return 'txd-hdr-format'; // §5.2: HDR_FORMAT = 1 (CMD)
  if (le16(body, 32) !== body.length - 32) return 'txd-len';
  if (body[37] !== 0xa0) return 'txd-pkt-type';
  // GUESS: the firmware tells the UNI descriptor from the legacy one by BIT1 (UNI) of byte 43, which in the legacy
  // descriptor is ext_cid_ack (0 or 1), so it never has BIT1 set (§5.2, §5.3).
  const option = body[43]!;
  if (option & 0x02) {
    // GUESS: s2d_index must be 0 (host → WM) for UNI too; mt7921 has no WA.
    if (body[42] !== 0) return 'txd-s2d';
    return {
      uni: true,
      cid: le16(body, 34),
      extCid: 0,
      setQuery: option & 0x04 ? 1 : 0,
      seq: body[39]!,
      option,
      payload: body.subarray(UNI_TXD_LEN),
    };
  }
  if (body.length < MCU_TXD_LEN) return 'txd-short';
  if (le16(body, 34) !== 0x8000) return 'txd-pq-id'; // §5.2: pq_id = (port 1 << 15) | (0x20 << 10)
  if (body[42] !== 0) return 'txd-s2d'; // GUESS: commands for WA (s2d 2) are not accepted by mt7921's WM.
  const cid = body[36]!;
  return {
    uni: false,
    cid,
    extCid: cid === 0xed ? body[41]! : 0,
    setQuery: body[38]!,
    seq: body[39]!,
    option,
    payload: body.subarray(MCU_TXD_LEN),
  };
}

/** DW0 of an RX packet: length [15:0], pkt flag [19:16], packet type [31:27]. */
export function rxDw0(len: number, type: number, flag = 0): number {
  return ((len & 0xffff) | ((flag & 0xf) << 16) | ((type & 0x1f) << 27)) >>> 0;
}

export interface EventHeaderOptions {
  eid: number;
  seq: number;
  /** BIT1 UNI event, BIT2 unsolicited UNI event. */
  option?: number;
  extEid?: number;
}

/**
 * A RAM-stage MCU event: 36-byte header (§5.5) + `payloadLen` zero bytes for the caller to fill from offset 36.
 */
export function buildEvent(h: EventHeaderOptions, payloadLen: number): Uint8Array {
  const total = EVENT_HDR_LEN + payloadLen;
  const p = new Uint8Array(total);
  putLe32(p, 0, rxDw0(total, PKT_TYPE_RX_EVENT));
  // GUESS: `len` (offset 24) counts the bytes from offset 24 on; `pkt_type_id` (26) = 0xe000. Neither is examined
  // by the driver and FACTS marks both unknown.
  putLe16(p, 24, total - 24);
  putLe16(p, 26, 0xe000);
  p[28] = h.eid;
  p[29] = h.seq;
  p[30] = h.option ?? 0;
  p[32] = h.extEid ?? 0;
  return p;
}

/** A ROM-stage reply (§5.5 quirk, §5.6 example): 40 bytes, status byte at offset 32. */
export function buildRomEvent(eid: number, seq: number, status: number): Uint8Array {
  const p = new Uint8Array(ROM_EVENT_LEN);
  putLe32(p, 0, rxDw0(ROM_EVENT_LEN, PKT_TYPE_RX_EVENT));
  p[28] = eid;
  p[29] = seq;
  p[ROM_EVENT_STATUS_OFF] = status;
  return p;
}

/** UNI command result (§5.6): eid 0x01, option BIT1 (not BIT2), payload {cid u8, pad[3], status le32}. */
export function buildUniResult(cid: number, seq: number, status: number): Uint8Array {
  const p = buildEvent({ eid: 0x01, seq, option: 0x02 }, 8);
  p[EVENT_HDR_LEN] = cid & 0xff;
  putLe32(p, EVENT_HDR_LEN + 4, status);
  return p;
}

/** Bytes the chip appends after an IN packet: pad to 4 plus a 4-byte tail. */
// GUESS: FACTS §7.3 reports 6–7 padding bytes measured and calls the rule an inference; we use the TX rule mirrored
// (round up to 4, then 4 more), which gives 4–7 bytes, for every IN packet (frames, TXS and events alike).
export function rxTailPadding(len: number): number {
  return ((len + 3) & ~3) - len + 4;
}

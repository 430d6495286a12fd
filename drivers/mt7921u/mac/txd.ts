/**
 * The TX descriptor of a data or management frame on USB and its bulk OUT framing (FACTS.md §7.1, §1.3;
 * mt76_connac2_mac_write_txwi, mt7921_usb_sdio_tx_prepare_skb, mt76_txq_schedule_pending_list).
 *
 *     [USB hdr: len = 64 + frame_len][64-byte TXD][frame][pad to 4][4 zero bytes]
 *
 * The TXD is written in place into the skb's headroom (no copy of the frame).
 */
import type { SkBuff } from '../../../netstack/core/skb.ts';
import { EpOut } from '../bus.ts';
import { MT_USB_HDR_SIZE, usbPadLen } from '../usb-frame.ts';
import {
  fcType,
  hasMoreFrags,
  IEEE80211_FCTL_FTYPE,
  IEEE80211_FCTL_STYPE,
  IEEE80211_FTYPE_DATA,
  IEEE80211_FTYPE_MGMT,
  IEEE80211_STYPE_ACTION,
  IEEE80211_STYPE_DEAUTH,
  IEEE80211_STYPE_DISASSOC,
  IEEE80211_STYPE_QOS_DATA,
  ieee80211HdrLen,
  isAction,
  isBackReq,
  isBeacon,
  isData,
  isMgmt,
  isMulticastAddr,
} from './ieee80211.ts';

/** MT_SDIO_TXD_SIZE: 8 standard + 8 extra DWs. */
export const MT_USB_TXD_SIZE = 64;
/** Headroom a frame needs in front of it: USB header + TXD. */
export const MT_USB_TX_HEADROOM = MT_USB_HDR_SIZE + MT_USB_TXD_SIZE;
/** Largest padding + tail after a frame. */
export const MT_USB_TX_TAILROOM = 7;

/** TX queues (mt76_txq_id): the four ACs in mac80211 numbering, then PSD (management). */
export enum MtTxq {
  VO = 0,
  VI = 1,
  BE = 2,
  BK = 3,
  PSD = 4,
}

/** LMAC queue indexes (TXD0 Q_IDX). */
export enum LmacQueue {
  AC00 = 0x00,
  AC01 = 0x01,
  AC02 = 0x02,
  AC03 = 0x03,
  ALTX0 = 0x10,
  BMC0 = 0x11,
  BCN0 = 0x12,
  PSMP0 = 0x13,
}

/** TXD0 PKT_FMT */
export enum TxPktFmt {
  CT = 0,
  SF = 1,
  CMD = 2,
  FW = 3,
}

/** TXD1 HDR_FORMAT */
export enum TxHdrFormat {
  ETH_802_3 = 0,
  CMD = 1,
  IEEE80211 = 2,
  IEEE80211_EXT = 3,
}

/** TXD2 FRAG */
export enum TxFrag {
  NONE = 0,
  FIRST = 1,
  MID = 2,
  LAST = 3,
}

/** Packet ids: 0 no ack wanted, 1 no status wanted, ≥ 3 report status (MT_PACKET_ID_FIRST). */
export const MT_PACKET_ID_NO_ACK = 0;
export const MT_PACKET_ID_NO_SKB = 1;
export const MT_PACKET_ID_FIRST = 3;
export const MT_PACKET_ID_MASK = 0x7f;

export const MT_TXD1_LONG_FORMAT = 0x80000000;
export const MT_TXD1_TGID = 1 << 30;
export const MT_TXD1_AMSDU = 1 << 23;
export const MT_TXD1_ETH_802_3 = 1 << 15;
export const MT_TXD2_FIX_RATE = 0x80000000;
export const MT_TXD2_HTC_VLD = 1 << 13;
export const MT_TXD2_BIP = 1 << 11;
export const MT_TXD2_MULTICAST = 1 << 10;
export const MT_TXD3_SN_VALID = 0x80000000;
export const MT_TXD3_BA_DISABLE = 1 << 28;
export const MT_TXD3_PROTECT_FRAME = 1 << 1;
export const MT_TXD3_NO_ACK = 1 << 0;
export const MT_TXD5_ADD_BA = 1 << 14;
export const MT_TXD5_TX_STATUS_HOST = 1 << 10;
export const MT_TXD6_FIXED_BW = 1 << 2;
export const MT_TXD7_HW_AMSDU = 1 << 10;

/** Number of WMM sets per band (MT76_CONNAC_MAX_WMM_SETS). */
export const MT76_CONNAC_MAX_WMM_SETS = 4;

/** mt76_connac_lmac_mapping: LMAC uses the reverse order of mac80211 AC indexes. */
export const lmacMapping = (ac: number): number => 3 - ac;

/** Data queue → bulk OUT endpoint index (mt76u_ac_to_hwq + 1; PSD → HCCA). */
export function txqToEpOut(q: MtTxq): EpOut {
  switch (q) {
    case MtTxq.BE:
      return EpOut.AC_BE;
    case MtTxq.BK:
      return EpOut.AC_BK;
    case MtTxq.VI:
      return EpOut.AC_VI;
    case MtTxq.VO:
      return EpOut.AC_VO;
    default:
      return EpOut.HCCA;
  }
}

/**
 * MT_DRV_HW_MGMT_TXQ: frames without data that are not bufferable MMPDUs (action, disassoc, deauth are), plus
 * deauth and off-channel frames, go to the PSD queue; 802.3 frames and data frames keep their AC.
 */
export function selectTxq(ac: MtTxq, frame: Uint8Array, is8023: boolean, offchannel = false): MtTxq {
  if (is8023 || frame.length < 2) return ac;
  const fc = frame[0]! | (frame[1]! << 8);
  const dataPresent = isData(fc) && (fc & 0x0040) === 0;
  if (dataPresent) return ac;
  const st = fc & (IEEE80211_FCTL_FTYPE | IEEE80211_FCTL_STYPE);
  const bufferable =
    isMgmt(fc) &&
    (st === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_ACTION) ||
      st === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_DISASSOC) ||
      st === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_DEAUTH));
  const deauth = st === (IEEE80211_FTYPE_MGMT | IEEE80211_STYPE_DEAUTH);
  if (!bufferable || deauth || offchannel) return MtTxq.PSD;
  return ac;
}

/** What the descriptor needs beyond the frame bytes (mt76_wcid, vif, key, tx_info flags). */
export interface TxdInfo {
  /** The queue the frame goes to (after selectTxq). */
  qid: MtTxq;
  /** WLAN index: 0 = global, the vif's wcid for its management frames, the station's wcid for data. */
  wcid: number;
  omacIdx: number;
  wmmIdx: number;
  bandIdx: number;
  /** Packet id: ≥ 3 asks for a TX status (and disables HW A-MSDU). */
  pid: number;
  /** A hardware key is installed for this frame (mac80211's info->control.hw_key). */
  hwKey: boolean;
  /** The hardware key is AES-CMAC (BIP for multicast robust management frames). */
  hwKeyIsCmac?: boolean;
  /** The frame is a robust management frame (needs BIP when multicast). */
  robustMgmt?: boolean;
  noAck: boolean;
  /** IEEE80211_TX_CTL_USE_MINRATE */
  useMinRate?: boolean;
  /** IEEE80211_TX_CTL_INJECTED: the sequence number in the frame is used (SN_VALID). */
  injected?: boolean;
  /** The frame is 802.3 (hardware encapsulation). */
  is8023: boolean;
  /** 802.3 frames: the station uses WMM (QoS data subtype). */
  wmm?: boolean;
  /** 802.1d priority (TID). */
  priority: number;
  /** wcid->amsdu: the station accepts A-MSDU. */
  amsdu: boolean;
  /** Rate code used when FIX_RATE is set (txRateVal of the BSS's basic rates). */
  fixedRate: number;
}

/**
 * Write the 64-byte TXD for `frame` (802.11 header + body, or an 802.3 frame) at `buf[off]`. mt76_connac2_mac_write_txwi
 * with the USB/SDIO specifics: PKT_FMT SF, TX_BYTES = frame + 64, L_TYPE/L_SUB_TYPE in DW8.
 */
export function writeTxd(buf: Buffer, off: number, frame: Uint8Array, fOff: number, fLen: number, info: TxdInfo): void {
  buf.fill(0, off, off + MT_USB_TXD_SIZE);
  let qIdx: number;
  if (info.qid >= MtTxq.PSD) qIdx = LmacQueue.ALTX0;
  else qIdx = info.wmmIdx * MT76_CONNAC_MAX_WMM_SETS + lmacMapping(info.qid);
  let dw0 = ((fLen + MT_USB_TXD_SIZE) & 0xffff) | (TxPktFmt.SF << 23) | ((qIdx & 0x7f) << 25);
  let dw1 = MT_TXD1_LONG_FORMAT | (info.wcid & 0x3ff) | ((info.omacIdx & 0x3f) << 24);
  if (info.bandIdx) dw1 |= MT_TXD1_TGID;
  let dw2 = 0;
  let dw3 = 15 << 11; // REM_TX_COUNT
  if (info.hwKey) dw3 |= MT_TXD3_PROTECT_FRAME;
  if (info.noAck) dw3 |= MT_TXD3_NO_ACK;
  let dw5 = info.pid & 0xff;
  let amsdu = info.amsdu;
  if (info.pid >= MT_PACKET_ID_FIRST) {
    dw5 |= MT_TXD5_TX_STATUS_HOST;
    amsdu = false;
  }
  let dw6 = 0;
  let dw7 = amsdu ? MT_TXD7_HW_AMSDU : 0;
  let dw8 = 0;
  let tid = info.priority & 7;

  if (info.is8023) {
    dw1 |= (TxHdrFormat.ETH_802_3 << 16) | (tid << 20);
    const ethertype = fLen >= 14 ? (frame[fOff + 12]! << 8) | frame[fOff + 13]! : 0;
    if (ethertype >= 0x600) dw1 |= MT_TXD1_ETH_802_3;
    const t = IEEE80211_FTYPE_DATA >> 2;
    const st = info.wmm ? IEEE80211_STYPE_QOS_DATA >> 4 : 0;
    dw2 |= (t << 4) | st;
    dw7 |= (t << 20) | (st << 16);
  } else {
    const fc = frame[fOff]! | (frame[fOff + 1]! << 8);
    const multicast = fLen >= 10 && isMulticastAddr(frame, fOff + 4);
    const sc = fLen >= 24 ? frame[fOff + 22]! | (frame[fOff + 23]! << 8) : 0;
    // ADDBA request: TID from the Block Ack parameter set; BAR: TID from the BAR control field.
    if (isAction(fc) && fLen >= 24 + 1 + 1 + 1 + 2 && frame[fOff + 24] === 3 && frame[fOff + 25] === 0) {
      dw5 |= MT_TXD5_ADD_BA;
      const capab = frame[fOff + 27]! | (frame[fOff + 28]! << 8);
      tid = (capab >> 2) & 7;
    } else if (isBackReq(fc) && fLen >= 18) {
      const control = frame[fOff + 16]! | (frame[fOff + 17]! << 8);
      tid = (control >> 12) & 7;
    }
    dw1 |= (TxHdrFormat.IEEE80211 << 16) | (((ieee80211HdrLen(fc) >> 1) & 0x1f) << 11) | (tid << 20);
    const t = fcType(fc) >> 2;
    const st = (fc & IEEE80211_FCTL_STYPE) >> 4;
    dw2 |= (t << 4) | st;
    if (multicast) dw2 |= MT_TXD2_MULTICAST;
    if (info.hwKey && info.hwKeyIsCmac && multicast && info.robustMgmt) {
      dw2 |= MT_TXD2_BIP;
      dw3 &= ~MT_TXD3_PROTECT_FRAME;
    }
    if (!isData(fc) || multicast || info.useMinRate) dw2 |= MT_TXD2_FIX_RATE;
    const firstFrag = (sc & 0xf) === 0;
    if (hasMoreFrags(fc)) dw2 |= (firstFrag ? TxFrag.FIRST : TxFrag.MID) << 14;
    else if (!firstFrag) dw2 |= TxFrag.LAST << 14;
    if (isBeacon(fc)) dw3 |= 0x1f << 11;
    if (info.injected) {
      let seqno = sc;
      if (isBackReq(fc) && fLen >= 20) seqno = frame[fOff + 18]! | (frame[fOff + 19]! << 8);
      dw3 |= MT_TXD3_SN_VALID | (((seqno >> 4) & 0xfff) << 16);
      dw7 &= ~MT_TXD7_HW_AMSDU;
    }
    dw8 |= (t << 4) | st;
    if (dw2 & MT_TXD2_FIX_RATE) {
      dw2 |= MT_TXD2_HTC_VLD;
      dw6 |= MT_TXD6_FIXED_BW | ((info.fixedRate & 0x3fff) << 16);
      dw3 |= MT_TXD3_BA_DISABLE;
      dw7 &= ~MT_TXD7_HW_AMSDU;
    }
  }
  dw0 >>>= 0;
  buf.writeUInt32LE(dw0, off);
  buf.writeUInt32LE(dw1 >>> 0, off + 4);
  buf.writeUInt32LE(dw2 >>> 0, off + 8);
  buf.writeUInt32LE(dw3 >>> 0, off + 12);
  buf.writeUInt32LE(0, off + 16);
  buf.writeUInt32LE(dw5 >>> 0, off + 20);
  buf.writeUInt32LE(dw6 >>> 0, off + 24);
  buf.writeUInt32LE(dw7 >>> 0, off + 28);
  buf.writeUInt32LE(dw8 >>> 0, off + 32);
}

/** Why a frame could not be prepared. */
export type TxPrepareError = 'too-short' | 'too-long';

/**
 * mt7921_usb_sdio_tx_prepare_skb: push the TXD and the USB header in front of the frame in `skb` and the padding +
 * tail behind it, in place. The skb then holds exactly the bulk OUT transfer. Frames of 14 bytes or less are rejected
 * (ETH_HLEN), as are frames whose transfer would not fit the 16-bit length field.
 */
export function txPrepareSkb(skb: SkBuff, info: TxdInfo): TxPrepareError | null {
  const fLen = skb.len;
  if (fLen <= 14) return 'too-short';
  if (fLen + MT_USB_TXD_SIZE > 0xffff) return 'too-long';
  const bodyLen = fLen + MT_USB_TXD_SIZE;
  const pad = usbPadLen(MT_USB_HDR_SIZE + bodyLen);
  skb.ensureRoom(MT_USB_TX_HEADROOM, pad);
  const fOff = skb.data;
  writeTxd(skb.buf, fOff - MT_USB_TXD_SIZE, skb.buf, fOff, fLen, info);
  skb.push(MT_USB_TX_HEADROOM);
  skb.buf.writeUInt32LE(bodyLen, skb.data);
  const tailOff = skb.put(pad);
  skb.buf.fill(0, tailOff, tailOff + pad);
  return null;
}

/** Undo txPrepareSkb on a transmitted skb: back to the frame alone (for TX status reports to mac80211). */
export function txUnprepareSkb(skb: SkBuff): void {
  if (skb.len < MT_USB_TX_HEADROOM) return;
  const frameLen = skb.buf.readUInt32LE(skb.data + MT_USB_HDR_SIZE) & 0xffff;
  skb.pull(MT_USB_TX_HEADROOM);
  skb.trim(Math.max(0, frameLen - MT_USB_TXD_SIZE));
}

/** TXD fields as read back (tests, traces, the TX completion path). */
export interface TxdView {
  txBytes: number;
  ethTypeOffset: number;
  pktFmt: number;
  qIdx: number;
  wlanIdx: number;
  hdrInfo: number;
  eth8023: boolean;
  hdrFormat: number;
  hdrPad: number;
  tid: number;
  amsdu: boolean;
  ownMac: number;
  tgid: boolean;
  longFormat: boolean;
  subType: number;
  frameType: number;
  multicast: boolean;
  bip: boolean;
  htcVld: boolean;
  frag: number;
  fixRate: boolean;
  noAck: boolean;
  protectFrame: boolean;
  remTxCount: number;
  seq: number;
  snValid: boolean;
  baDisable: boolean;
  pnLow: number;
  pid: number;
  txStatusHost: boolean;
  addBa: boolean;
  fixedBw: boolean;
  txRate: number;
  hwAmsdu: boolean;
  dw7Type: number;
  dw7SubType: number;
  lType: number;
  lSubType: number;
}

/** Decode a 64-byte TXD (null when fewer than 64 bytes are given). */
export function parseTxd(b: Uint8Array, off = 0): TxdView | null {
  if (b.length - off < MT_USB_TXD_SIZE) return null;
  const dv = new DataView(b.buffer, b.byteOffset + off, MT_USB_TXD_SIZE);
  const d = (i: number) => dv.getUint32(i * 4, true);
  const [d0, d1, d2, d3, d4, d5, d6, d7, d8] = [d(0), d(1), d(2), d(3), d(4), d(5), d(6), d(7), d(8)];
  return {
    txBytes: d0 & 0xffff,
    ethTypeOffset: (d0 >>> 16) & 0x7f,
    pktFmt: (d0 >>> 23) & 3,
    qIdx: (d0 >>> 25) & 0x7f,
    wlanIdx: d1 & 0x3ff,
    hdrInfo: (d1 >>> 11) & 0x1f,
    eth8023: (d1 & MT_TXD1_ETH_802_3) !== 0,
    hdrFormat: (d1 >>> 16) & 3,
    hdrPad: (d1 >>> 18) & 3,
    tid: (d1 >>> 20) & 7,
    amsdu: (d1 & MT_TXD1_AMSDU) !== 0,
    ownMac: (d1 >>> 24) & 0x3f,
    tgid: (d1 & MT_TXD1_TGID) !== 0,
    longFormat: (d1 & MT_TXD1_LONG_FORMAT) !== 0,
    subType: d2 & 0xf,
    frameType: (d2 >>> 4) & 3,
    multicast: (d2 & MT_TXD2_MULTICAST) !== 0,
    bip: (d2 & MT_TXD2_BIP) !== 0,
    htcVld: (d2 & MT_TXD2_HTC_VLD) !== 0,
    frag: (d2 >>> 14) & 3,
    fixRate: (d2 & MT_TXD2_FIX_RATE) !== 0,
    noAck: (d3 & MT_TXD3_NO_ACK) !== 0,
    protectFrame: (d3 & MT_TXD3_PROTECT_FRAME) !== 0,
    remTxCount: (d3 >>> 11) & 0x1f,
    seq: (d3 >>> 16) & 0xfff,
    snValid: (d3 & MT_TXD3_SN_VALID) !== 0,
    baDisable: (d3 & MT_TXD3_BA_DISABLE) !== 0,
    pnLow: d4,
    pid: d5 & 0xff,
    txStatusHost: (d5 & MT_TXD5_TX_STATUS_HOST) !== 0,
    addBa: (d5 & MT_TXD5_ADD_BA) !== 0,
    fixedBw: (d6 & MT_TXD6_FIXED_BW) !== 0,
    txRate: (d6 >>> 16) & 0x3fff,
    hwAmsdu: (d7 & MT_TXD7_HW_AMSDU) !== 0,
    dw7Type: (d7 >>> 20) & 3,
    dw7SubType: (d7 >>> 16) & 0xf,
    lType: (d8 >>> 4) & 3,
    lSubType: d8 & 0xf,
  };
}

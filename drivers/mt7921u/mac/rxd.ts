/**
 * The RX descriptor of received frames (FACTS.md §7.3; mt76_connac2_mac.h MT_RXD*, mt7921_mac_fill_rx,
 * mt76_connac2_mac_fill_rx_rate, mt792x_get_status_freq_info, mt76_insert_ccmp_hdr).
 *
 * Base RXD = 6 DWs; optional groups follow in the driver's walk order 4, 1, 2, 3, 5; the payload starts after the
 * last group plus 2·HDR_OFFSET bytes. Decoding never throws: a malformed or unwanted descriptor yields a drop reason.
 */
import { channelToFreq } from '../../../mac80211/driver-ops.ts';
import type { SkBuff } from '../../../netstack/core/skb.ts';
import { rxdLength } from '../mcu/event.ts';
import { type Band, legacyBitrate, PhyType } from './rates.ts';
import { hasMoreFrags, ieee80211HdrLen, isDataQos, isQosNullfunc } from './ieee80211.ts';

export const MT_RXD_BASE_LEN = 24;

export const MT_RXD1_NORMAL_WLAN_IDX = 0x3ff;
export const MT_RXD1_NORMAL_GROUP_1 = 1 << 11;
export const MT_RXD1_NORMAL_GROUP_2 = 1 << 12;
export const MT_RXD1_NORMAL_GROUP_3 = 1 << 13;
export const MT_RXD1_NORMAL_GROUP_4 = 1 << 14;
export const MT_RXD1_NORMAL_GROUP_5 = 1 << 15;
export const MT_RXD1_NORMAL_CM = 1 << 23;
export const MT_RXD1_NORMAL_CLM = 1 << 24;
export const MT_RXD1_NORMAL_ICV_ERR = 1 << 25;
export const MT_RXD1_NORMAL_TKIP_MIC_ERR = 1 << 26;
export const MT_RXD1_NORMAL_FCS_ERR = 1 << 27;
export const MT_RXD1_NORMAL_BAND_IDX = 1 << 28;
export const MT_RXD1_NORMAL_SEC_DONE = 0x80000000;
export const MT_RXD2_NORMAL_HDR_TRANS = 1 << 13;
export const MT_RXD2_NORMAL_AMSDU_ERR = 1 << 23;
export const MT_RXD2_NORMAL_MAX_LEN_ERROR = 1 << 24;
export const MT_RXD2_NORMAL_FRAG = 1 << 27;
export const MT_RXD2_NORMAL_NON_AMPDU = 1 << 30;
export const MT_RXD3_NORMAL_U2M = 1;
export const MT_PRXV_HT_AD_CODE = 1 << 11;

/** Group sizes in bytes. */
export const RXD_GROUP_LEN = { 4: 16, 1: 16, 2: 8, 3: 8, 5: 72 } as const;

/** RXD1 SEC_MODE ciphers (mt76.h). */
export enum MtCipher {
  NONE = 0,
  WEP40 = 1,
  TKIP = 2,
  TKIP_NO_MIC = 3,
  AES_CCMP = 4,
  WEP104 = 5,
  BIP_CMAC_128 = 6,
  WEP128 = 7,
  WAPI = 8,
  CCMP_CCX = 9,
  CCMP_256 = 10,
  GCMP = 11,
  GCMP_256 = 12,
}

const CCMP_CIPHERS: ReadonlySet<number> = new Set([MtCipher.AES_CCMP, MtCipher.CCMP_CCX, MtCipher.CCMP_256]);
/** Ciphers whose PN the hardware reports in group 1. */
const PN_CIPHERS: ReadonlySet<number> = new Set([
  ...CCMP_CIPHERS,
  MtCipher.TKIP,
  MtCipher.TKIP_NO_MIC,
  MtCipher.GCMP,
  MtCipher.GCMP_256,
]);

/** mac80211 RX_FLAG_* bits the driver sets. */
export enum RxFlag {
  MMIC_ERROR = 1 << 0,
  DECRYPTED = 1 << 1,
  MACTIME_START = 1 << 2,
  MMIC_STRIPPED = 1 << 3,
  IV_STRIPPED = 1 << 4,
  FAILED_FCS_CRC = 1 << 5,
  AMPDU_DETAILS = 1 << 6,
  MIC_STRIPPED = 1 << 7,
  ONLY_MONITOR = 1 << 8,
  /** The payload is an 802.3 frame (hardware header translation). */
  RX_8023 = 1 << 9,
}

export type RxEncoding = 'legacy' | 'ht' | 'vht' | 'he';

/** The per-frame status handed to mac80211 with the frame (mt76_rx_status / ieee80211_rx_status). */
export interface RxStatus {
  flag: number;
  /** RXD1 WLAN_IDX (resolved to a station by the driver). */
  wlanIdx: number;
  /** Unicast to us (ADDR_TYPE == U2M). */
  unicast: boolean;
  band: Band;
  /** Channel number (6 GHz already converted). */
  channel: number;
  /** MHz; 0 when the channel number is not valid for the band. */
  freq: number;
  /** Present when group 3 (P-RXV) was there. */
  encoding: RxEncoding | null;
  /** Legacy: bitrate in 100 kbit/s; HT/VHT/HE: MCS index. */
  rateIdx: number;
  nss: number;
  /** 20, 40, 80, 160; 0 = HE RU (106-tone ER SU). */
  bw: number;
  shortGi: boolean;
  heGi: number;
  heDcm: boolean;
  ldpc: boolean;
  shortPreamble: boolean;
  /** dBm, max over the chains; -128 when unknown. */
  signal: number;
  /** Per-chain dBm (4 entries). */
  chainSignal: number[];
  chains: number;
  /** Group 2 timestamp (µs), when present. */
  timestamp: number;
  ampduRef: number;
  amsdu: boolean;
  firstAmsdu: boolean;
  lastAmsdu: boolean;
  /** SEC_MODE */
  cipher: MtCipher;
  keyId: number;
  /** PN as mac80211 stores it (iv[0] = PN5 … iv[5] = PN0), when decrypted with a PN cipher. */
  iv: Uint8Array | null;
  /** Group 4 / 802.11 header values when known (-1 otherwise). */
  seqCtrl: number;
  qosCtl: number;
  fc: number;
  /** RXD2 TID */
  tid: number;
  /** Unicast QoS data that may be part of a BA session (mt76 status->aggr). */
  aggr: boolean;
}

export type RxDropReason =
  | 'short'
  | 'length'
  | 'band-idx'
  | 'amsdu-error'
  | 'hdr-trans-cm'
  | 'hdr-trans-frag'
  | 'max-len-error'
  | 'group-overflow'
  | 'bad-rate'
  | 'band-unsupported'
  | 'payload-overflow'
  | 'no-headroom';

/** Per-device state and capabilities the decoder uses. */
export interface RxdContext {
  /** Antenna mask from the NIC capability (nss 2 → 0x3). */
  antennaMask: number;
  has2g: boolean;
  has5g: boolean;
  has6g: boolean;
  /** A-MPDU reference tracking (phy->rx_ampdu_ts / ampdu_ref). */
  rxAmpduTs: number;
  ampduRef: number;
}

export function newRxdContext(antennaMask = 0x3): RxdContext {
  return { antennaMask, has2g: true, has5g: true, has6g: true, rxAmpduTs: 0, ampduRef: 0 };
}

/** mt792x_get_status_freq_info: CH_FREQ > 180 ⇒ 6 GHz channel (v−181)·4+1; > 14 ⇒ 5 GHz; else 2.4 GHz. */
export function chFreqToChannel(chfreq: number): { band: Band; channel: number; freq: number } {
  const band = chFreqBand(chfreq);
  const channel = chFreqChannel(chfreq);
  return { band, channel, freq: channelToFreq(band, channel) };
}

function chFreqBand(chfreq: number): Band {
  return chfreq > 180 ? '6g' : chfreq > 14 ? '5g' : '2g';
}

function chFreqChannel(chfreq: number): number {
  return chfreq > 180 ? (chfreq - 181) * 4 + 1 : chfreq;
}

/** Little-endian u32 at b[o] (no DataView per frame: the caller has checked the bounds). */
function u32At(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** RCPI → dBm: (RCPI − 220) / 2, truncated toward zero as C integer division does. */
export const rcpiToDbm = (rcpi: number): number => Math.trunc((rcpi - 220) / 2);

const popcount8 = (v: number): number => {
  let n = 0;
  for (let i = 0; i < 8; i++) if (v & (1 << i)) n++;
  return n;
};

/** Decoded descriptor: the status and where the payload is. */
export interface RxdResult {
  status: RxStatus;
  /** Offset of the payload from the start of the RXD (end of groups + 2·HDR_OFFSET). */
  hdrGap: number;
  /** Packet length from RXD0. */
  len: number;
  hdrTrans: boolean;
  insertCcmpHdr: boolean;
}

/**
 * Decode the RXD at `b[off]` of a received frame packet (type 2, or type 7 with flag 1) whose transfer holds
 * `avail` bytes from `off`. Mirrors mt7921_mac_fill_rx up to the payload (the skb edits are in mt7921MacFillRx).
 */
export function decodeRxd(b: Uint8Array, off: number, avail: number, ctx: RxdContext): RxdResult | RxDropReason {
  if (avail < MT_RXD_BASE_LEN) return 'short';
  const rxd0 = u32At(b, off);
  const len = rxdLength(rxd0);
  if (len < MT_RXD_BASE_LEN || len > avail) return 'length';
  const rxd1 = u32At(b, off + 4);
  const rxd2 = u32At(b, off + 8);
  const rxd3 = u32At(b, off + 12);
  const rxd4 = u32At(b, off + 16);

  if (rxd1 & MT_RXD1_NORMAL_BAND_IDX) return 'band-idx';
  if (rxd2 & MT_RXD2_NORMAL_AMSDU_ERR) return 'amsdu-error';
  const hdrTrans = (rxd2 & MT_RXD2_NORMAL_HDR_TRANS) !== 0;
  if (hdrTrans && rxd1 & MT_RXD1_NORMAL_CM) return 'hdr-trans-cm';

  let flag = 0;
  if (rxd1 & MT_RXD1_NORMAL_ICV_ERR) flag |= RxFlag.ONLY_MONITOR;
  // chFreqToChannel's parts, without its result object per frame
  const band = chFreqBand((rxd3 >>> 8) & 0xff);
  const channel = chFreqChannel((rxd3 >>> 8) & 0xff);
  const freq = channelToFreq(band, channel);
  if ((band === '2g' && !ctx.has2g) || (band === '5g' && !ctx.has5g) || (band === '6g' && !ctx.has6g)) {
    return 'band-unsupported';
  }
  if (rxd1 & MT_RXD1_NORMAL_FCS_ERR) flag |= RxFlag.FAILED_FCS_CRC;
  if (rxd1 & MT_RXD1_NORMAL_TKIP_MIC_ERR) flag |= RxFlag.MMIC_ERROR;
  const cipher = (rxd1 >>> 16) & 0x1f;
  if (cipher !== 0 && !(rxd1 & (MT_RXD1_NORMAL_CLM | MT_RXD1_NORMAL_CM))) {
    flag |= RxFlag.DECRYPTED | RxFlag.IV_STRIPPED | RxFlag.MMIC_STRIPPED | RxFlag.MIC_STRIPPED;
  }
  const removePad = (rxd2 >>> 14) & 3;
  if (rxd2 & MT_RXD2_NORMAL_MAX_LEN_ERROR) return 'max-len-error';

  const status: RxStatus = {
    flag,
    wlanIdx: rxd1 & MT_RXD1_NORMAL_WLAN_IDX,
    unicast: ((rxd3 >>> 16) & 3) === MT_RXD3_NORMAL_U2M,
    band,
    channel,
    freq,
    encoding: null,
    rateIdx: 0,
    nss: 0,
    bw: 20,
    shortGi: false,
    heGi: 0,
    heDcm: false,
    ldpc: false,
    shortPreamble: false,
    signal: -128,
    chainSignal: [0, 0, 0, 0],
    chains: 0,
    timestamp: 0,
    ampduRef: 0,
    amsdu: false,
    firstAmsdu: false,
    lastAmsdu: false,
    cipher,
    keyId: (rxd1 >>> 21) & 3,
    iv: null,
    seqCtrl: -1,
    qosCtl: -1,
    fc: -1,
    tid: (rxd2 >>> 16) & 0xf,
    aggr: false,
  };

  let p = MT_RXD_BASE_LEN;
  let insertCcmpHdr = false;
  if (rxd1 & MT_RXD1_NORMAL_GROUP_4) {
    if (p + 16 > len) return 'group-overflow';
    const v0 = u32At(b, off + p);
    const v2 = u32At(b, off + p + 8);
    status.fc = v0 & 0xffff;
    status.seqCtrl = v2 & 0xffff;
    status.qosCtl = (v2 >>> 16) & 0xffff;
    p += 16;
    if (p >= len) return 'group-overflow';
  }
  if (rxd1 & MT_RXD1_NORMAL_GROUP_1) {
    if (p + 16 > len) return 'group-overflow';
    if (status.flag & RxFlag.DECRYPTED && PN_CIPHERS.has(cipher)) {
      if (CCMP_CIPHERS.has(cipher)) insertCcmpHdr = (rxd2 & MT_RXD2_NORMAL_FRAG) !== 0;
      const iv = new Uint8Array(6);
      for (let i = 0; i < 6; i++) iv[i] = b[off + p + 5 - i]!;
      status.iv = iv;
    }
    p += 16;
    if (p >= len) return 'group-overflow';
  }
  if (rxd1 & MT_RXD1_NORMAL_GROUP_2) {
    if (p + 8 > len) return 'group-overflow';
    status.timestamp = u32At(b, off + p);
    status.flag |= RxFlag.MACTIME_START;
    if (!(rxd2 & MT_RXD2_NORMAL_NON_AMPDU)) {
      status.flag |= RxFlag.AMPDU_DETAILS;
      // all subframes of an A-MPDU carry the same timestamp
      if (ctx.rxAmpduTs !== status.timestamp) {
        ctx.ampduRef = (ctx.ampduRef + 1) >>> 0;
        if (ctx.ampduRef === 0) ctx.ampduRef = 1;
      }
      ctx.rxAmpduTs = status.timestamp;
      status.ampduRef = ctx.ampduRef;
    }
    p += 8;
    if (p >= len) return 'group-overflow';
  }
  if (rxd1 & MT_RXD1_NORMAL_GROUP_3) {
    if (p + 8 > len) return 'group-overflow';
    const v0 = u32At(b, off + p);
    let v1 = u32At(b, off + p + 4);
    p += 8;
    if (p >= len) return 'group-overflow';
    if (v0 & MT_PRXV_HT_AD_CODE) status.ldpc = true;
    if (!fillRxRate(status, v0)) return 'bad-rate';
    if (rxd1 & MT_RXD1_NORMAL_GROUP_5) {
      p += 24;
      if (p + 4 > len) return 'group-overflow';
      // monitor-mode RCPI lives in the 7th DW of group 5
      v1 = u32At(b, off + p);
      p += 48;
      if (p >= len) return 'group-overflow';
    }
    status.chains = ctx.antennaMask;
    for (let i = 0; i < 4; i++) status.chainSignal[i] = rcpiToDbm((v1 >>> (8 * i)) & 0xff);
    let signal = -128;
    const n = popcount8(ctx.antennaMask);
    for (let i = 0; i < n; i++) {
      if (!(status.chains & (1 << i)) || status.chainSignal[i]! >= 0) continue;
      signal = Math.max(signal, status.chainSignal[i]!);
    }
    status.signal = signal;
  }
  const amsduInfo = rxd4 & 3;
  status.amsdu = amsduInfo !== 0;
  if (status.amsdu) {
    status.firstAmsdu = amsduInfo === 3;
    status.lastAmsdu = amsduInfo === 1;
  }
  const hdrGap = p + 2 * removePad;
  if (hdrGap > len) return 'payload-overflow';
  return { status, hdrGap, len, hdrTrans, insertCcmpHdr };
}

/** mt76_connac2_mac_fill_rx_rate for connac2 (P-RXV DW0). Returns false for an invalid rate (frame dropped). */
function fillRxRate(status: RxStatus, v0: number): boolean {
  let idx = v0 & 0x7f;
  const rawIdx = idx;
  const nss = ((v0 >>> 7) & 7) + 1;
  const stbc = (v0 >>> 22) & 3;
  const gi = (v0 >>> 15) & 3;
  const mode = (v0 >>> 24) & 0xf;
  const dcm = (idx & (1 << 4)) !== 0;
  const bw = (v0 >>> 12) & 7;
  void stbc;
  switch (mode) {
    case PhyType.CCK:
    case PhyType.OFDM: {
      const r = legacyBitrate(status.band, mode === PhyType.CCK, idx);
      status.encoding = 'legacy';
      status.shortPreamble = r.shortPreamble;
      idx = r.bitrate;
      break;
    }
    case PhyType.HT_GF:
    case PhyType.HT:
      status.encoding = 'ht';
      status.shortGi = gi !== 0;
      if (idx > 31) return false;
      break;
    case PhyType.VHT:
      status.nss = nss;
      status.encoding = 'vht';
      status.shortGi = gi !== 0;
      if (idx > 11) return false;
      break;
    case PhyType.HE_MU:
    case PhyType.HE_SU:
    case PhyType.HE_EXT_SU:
    case PhyType.HE_TB:
      status.nss = nss;
      status.encoding = 'he';
      idx &= 0xf;
      if (gi <= 2) status.heGi = gi;
      status.heDcm = dcm;
      break;
    default:
      return false;
  }
  status.rateIdx = idx;
  switch (bw) {
    case 0:
      status.bw = 20;
      break;
    case 1:
      // mode & HE_EXT_SU tests a bit, as the driver does
      status.bw = mode & PhyType.HE_EXT_SU && rawIdx & (1 << 5) ? 0 : 40;
      break;
    case 2:
      status.bw = 80;
      break;
    case 3:
      status.bw = 160;
      break;
    default:
      return false;
  }
  return true;
}

/**
 * mt7921_mac_fill_rx on an skb that holds exactly one received packet (skb.data at RXD DW0): decode the RXD, pull
 * the descriptor and padding, remove the 2-byte A-MSDU gap of non-translated subframes, re-insert the CCMP header of
 * decrypted fragments. On success skb.data is at the 802.11 (or 802.3) header and skb.len is the frame length.
 */
export function mt7921MacFillRx(skb: SkBuff, ctx: RxdContext): RxStatus | RxDropReason {
  const r = decodeRxd(skb.buf, skb.data, skb.len, ctx);
  if (typeof r === 'string') return r;
  const { status } = r;
  skb.trim(r.len);
  if (r.hdrTrans && status.fc >= 0 && hasMoreFrags(status.fc)) {
    // mt76 rebuilds the 802.11 header of a header-translated fragment from the station's vif; this driver never
    // enables RX header translation (no decap offload), so such a frame cannot be ours: drop it.
    return 'hdr-trans-frag';
  }
  skb.pull(r.hdrGap);
  let hdrTrans = r.hdrTrans;
  if (!hdrTrans && status.amsdu) {
    if (skb.len < 2) return 'payload-overflow';
    const fc = skb.buf[skb.data]! | (skb.buf[skb.data + 1]! << 8);
    const hl = ieee80211HdrLen(fc);
    if (skb.len < hl + 2) return 'payload-overflow';
    skb.buf.copyWithin(skb.data + 2, skb.data, skb.data + hl);
    skb.pull(2);
  }
  if (!hdrTrans) {
    if (skb.len < 2) return 'payload-overflow';
    if (r.insertCcmpHdr && status.iv !== null) {
      const fc0 = skb.buf[skb.data]! | (skb.buf[skb.data + 1]! << 8);
      const hl = ieee80211HdrLen(fc0);
      if (skb.len < hl) return 'payload-overflow';
      if (skb.headroom < 8) return 'no-headroom';
      skb.push(8);
      const d = skb.data;
      skb.buf.copyWithin(d, d + 8, d + 8 + hl);
      const pn = status.iv;
      const h = d + hl;
      skb.buf[h] = pn[5]!;
      skb.buf[h + 1] = pn[4]!;
      skb.buf[h + 2] = 0;
      skb.buf[h + 3] = 0x20 | (status.keyId << 6);
      skb.buf[h + 4] = pn[3]!;
      skb.buf[h + 5] = pn[2]!;
      skb.buf[h + 6] = pn[1]!;
      skb.buf[h + 7] = pn[0]!;
      status.flag &= ~RxFlag.IV_STRIPPED;
    }
    const fc = skb.buf[skb.data]! | (skb.buf[skb.data + 1]! << 8);
    status.fc = fc;
    if (isDataQos(fc)) {
      const hl = ieee80211HdrLen(fc);
      if (skb.len >= hl) {
        status.seqCtrl = skb.buf[skb.data + 22]! | (skb.buf[skb.data + 23]! << 8);
        status.qosCtl = skb.buf[skb.data + hl - 2]! | (skb.buf[skb.data + hl - 1]! << 8);
      }
    }
  } else {
    status.flag |= RxFlag.RX_8023;
    hdrTrans = true;
  }
  if (status.fc >= 0 && isDataQos(status.fc) && !hdrTrans) {
    status.aggr = status.unicast && !isQosNullfunc(status.fc);
  }
  return status;
}

// ---------------------------------------------------------------------------------------------------------------
// Building descriptors (tests and fakes; the emulator writes its own)

export interface RxdFields {
  pktType?: number;
  pktFlag?: number;
  wlanIdx?: number;
  cipher?: number;
  keyId?: number;
  cm?: boolean;
  clm?: boolean;
  icvErr?: boolean;
  tkipMicErr?: boolean;
  fcsErr?: boolean;
  bandIdx?: boolean;
  hdrTrans?: boolean;
  hdrOffset?: number;
  tid?: number;
  amsduErr?: boolean;
  maxLenErr?: boolean;
  frag?: boolean;
  nonAmpdu?: boolean;
  chFreq?: number;
  addrType?: number;
  payloadFormat?: number;
  group4?: { fc: number; seqCtrl: number; qosCtl: number };
  group1?: Uint8Array;
  group2?: { timestamp: number };
  group3?: { v0: number; rcpi: [number, number, number, number] };
  group5?: { rcpi: [number, number, number, number] };
  payload: Uint8Array;
  /** Padding bytes after the packet (beyond the DW0 length). */
  trailer?: number;
}

/** Build one received frame packet: RXD (+groups in walk order) + HDR_OFFSET pad + payload. */
export function buildRxd(f: RxdFields): Buffer {
  const groups =
    (f.group4 ? 16 : 0) +
    (f.group1 ? 16 : 0) +
    (f.group2 ? 8 : 0) +
    (f.group3 ? 8 : 0) +
    (f.group5 && f.group3 ? 72 : 0);
  const pad = 2 * (f.hdrOffset ?? 0);
  const len = MT_RXD_BASE_LEN + groups + pad + f.payload.length;
  const b = Buffer.alloc(len + (f.trailer ?? 0));
  const bit = (v: boolean | undefined, n: number) => (v ? 1 << n : 0);
  b.writeUInt32LE((((f.pktType ?? 2) << 27) | ((f.pktFlag ?? 0) << 16) | len) >>> 0, 0);
  const rxd1 =
    ((f.wlanIdx ?? 0) & 0x3ff) |
    bit(!!f.group1, 11) |
    bit(!!f.group2, 12) |
    bit(!!f.group3, 13) |
    bit(!!f.group4, 14) |
    bit(!!f.group5 && !!f.group3, 15) |
    (((f.cipher ?? 0) & 0x1f) << 16) |
    (((f.keyId ?? 0) & 3) << 21) |
    bit(f.cm, 23) |
    bit(f.clm, 24) |
    bit(f.icvErr, 25) |
    bit(f.tkipMicErr, 26) |
    bit(f.fcsErr, 27) |
    bit(f.bandIdx, 28);
  b.writeUInt32LE(rxd1 >>> 0, 4);
  const rxd2 =
    bit(f.hdrTrans, 13) |
    (((f.hdrOffset ?? 0) & 3) << 14) |
    (((f.tid ?? 0) & 0xf) << 16) |
    bit(f.amsduErr, 23) |
    bit(f.maxLenErr, 24) |
    bit(f.frag, 27) |
    bit(f.nonAmpdu ?? true, 30);
  b.writeUInt32LE(rxd2 >>> 0, 8);
  b.writeUInt32LE(((((f.chFreq ?? 1) & 0xff) << 8) | (((f.addrType ?? 1) & 3) << 16)) >>> 0, 12);
  b.writeUInt32LE((f.payloadFormat ?? 0) & 3, 16);
  let p = MT_RXD_BASE_LEN;
  if (f.group4) {
    b.writeUInt32LE(f.group4.fc & 0xffff, p);
    b.writeUInt32LE(((f.group4.seqCtrl & 0xffff) | ((f.group4.qosCtl & 0xffff) << 16)) >>> 0, p + 8);
    p += 16;
  }
  if (f.group1) {
    b.set(f.group1.subarray(0, 16), p);
    p += 16;
  }
  if (f.group2) {
    b.writeUInt32LE(f.group2.timestamp >>> 0, p);
    p += 8;
  }
  if (f.group3) {
    b.writeUInt32LE(f.group3.v0 >>> 0, p);
    const r = f.group3.rcpi;
    b.writeUInt32LE((r[0] | (r[1] << 8) | (r[2] << 16) | (r[3] << 24)) >>> 0, p + 4);
    p += 8;
    if (f.group5) {
      const r5 = f.group5.rcpi;
      b.writeUInt32LE((r5[0] | (r5[1] << 8) | (r5[2] << 16) | (r5[3] << 24)) >>> 0, p + 24);
      p += 72;
    }
  }
  p += pad;
  b.set(f.payload, p);
  return b;
}

/** P-RXV DW0 for a rate: mode, MCS/rate index, nss, bandwidth code, GI. */
export function prxvDw0(
  mode: PhyType,
  idx: number,
  opts: { nss?: number; bw?: number; gi?: number; ldpc?: boolean } = {},
): number {
  return (
    ((idx & 0x7f) |
      ((((opts.nss ?? 1) - 1) & 7) << 7) |
      (opts.ldpc ? MT_PRXV_HT_AD_CODE : 0) |
      (((opts.bw ?? 0) & 7) << 12) |
      (((opts.gi ?? 0) & 3) << 15) |
      ((mode & 0xf) << 24)) >>>
    0
  );
}

/**
 * STA_REC_UPDATE (UNI 0x03): station records with nested WTBL TLVs, keys (KEY_V2) and Block Ack
 * (FACTS.md §6.7, §6.8; mt76_connac_mcu_sta_cmd, _sta_tlv, _sta_basic_tlv, _wtbl_generic_tlv, _wtbl_hdr_trans_tlv,
 * _wtbl_ht_tlv, _sta_he_tlv(_v2), _sta_key_tlv, _sta_ba / _wtbl_ba_tlv; mt7921_mcu_sta_update).
 *
 * Layout: sta_req_hdr (8) {bss_idx, wlan_idx_lo, tlv_num le16, is_tlv_append 1, muar_idx, wlan_idx_hi, rsv}, then
 * top-level TLVs; the WTBL TLV (tag 13) holds wtbl_req_hdr (8) {wlan_idx_lo, operation, tlv_num le16, wlan_idx_hi,
 * rsv[3]} and nested WTBL TLVs, its len growing with each.
 */
import type { Band } from '../mac/rates.ts';
import { CONNECTION_INFRA_AP, CONNECTION_INFRA_BC, CONNECTION_INFRA_STA, type PhyCaps, phyTypeV2 } from './uni-cmds.ts';
import { McuWriter, macBytes } from './writer.ts';

export enum StaRecTag {
  BASIC = 0,
  RA = 1,
  RA_CMM_INFO = 2,
  RA_UPDATE = 3,
  BF = 4,
  AMSDU = 5,
  BA = 6,
  STATE = 7,
  TX_PROC = 8,
  HT = 9,
  VHT = 10,
  APPS = 11,
  KEY = 12,
  WTBL = 13,
  HE = 14,
  HW_AMSDU = 15,
  WTBL_AADOM = 16,
  KEY_V2 = 17,
  MURU = 18,
  MUEDCA = 19,
  BFEE = 20,
  PHY = 0x15,
  HE_6G = 0x17,
  HE_V2 = 0x19,
  REMOVE = 0x25,
  PN_INFO = 0x26,
  KEY_V3 = 0x27,
  HDR_TRANS = 0x2b,
}

export enum WtblTag {
  GENERIC = 0,
  RX = 1,
  HT = 2,
  VHT = 3,
  PEER_PS = 4,
  TX_PS = 5,
  HDR_TRANS = 6,
  SEC_KEY = 7,
  BA = 8,
  RDG = 9,
  PROTECT = 10,
  CLEAR = 11,
  BF = 12,
  SMPS = 13,
  RAW_DATA = 14,
  PN = 15,
  SPE = 16,
}

export enum WtblOp {
  RESET_AND_SET = 1,
  SET = 2,
  QUERY = 3,
  RESET_ALL = 4,
}

export enum ConnState {
  DISCONNECT = 0,
  CONNECT = 1,
  PORT_SECURE = 2,
}

/** mt76_sta_info_state */
export enum StaInfoState {
  NONE = 0,
  AUTH = 1,
  ASSOC = 2,
}

export const STA_REQ_HDR_LEN = 8;
export const WTBL_REQ_HDR_LEN = 8;
export const EXTRA_INFO_VER = 1 << 0;
export const EXTRA_INFO_NEW = 1 << 1;
/** muar_idx for entries that are not a peer station (the vif's own/broadcast entry). */
export const MUAR_IDX_NON_STA = 0xe;

/** A STA_REC message under construction: header, top-level TLV count, optional WTBL with nested count. */
export class StaRecWriter {
  readonly w = new McuWriter(128);
  private wtblTlv = -1;
  private wtblHdr = -1;

  constructor(bssIdx: number, wcid: number, muarIdx: number) {
    const h = this.w.put(STA_REQ_HDR_LEN);
    this.w
      .u8(h, bssIdx)
      .u8(h + 1, wcid & 0xff)
      .u8(h + 4, 1)
      .u8(h + 5, muarIdx)
      .u8(h + 6, (wcid >> 8) & 7);
  }

  /** Append a top-level TLV; returns its offset. */
  tlv(tag: number, len: number): number {
    const off = this.w.tlv(tag, len);
    this.w.u16(2, this.w.getU16(2) + 1);
    return off;
  }

  /** Append the WTBL TLV with its request header. */
  wtbl(wcid: number, op: WtblOp): void {
    this.wtblTlv = this.tlv(StaRecTag.WTBL, 4);
    this.wtblHdr = this.w.put(WTBL_REQ_HDR_LEN);
    this.w
      .u8(this.wtblHdr, wcid & 0xff)
      .u8(this.wtblHdr + 1, op)
      .u8(this.wtblHdr + 4, (wcid >> 8) & 7);
    this.w.u16(this.wtblTlv + 2, 4 + WTBL_REQ_HDR_LEN);
  }

  /** Append a nested WTBL TLV (after wtbl()); returns its offset. */
  nested(tag: number, len: number): number {
    if (this.wtblHdr < 0) throw new Error('nested WTBL TLV before the WTBL header');
    const off = this.w.tlv(tag, len);
    this.w.u16(this.wtblHdr + 2, this.w.getU16(this.wtblHdr + 2) + 1);
    this.w.u16(this.wtblTlv + 2, this.w.getU16(this.wtblTlv + 2) + len);
    return off;
  }

  finish(): Buffer {
    return this.w.finish();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Peer capabilities as mac80211 knows them (ieee80211_sta / ieee80211_link_sta)

export interface HtCaps {
  /** ht_cap.cap (IEEE80211_HT_CAP_*) */
  cap: number;
  ampduFactor: number;
  ampduDensity: number;
  /** mcs.rx_mask (10 bytes) */
  rxMask: Uint8Array;
}

export interface VhtCaps {
  /** vht_cap.cap (IEEE80211_VHT_CAP_*) */
  cap: number;
  rxMcsMap: number;
  txMcsMap: number;
}

export interface HeCaps {
  /** The HE Capabilities element's MAC (6) and PHY (11) capability bytes. */
  macCap: Uint8Array;
  phyCap: Uint8Array;
  /** he_mcs_nss_supp rx maps */
  rxMcs80: number;
  rxMcs160?: number;
  rxMcs80p80?: number;
}

export interface PeerSta {
  addr: Uint8Array | string;
  /** sta->aid (AP mode); the station vif uses its own association id. */
  aid: number;
  wme: boolean;
  ht?: HtCaps;
  vht?: VhtCaps;
  he?: HeCaps;
  /** he_6ghz_capa.capa (0 when none) */
  he6gCapa?: number;
  /** deflink.agg.max_amsdu_len (0: no A-MSDU) */
  maxAmsduLen: number;
  /** deflink.supp_rates[band]: bitmap over the band's bitrate table */
  suppRates: number;
  /** IEEE80211_STA_RX_BW_*: 0 20, 1 40, 2 80, 3 160 */
  bandwidth: number;
  rxNss: number;
  /** SMPS dynamic */
  smpsDynamic?: boolean;
}

export type VifType = 'station' | 'ap' | 'adhoc' | 'monitor';

export interface StaRecInfo {
  bssIdx: number;
  omacIdx: number;
  vifType: VifType;
  /** The station vif's association id (vif->cfg.aid). */
  vifAid: number;
  /** The BSSID the station vif is on (zero before association). */
  bssid: Uint8Array | string;
  /** vif->bss_conf.basic_rates */
  basicRates: number;
  band: Band;
  /** The WLAN index of the entry. */
  wcid: number;
  /** The peer; null for the vif's own entry (mt7921_mcu_sta_update with sta NULL). */
  sta: PeerSta | null;
  enable: boolean;
  /** Newly added (extra_info NEW): sta ? state != ASSOC : true. */
  newly?: boolean;
  state: StaInfoState;
  /** to_rcpi(rssi): 2·rssi + 220 with rssi = −(average RSSI) */
  rcpi: number;
  /** wcid HDR_TRANS flag (RX header translation); false for this driver. */
  rxHdrTrans?: boolean;
  /** mt7921 sets offload_fw: no BASIC TLV for the vif's own entry. */
  offloadFw?: boolean;
}

const IEEE80211_HT_CAP_LDPC_CODING = 0x0001;
const IEEE80211_VHT_CAP_RXLDPC = 0x00000010;
const IEEE80211_VHT_CAP_MAX_A_MPDU_LENGTH_EXPONENT_SHIFT = 23;
const IEEE80211_MAX_MPDU_LEN_VHT_7991 = 7991;
const IEEE80211_OPMODE_NOTIF_RX_NSS_SHIFT = 4;

const isZeroAddr = (a: Uint8Array) => a.every((b) => b === 0);

/** STA_REC_HE_CAP_* from the HE capability element (mt76_connac_mcu_sta_he_tlv). */
export function staRecHeCap(mac: Uint8Array, phy: Uint8Array): number {
  const m = (i: number, bit: number) => ((mac[i] ?? 0) & bit) !== 0;
  const p = (i: number, bit: number) => ((phy[i] ?? 0) & bit) !== 0;
  const table: Array<[boolean, number]> = [
    [m(0, 0x01), 0], // HTC
    [m(4, 0x04), 1], // BQR
    [m(2, 0x08), 2], // BSR
    [m(3, 0x02), 3], // OM
    [m(4, 0x40), 4], // AMSDU_IN_AMPDU
    [p(1, 0x20), 6], // LDPC
    [p(9, 0x02), 7], // TRIG_CQI_FK (non-triggered CQI feedback)
    [p(6, 0x20), 8], // PARTIAL_BW_EXT_RANGE
    [p(2, 0x04), 9], // LE_EQ_80M_TX_STBC
    [p(2, 0x08), 10], // LE_EQ_80M_RX_STBC
    [p(7, 0x40), 11], // GT_80M_TX_STBC
    [p(7, 0x80), 12], // GT_80M_RX_STBC
    [p(1, 0x40), 13], // SU_PPDU_1LTF_8US_GI
    [p(7, 0x04), 14], // SU_MU_PPDU_4LTF_8US_GI
    [p(8, 0x10), 15], // ER_SU_PPDU_1LTF_8US_GI
    [p(8, 0x01), 16], // ER_SU_PPDU_4LTF_8US_GI
    [p(2, 0x02), 17], // NDP_4LTF_3DOT2MS_GI
    [p(0, 0x60), 18], // BW20_RU242_SUPPORT (RU mapping in 2.4/5 GHz)
    [p(9, 0x04), 19], // TX_1024QAM_UNDER_RU242
    [p(9, 0x08), 20], // RX_1024QAM_UNDER_RU242
  ];
  let cap = 0;
  for (const [on, bit] of table) if (on) cap |= 1 << bit;
  return cap >>> 0;
}

const getBits = (v: number, mask: number) => (v & mask) >>> (31 - Math.clz32(mask & -mask));

function heMaxNssMcs(sta: PeerSta, he: HeCaps): [number, number, number] {
  const out: [number, number, number] = [he.rxMcs80, 0, 0];
  if (sta.bandwidth === 3) {
    if ((he.phyCap[0] ?? 0) & 0x10) out[2] = he.rxMcs80p80 ?? 0;
    out[1] = he.rxMcs160 ?? 0;
  }
  return out;
}

/** The per-station TLVs of an enabled peer (mt76_connac_mcu_sta_tlv, connac2 path). */
function staTlvs(s: StaRecWriter, info: StaRecInfo, sta: PeerSta): void {
  const w = s.w;
  if (sta.ht) {
    const t = s.tlv(StaRecTag.HT, 8);
    w.u16(t + 4, sta.ht.cap);
  }
  if (sta.vht) {
    const t = s.tlv(StaRecTag.VHT, 16);
    w.u32(t + 4, sta.vht.cap)
      .u16(t + 8, sta.vht.rxMcsMap)
      .u16(t + 10, sta.vht.txMcsMap);
  }
  // STA_REC_APPS (U-APSD) is only sent by AP interfaces; AP mode does not run on this driver.
  if ((sta.ht || sta.he) && (info.vifType === 'ap' || info.vifType === 'station') && sta.maxAmsduLen) {
    const t = s.tlv(StaRecTag.HW_AMSDU, 8);
    w.u8(t + 4, 8)
      .u8(t + 5, sta.maxAmsduLen >= IEEE80211_MAX_MPDU_LEN_VHT_7991 ? 1 : 0)
      .u8(t + 6, 1);
  }
  if (sta.he) {
    const he = sta.he;
    const mcs = heMaxNssMcs(sta, he);
    const t = s.tlv(StaRecTag.HE, 28);
    const mac = he.macCap;
    const phy = he.phyCap;
    w.u32(t + 4, staRecHeCap(mac, phy))
      .u8(t + 8, getBits(mac[1] ?? 0, 0x0c))
      .u8(t + 9, getBits(mac[3] ?? 0, 0x18))
      .u8(t + 10, getBits(phy[0] ?? 0, 0xfe))
      .u8(t + 11, getBits(phy[1] ?? 0, 0x10))
      .u8(t + 12, getBits(phy[3] ?? 0, 0x03))
      .u8(t + 13, getBits(phy[3] ?? 0, 0x04))
      .u8(t + 14, getBits(phy[3] ?? 0, 0x18))
      // the driver assigns dcm_rx_max_nss twice, the second time from the DCM max RU field; dcm_max_ru stays 0
      .u8(t + 15, getBits(phy[8] ?? 0, 0xc0))
      .u8(t + 17, getBits(phy[1] ?? 0, 0x0f))
      .u8(t + 18, 2)
      .u16(t + 20, mcs[0])
      .u16(t + 22, mcs[1])
      .u16(t + 24, mcs[2]);
    const v2 = s.tlv(StaRecTag.HE_V2, 28);
    w.bytes(v2 + 4, mac, 6)
      .bytes(v2 + 10, phy, 11)
      .u8(v2 + 21, 2)
      .u16(v2 + 22, mcs[0])
      .u16(v2 + 24, mcs[1])
      .u16(v2 + 26, mcs[2]);
    if (info.band === '6g' && info.state === StaInfoState.ASSOC) {
      const g = s.tlv(StaRecTag.HE_6G, 8);
      w.u16(g + 4, sta.he6gCapa ?? 0);
    }
  }
  const caps: PhyCaps = { ht: !!sta.ht, vht: !!sta.vht, he: !!sta.he };
  const phyT = s.tlv(StaRecTag.PHY, 12);
  w.u16(phyT + 4, info.basicRates)
    .u8(phyT + 6, phyTypeV2(info.band, caps))
    .u8(phyT + 7, sta.ht ? (sta.ht.ampduFactor & 3) | ((sta.ht.ampduDensity & 7) << 2) : 0)
    .u8(phyT + 9, info.rcpi);
  const ra = s.tlv(StaRecTag.RA, 16);
  const legacy =
    info.band === '2g'
      ? (((sta.suppRates >> 4) & 0xff) << 6) | (sta.suppRates & 0xf)
      : ((sta.suppRates & 0xff) << 6) & 0x3fc0;
  w.u16(ra + 4, legacy);
  if (sta.ht) w.bytes(ra + 6, sta.ht.rxMask, 10);
  const st = s.tlv(StaRecTag.STATE, 12);
  w.u8(st + 8, info.state);
  if (sta.vht) w.u8(st + 9, (sta.bandwidth | ((sta.rxNss - 1) << IEEE80211_OPMODE_NOTIF_RX_NSS_SHIFT)) & 0xff);
}

/** mt76_connac_mcu_sta_cmd with mt7921's options (UNI STA_REC_UPDATE, offload_fw). */
export function staRecPayload(info: StaRecInfo): Buffer {
  const sta = info.sta;
  const muar = sta ? info.omacIdx : MUAR_IDX_NON_STA;
  const s = new StaRecWriter(info.bssIdx, info.wcid, muar);
  const w = s.w;
  const connState = info.enable ? ConnState.PORT_SECURE : ConnState.DISCONNECT;
  const newly = info.newly ?? (sta ? info.state !== StaInfoState.ASSOC : true);
  const offloadFw = info.offloadFw ?? true;
  if (sta || !offloadFw) {
    const t = s.tlv(StaRecTag.BASIC, 20);
    let extra = EXTRA_INFO_VER;
    if (newly && connState !== ConnState.DISCONNECT) extra |= EXTRA_INFO_NEW;
    w.u8(t + 8, connState).u16(t + 18, extra);
    if (!sta) {
      const bssid = macBytes(info.bssid);
      w.u32(t + 4, CONNECTION_INFRA_BC);
      if (info.vifType === 'station' && !isZeroAddr(bssid)) {
        w.bytes(t + 12, bssid).u16(t + 10, info.vifAid);
      } else {
        w.bytes(t + 12, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
      }
    } else {
      // a station vif's peer is its AP; an AP's peer is a station
      const station = info.vifType === 'station';
      w.u32(t + 4, station ? CONNECTION_INFRA_AP : CONNECTION_INFRA_STA)
        .u16(t + 10, station ? info.vifAid : sta.aid)
        .bytes(t + 12, macBytes(sta.addr))
        .u8(t + 9, sta.wme ? 1 : 0);
    }
  }
  if (sta && info.enable) staTlvs(s, info, sta);
  s.wtbl(info.wcid, WtblOp.RESET_AND_SET);
  if (info.enable) {
    const g = s.nested(WtblTag.GENERIC, 20);
    if (sta) {
      w.bytes(g + 4, macBytes(sta.addr))
        .u8(g + 10, info.omacIdx)
        .u8(g + 13, sta.wme ? 1 : 0)
        .u16(g + 16, info.vifType === 'station' ? info.vifAid : sta.aid);
    } else {
      const bssid = macBytes(info.bssid);
      w.bytes(g + 4, info.vifType === 'station' ? bssid : Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)).u8(
        g + 10,
        MUAR_IDX_NON_STA,
      );
    }
    const rx = s.nested(WtblTag.RX, 12);
    w.u8(rx + 5, sta ? (info.vifType !== 'ap' ? 1 : 0) : 1)
      .u8(rx + 6, 1)
      .u8(rx + 7, 1);
    const ht = s.nested(WtblTag.HDR_TRANS, 8);
    // to_ds for a station vif, from_ds otherwise; no_rx_trans unless the wcid translates headers
    w.u8(ht + 4, info.vifType === 'station' ? 1 : 0)
      .u8(ht + 5, info.vifType === 'station' ? 0 : 1)
      .u8(ht + 6, info.rxHdrTrans ? 0 : 1);
    if (sta) wtblHtTlvs(s, sta);
  }
  return s.finish();
}

/** mt76_connac_mcu_wtbl_ht_tlv: HT / VHT / SMPS nested TLVs (connac2: no RAW). */
function wtblHtTlvs(s: StaRecWriter, sta: PeerSta): void {
  const w = s.w;
  let htOff = -1;
  if (sta.ht || sta.he6gCapa) {
    htOff = s.nested(WtblTag.HT, 12);
    const ldpc = sta.ht ? (sta.ht.cap & IEEE80211_HT_CAP_LDPC_CODING ? 1 : 0) : 0;
    const af = sta.ht ? sta.ht.ampduFactor : getBits(sta.he6gCapa ?? 0, 0x0038);
    const mm = sta.ht ? sta.ht.ampduDensity : getBits(sta.he6gCapa ?? 0, 0x0007);
    w.u8(htOff + 4, 1)
      .u8(htOff + 5, ldpc)
      .u8(htOff + 6, af)
      .u8(htOff + 7, mm);
  }
  if (sta.vht || sta.he6gCapa) {
    const v = s.nested(WtblTag.VHT, 12);
    const cap = sta.vht?.cap ?? 0;
    w.u8(v + 4, cap & IEEE80211_VHT_CAP_RXLDPC ? 1 : 0).u8(v + 6, 1);
    const af = (cap >>> IEEE80211_VHT_CAP_MAX_A_MPDU_LENGTH_EXPONENT_SHIFT) & 7;
    if (htOff >= 0) w.u8(htOff + 6, Math.max(w.get(htOff + 6), af));
  }
  const sm = s.nested(WtblTag.SMPS, 8);
  w.u8(sm + 4, sta.smpsDynamic ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// KEY_V2 (§6.8)

/** mcu_cipher_type */
export enum McuCipher {
  NONE = 0,
  WEP40 = 1,
  WEP104 = 2,
  WEP128 = 3,
  TKIP = 4,
  AES_CCMP = 5,
  CCMP_256 = 6,
  GCMP = 7,
  GCMP_256 = 8,
  WAPI = 9,
  BIP_CMAC_128 = 10,
  BIP_CMAC_256 = 11,
  BCN_PROT_CMAC_128 = 12,
  BCN_PROT_CMAC_256 = 13,
  BCN_PROT_GMAC_128 = 14,
  BCN_PROT_GMAC_256 = 15,
  BIP_GMAC_128 = 16,
  BIP_GMAC_256 = 17,
}

export const SEC_KEY_LEN = 36;
export const KEY_V2_INSTALL_LEN = 4 + 4 + SEC_KEY_LEN; // 44
export const KEY_V2_BIP_LEN = 4 + 4 + 2 * SEC_KEY_LEN; // 80
export const KEY_V2_REMOVE_LEN = 8;

/** set_key_cmd */
export enum SetKeyCmd {
  SET_KEY = 0,
  DISABLE_KEY = 1,
}

export interface KeyConf {
  cipher: McuCipher;
  keyIdx: number;
  key: Uint8Array;
}

/**
 * The KEY_V2 TLV message (mt76_connac_mcu_add_key). For BIP-CMAC-128 the stored pairwise CCMP key (`pairwise`,
 * remembered from the last CCMP install) is sent first. Returns null for a cipher the hardware does not do.
 */
export function staKeyPayload(
  target: { bssIdx: number; wcid: number; muarIdx: number },
  cmd: SetKeyCmd,
  key: KeyConf | null,
  pairwise: KeyConf | null = null,
): Buffer | null {
  const s = new StaRecWriter(target.bssIdx, target.wcid, target.muarIdx);
  const w = s.w;
  if (cmd === SetKeyCmd.DISABLE_KEY || key === null) {
    const t = s.tlv(StaRecTag.KEY_V2, KEY_V2_REMOVE_LEN);
    w.u8(t + 4, SetKeyCmd.DISABLE_KEY).u8(t + 5, 0);
    return s.finish();
  }
  if (key.cipher === McuCipher.NONE) return null;
  if (key.cipher === McuCipher.BIP_CMAC_128) {
    const t = s.tlv(StaRecTag.KEY_V2, KEY_V2_BIP_LEN);
    w.u8(t + 4, cmd).u8(t + 5, 2);
    const k0 = t + 8;
    w.u8(k0, McuCipher.AES_CCMP)
      .u8(k0 + 1, SEC_KEY_LEN)
      .u8(k0 + 2, pairwise?.keyIdx ?? 0)
      .u8(k0 + 3, 16);
    if (pairwise) w.bytes(k0 + 4, pairwise.key, 16);
    const k1 = k0 + SEC_KEY_LEN;
    w.u8(k1, McuCipher.BIP_CMAC_128)
      .u8(k1 + 1, SEC_KEY_LEN)
      .u8(k1 + 3, 16)
      .bytes(k1 + 4, key.key, 16);
    return s.finish();
  }
  const t = s.tlv(StaRecTag.KEY_V2, KEY_V2_INSTALL_LEN);
  w.u8(t + 4, cmd).u8(t + 5, 1);
  const k = t + 8;
  w.u8(k, key.cipher)
    .u8(k + 1, SEC_KEY_LEN)
    .u8(k + 2, key.keyIdx)
    .u8(k + 3, Math.min(32, key.key.length))
    .bytes(k + 4, key.key, 32);
  if (key.cipher === McuCipher.TKIP && key.key.length >= 32) {
    // RX/TX MIC keys are swapped
    w.bytes(k + 4 + 16, key.key.subarray(24, 32)).bytes(k + 4 + 24, key.key.subarray(16, 24));
  }
  return s.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Block Ack (STA_REC_BA, §6.7)

export interface BaParams {
  tid: number;
  /** Originator (TX) or recipient (RX). */
  tx: boolean;
  enable: boolean;
  amsdu: boolean;
  ssn: number;
  bufSize: number;
}

export enum BaType {
  ORIGINATOR = 1,
  RECIPIENT = 2,
}

/** mt76_connac_mcu_sta_ba: a STA_REC with the BA TLV (12 bytes). */
export function staBaPayload(target: { bssIdx: number; wcid: number; muarIdx: number }, p: BaParams): Buffer {
  const s = new StaRecWriter(target.bssIdx, target.wcid, target.muarIdx);
  const t = s.tlv(StaRecTag.BA, 12);
  s.w
    .u8(t + 4, p.tid)
    .u8(t + 5, p.tx ? BaType.ORIGINATOR : BaType.RECIPIENT)
    .u8(t + 6, p.amsdu ? 1 : 0)
    .u8(t + 7, p.enable ? 1 << p.tid : 0)
    .u16(t + 8, p.ssn)
    .u16(t + 10, p.bufSize);
  return s.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding (for tests, traces and fakes)

export interface TlvView {
  tag: number;
  len: number;
  off: number;
  data: Buffer;
}

/** Walk `count` TLVs {tag le16, len le16} from `off`; stops at the first that does not fit. */
export function walkTlvs(b: Buffer, off: number, count = Number.POSITIVE_INFINITY): TlvView[] {
  const out: TlvView[] = [];
  while (out.length < count && off + 4 <= b.length) {
    const tag = b.readUInt16LE(off);
    const len = b.readUInt16LE(off + 2);
    if (len < 4 || off + len > b.length) break;
    out.push({ tag, len, off, data: b.subarray(off, off + len) });
    off += len;
  }
  return out;
}

export interface StaRecView {
  bssIdx: number;
  wcid: number;
  tlvNum: number;
  isTlvAppend: number;
  muarIdx: number;
  tlvs: TlvView[];
  wtbl: { wcid: number; op: number; tlvNum: number; tlvs: TlvView[] } | null;
}

/** Decode a STA_REC payload; null when the header is short. */
export function parseStaRec(b: Buffer): StaRecView | null {
  if (b.length < STA_REQ_HDR_LEN) return null;
  const tlvNum = b.readUInt16LE(2);
  const tlvs = walkTlvs(b, STA_REQ_HDR_LEN, tlvNum);
  let wtbl: StaRecView['wtbl'] = null;
  const wt = tlvs.find((t) => t.tag === StaRecTag.WTBL);
  if (wt && wt.len >= 4 + WTBL_REQ_HDR_LEN) {
    const h = wt.off + 4;
    const n = b.readUInt16LE(h + 2);
    wtbl = {
      wcid: b[h]! | ((b[h + 4]! & 7) << 8),
      op: b[h + 1]!,
      tlvNum: n,
      tlvs: walkTlvs(b.subarray(0, wt.off + wt.len), h + WTBL_REQ_HDR_LEN, n),
    };
  }
  return {
    bssIdx: b[0]!,
    wcid: b[1]! | ((b[6]! & 7) << 8),
    tlvNum,
    isTlvAppend: b[4]!,
    muarIdx: b[5]!,
    tlvs,
    wtbl,
  };
}

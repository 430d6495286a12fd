/**
 * UNI device and BSS records (FACTS.md §6.5, §6.6, §6.9; mt76_connac_mcu_uni_add_dev, _uni_add_bss,
 * _uni_set_chctx, _uni_bss_he_tlv, mt7921_mcu_uni_bss_ps / _bcnft, mt7921_mcu_set_bss_pm).
 *
 * Every BSS_INFO_UPDATE payload is {bss_idx, pad[3]} followed by TLVs {tag le16, len le16, ...}.
 */
import type { Band } from '../mac/rates.ts';
import { type ChanDef, cmdCbw, nl80211Band, sco } from './chan.ts';
import { McuWriter, macBytes } from './writer.ts';

export enum UniBssInfoTag {
  BASIC = 0,
  RA = 1,
  RLM = 2,
  PROTECT = 3,
  BSS_COLOR = 4,
  HE_BASIC = 5,
  MBSSID_11V = 6,
  BCN_CONTENT = 7,
  BCN_CSA = 8,
  BCN_BCC = 9,
  BCN_MBSSID = 10,
  RATE = 11,
  QBSS = 15,
  SEC = 16,
  BCN_PROT = 17,
  TXCMD = 18,
  UAPSD = 19,
  PS = 21,
  BCNFT = 22,
  IFS_TIME = 23,
  OFFLOAD = 25,
  MLD = 26,
  PM_DISABLE = 27,
  EHT = 30,
  MLD_LINK_OP = 36,
}

/** Connection types (STA_TYPE_* | NETWORK_*). */
export const STA_TYPE_STA = 1 << 0;
export const STA_TYPE_AP = 1 << 1;
export const STA_TYPE_ADHOC = 1 << 2;
export const STA_TYPE_BC = 1 << 5;
export const NETWORK_INFRA = 1 << 16;
export const NETWORK_P2P = 1 << 17;
export const NETWORK_IBSS = 1 << 18;
export const CONNECTION_INFRA_STA = STA_TYPE_STA | NETWORK_INFRA;
export const CONNECTION_INFRA_AP = STA_TYPE_AP | NETWORK_INFRA;
export const CONNECTION_INFRA_BC = STA_TYPE_BC | NETWORK_INFRA;
export const CONNECTION_P2P_GC = STA_TYPE_STA | NETWORK_P2P;
export const CONNECTION_P2P_GO = STA_TYPE_AP | NETWORK_P2P;
export const CONNECTION_IBSS_ADHOC = STA_TYPE_ADHOC | NETWORK_IBSS;

/** PHY_MODE_* bits of BASIC.phymode. */
export const PHY_MODE_A = 1 << 0;
export const PHY_MODE_B = 1 << 1;
export const PHY_MODE_G = 1 << 2;
export const PHY_MODE_GN = 1 << 3;
export const PHY_MODE_AN = 1 << 4;
export const PHY_MODE_AC = 1 << 5;
export const PHY_MODE_AX_24G = 1 << 6;
export const PHY_MODE_AX_5G = 1 << 7;
/** phymode_ext */
export const PHY_MODE_AX_6G = 1 << 0;

/** PHY_TYPE_BIT_* (nonht_basic_phy, STA_REC PHY.phy_type). */
export const PHY_TYPE_BIT_HR_DSSS = 1 << 0;
export const PHY_TYPE_BIT_ERP = 1 << 1;
export const PHY_TYPE_BIT_OFDM = 1 << 3;
export const PHY_TYPE_BIT_HT = 1 << 4;
export const PHY_TYPE_BIT_VHT = 1 << 5;
export const PHY_TYPE_BIT_HE = 1 << 6;

/** What a device or a peer supports. */
export interface PhyCaps {
  ht: boolean;
  vht: boolean;
  he: boolean;
}

/** MT7921: HT, VHT and HE on every band. */
export const MT7921_PHY_CAPS: PhyCaps = { ht: true, vht: true, he: true };

/** mt76_connac_get_phy_mode (BASIC.phymode). */
export function phyMode(band: Band, caps: PhyCaps): number {
  if (band === '2g') {
    let m = PHY_MODE_B | PHY_MODE_G;
    if (caps.ht) m |= PHY_MODE_GN;
    if (caps.he) m |= PHY_MODE_AX_24G;
    return m;
  }
  if (band === '6g') return PHY_MODE_A | PHY_MODE_AN | PHY_MODE_AC | PHY_MODE_AX_5G;
  let m = PHY_MODE_A;
  if (caps.ht) m |= PHY_MODE_AN;
  if (caps.vht) m |= PHY_MODE_AC;
  if (caps.he) m |= PHY_MODE_AX_5G;
  return m;
}

/** mt76_connac_get_phy_mode_v2 (PHY_TYPE_BIT_*). */
export function phyTypeV2(band: Band, caps: PhyCaps): number {
  if (band === '2g') {
    let m = PHY_TYPE_BIT_HR_DSSS | PHY_TYPE_BIT_ERP;
    if (caps.ht) m |= PHY_TYPE_BIT_HT;
    if (caps.he) m |= PHY_TYPE_BIT_HE;
    return m;
  }
  let m = PHY_TYPE_BIT_OFDM;
  if (caps.ht) m |= PHY_TYPE_BIT_HT;
  if (caps.vht) m |= PHY_TYPE_BIT_VHT;
  if (caps.he) m |= PHY_TYPE_BIT_HE;
  return m;
}

/** A virtual interface's hardware slots (mt76_vif_link). */
export interface VifSlots {
  /** BSS index (mvif->idx). */
  bssIdx: number;
  omacIdx: number;
  bandIdx: number;
  wmmIdx: number;
  linkIdx?: number;
}

/** EXT_BSSID_START: own-MAC indexes above it map to HW_BSSID_0. */
const EXT_BSSID_START = 0x10;
const hwBssIdx = (omac: number): number => (omac > EXT_BSSID_START ? 0 : omac);

function bssHeader(w: McuWriter, bssIdx: number): void {
  w.u8(w.put(4), bssIdx);
}

// ---------------------------------------------------------------------------------------------------------------
// DEV_INFO_UPDATE (UNI 0x01)

export const DEV_INFO_ACTIVE = 0;

/** 16 bytes: {omac_idx, band_idx, pad le16} + TLV tag 0 len 12 {active, link_idx, omac_addr[6]}. */
export function devInfoPayload(vif: VifSlots, addr: Uint8Array | string, active: boolean): Buffer {
  const w = new McuWriter(16);
  const h = w.put(4);
  w.u8(h, vif.omacIdx).u8(h + 1, vif.bandIdx);
  const t = w.tlv(DEV_INFO_ACTIVE, 12);
  w.u8(t + 4, active ? 1 : 0)
    .u8(t + 5, vif.linkIdx ?? 0)
    .bytes(t + 6, macBytes(addr));
  return w.finish();
}

// ---------------------------------------------------------------------------------------------------------------
// BSS_INFO_UPDATE (UNI 0x02)

export interface BssBasic {
  active: boolean;
  connType: number;
  /** 1 from the add-device path; `!enable` from the add-BSS path. */
  connState: number;
  bssid: Uint8Array | string;
  /** The vif's wcid (bmc_tx_wlan_idx and sta_idx). */
  wcid: number;
  beaconInterval: number;
  dtimPeriod: number;
  band: Band;
  caps?: PhyCaps;
  /** Override the phymode / nonht_basic_phy fields (the add-device record leaves both 0). */
  phyMode?: number;
  nonHtBasicPhy?: number;
}

const BASIC_LEN = 32;

function basicTlv(w: McuWriter, vif: VifSlots, b: BssBasic): void {
  const caps = b.caps ?? MT7921_PHY_CAPS;
  const t = w.tlv(UniBssInfoTag.BASIC, BASIC_LEN);
  w.u8(t + 4, b.active ? 1 : 0)
    .u8(t + 5, vif.omacIdx)
    .u8(t + 6, hwBssIdx(vif.omacIdx))
    .u8(t + 7, vif.bandIdx)
    .u32(t + 8, b.connType)
    .u8(t + 12, b.connState)
    .u8(t + 13, vif.wmmIdx)
    .bytes(t + 14, macBytes(b.bssid))
    .u16(t + 20, b.wcid)
    .u16(t + 22, b.beaconInterval)
    .u8(t + 24, b.dtimPeriod)
    .u8(t + 25, b.phyMode ?? phyMode(b.band, caps))
    .u16(t + 26, b.wcid)
    .u16(t + 28, b.nonHtBasicPhy ?? phyTypeV2(b.band, caps))
    .u8(t + 30, b.band === '6g' ? PHY_MODE_AX_6G : 0)
    .u8(t + 31, vif.linkIdx ?? 0);
}

/** BASIC + QBSS (40 bytes with the header): the add-BSS record. */
export function bssBasicQosPayload(vif: VifSlots, b: BssBasic, qos: boolean): Buffer {
  const w = new McuWriter(44);
  bssHeader(w, vif.bssIdx);
  basicTlv(w, vif, b);
  const q = w.tlv(UniBssInfoTag.QBSS, 8);
  w.u8(q + 4, qos ? 1 : 0);
  return w.finish();
}

/** BASIC alone (36 bytes): the add-device path. */
export function bssBasicPayload(vif: VifSlots, b: BssBasic): Buffer {
  const w = new McuWriter(36);
  bssHeader(w, vif.bssIdx);
  basicTlv(w, vif, b);
  return w.finish();
}

export interface RlmOptions {
  chan: ChanDef;
  antennaMask: number;
}

/** RLM (16): the BSS operating channel (mt76_connac_mcu_uni_set_chctx). */
export function bssRlmPayload(bssIdx: number, o: RlmOptions): Buffer {
  const w = new McuWriter(20);
  bssHeader(w, bssIdx);
  const c = o.chan;
  const bw = cmdCbw(c.width);
  const is20 = c.width === '20' || c.width === '20-noht' || bw === 0;
  const t = w.tlv(UniBssInfoTag.RLM, 16);
  let tx = 0;
  for (let m = o.antennaMask & 0xff; m; m &= m - 1) tx++;
  w.u8(t + 4, c.channel)
    .u8(t + 5, c.center1)
    .u8(t + 6, c.center2 ?? 0)
    .u8(t + 7, bw)
    .u8(t + 8, tx)
    .u8(t + 9, o.antennaMask)
    .u8(t + 10, 1)
    .u8(t + 11, is20 ? 0 : 4)
    .u8(t + 12, sco(c.channel, c.center1))
    .u8(t + 13, nl80211Band(c.band));
  return w.finish();
}

export interface HeBasic {
  /** frame_time_rts_th; 0 → 1023 */
  rtsThres?: number;
  /** htc_trig_based_pkt_ext; 0 → 4 */
  peDuration?: number;
  /** The device's TX HE-MCS maps for ≤80, 160, 80+80. */
  maxNssMcs: [number, number, number];
  bssColor: { enable: boolean; color: number };
}

/** HE_BASIC (16) + BSS_COLOR (8). */
export function bssHePayload(bssIdx: number, he: HeBasic): Buffer {
  const w = new McuWriter(28);
  bssHeader(w, bssIdx);
  const t = w.tlv(UniBssInfoTag.HE_BASIC, 16);
  w.u16(t + 4, he.rtsThres || 1023)
    .u8(t + 6, he.peDuration || 4)
    .u8(t + 7, 0)
    .u16(t + 8, he.maxNssMcs[0])
    .u16(t + 10, he.maxNssMcs[1])
    .u16(t + 12, he.maxNssMcs[2]);
  const c = w.tlv(UniBssInfoTag.BSS_COLOR, 8);
  w.u8(c + 4, he.bssColor.enable ? 1 : 0).u8(c + 5, he.bssColor.color);
  return w.finish();
}

/** PS (8): ps_state 0 awake, 1 static, 2 dynamic, 3/4 TWT. */
export function bssPsPayload(bssIdx: number, psState: number): Buffer {
  const w = new McuWriter(12);
  bssHeader(w, bssIdx);
  const t = w.tlv(UniBssInfoTag.PS, 8);
  w.u8(t + 4, psState);
  return w.finish();
}

/** BCNFT (8): beacon filter {bcn_interval le16, dtim_period, pad}. */
export function bssBcnftPayload(bssIdx: number, beaconInterval: number, dtimPeriod: number): Buffer {
  const w = new McuWriter(12);
  bssHeader(w, bssIdx);
  const t = w.tlv(UniBssInfoTag.BCNFT, 8);
  w.u16(t + 4, beaconInterval).u8(t + 6, dtimPeriod);
  return w.finish();
}

/** SET_BSS_ABORT (CE 0x17): {bss_idx, pad[3]}. */
export function bssAbortPayload(bssIdx: number): Buffer {
  return Buffer.from([bssIdx, 0, 0, 0]);
}

/** SET_BSS_CONNECTED (CE 0x16), 12 bytes. */
export function bssConnectedPayload(bssIdx: number, dtimPeriod: number, aid: number, beaconInterval: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = bssIdx;
  b[1] = dtimPeriod;
  b.writeUInt16LE(aid, 2);
  b.writeUInt16LE(beaconInterval, 4);
  return b;
}

/** The "WLAN failure" status tolerated when deactivating a BSS (mt76_connac_mcu_bss_deact_err). */
export const MCU_UNI_WLAN_FAILURE = 0xc0000001;

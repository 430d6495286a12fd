/**
 * Channel, regulatory, power, filter and EDCA commands (FACTS.md §6.3, §6.4, §6.9, §6.12; mt7921_mcu_set_chan_info,
 * mt76_connac_mcu_set_channel_domain, mt76_connac_mcu_rate_txpower_band, mt7921_mcu_set_rxfilter,
 * mt7921_mcu_set_tx, mt7921_mcu_set_sniffer / _config_sniffer).
 */
import { MCU_EXT_CMD, McuExtCmdId } from './cmd.ts';
import { type Band, type ChanDef, cmdCbw, mcuBand123, sco } from './chan.ts';
import { McuWriter } from './writer.ts';

// ---------------------------------------------------------------------------------------------------------------
// CHANNEL_SWITCH (EXT 0x08) / SET_RX_PATH (EXT 0x4e): 76 bytes

export const CHAN_INFO_LEN = 76;

export enum ChSwitchReason {
  NORMAL = 0,
  SCAN = 3,
  MCC = 4,
  DFS = 5,
  SCAN_BYPASS_DPD = 9,
}

export interface ChanInfoOptions {
  /** The antenna mask (0x3 for nss 2). */
  antennaMask: number;
  bandIdx?: number;
  /** Off-channel (scan/ROC): CHANNEL_SWITCH uses reason 9. */
  offchannel?: boolean;
  /** Monitor mode: always NORMAL. */
  monitor?: boolean;
  /** A DFS channel where AP beaconing is not allowed: reason 5. */
  dfs?: boolean;
}

const popcount = (v: number): number => {
  let n = 0;
  for (; v; v &= v - 1) n++;
  return n;
};

/**
 * mt7921_mcu_set_chan_info payload for `cmd` = MCU_EXT_CMD(CHANNEL_SWITCH) or MCU_EXT_CMD(SET_RX_PATH):
 * rx_streams is the antenna mask for SET_RX_PATH and its popcount for CHANNEL_SWITCH.
 */
export function chanInfoPayload(cmd: number, chan: ChanDef, o: ChanInfoOptions): Buffer {
  const b = Buffer.alloc(CHAN_INFO_LEN);
  b[0] = chan.channel;
  b[1] = chan.center1;
  b[2] = cmdCbw(chan.width);
  b[3] = popcount(o.antennaMask & 0xff);
  b[4] = o.antennaMask & 0xff;
  let reason = ChSwitchReason.NORMAL;
  if (cmd === MCU_EXT_CMD(McuExtCmdId.SET_RX_PATH) || o.monitor) reason = ChSwitchReason.NORMAL;
  else if (o.offchannel) reason = ChSwitchReason.SCAN_BYPASS_DPD;
  else if (o.dfs) reason = ChSwitchReason.DFS;
  b[5] = reason;
  b[6] = o.bandIdx ?? 0;
  b[7] = chan.width === '80p80' ? (chan.center2 ?? 0) : 0;
  b.writeUInt16LE(0, 8); // cac_case
  b[10] = chan.band === '2g' ? 0 : chan.band === '5g' ? 1 : 2;
  // rsv0, outband_freq, txpower_drop, ap_bw, ap_center_ch, rsv1[57]: zero
  if (cmd === MCU_EXT_CMD(McuExtCmdId.CHANNEL_SWITCH)) b[4] = popcount(b[4]!);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// SET_CHAN_DOMAIN (CE 0x0f): 12-byte header + 8-byte channel entries, 2.4 then 5 then 6 GHz

export interface DomainChannel {
  band: Band;
  /** Channel number (hw_value). */
  channel: number;
  /** cfg80211 channel flags (IEEE80211_CHAN_*). */
  flags: number;
}

/** IEEE80211_CHAN_DISABLED: such channels are not sent. */
export const IEEE80211_CHAN_DISABLED = 1 << 0;
export const IEEE80211_CHAN_NO_IR = 1 << 1;
export const IEEE80211_CHAN_RADAR = 1 << 3;

export function chanDomainPayload(alpha2: string, channels: readonly DomainChannel[]): Buffer {
  const w = new McuWriter(12 + channels.length * 8);
  const h = w.put(12);
  const a = Buffer.from(alpha2.slice(0, 2), 'latin1');
  w.bytes(h, a);
  w.u8(h + 4, 0)
    .u8(h + 5, 3)
    .u8(h + 6, 3); // bw_2g 20/40, bw_5g/6g 20..160
  const counts = { '2g': 0, '5g': 0, '6g': 0 };
  for (const band of ['2g', '5g', '6g'] as const) {
    for (const c of channels) {
      if (c.band !== band || c.flags & IEEE80211_CHAN_DISABLED) continue;
      const o = w.put(8);
      w.u16(o, c.channel).u32(o + 4, c.flags);
      counts[band]++;
    }
  }
  w.u8(h + 8, counts['2g'])
    .u8(h + 9, counts['5g'])
    .u8(h + 10, counts['6g']);
  return w.finish();
}

/** The default channel lists of an unrestricted world domain (the bands mac80211 registers). */
export const CHANNELS_2G: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
export const CHANNELS_5G: readonly number[] = [
  36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144, 149, 153, 157, 161, 165,
  169, 173, 177,
];
export const CHANNELS_6G: readonly number[] = Array.from({ length: 59 }, (_, i) => 1 + 4 * i);

// ---------------------------------------------------------------------------------------------------------------
// SET_RATE_TX_POWER (CE 0x5d): per band, batches of 8 channels

export const MT_SKU_POWER_LIMIT = 161;
export const TX_POWER_HDR_LEN = 44;
export const SKU_TLV_LEN = 1 + MT_SKU_POWER_LIMIT;
export const RATE_POWER_BATCH = 8;

/** The channel lists the driver walks per band (mt76_connac_mcu_rate_txpower_band). */
export const TXPOWER_CHANNELS: Readonly<Record<Band, readonly number[]>> = {
  '2g': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
  '5g': [
    36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64, 100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120,
    122, 124, 126, 128, 132, 134, 136, 138, 140, 142, 144, 149, 151, 153, 155, 157, 159, 161, 165, 169, 173, 177,
  ],
  '6g': [
    1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57, 59, 61,
    65, 67, 69, 71, 73, 75, 77, 79, 81, 83, 85, 87, 89, 91, 93, 97, 99, 101, 103, 105, 107, 109, 111, 113, 115, 117,
    119, 121, 123, 125, 129, 131, 133, 135, 137, 139, 141, 143, 145, 147, 149, 151, 153, 155, 157, 161, 163, 165, 167,
    169, 171, 173, 175, 177, 179, 181, 183, 185, 187, 189, 193, 195, 197, 199, 201, 203, 205, 207, 209, 211, 213, 215,
    217, 219, 221, 225, 227, 229, 233,
  ],
};

/** mt76_power_limits: half-dBm per rate group. */
export interface PowerLimits {
  cck: number[]; // 4
  ofdm: number[]; // 8
  mcs: number[][]; // 4 × 10
  ru: number[][]; // 7 × 12
}

/** Without a device-tree table every limit is the target power (mt76_get_rate_power_limits). */
export function uniformPowerLimits(target: number): PowerLimits {
  const t = Math.min(127, target);
  return {
    cck: new Array(4).fill(t),
    ofdm: new Array(8).fill(t),
    mcs: Array.from({ length: 4 }, () => new Array(10).fill(t)),
    ru: Array.from({ length: 7 }, () => new Array(12).fill(t)),
  };
}

/** mt76_connac_mcu_build_sku: the 161 s8 limits of one channel. */
export function buildSku(limits: PowerLimits, band: Band): Int8Array {
  const sku = new Int8Array(MT_SKU_POWER_LIMIT).fill(127);
  let off = 4;
  if (band === '2g') for (let i = 0; i < 4; i++) sku[i] = limits.cck[i]!;
  for (let i = 0; i < 8; i++) sku[off + i] = limits.ofdm[i]!;
  off += 8;
  for (let g = 0; g < 2; g++) {
    for (let i = 0; i < 8; i++) sku[off + i] = limits.mcs[g]![i]!;
    off += 8;
  }
  sku[off++] = limits.mcs[0]![0]!;
  for (let g = 0; g < 4; g++) {
    for (let i = 0; i < 10; i++) sku[off + i] = limits.mcs[g]![i]!;
    off += 12;
  }
  for (let g = 0; g < 7; g++) {
    for (let i = 0; i < 12; i++) sku[off + i] = limits.ru[g]![i]!;
    off += 12;
  }
  return sku;
}

/**
 * Every SET_RATE_TX_POWER payload for one band, in order. `lastCh` is the last channel of the highest band the
 * device has (sets last_msg). `powerLevel` is mac80211's dBm level (0 → 127 half-dBm = no limit).
 */
export function rateTxPowerPayloads(
  band: Band,
  alpha2: string,
  opts: { powerLevel?: number; lastCh: number; limits?: PowerLimits },
): Buffer[] {
  const list = TXPOWER_CHANNELS[band];
  const txPower = opts.powerLevel ? 2 * opts.powerLevel : 127;
  const limits = opts.limits ?? uniformPowerLimits(txPower);
  const sku = buildSku(limits, band);
  const out: Buffer[] = [];
  for (let i = 0; i < list.length; i += RATE_POWER_BATCH) {
    const chans = list.slice(i, i + RATE_POWER_BATCH);
    const b = Buffer.alloc(TX_POWER_HDR_LEN + chans.length * SKU_TLV_LEN);
    b[4] = chans.length;
    b[5] = mcuBand123(band);
    b.write(alpha2.slice(0, 2), 8, 'latin1');
    chans.forEach((ch, j) => {
      const o = TX_POWER_HDR_LEN + j * SKU_TLV_LEN;
      b[o] = ch;
      Buffer.from(sku.buffer, sku.byteOffset, sku.byteLength).copy(b, o + 1);
      if (ch === opts.lastCh) b[6] = 1;
    });
    out.push(b);
  }
  return out;
}

/** The last channel the rate-power tables cover, by the device's highest band. */
export function ratePowerLastChannel(has5g: boolean, has6g: boolean): number {
  const l = has6g ? TXPOWER_CHANNELS['6g'] : has5g ? TXPOWER_CHANNELS['5g'] : TXPOWER_CHANNELS['2g'];
  return l[l.length - 1]!;
}

// ---------------------------------------------------------------------------------------------------------------
// SET_RX_FILTER (CE 0x0a), 68 bytes

export const RX_FILTER_LEN = 68;
export const MT7921_FIF_BIT_SET = 1 << 0;
export const MT7921_FIF_BIT_CLR = 1 << 1;
/** FIF flags (mode 1). */
export const MT_FIF_ENABLE = 0x80000000;
export const MT_FIF_FCSFAIL = 1 << 2;
export const MT_FIF_CONTROL = 1 << 5;
export const MT_FIF_OTHER_BSS = 1 << 6;

/** mode = fif ? 1 : 2 (FIF flags, or an RFCR drop-bitmap edit with bit_op). */
export function rxFilterPayload(fif: number, bitOp: number, bitMap: number): Buffer {
  const b = Buffer.alloc(RX_FILTER_LEN);
  b[4] = fif ? 1 : 2;
  b.writeUInt32LE(fif >>> 0, 8);
  b.writeUInt32LE(bitMap >>> 0, 12);
  b[16] = bitOp;
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// SET_EDCA_PARMS (CE 0x1d), 44 bytes

export interface TxQueueParams {
  aifs: number;
  cwMin: number;
  cwMax: number;
  /** In units of 32 µs. */
  txop: number;
  acm?: boolean;
}

/** mac80211 AC (VO 0, VI 1, BE 2, BK 3) → EDCA array slot. */
export const EDCA_TO_ACI: readonly number[] = [1, 0, 2, 3];
export const EDCA_LEN = 44;

/** `params[ac]` in mac80211 AC order. Zero cw_min/cw_max become 5/10. */
export function edcaPayload(bssIdx: number, qos: boolean, wmmIdx: number, params: readonly TxQueueParams[]): Buffer {
  const b = Buffer.alloc(EDCA_LEN);
  for (let ac = 0; ac < 4; ac++) {
    const q = params[ac];
    if (!q) continue;
    const o = EDCA_TO_ACI[ac]! * 10;
    b.writeUInt16LE(q.cwMin || 5, o);
    b.writeUInt16LE(q.cwMax || 10, o + 2);
    b.writeUInt16LE(q.txop, o + 4);
    b.writeUInt16LE(q.aifs, o + 6);
    // guardtime and acm stay 0 as the driver sends them
  }
  b[40] = bssIdx;
  b[41] = qos ? 1 : 0;
  b[42] = wmmIdx;
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// RSSI_MONITOR (CE 0xa1), 8 bytes

export function rssiMonitorPayload(enable: boolean, high: number, low: number, bssIdx: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = enable ? 1 : 0;
  b.writeInt8(Math.max(-128, Math.min(127, high)), 1);
  b.writeInt8(Math.max(-128, Math.min(127, low)), 2);
  b[3] = bssIdx;
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// SNIFFER (UNI 0x24)

/** Enable: {band_idx, pad[3]} + TLV tag 0 len 8 {enable, pad[3]}. */
export function snifferEnablePayload(bandIdx: number, enable: boolean): Buffer {
  const w = new McuWriter(12);
  w.u8(w.put(4), bandIdx);
  const t = w.tlv(0, 8);
  w.u8(t + 4, enable ? 1 : 0);
  return w.finish();
}

/** Sniffer widths: 0 ≤ 40, 1 80, 2 160, 3 80+80, 4 5, 5 10, 6 320. */
function snifferBw(width: ChanDef['width']): number {
  switch (width) {
    case '80':
      return 1;
    case '160':
      return 2;
    case '80p80':
      return 3;
    case '5':
      return 4;
    case '10':
      return 5;
    case '320':
      return 6;
    default:
      return 0;
  }
}

/** Config: {band_idx, pad[3]} + TLV tag 1 len 16 {aid, ch_band, bw, control_ch, sco, center_ch, center_ch2, drop_err 1}. */
export function snifferConfigPayload(bandIdx: number, chan: ChanDef): Buffer {
  const w = new McuWriter(20);
  w.u8(w.put(4), bandIdx);
  const t = w.tlv(1, 16);
  w.u16(t + 4, 0)
    .u8(t + 6, mcuBand123(chan.band))
    .u8(t + 7, snifferBw(chan.width))
    .u8(t + 8, chan.channel)
    .u8(t + 9, sco(chan.channel, chan.center1))
    .u8(t + 10, chan.center1)
    .u8(t + 11, chan.center2 ?? 0)
    .u8(t + 12, 1);
  return w.finish();
}

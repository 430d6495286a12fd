/**
 * Legacy rates and their hardware codes (FACTS.md §7.1; mt76's mt76_rates table), and the rate-code fields shared
 * by the TX descriptor (TXD6 TX_RATE) and TX status.
 */
import type { Band } from '../../../mac80211/driver-ops.ts';

/** PHY modes of rate codes and of the P-RXV TX_MODE field. */
export enum PhyType {
  CCK = 0,
  OFDM = 1,
  HT = 2,
  HT_GF = 3,
  VHT = 4,
  HE_SU = 8,
  HE_EXT_SU = 9,
  HE_TB = 10,
  HE_MU = 11,
}

export interface LegacyRate {
  /** Rate in units of 100 kbit/s (cfg80211 bitrate). */
  bitrate: number;
  mode: PhyType.CCK | PhyType.OFDM;
  /** Hardware rate index (CCK 0..3, OFDM 8..15). */
  idx: number;
}

/** mt76_rates: 4 CCK rates then 8 OFDM rates, in the order of a 2.4 GHz band's bitrate table. */
export const MT76_RATES: readonly LegacyRate[] = [
  { bitrate: 10, mode: PhyType.CCK, idx: 0 },
  { bitrate: 20, mode: PhyType.CCK, idx: 1 },
  { bitrate: 55, mode: PhyType.CCK, idx: 2 },
  { bitrate: 110, mode: PhyType.CCK, idx: 3 },
  { bitrate: 60, mode: PhyType.OFDM, idx: 11 },
  { bitrate: 90, mode: PhyType.OFDM, idx: 15 },
  { bitrate: 120, mode: PhyType.OFDM, idx: 10 },
  { bitrate: 180, mode: PhyType.OFDM, idx: 14 },
  { bitrate: 240, mode: PhyType.OFDM, idx: 9 },
  { bitrate: 360, mode: PhyType.OFDM, idx: 13 },
  { bitrate: 480, mode: PhyType.OFDM, idx: 8 },
  { bitrate: 540, mode: PhyType.OFDM, idx: 12 },
];

/** Index of the first OFDM rate: 5/6 GHz bands start their bitrate table here. */
export const MT76_OFDM_OFFSET = 4;

export const MT_TX_RATE_IDX = 0x3f;
export const MT_TX_RATE_MODE_SHIFT = 6;
export const MT_TX_RATE_NSS_SHIFT = 10;
export const MT_TX_RATE_STBC = 1 << 13;

export type { Band };

/** A rate code: [5:0] idx, [9:6] mode, [12:10] NSS, 13 STBC. */
export function rateCode(mode: number, idx: number, nss = 0): number {
  return (idx & MT_TX_RATE_IDX) | ((mode & 0xf) << MT_TX_RATE_MODE_SHIFT) | ((nss & 7) << MT_TX_RATE_NSS_SHIFT);
}

/**
 * mt76_connac2_mac_tx_rate_val on connac2: the lowest basic rate of the BSS (`basicRates` is mac80211's bitmap over
 * the band's bitrate table: CCK+OFDM on 2.4 GHz, OFDM only on 5/6 GHz), or the lowest rate when there is none.
 * E.g. 2.4 GHz → CCK 1M = 0x000; 5 GHz → OFDM 6M = 0x04b.
 */
export function txRateVal(band: Band, basicRates: number): number {
  const offset = band === '2g' ? 0 : MT76_OFDM_OFFSET;
  let rateidx = basicRates ? 31 - Math.clz32(basicRates & -basicRates) : 0;
  rateidx += offset;
  if (rateidx >= MT76_RATES.length) rateidx = offset;
  const r = MT76_RATES[rateidx]!;
  return rateCode(r.mode, r.idx);
}

/**
 * The bitrate (100 kbit/s) of a legacy hardware rate index, as mt76_get_rate finds it: CCK ignores the
 * short-preamble bit (idx + 4); an unknown code yields the band's first rate (mt76_get_rate returns index 0).
 */
export function legacyBitrate(band: Band, cck: boolean, idx: number): { bitrate: number; shortPreamble: boolean } {
  let shortPreamble = false;
  if (cck) {
    if (band !== '2g') return { bitrate: MT76_RATES[MT76_OFDM_OFFSET]!.bitrate, shortPreamble };
    shortPreamble = (idx & 4) !== 0;
    idx &= ~4;
  }
  const start = band === '2g' ? 0 : MT76_OFDM_OFFSET;
  for (let i = start; i < MT76_RATES.length; i++) {
    const r = MT76_RATES[i]!;
    if ((r.mode === PhyType.CCK) === cck && r.idx === idx) return { bitrate: r.bitrate, shortPreamble };
  }
  return { bitrate: MT76_RATES[start]!.bitrate, shortPreamble };
}

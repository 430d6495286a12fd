/**
 * Hardware rate codes (FACTS.md §7.1, §7.3): TXD TX_RATE / TXS TX_RATE ([5:0] idx, [9:6] mode, [12:10] NSS) and
 * the P-RXV rate fields of received frames.
 */
import type { RadioRate } from './radio.ts';

export const MODE_CCK = 0;
export const MODE_OFDM = 1;
export const MODE_HT = 2;
export const MODE_VHT = 4;
export const MODE_HE_SU = 8;

const CCK_MBPS = [1, 2, 5.5, 11] as const;
/** OFDM hardware index by rate (6, 9, 12, 18, 24, 36, 48, 54 Mb/s → 11, 15, 10, 14, 9, 13, 8, 12). */
const OFDM_IDX: Record<number, number> = { 6: 11, 9: 15, 12: 10, 18: 14, 24: 9, 36: 13, 48: 8, 54: 12 };
const OFDM_BY_IDX: Record<number, 6 | 9 | 12 | 18 | 24 | 36 | 48 | 54> = {
  11: 6,
  15: 9,
  10: 12,
  14: 18,
  9: 24,
  13: 36,
  8: 48,
  12: 54,
};
const BW_CODE: Record<number, number> = { 20: 0, 40: 1, 80: 2, 160: 3 };

/** {mode, idx, nss} of a rate. */
export function rateFields(r: RadioRate): { mode: number; idx: number; nss: number } {
  switch (r.mode) {
    case 'cck': {
      const i = CCK_MBPS.indexOf(r.mbps);
      return { mode: MODE_CCK, idx: Math.max(i, 0) + (r.shortPreamble && i > 0 ? 4 : 0), nss: 1 };
    }
    case 'ofdm':
      return { mode: MODE_OFDM, idx: OFDM_IDX[r.mbps] ?? 11, nss: 1 };
    case 'ht':
      return { mode: MODE_HT, idx: r.mcs & 0x3f, nss: r.nss };
    case 'vht':
      return { mode: MODE_VHT, idx: r.mcs & 0xf, nss: r.nss };
    case 'he':
      return { mode: MODE_HE_SU, idx: r.mcs & 0xf, nss: r.nss };
  }
}

/** The 14-bit TX_RATE code of TXD DW6 / TXS DW0. */
export function txRateCode(r: RadioRate): number {
  const f = rateFields(r);
  return (f.idx & 0x3f) | ((f.mode & 0xf) << 6) | (((f.nss - 1) & 7) << 10);
}

/** Decodes a TXD TX_RATE code; null when the mode is not one the emulator transmits. */
export function decodeTxRate(code: number, width: 20 | 40 | 80 | 160 = 20): RadioRate | null {
  const idx = code & 0x3f;
  const mode = (code >> 6) & 0xf;
  const nss = ((code >> 10) & 7) + 1;
  switch (mode) {
    case MODE_CCK: {
      const mbps = CCK_MBPS[idx & 3]!;
      return { mode: 'cck', mbps, shortPreamble: idx >= 4 };
    }
    case MODE_OFDM: {
      const mbps = OFDM_BY_IDX[idx];
      return mbps ? { mode: 'ofdm', mbps } : null;
    }
    case MODE_HT:
      return { mode: 'ht', mcs: idx, nss: Math.floor(idx / 8) + 1, width };
    case MODE_VHT:
      return { mode: 'vht', mcs: idx & 0xf, nss, width };
    case MODE_HE_SU:
      return { mode: 'he', mcs: idx & 0xf, nss, width };
    default:
      return null;
  }
}

/** P-RXV DW0 (group 3) for a frame received at rate `r`. */
export function prxvDw0(r: RadioRate): number {
  const f = rateFields(r);
  const width = r.mode === 'cck' || r.mode === 'ofdm' ? 20 : r.width;
  const sgi = r.mode !== 'cck' && r.mode !== 'ofdm' && r.sgi ? 1 : 0;
  return (
    ((f.idx & 0x7f) |
      (((f.nss - 1) & 7) << 7) |
      ((BW_CODE[width] ?? 0) << 12) |
      (sgi << 15) |
      ((f.mode & 0xf) << 24)) >>>
    0
  );
}

/** RCPI for a signal of `dbm` (FACTS.md §7.3: dBm = (RCPI − 220) / 2). */
export function rcpiFromDbm(dbm: number): number {
  return Math.max(0, Math.min(255, Math.round(2 * dbm + 220)));
}

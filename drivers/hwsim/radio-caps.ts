/**
 * What the virtual radio offers mac80211 (struct wiphy / ieee80211_hw for mac80211_hwsim): 2.4 and 5 GHz with
 * their real channel lists and legacy rates, HT/VHT/HE, no hardware ciphers (mac80211 does CCMP in software), and
 * either hardware scan (the driver hops channels itself) or software scan (mac80211 hops through config()).
 */
import type { Band, HwCapabilities, RateInfo, SupportedBand } from '../../mac80211/driver-ops.ts';
import { CHANNELS_2G, CHANNELS_5G } from './chan.ts';

/** 802.11b/g rates (100 kb/s): 1, 2, 5.5, 11 CCK then 6–54 OFDM. */
export const BITRATES_2G = [10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540];
/** 802.11a rates (100 kb/s). */
export const BITRATES_5G = [60, 90, 120, 180, 240, 360, 480, 540];

export function supportedBand(band: Band): SupportedBand {
  if (band === '2g') {
    return {
      band,
      channels: CHANNELS_2G.map((c) => ({ ...c })),
      bitrates: [...BITRATES_2G],
      ht: true,
      vht: false,
      he: true,
    };
  }
  if (band === '5g') {
    return {
      band,
      channels: CHANNELS_5G.map((c) => ({ ...c })),
      bitrates: [...BITRATES_5G],
      ht: true,
      vht: true,
      he: true,
    };
  }
  throw new Error(`the virtual radio does not offer band ${band} (choose 2g or 5g)`);
}

export function hwsimCaps(addr: Uint8Array, opts: { bands: Band[]; hwScan: boolean }): HwCapabilities {
  return {
    addr: Uint8Array.from(addr),
    bands: opts.bands.map(supportedBand),
    hwCiphers: [],
    maxScanSsids: 4,
    maxScanIeLen: 512,
    hwScan: opts.hwScan,
    needsPrepareTx: false,
    extraTxHeadroom: 0,
    hasRateControl: true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Rate objects are shared by reference with receivers (RxStatus.rate): they are created once and never mutated.

const cache = new Map<string, RateInfo>();

export function rateInfo(
  mode: RateInfo['mode'],
  rate: number,
  nss = 1,
  bw: RateInfo['bw'] = 20,
  sgi = false,
): RateInfo {
  const k = `${mode}/${rate}/${nss}/${bw}/${sgi ? 1 : 0}`;
  let r = cache.get(k);
  if (r === undefined) {
    r = Object.freeze({ mode, rate, nss, bw, sgi });
    cache.set(k, r);
  }
  return r;
}

/** A legacy rate (100 kb/s) as a RateInfo: CCK for 1, 2, 5.5 and 11 Mb/s, OFDM otherwise. */
export function legacyRate(r100k: number): RateInfo {
  return rateInfo(r100k === 10 || r100k === 20 || r100k === 55 || r100k === 110 ? 'cck' : 'ofdm', r100k);
}

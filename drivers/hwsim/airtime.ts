/**
 * PHY timing: how long a PPDU occupies the air, and the MAC's inter-frame spaces, from IEEE 802.11-2020.
 *
 * TXTIME per PHY:
 *  - DSSS/CCK (Clause 15/16): PLCP preamble + header 192 µs (long) or 96 µs (short), then 8·L/rate µs.
 *  - OFDM (Clause 17): 16 µs preamble + 4 µs SIGNAL + 4 µs × ceil((16 + 8·L + 6) / N_DBPS); ERP-OFDM at 2.4 GHz adds
 *    a 6 µs signal extension (Clause 18).
 *  - HT mixed format (Clause 19): legacy preamble and L-SIG (20 µs), HT-SIG (8), HT-STF (4), one 4 µs HT-LTF per
 *    stream (4 for 3 streams), data symbols of 4 µs (3.6 µs with a short GI, rounded up to whole 4 µs symbols).
 *  - VHT (Clause 21): legacy 20 µs, VHT-SIG-A 8, VHT-STF 4, 4 µs per VHT-LTF, VHT-SIG-B 4, same data symbols.
 *  - HE SU (Clause 27): legacy 20 µs, RL-SIG 4, HE-SIG-A 8, HE-STF 4, one HE-LTF per stream (2x LTF, 6.4 µs + GI),
 *    data symbols of 12.8 µs + GI.
 * L is the PSDU length: the MPDU including its 4-byte FCS. Frames on the medium are passed without FCS, so callers
 * give the length without it and these functions add it.
 *
 * Not modelled: A-MPDU aggregation (one MPDU per PPDU), LDPC, STBC, HE packet extension and mid-ambles.
 */
import type { Band, ChannelWidth, RateInfo } from '../../mac80211/driver-ops.ts';
import { FCS_LEN } from '../../mac80211/fcs.ts';

/** Data subcarriers per symbol (N_SD) for HT/VHT and for HE, by width. */
const NSD_VHT: Record<ChannelWidth, number> = { 20: 52, 40: 108, 80: 234, 160: 468 };
const NSD_HE: Record<ChannelWidth, number> = { 20: 234, 40: 468, 80: 980, 160: 1960 };

/** Coded bits per subcarrier × coding rate, by MCS index (0–11): BPSK 1/2 … 1024-QAM 5/6. */
const BITS_PER_SC = [0.5, 1, 1.5, 2, 3, 4, 4.5, 5, 6, 20 / 3, 7.5, 25 / 3];

/** HT-LTFs / VHT-LTFs for a number of spatial streams (Table 19-13, Table 21-13). */
function nLtf(nss: number): number {
  return nss === 3 ? 4 : nss >= 5 ? (nss <= 6 ? 6 : 8) : nss;
}

/** HT MCS index → (per-stream modulation index, streams). */
function htMcs(r: RateInfo): { mcs: number; nss: number } {
  const idx = r.rate;
  if (idx > 7) return { mcs: idx & 7, nss: Math.min(4, (idx >> 3) + 1) };
  return { mcs: idx, nss: Math.max(1, r.nss) };
}

/** Data bits per OFDM symbol for a rate (legacy OFDM, HT, VHT, HE); 0 for CCK. */
export function dataBitsPerSymbol(r: RateInfo): number {
  switch (r.mode) {
    case 'cck':
      return 0;
    case 'ofdm':
      return (r.rate / 10) * 4;
    case 'ht': {
      const { mcs, nss } = htMcs(r);
      const bw = r.bw >= 40 ? 40 : 20;
      return Math.floor(NSD_VHT[bw] * BITS_PER_SC[mcs]! * nss);
    }
    case 'vht':
      return Math.floor(NSD_VHT[r.bw] * BITS_PER_SC[Math.min(9, r.rate)]! * Math.max(1, r.nss));
    case 'he':
      return Math.floor(NSD_HE[r.bw] * BITS_PER_SC[Math.min(11, r.rate)]! * Math.max(1, r.nss));
  }
}

/** PHY rate in Mb/s (what a rate-control table would show). */
export function rateMbps(r: RateInfo): number {
  if (r.mode === 'cck' || r.mode === 'ofdm') return r.rate / 10;
  const sym = r.mode === 'he' ? (r.sgi ? 13.6 : 14.4) : r.sgi ? 3.6 : 4;
  return dataBitsPerSymbol(r) / sym;
}

/**
 * Airtime in µs of one PPDU carrying an MPDU of `mpduLen` bytes (without FCS) at rate `r` on `band`.
 * `shortPreamble` applies to CCK at 2, 5.5 and 11 Mb/s.
 */
export function txTimeUs(mpduLen: number, r: RateInfo, band: Band, shortPreamble = false): number {
  const bits = 8 * (mpduLen + FCS_LEN);
  const ext = band === '2g' ? 6 : 0; // ERP/HT/HE signal extension at 2.4 GHz
  switch (r.mode) {
    case 'cck': {
      const pre = shortPreamble && r.rate > 10 ? 96 : 192;
      return pre + Math.ceil((bits * 10) / r.rate);
    }
    case 'ofdm': {
      const ndbps = dataBitsPerSymbol(r);
      return 20 + 4 * Math.ceil((16 + bits + 6) / ndbps) + ext;
    }
    case 'ht':
    case 'vht': {
      const nss = r.mode === 'ht' ? htMcs(r).nss : Math.max(1, r.nss);
      const ndbps = dataBitsPerSymbol(r);
      const nes = ndbps > 1200 ? Math.ceil(ndbps / 1200) : 1; // encoders: one per 600 Mb/s (GUESS: rounded rule)
      const nsym = Math.ceil((16 + bits + 6 * nes) / ndbps);
      const pre = r.mode === 'ht' ? 20 + 8 + 4 + 4 * nLtf(nss) : 20 + 8 + 4 + 4 * nLtf(nss) + 4;
      const data = r.sgi ? 4 * Math.ceil((3.6 * nsym) / 4) : 4 * nsym;
      return pre + data + ext;
    }
    case 'he': {
      const nss = Math.max(1, r.nss);
      const gi = r.sgi ? 0.8 : 1.6;
      const ndbps = dataBitsPerSymbol(r);
      const nsym = Math.ceil((16 + bits + 6) / ndbps);
      const pre = 20 + 4 + 8 + 4 + nLtf(nss) * (6.4 + gi);
      return pre + nsym * (12.8 + gi) + ext;
    }
  }
}

/** Slot time in µs: 20 µs when a DSSS/CCK rate is in use at 2.4 GHz (long slot), 9 µs otherwise (§15.4.4, §17.4.4). */
export function slotUs(band: Band, r: RateInfo): number {
  return band === '2g' && r.mode === 'cck' ? 20 : 9;
}

/** SIFS in µs: 10 µs at 2.4 GHz (DSSS/ERP), 16 µs at 5 and 6 GHz (OFDM). */
export function sifsUs(band: Band): number {
  return band === '2g' ? 10 : 16;
}

/** AIFS[AC] = SIFS + AIFSN × slot (§10.2.4.2); DIFS is AIFSN 2. */
export function aifsUs(band: Band, r: RateInfo, aifsn: number): number {
  return sifsUs(band) + aifsn * slotUs(band, r);
}

const OFDM6: RateInfo = { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false };
const OFDM12: RateInfo = { mode: 'ofdm', rate: 120, nss: 1, bw: 20, sgi: false };
const OFDM24: RateInfo = { mode: 'ofdm', rate: 240, nss: 1, bw: 20, sgi: false };
const CCK1: RateInfo = { mode: 'cck', rate: 10, nss: 1, bw: 20, sgi: false };
const CCK2: RateInfo = { mode: 'cck', rate: 20, nss: 1, bw: 20, sgi: false };

/**
 * The rate of the ACK that answers a frame sent at `r`: the highest mandatory rate of the same modulation class
 * not above the data rate (§10.6.6.5.2 with the mandatory sets {1, 2} Mb/s DSSS and {6, 12, 24} Mb/s OFDM; HT/VHT/HE
 * map through their modulation: BPSK → 6, QPSK → 12, higher → 24).
 */
export function ackRate(r: RateInfo): RateInfo {
  if (r.mode === 'cck') return r.rate >= 20 ? CCK2 : CCK1;
  let legacy: number;
  if (r.mode === 'ofdm') legacy = r.rate;
  else {
    const mcs = r.mode === 'ht' ? htMcs(r).mcs : r.rate;
    legacy = mcs === 0 ? 60 : mcs <= 2 ? 120 : 240;
  }
  return legacy >= 240 ? OFDM24 : legacy >= 120 ? OFDM12 : OFDM6;
}

/** Length of an ACK frame without FCS (frame control, duration, RA). */
export const ACK_LEN = 10;

/** Airtime of the ACK answering a frame sent at `r`. */
export function ackTimeUs(r: RateInfo, band: Band): number {
  return txTimeUs(ACK_LEN, ackRate(r), band, false);
}

/**
 * Channel definitions as the MCU commands need them, and the numbering each command uses for bands and widths
 * (FACTS.md §6.4, §6.6, §6.10, §6.11, §6.12; mt76_connac_chan_bw, ieee80211_frequency_to_channel).
 */
import type { Band } from '../mac/rates.ts';

export type { Band };

/** nl80211 channel widths. */
export type ChanWidth = '20-noht' | '20' | '40' | '80' | '80p80' | '160' | '5' | '10' | '320';

/** A cfg80211_chan_def with channel numbers instead of frequencies. */
export interface ChanDef {
  band: Band;
  /** Control (primary) channel number (hw_value). */
  channel: number;
  width: ChanWidth;
  /** Center channel of the whole width (center_freq1); equals `channel` for 20 MHz. */
  center1: number;
  /** Second 80 MHz segment's center channel (80+80 only), else 0. */
  center2?: number;
}

/** A 20 MHz channel definition. */
export function chan20(band: Band, channel: number, noHt = false): ChanDef {
  return { band, channel, width: noHt ? '20-noht' : '20', center1: channel };
}

/** CMD_CBW_* (mt76_connac_chan_bw): 0 20, 1 40, 2 80, 3 160, 4 10, 5 5, 6 80+80, 7 320. */
export function cmdCbw(width: ChanWidth): number {
  switch (width) {
    case '40':
      return 1;
    case '80':
      return 2;
    case '160':
      return 3;
    case '10':
      return 4;
    case '5':
      return 5;
    case '80p80':
      return 6;
    case '320':
      return 7;
    default:
      return 0;
  }
}

/** nl80211 band numbers: 2.4 GHz 0, 5 GHz 1, 6 GHz 3 (60 GHz is 2). */
export function nl80211Band(band: Band): number {
  return band === '2g' ? 0 : band === '5g' ? 1 : 3;
}

/** The 1/2/3 band code of scan channels, ROC and the sniffer (2.4, 5, 6 GHz). */
export function mcuBand123(band: Band): number {
  return band === '2g' ? 1 : band === '5g' ? 2 : 3;
}

/** Secondary channel offset: 1 above (SCA), 3 below (SCB), 0 none. */
export function sco(control: number, center: number): number {
  if (control < center) return 1;
  if (control > center) return 3;
  return 0;
}

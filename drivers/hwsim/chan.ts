/**
 * Channels for the mock PHY and the virtual radio: channel lists per band and channel definitions (cfg80211_chan_def)
 * from a primary channel and a width, with the centre frequencies of the standard 40/80/160 MHz channelisation.
 */
import {
  type Band,
  type Channel,
  type ChanDef,
  type ChannelWidth,
  channelToFreq,
  freqToBandChannel,
} from '../../mac80211/driver-ops.ts';

export function channel(band: Band, number: number, noIr = false): Channel {
  const c: Channel = { band, channel: number, freq: channelToFreq(band, number) };
  if (noIr) c.noIr = true;
  return c;
}

/** 2.4 GHz channels 1–13 (14 is Japan-only DSSS and left out). */
export const CHANNELS_2G: readonly Channel[] = Array.from({ length: 13 }, (_, i) => channel('2g', i + 1));

/**
 * 5 GHz channels of U-NII-1 to U-NII-3. The DFS channels (52–64, 100–144) are passive-scan only (no-IR) because the
 * mock PHY does no radar detection.
 */
export const CHANNELS_5G: readonly Channel[] = [
  ...[36, 40, 44, 48].map((n) => channel('5g', n)),
  ...[52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144].map((n) => channel('5g', n, true)),
  ...[149, 153, 157, 161, 165].map((n) => channel('5g', n)),
];

/** Lowest channel of each 160 MHz block at 5 GHz (36–64, 100–128, 149–177). */
const BLOCKS_160 = [36, 100, 149];

/** Centre frequency of the `width` channel that contains 20 MHz primary channel `ch` on `band`. */
export function centerFreq(band: Band, ch: number, width: ChannelWidth): number {
  const f = channelToFreq(band, ch);
  if (width === 20) return f;
  if (band === '2g') {
    // HT40 only: secondary above for channels 1–7 (HT40+), below otherwise (HT40−).
    return ch <= 7 ? f + 10 : f - 10;
  }
  if (band === '6g') {
    // 6 GHz channels 1, 5, 9...: blocks aligned from channel 1.
    const n = width / 20;
    const first = ch - (((ch - 1) / 4) % n) * 4;
    return channelToFreq(band, first) + (width / 2 - 10);
  }
  // 5 GHz: blocks aligned from 36, 100 and 149.
  const base = ch >= 149 ? 149 : ch >= 100 ? 100 : 36;
  const n = width / 20;
  if (width === 160 && !BLOCKS_160.includes(base)) return f;
  const first = ch - (((ch - base) / 4) % n) * 4;
  return channelToFreq(band, first) + (width / 2 - 10);
}

/** A channel definition for primary channel `ch` on `band` with `width`. */
export function chandef(band: Band, ch: number, width: ChannelWidth = 20): ChanDef {
  return { chan: channel(band, ch), width, centerFreq1: centerFreq(band, ch, width) };
}

/** A 20 MHz channel definition for a primary frequency (MHz); throws for frequencies outside 2.4/5/6 GHz. */
export function chandefFromFreq(freq: number, width: ChannelWidth = 20): ChanDef {
  const c = freqToBandChannel(freq);
  if (c === null) throw new Error(`${freq} MHz is not a 2.4, 5 or 6 GHz channel`);
  return chandef(c.band, c.channel, width);
}

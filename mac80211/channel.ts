/**
 * Channel numbers ↔ centre frequencies (MHz): cfg80211's ieee80211_channel_to_frequency and
 * ieee80211_frequency_to_channel (IEEE 802.11-2020 Annex E; 6 GHz from 802.11ax 27.3.23.2, channel 2 at 5935 MHz).
 * The one mapping of the project; driver-ops.ts re-exports it.
 */

export type Band = '2g' | '5g' | '6g';

/** ieee80211_channel_to_frequency: centre frequency of `channel` on `band`, or 0 when the band has no such channel. */
export function channelToFreq(band: Band, channel: number): number {
  if (channel <= 0) return 0;
  switch (band) {
    case '2g':
      if (channel === 14) return 2484;
      return channel < 14 ? 2407 + 5 * channel : 0;
    case '5g':
      // Channels 182–196 are Japan's 4.9 GHz band.
      return channel >= 182 && channel <= 196 ? 4000 + 5 * channel : 5000 + 5 * channel;
    case '6g':
      if (channel === 2) return 5935;
      return channel <= 233 ? 5950 + 5 * channel : 0;
  }
}

/**
 * ieee80211_frequency_to_channel: the channel number of a centre frequency, 0 when it is on no band. Unlike Linux it
 * answers 0 (not a negative number) below 2.4 GHz and in the gaps between bands.
 */
export function frequencyToChannel(freq: number): number {
  let ch: number;
  if (freq === 2484) ch = 14;
  else if (freq < 2484) ch = (freq - 2407) / 5;
  else if (freq >= 4910 && freq <= 4980) ch = (freq - 4000) / 5;
  else if (freq < 5925) ch = (freq - 5000) / 5;
  else if (freq === 5935) ch = 2;
  else if (freq <= 45000) ch = (freq - 5950) / 5;
  else if (freq >= 58320 && freq <= 70200) ch = (freq - 56160) / 2160;
  else ch = 0;
  ch = Math.trunc(ch);
  return ch > 0 ? ch : 0;
}

function bandOf(freq: number): Band | null {
  if (freq >= 2412 && freq <= 2484) return '2g';
  if (freq >= 5160 && freq <= 5885) return '5g';
  if (freq >= 5935 && freq <= 7115) return '6g';
  return null;
}

/**
 * Band and channel of a 20 MHz channel's centre frequency in the 2.4 (1–14), 5 (32–177) or 6 GHz (1–233) band, or
 * null for any other frequency (off the channel raster, or outside those bands).
 */
export function freqToBandChannel(freq: number): { band: Band; channel: number } | null {
  const band = bandOf(freq);
  if (band === null) return null;
  const channel = frequencyToChannel(freq);
  return channel > 0 && channelToFreq(band, channel) === freq ? { band, channel } : null;
}

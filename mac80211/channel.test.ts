import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Band, channelToFreq, freqToBandChannel, frequencyToChannel } from './channel.ts';

describe('channel ↔ frequency', () => {
  it("maps as cfg80211's ieee80211_frequency_to_channel", () => {
    const cases: Array<[number, number]> = [
      [2412, 1],
      [2472, 13],
      [2484, 14],
      [4920, 184],
      [5180, 36],
      [5885, 177],
      [5935, 2],
      [5955, 1],
      [6135, 37],
      [7115, 233],
      [60480, 2],
      [900, 0],
      [5000, 0],
      [50000, 0],
    ];
    expect(cases.map(([f]) => [f, frequencyToChannel(f)])).toEqual(cases);
  });

  it("maps as cfg80211's ieee80211_channel_to_frequency, 0 for a channel the band lacks", () => {
    expect([
      channelToFreq('2g', 6),
      channelToFreq('2g', 14),
      channelToFreq('2g', 15),
      channelToFreq('5g', 149),
      channelToFreq('5g', 184),
      channelToFreq('6g', 2),
      channelToFreq('6g', 37),
      channelToFreq('6g', 237),
      channelToFreq('5g', 0),
    ]).toEqual([2437, 2484, 0, 5745, 4920, 5935, 6135, 0, 0]);
  });

  it('round-trips every 20 MHz channel of the three bands', () => {
    const bands: Array<[Band, number[]]> = [
      ['2g', Array.from({ length: 14 }, (_, i) => i + 1)],
      ['5g', Array.from({ length: 37 }, (_, i) => 32 + 4 * i)],
      ['6g', [2, ...Array.from({ length: 59 }, (_, i) => 1 + 4 * i)]],
    ];
    for (const [band, channels] of bands) {
      for (const channel of channels) {
        const freq = channelToFreq(band, channel);
        expect(frequencyToChannel(freq)).toBe(channel);
        expect(freqToBandChannel(freq)).toEqual({ band, channel });
      }
    }
  });

  it('gives null off the channel raster and outside the bands, a channel number ≥ 0 for any input', () => {
    for (const f of [0, 2411, 2477, 2500, 4920, 5170.5, 5890, 5940, 7120, 60480])
      expect(freqToBandChannel(f)).toBeNull();
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (f) => {
        const ch = frequencyToChannel(f);
        expect(Number.isInteger(ch) && ch >= 0).toBe(true);
        const bc = freqToBandChannel(f);
        if (bc !== null) expect(channelToFreq(bc.band, bc.channel)).toBe(f);
      }),
    );
  });
});

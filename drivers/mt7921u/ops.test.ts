import { describe, expect, it } from 'vitest';
import { basicRateBitmap, toChanDef, toHwRxStatus } from './ops.ts';
import { newRxdContext, RxFlag, type RxStatus } from './mac/rxd.ts';

function st(over: Partial<RxStatus>): RxStatus {
  return {
    flag: 0,
    wlanIdx: 0,
    unicast: true,
    band: '5g',
    channel: 36,
    freq: 5180,
    encoding: 'legacy',
    rateIdx: 60,
    nss: 0,
    bw: 20,
    shortGi: false,
    heGi: 0,
    heDcm: false,
    ldpc: false,
    shortPreamble: false,
    signal: -50,
    chainSignal: [-50, -52, 0, 0],
    chains: 3,
    timestamp: 0,
    ampduRef: 0,
    amsdu: false,
    firstAmsdu: false,
    lastAmsdu: false,
    cipher: 0,
    keyId: 0,
    iv: null,
    seqCtrl: -1,
    qosCtl: -1,
    fc: -1,
    tid: 0,
    aggr: false,
    ...over,
  };
}

describe('mt7921u ops conversions', () => {
  it('RX status: legacy CCK/OFDM, MCS rates, PN from the IV bytes, flags', () => {
    expect(toHwRxStatus(st({ rateIdx: 55 })).rate).toEqual({ mode: 'cck', rate: 55, nss: 1, bw: 20, sgi: false });
    expect(toHwRxStatus(st({ rateIdx: 90 })).rate.mode).toBe('ofdm');
    expect(toHwRxStatus(st({ encoding: 'vht', rateIdx: 9, nss: 2, bw: 80, shortGi: true })).rate).toEqual({
      mode: 'vht',
      rate: 9,
      nss: 2,
      bw: 80,
      sgi: true,
    });
    const dec = toHwRxStatus(
      st({
        flag: RxFlag.DECRYPTED | RxFlag.IV_STRIPPED | RxFlag.MIC_STRIPPED | RxFlag.MACTIME_START,
        iv: Uint8Array.from([0, 0, 0, 1, 0, 2]),
        keyId: 1,
        timestamp: 777,
      }),
    );
    expect(dec).toMatchObject({
      decrypted: true,
      ivStripped: true,
      micStripped: true,
      pn: 0x10002,
      keyIdx: 1,
      mactime: 777,
    });
    expect(toHwRxStatus(st({ flag: RxFlag.FAILED_FCS_CRC })).fcsFailed).toBe(true);
    expect(toHwRxStatus(st({})).pn).toBe(-1);
    expect(newRxdContext().antennaMask).toBe(3);
  });

  it('basic-rate bitmaps over the band tables, chandef conversion', () => {
    expect(basicRateBitmap('2g', [10, 20, 55, 110])).toBe(0xf);
    expect(basicRateBitmap('2g', [60, 120, 240])).toBe((1 << 4) | (1 << 6) | (1 << 8));
    expect(basicRateBitmap('5g', [60, 120, 240])).toBe(0b10101);
    expect(toChanDef({ chan: { band: '5g', channel: 36, freq: 5180 }, width: 80, centerFreq1: 5210 })).toEqual({
      band: '5g',
      channel: 36,
      width: '80',
      center1: 42,
    });
    expect(toChanDef({ chan: { band: '2g', channel: 6, freq: 2437 }, width: 20, centerFreq1: 2437 }).width).toBe('20');
  });
});

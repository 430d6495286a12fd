import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkBuff } from '../../../netstack/core/skb.ts';
import { PhyType } from './rates.ts';
import {
  buildRxd,
  chFreqToChannel,
  decodeRxd,
  MtCipher,
  mt7921MacFillRx,
  newRxdContext,
  prxvDw0,
  rcpiToDbm,
  RxFlag,
  type RxStatus,
} from './rxd.ts';

const BEACON = Buffer.from([
  0x80,
  0x00,
  0,
  0,
  ...new Array(6).fill(0xff),
  2,
  1,
  2,
  3,
  4,
  5,
  2,
  1,
  2,
  3,
  4,
  5,
  0x10,
  0,
  1,
  2,
  3,
]);
const QOS_DATA = Buffer.from([
  0x88, 0x42, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
  0x30, 0x12, 0x05, 0x00, 0xaa, 0xaa, 3, 0, 0, 0, 8, 0, 0x45,
]);

function fill(pkt: Buffer, ctx = newRxdContext()): { status: RxStatus | string; frame: Buffer | null } {
  const skb = SkBuff.wrap(Buffer.from(pkt));
  const r = mt7921MacFillRx(skb, ctx);
  return { status: r, frame: typeof r === 'string' ? null : skb.copyBytes() };
}

describe('RX descriptor (FACTS §7.3)', () => {
  it('base descriptor only: payload right after 6 DWs; trailing transfer padding ignored', () => {
    const pkt = buildRxd({ chFreq: 6, payload: BEACON, trailer: 7 });
    const { status, frame } = fill(pkt);
    const s = status as RxStatus;
    expect(frame).toEqual(BEACON);
    expect(s.band).toBe('2g');
    expect(s.channel).toBe(6);
    expect(s.freq).toBe(2437);
    expect(s.encoding).toBeNull();
    expect(s.signal).toBe(-128);
  });

  it('channel rule: >180 is 6 GHz (v−181)·4+1, >14 is 5 GHz, else 2.4 GHz', () => {
    expect(chFreqToChannel(1)).toEqual({ band: '2g', channel: 1, freq: 2412 });
    expect(chFreqToChannel(14)).toEqual({ band: '2g', channel: 14, freq: 2484 });
    expect(chFreqToChannel(36)).toEqual({ band: '5g', channel: 36, freq: 5180 });
    expect(chFreqToChannel(165)).toEqual({ band: '5g', channel: 165, freq: 5825 });
    expect(chFreqToChannel(181)).toEqual({ band: '6g', channel: 1, freq: 5955 });
    expect(chFreqToChannel(190)).toEqual({ band: '6g', channel: 37, freq: 6135 });
    expect(chFreqToChannel(180)).toEqual({ band: '5g', channel: 180, freq: 5900 });
  });

  it('walks groups in the order 4, 1, 2, 3, 5 and honours HDR_OFFSET', () => {
    const iv = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const pkt = buildRxd({
      chFreq: 185,
      cipher: MtCipher.AES_CCMP,
      keyId: 1,
      hdrOffset: 1,
      nonAmpdu: false,
      group4: { fc: 0x4288, seqCtrl: 0x1230, qosCtl: 5 },
      group1: iv,
      group2: { timestamp: 123456 },
      group3: { v0: prxvDw0(PhyType.HE_SU, 7, { nss: 2, bw: 2, gi: 1, ldpc: true }), rcpi: [100, 90, 0, 0] },
      group5: { rcpi: [120, 124, 0, 0] },
      payload: QOS_DATA,
    });
    const ctx = newRxdContext(0x3);
    const d = decodeRxd(pkt, 0, pkt.length, ctx);
    expect(typeof d).toBe('object');
    const r = d as Exclude<typeof d, string>;
    expect(r.hdrGap).toBe(24 + 16 + 16 + 8 + 8 + 72 + 2);
    const s = r.status;
    expect(s.band).toBe('6g');
    expect(s.channel).toBe(17);
    expect(s.freq).toBe(6035);
    expect(s.fc).toBe(0x4288);
    expect(s.seqCtrl).toBe(0x1230);
    expect(s.qosCtl).toBe(5);
    expect(s.flag & RxFlag.DECRYPTED).toBeTruthy();
    expect(s.flag & RxFlag.IV_STRIPPED).toBeTruthy();
    expect(Array.from(s.iv!)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(s.timestamp).toBe(123456);
    expect(s.flag & RxFlag.AMPDU_DETAILS).toBeTruthy();
    expect(s.ampduRef).toBe(1);
    expect(s.encoding).toBe('he');
    expect(s.rateIdx).toBe(7);
    expect(s.nss).toBe(2);
    expect(s.bw).toBe(80);
    expect(s.ldpc).toBe(true);
    // group 5's RCPI replaces P-RXV's: (120-220)/2 = -50, (124-220)/2 = -48
    expect(s.chainSignal.slice(0, 2)).toEqual([-50, -48]);
    expect(s.signal).toBe(-48);
    const { frame } = fill(pkt);
    expect(frame).toEqual(QOS_DATA);
  });

  it('RCPI → dBm from P-RXV: max over the antenna chains', () => {
    expect(rcpiToDbm(100)).toBe(-60);
    expect(rcpiToDbm(101)).toBe(-59);
    expect(rcpiToDbm(0)).toBe(-110);
    const pkt = buildRxd({
      chFreq: 36,
      group3: { v0: prxvDw0(PhyType.OFDM, 11), rcpi: [130, 140, 200, 0] },
      payload: BEACON,
    });
    const s = fill(pkt).status as RxStatus;
    expect(s.encoding).toBe('legacy');
    expect(s.rateIdx).toBe(60); // OFDM code 11 = 6 Mbit/s
    expect(s.chainSignal.slice(0, 3)).toEqual([-45, -40, -10]);
    expect(s.signal).toBe(-40); // chain 2 is outside antenna mask 0x3
    const one = fill(pkt, newRxdContext(0x1)).status as RxStatus;
    expect(one.signal).toBe(-45);
  });

  it('CCK short preamble, HT and VHT rates; invalid rates dropped', () => {
    const rate = (v0: number, ch = 1) =>
      fill(buildRxd({ chFreq: ch, group3: { v0, rcpi: [100, 100, 0, 0] }, payload: BEACON })).status;
    const cck = rate(prxvDw0(PhyType.CCK, 4 + 3)) as RxStatus;
    expect([cck.rateIdx, cck.shortPreamble]).toEqual([110, true]);
    const ht = rate(prxvDw0(PhyType.HT, 15, { bw: 1, gi: 1 })) as RxStatus;
    expect([ht.encoding, ht.rateIdx, ht.bw, ht.shortGi]).toEqual(['ht', 15, 40, true]);
    expect(rate(prxvDw0(PhyType.HT, 32))).toBe('bad-rate');
    const vht = rate(prxvDw0(PhyType.VHT, 9, { nss: 2, bw: 3 }), 36) as RxStatus;
    expect([vht.encoding, vht.rateIdx, vht.nss, vht.bw]).toEqual(['vht', 9, 2, 160]);
    expect(rate(prxvDw0(PhyType.VHT, 12))).toBe('bad-rate');
    expect(rate(prxvDw0(5 as PhyType, 1))).toBe('bad-rate');
    expect(rate(prxvDw0(PhyType.OFDM, 11, { bw: 4 }))).toBe('bad-rate');
  });

  it('decryption status from SEC_MODE, CM, CLM, ICV, FCS and TKIP MIC errors', () => {
    const s = (f: Parameters<typeof buildRxd>[0]) => fill(buildRxd(f)).status as RxStatus;
    expect(s({ cipher: MtCipher.AES_CCMP, payload: QOS_DATA }).flag & RxFlag.DECRYPTED).toBeTruthy();
    expect(s({ cipher: MtCipher.AES_CCMP, cm: true, payload: QOS_DATA }).flag & RxFlag.DECRYPTED).toBe(0);
    expect(s({ cipher: MtCipher.AES_CCMP, clm: true, payload: QOS_DATA }).flag & RxFlag.DECRYPTED).toBe(0);
    expect(s({ cipher: MtCipher.NONE, payload: QOS_DATA }).flag & RxFlag.DECRYPTED).toBe(0);
    expect(s({ icvErr: true, payload: QOS_DATA }).flag & RxFlag.ONLY_MONITOR).toBeTruthy();
    expect(s({ fcsErr: true, payload: QOS_DATA }).flag & RxFlag.FAILED_FCS_CRC).toBeTruthy();
    expect(s({ tkipMicErr: true, payload: QOS_DATA }).flag & RxFlag.MMIC_ERROR).toBeTruthy();
  });

  it('drop rules: band 1, A-MSDU error, max-length error, HDR_TRANS with CM, overflowing groups', () => {
    expect(fill(buildRxd({ bandIdx: true, payload: BEACON })).status).toBe('band-idx');
    expect(fill(buildRxd({ amsduErr: true, payload: BEACON })).status).toBe('amsdu-error');
    expect(fill(buildRxd({ maxLenErr: true, payload: BEACON })).status).toBe('max-len-error');
    expect(fill(buildRxd({ hdrTrans: true, cm: true, payload: BEACON })).status).toBe('hdr-trans-cm');
    const noPayload = buildRxd({ group2: { timestamp: 1 }, payload: new Uint8Array(0) });
    expect(fill(noPayload).status).toBe('group-overflow');
    const ctx = newRxdContext();
    ctx.has6g = false;
    expect(fill(buildRxd({ chFreq: 190, payload: BEACON }), ctx).status).toBe('band-unsupported');
  });

  it('header-translated frames are flagged 802.3', () => {
    const eth = Buffer.from([...new Array(12).fill(1), 0x08, 0x00, 0x45, 0, 0, 20]);
    const { status, frame } = fill(buildRxd({ hdrTrans: true, payload: eth }));
    expect((status as RxStatus).flag & RxFlag.RX_8023).toBeTruthy();
    expect(frame).toEqual(eth);
  });

  it('removes the 2-byte gap of non-translated A-MSDU subframes', () => {
    const hdr = QOS_DATA.subarray(0, 26);
    const body = Buffer.from([9, 8, 7, 6]);
    const payload = Buffer.concat([hdr, Buffer.from([0xee, 0xee]), body]);
    const { status, frame } = fill(buildRxd({ payloadFormat: 3, payload }));
    const s = status as RxStatus;
    expect([s.amsdu, s.firstAmsdu, s.lastAmsdu]).toEqual([true, true, false]);
    expect(frame).toEqual(Buffer.concat([hdr, body]));
  });

  it('re-inserts the CCMP header of decrypted fragments from the PN', () => {
    const hdr = Buffer.from(QOS_DATA.subarray(0, 26));
    const body = Buffer.from([1, 2, 3]);
    const iv = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const pkt = buildRxd({
      cipher: MtCipher.AES_CCMP,
      keyId: 2,
      frag: true,
      group1: iv,
      payload: Buffer.concat([hdr, body]),
    });
    const { status, frame } = fill(pkt);
    const s = status as RxStatus;
    expect(s.flag & RxFlag.IV_STRIPPED).toBe(0);
    expect(frame).toEqual(
      Buffer.concat([hdr, Buffer.from([0x11, 0x22, 0, 0x20 | (2 << 6), 0x33, 0x44, 0x55, 0x66]), body]),
    );
  });

  it('QoS data reports seq/qos from the header and aggr for unicast', () => {
    const s = fill(buildRxd({ payload: QOS_DATA })).status as RxStatus;
    expect(s.seqCtrl).toBe(0x1230);
    expect(s.qosCtl).toBe(5);
    expect(s.aggr).toBe(true);
  });

  it('random and truncated packets never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, fixLen) => {
        const b = Buffer.from(bytes);
        if (fixLen && b.length >= 4) b.writeUInt16LE(b.length, 0);
        const skb = SkBuff.wrap(b);
        mt7921MacFillRx(skb, newRxdContext());
      }),
      { numRuns: 2000 },
    );
    const good = buildRxd({
      group4: { fc: 0x88, seqCtrl: 0, qosCtl: 0 },
      group1: new Uint8Array(16),
      group2: { timestamp: 5 },
      group3: { v0: prxvDw0(PhyType.HT, 3), rcpi: [1, 2, 3, 4] },
      group5: { rcpi: [1, 2, 3, 4] },
      payloadFormat: 3,
      payload: QOS_DATA,
    });
    for (let n = 0; n <= good.length; n++) {
      const b = Buffer.from(good.subarray(0, n));
      if (n >= 2) b.writeUInt16LE(n, 0);
      mt7921MacFillRx(SkBuff.wrap(b), newRxdContext());
    }
  });
});

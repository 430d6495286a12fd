import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkBuff } from '../../../netstack/core/skb.ts';
import { EpOut } from '../bus.ts';
import { testTxdInfo } from '../testing/txd-info.ts';
import { parseUsbFrame } from '../usb-frame.ts';
import { MT76_RATES, txRateVal } from './rates.ts';
import { LmacQueue, MtTxq, parseTxd, selectTxq, type TxdInfo, txPrepareSkb, txqToEpOut } from './txd.ts';

const STA = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];
const AP = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee];

function hdr80211(fc: number, a1: number[], a2: number[], a3: number[], sc = 0, qos?: number): number[] {
  const h = [fc & 0xff, fc >> 8, 0, 0, ...a1, ...a2, ...a3, sc & 0xff, sc >> 8];
  if (qos !== undefined) h.push(qos & 0xff, qos >> 8);
  return h;
}

const info = testTxdInfo;

function prepare(frame: number[], i: TxdInfo) {
  const skb = SkBuff.fromBytes(Uint8Array.from(frame));
  expect(txPrepareSkb(skb, i)).toBeNull();
  const xfer = skb.bytes();
  const usb = parseUsbFrame(xfer)!;
  return { xfer, usb, txd: parseTxd(usb.body)! };
}

describe('TX descriptor (FACTS §7.1)', () => {
  it('QoS data to the AP: every field of the table', () => {
    const frame = [...hdr80211(0x0188, AP, STA, AP, 0x10, 5), ...new Array(100).fill(0xab)];
    const { xfer, usb, txd } = prepare(
      frame,
      info({ qid: MtTxq.VI, wcid: 3, priority: 5, pid: 7, hwKey: true, amsdu: true }),
    );
    // USB: header = 64 + frame; padded to 4 plus a 4-byte tail
    expect(usb.bodyLen).toBe(64 + frame.length);
    expect(xfer.length).toBe(4 + 64 + frame.length + ((4 - ((frame.length + 68) % 4)) % 4) + 4);
    expect(usb.body.subarray(64, 64 + frame.length)).toEqual(Buffer.from(frame));
    expect(txd.txBytes).toBe(frame.length + 64);
    expect(txd.ethTypeOffset).toBe(0);
    expect(txd.pktFmt).toBe(1);
    expect(txd.qIdx).toBe(LmacQueue.AC02); // VI: 3 - 1
    expect(txd.wlanIdx).toBe(3);
    expect(txd.hdrInfo).toBe(26 / 2);
    expect(txd.hdrFormat).toBe(2);
    expect(txd.hdrPad).toBe(0);
    expect(txd.tid).toBe(5);
    expect(txd.amsdu).toBe(false);
    expect(txd.longFormat).toBe(true);
    expect(txd.tgid).toBe(false);
    expect([txd.frameType, txd.subType]).toEqual([2, 8]);
    expect(txd.multicast).toBe(false);
    expect(txd.fixRate).toBe(false);
    expect(txd.protectFrame).toBe(true);
    expect(txd.remTxCount).toBe(15);
    expect(txd.pid).toBe(7);
    expect(txd.txStatusHost).toBe(true);
    expect(txd.hwAmsdu).toBe(false); // PID ≥ 3 disables HW A-MSDU
    expect([txd.lType, txd.lSubType]).toEqual([2, 8]);
    expect(txd.pnLow).toBe(0);
  });

  it('data without status request keeps HW A-MSDU when the station supports it', () => {
    const frame = [...hdr80211(0x0188, AP, STA, AP, 0, 0), ...new Array(40).fill(1)];
    expect(prepare(frame, info({ amsdu: true, pid: 1 })).txd.hwAmsdu).toBe(true);
    expect(prepare(frame, info({ amsdu: true, pid: 1 })).txd.txStatusHost).toBe(false);
  });

  it('management frames: ALTX0 queue, FIX_RATE with the lowest basic rate, HTC_VLD, BA_DISABLE, FIXED_BW', () => {
    const auth = [...hdr80211(0x00b0, AP, STA, AP), 0, 0, 1, 0, 0, 0];
    const q = selectTxq(MtTxq.BE, Uint8Array.from(auth), false);
    expect(q).toBe(MtTxq.PSD);
    expect(txqToEpOut(q)).toBe(EpOut.HCCA);
    const { txd } = prepare(auth, info({ qid: q, wcid: 0, fixedRate: txRateVal('2g', 0b1111), amsdu: true }));
    expect(txd.qIdx).toBe(LmacQueue.ALTX0);
    expect(txd.fixRate).toBe(true);
    expect(txd.htcVld).toBe(true);
    expect(txd.baDisable).toBe(true);
    expect(txd.fixedBw).toBe(true);
    expect(txd.txRate).toBe(0x000); // CCK 1M
    expect(txd.hwAmsdu).toBe(false);
    expect([txd.frameType, txd.subType]).toEqual([0, 0xb]);
    expect(txd.hdrInfo).toBe(12);
    // 5 GHz: OFDM 6M
    expect(prepare(auth, info({ qid: q, fixedRate: txRateVal('5g', 0b10101) })).txd.txRate).toBe(0x04b);
  });

  it('basic-rate codes: the lowest basic rate of the band', () => {
    expect(txRateVal('2g', 0)).toBe(0x000);
    expect(txRateVal('2g', 0b1000)).toBe(0x003); // 11M
    expect(txRateVal('2g', 0b10000)).toBe(0x04b); // 6M OFDM on 2.4 GHz
    expect(txRateVal('5g', 0b100)).toBe(0x04a); // 12M
    expect(txRateVal('6g', 1 << 7)).toBe(0x04c); // 54M
    expect(MT76_RATES).toHaveLength(12);
  });

  it('multicast data uses FIX_RATE and the MULTICAST bit', () => {
    const bc = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const frame = [...hdr80211(0x0108, AP, STA, bc), ...new Array(30).fill(0)];
    const { txd } = prepare(frame, info());
    expect(txd.multicast).toBe(false); // addr1 is the AP (ToDS)
    const frame2 = [...hdr80211(0x0008, bc, STA, AP), ...new Array(30).fill(0)];
    const t2 = prepare(frame2, info()).txd;
    expect(t2.multicast).toBe(true);
    expect(t2.fixRate).toBe(true);
  });

  it('queue mapping: AC → LMAC queue and endpoint; wmm set offset', () => {
    const frame = [...hdr80211(0x0188, AP, STA, AP, 0, 0), ...new Array(20).fill(0)];
    const expected: Array<[MtTxq, number, EpOut]> = [
      [MtTxq.VO, 3, EpOut.AC_VO],
      [MtTxq.VI, 2, EpOut.AC_VI],
      [MtTxq.BE, 1, EpOut.AC_BE],
      [MtTxq.BK, 0, EpOut.AC_BK],
    ];
    for (const [q, lmac, ep] of expected) {
      expect(prepare(frame, info({ qid: q })).txd.qIdx).toBe(lmac);
      expect(txqToEpOut(q)).toBe(ep);
    }
    expect(prepare(frame, info({ qid: MtTxq.BE, wmmIdx: 1 })).txd.qIdx).toBe(5);
  });

  it('PSD selection: deauth and non-bufferable mgmt to PSD, action stays, null data to PSD', () => {
    const mk = (fcv: number) => Uint8Array.from(hdr80211(fcv, AP, STA, AP));
    expect(selectTxq(MtTxq.BE, mk(0x00c0), false)).toBe(MtTxq.PSD); // deauth
    expect(selectTxq(MtTxq.BE, mk(0x00a0), false)).toBe(MtTxq.BE); // disassoc is bufferable
    expect(selectTxq(MtTxq.VO, mk(0x00d0), false)).toBe(MtTxq.VO); // action
    expect(selectTxq(MtTxq.VO, mk(0x00d0), false, true)).toBe(MtTxq.PSD); // off-channel
    expect(selectTxq(MtTxq.BE, mk(0x0148), false)).toBe(MtTxq.PSD); // null data
    expect(selectTxq(MtTxq.BE, mk(0x0040), false)).toBe(MtTxq.PSD); // probe request
    expect(selectTxq(MtTxq.BE, mk(0x0188), false)).toBe(MtTxq.BE);
    expect(selectTxq(MtTxq.BE, mk(0x0040), true)).toBe(MtTxq.BE);
  });

  it('802.3 frames: HDR_FORMAT 0, ETH_802_3 for ethertypes ≥ 0x600, DW7 type/subtype', () => {
    const eth = [...AP, ...STA, 0x08, 0x00, ...new Array(46).fill(0)];
    const { txd } = prepare(eth, info({ is8023: true, wmm: true, priority: 6 }));
    expect(txd.hdrFormat).toBe(0);
    expect(txd.eth8023).toBe(true);
    expect(txd.tid).toBe(6);
    expect([txd.frameType, txd.subType]).toEqual([2, 8]);
    expect([txd.dw7Type, txd.dw7SubType]).toEqual([2, 8]);
    expect([txd.lType, txd.lSubType]).toEqual([0, 0]);
    const llc = [...AP, ...STA, 0x00, 0x40, ...new Array(46).fill(0)];
    expect(prepare(llc, info({ is8023: true })).txd.eth8023).toBe(false);
  });

  it('fragments, injected sequence numbers, ADDBA TID, NO_ACK', () => {
    const base = (fcv: number, sc: number) => [...hdr80211(fcv, AP, STA, AP, sc, 0), ...new Array(20).fill(0)];
    expect(prepare(base(0x0588, 0x100), info()).txd.frag).toBe(1); // more frags, frag 0
    expect(prepare(base(0x0588, 0x101), info()).txd.frag).toBe(2);
    expect(prepare(base(0x0188, 0x102), info()).txd.frag).toBe(3);
    expect(prepare(base(0x0188, 0x100), info()).txd.frag).toBe(0);
    const inj = prepare(base(0x0188, 0x7b0), info({ injected: true })).txd;
    expect(inj.snValid).toBe(true);
    expect(inj.seq).toBe(0x7b);
    const addba = [...hdr80211(0x00d0, AP, STA, AP), 3, 0, 1, (6 << 2) & 0xff, 0x10, 0, 0, 0, 0];
    const ab = prepare(addba, info({ qid: MtTxq.VO })).txd;
    expect(ab.addBa).toBe(true);
    expect(ab.tid).toBe(6);
    expect(prepare(base(0x0188, 0), info({ noAck: true })).txd.noAck).toBe(true);
  });

  it('rejects frames of 14 bytes or less', () => {
    const skb = SkBuff.fromBytes(new Uint8Array(14));
    expect(txPrepareSkb(skb, info())).toBe('too-short');
  });

  it('never throws for arbitrary frames and keeps the frame bytes intact', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 15, maxLength: 600 }), fc.integer({ min: 0, max: 4 }), (frame, q) => {
        const skb = SkBuff.fromBytes(frame, 0);
        txPrepareSkb(skb, info({ qid: q }));
        const usb = parseUsbFrame(skb.bytes())!;
        expect(usb.body.subarray(64)).toEqual(Buffer.from(frame));
        expect(skb.len % 4).toBe(0);
      }),
    );
  });
});

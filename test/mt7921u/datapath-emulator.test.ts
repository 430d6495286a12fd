/**
 * The data path through the driver's TX/RX descriptors and the emulated MT7921U's hardware CCMP: a QoS data frame
 * sent with PROTECT_FRAME leaves the chip encrypted with the installed key and its TX status comes back; a frame
 * the AP encrypts arrives decrypted with its PN reported.
 */
import { describe, expect, it } from 'vitest';
import { MtTxq, type TxdInfo } from '../../drivers/mt7921u/mac/txd.ts';
import { RxFlag, type RxStatus } from '../../drivers/mt7921u/mac/rxd.ts';
import type { TxsRecord } from '../../drivers/mt7921u/mac/txs.ts';
import { txRateVal } from '../../drivers/mt7921u/mac/rates.ts';
import { chan20 } from '../../drivers/mt7921u/mcu/chan.ts';
import { McuCipher, SetKeyCmd } from '../../drivers/mt7921u/mcu/sta-rec.ts';
import { ccmpDecrypt, ccmpEncrypt, readCcmpPn, writeCcmpHeader } from '../../drivers/mt7921u/emulator/ccmp.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { apPeerRecord, emulatorWorld, settle, stationVif, TEST_BSSID } from './world.ts';

const TK = Uint8Array.from({ length: 16 }, (_, i) => 0x11 * (i + 1));

function qosData(a1: Uint8Array, a2: Uint8Array, a3: Uint8Array, toDs: boolean, seq: number, body: Uint8Array) {
  return Uint8Array.from([
    0x88,
    toDs ? 0x01 : 0x02,
    0,
    0,
    ...a1,
    ...a2,
    ...a3,
    (seq << 4) & 0xff,
    seq >> 4,
    0,
    0,
    ...body,
  ]);
}

describe('data path on the emulated MT7921U', () => {
  it('TX with hardware CCMP and TX status; RX decrypted by the hardware', async () => {
    const frames: Array<{ st: RxStatus; frame: Buffer }> = [];
    const statuses: TxsRecord[] = [];
    const w = emulatorWorld({
      air: true,
      device: {
        onFrame: (skb, st) => {
          frames.push({ st, frame: skb.copyBytes() });
          skb.free();
        },
        onTxStatus: (r) => statuses.push(r),
      },
    });
    const { clock, device } = w;
    await settle(clock, device.probe());
    await settle(clock, device.start(chan20('2g', 6)));
    const me = device.caps!.macAddr!;
    const vif = stationVif(device);
    const ops = device.ops;
    await settle(clock, ops.addDev(vif, true));
    await settle(
      clock,
      ops.addBss(
        vif,
        { bssid: TEST_BSSID, beaconInterval: 100, dtimPeriod: 1, qos: true, chan: chan20('2g', 6) },
        true,
      ),
    );
    await settle(clock, ops.staUpdate(apPeerRecord()));
    await settle(
      clock,
      ops.setKey(vif, 1, true, SetKeyCmd.SET_KEY, { cipher: McuCipher.AES_CCMP, keyIdx: 0, key: TK }),
    );

    // the AP: acknowledges frames addressed to it and keeps them
    const ap = w.air!.radio('ap');
    ap.tune({ band: '2g', number: 6 });
    const atAp: Uint8Array[] = [];
    ap.setReceiver((f) => {
      atAp.push(Uint8Array.from(f));
      return f.length >= 10 && Buffer.from(f.subarray(4, 10)).equals(Buffer.from(TEST_BSSID));
    });

    // --- TX: plaintext QoS data, PROTECT_FRAME, status requested (PID 5)
    const payload = Buffer.from('airstack says hello over hardware CCMP');
    const plain = qosData(TEST_BSSID, me, TEST_BSSID, true, 7, payload);
    const info: TxdInfo = {
      qid: MtTxq.BE,
      wcid: 1,
      omacIdx: 0,
      wmmIdx: 0,
      bandIdx: 0,
      pid: 5,
      hwKey: true,
      noAck: false,
      is8023: false,
      priority: 0,
      amsdu: false,
      fixedRate: txRateVal('2g', 0xf),
    };
    expect(device.tx(SkBuff.fromBytes(plain), info)).toBe(true);
    await clock.runAsync({ until: () => statuses.length > 0 && atAp.length > 0, maxTime: clock.now() + 1000 });
    const sent = atAp.find((f) => f[0] === 0x88)!;
    expect(sent[1]! & 0x40).toBe(0x40); // Protected
    const pn = readCcmpPn(sent, 26);
    const dec = ccmpDecrypt(TK, sent, 26, pn, sent.subarray(26 + 8));
    expect(dec).not.toBeNull();
    expect(Buffer.from(dec!)).toEqual(payload);
    expect(statuses[0]).toMatchObject({ pid: 5, wcid: 1, acked: true });
    expect(device.txStats).toMatchObject({ queued: 1, completed: 1, errors: 0 });

    // --- RX: the AP encrypts with the same key, PN 42
    const hdr = qosData(me, TEST_BSSID, TEST_BSSID, false, 9, new Uint8Array(0));
    hdr[1] = hdr[1]! | 0x40;
    const body = Buffer.from('and the AP answers, encrypted');
    const ccmp = new Uint8Array(8);
    writeCcmpHeader(ccmp, 0, 42, 0);
    const enc = Buffer.concat([hdr, ccmp, ccmpEncrypt(TK, hdr, 26, 42, body)]);
    ap.transmit(enc, { mode: 'ofdm', mbps: 24 }, { noAck: false, retryLimit: 0 }, () => {});
    await clock.runAsync({ until: () => frames.some((f) => f.frame[0] === 0x88), maxTime: clock.now() + 1000 });
    const got = frames.find((f) => f.frame[0] === 0x88)!;
    expect(got.st.flag & RxFlag.DECRYPTED).toBeTruthy();
    expect(got.st.flag & RxFlag.IV_STRIPPED).toBeTruthy();
    expect(Array.from(got.st.iv!)).toEqual([0, 0, 0, 0, 0, 42]);
    expect(got.st.channel).toBe(6);
    expect(got.st.encoding).toBe('legacy');
    expect(got.st.rateIdx).toBe(240);
    // the plaintext follows the 802.11 header (IV and MIC stripped)
    expect(Buffer.from(got.frame.subarray(got.frame.length - body.length))).toEqual(body);
    expect(device.dispatch.totalDrops).toBe(0);
    expect(w.emu.counters.drops).toEqual({});
  });
});

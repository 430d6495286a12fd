/**
 * The mt7921u driver behind mac80211's ops interface (Ieee80211Ops), against the emulated MT7921U on a test medium:
 * the calls a station makes — start, add interface, hardware scan, prepare-tx (JOIN), station states, keys, BSS
 * changes, TX with status — in the order mac80211 makes them.
 */
import { describe, expect, it } from 'vitest';
import { Mt7921uHw } from '../../drivers/mt7921u/ops.ts';
import {
  type BssConf,
  type ChanDef,
  channelToFreq,
  type Ieee80211HwCallbacks,
  type RxStatus,
  type Sta,
  StaState,
  type TxInfo,
  type TxStatus,
  type Vif,
} from '../../mac80211/driver-ops.ts';
import { SkBuff } from '../../netstack/core/skb.ts';
import { beaconingAp, emulatorWorld, settle, TEST_BSSID } from './world.ts';

function chandef(channel: number): ChanDef {
  const freq = channelToFreq('2g', channel);
  return { chan: { band: '2g', channel, freq }, width: 20, centerFreq1: freq };
}

describe('Mt7921uHw (ieee80211_ops) on the emulated MT7921U', () => {
  it('a station: scan, join, associate, key, data with TX status', async () => {
    const w = emulatorWorld({ air: true });
    const { clock, device, emu } = w;
    await settle(clock, device.probe());
    const hw = new Mt7921uHw(device);
    const rx: Array<{ frame: Buffer; st: RxStatus }> = [];
    const statuses: Array<{ frame: Buffer; st: TxStatus }> = [];
    let scanDone: boolean | null = null;
    const restarts: string[] = [];
    const cb: Ieee80211HwCallbacks = {
      rx: (skb, st) => {
        rx.push({ frame: skb.copyBytes(), st });
        skb.free();
      },
      txStatus: (skb, _info, st) => {
        statuses.push({ frame: skb.copyBytes(), st });
        skb.free();
      },
      scanCompleted: (aborted) => {
        scanDone = aborted;
      },
      beaconLoss: () => {},
      connectionLoss: () => {},
      restartHw: (r) => restarts.push(r),
    };
    hw.attach(cb);
    expect(Buffer.from(hw.caps.addr)).toEqual(Buffer.from(emu.macAddress));
    expect(hw.caps.bands.map((b) => b.band)).toEqual(['2g', '5g', '6g']);
    expect(hw.caps.needsPrepareTx).toBe(true);
    expect(hw.caps.extraTxHeadroom).toBe(68);

    await settle(clock, hw.config({ chandef: chandef(1) }));
    await settle(clock, hw.start());
    const vif: Vif = { type: 'station', addr: hw.caps.addr };
    await settle(clock, hw.addInterface(vif));
    const ap = beaconingAp(w, 6, -48);

    // scan: the beacon comes up through rx() with mac80211's status; completion after SCAN_DONE
    await settle(
      clock,
      hw.hwScan(vif, {
        channels: [1, 6, 11].map((c) => ({ band: '2g' as const, channel: c, freq: channelToFreq('2g', c) })),
        ssids: [],
        ies: new Uint8Array(0),
        dwellActiveMs: 30,
        dwellPassiveMs: 110,
      }),
    );
    await clock.runAsync({ until: () => scanDone !== null, maxTime: clock.now() + 30_000 });
    expect(scanDone).toBe(false);
    const beacon = rx.find(
      (r) => r.frame[0] === 0x80 && Buffer.from(r.frame.subarray(16, 22)).equals(Buffer.from(TEST_BSSID)),
    );
    expect(beacon).toBeDefined();
    expect(beacon!.st).toMatchObject({ band: '2g', channel: 6, freq: 2437, decrypted: false, pn: -1, hasFcs: false });
    expect(beacon!.st.rate).toMatchObject({ mode: 'cck', rate: 10 });
    expect(Math.abs(beacon!.st.signal - -48)).toBeLessThanOrEqual(1);

    // join: channel, prepare-tx (ROC JOIN), station entry, association
    await settle(clock, hw.config({ chandef: chandef(6) }));
    await settle(clock, hw.mgdPrepareTx(vif, chandef(6), 500));
    expect(hw.stats.prepareTxFailures).toBe(0);
    const sta: Sta = { addr: TEST_BSSID, aid: 0, ht: true, vht: false, he: false, rates: [10, 20, 55, 110], wmm: true };
    const conf: BssConf = {
      bssid: TEST_BSSID,
      assoc: false,
      aid: 0,
      beaconInt: 100,
      dtimPeriod: 1,
      chandef: chandef(6),
      basicRates: [10, 20, 55, 110],
      qos: true,
      shortSlot: true,
      shortPreamble: true,
      ps: false,
    };
    await settle(clock, hw.bssInfoChanged(vif, conf, { bssid: true }));
    await settle(clock, hw.staState(vif, sta, StaState.NOTEXIST, StaState.NONE));
    await settle(clock, hw.staState(vif, sta, StaState.NONE, StaState.AUTH));
    await settle(clock, hw.mgdCompleteTx(vif));
    await settle(clock, hw.staState(vif, sta, StaState.AUTH, StaState.ASSOC));
    await settle(clock, hw.bssInfoChanged(vif, { ...conf, assoc: true, aid: 1 }, { assoc: true, qos: true }));
    const wcid = (sta.drv as { wcid: number }).wcid;
    const rec = emu.state.stas.get(wcid)!;
    expect(rec.connState).toBe(2);
    expect(Buffer.from(rec.peer)).toEqual(Buffer.from(TEST_BSSID));
    expect(emu.state.bsses.get(0)?.channel?.number).toBe(6);
    expect(emu.state.edca.has(0)).toBe(true);

    // pairwise key in hardware
    const key = {
      cipher: 'CCMP' as const,
      keyIdx: 0,
      key: Uint8Array.from({ length: 16 }, (_, i) => i),
      pairwise: true,
      txPn: 0,
    };
    await settle(clock, hw.setKey('set', vif, sta, key));
    expect([...emu.state.stas.get(wcid)!.keys.values()][0]?.cipher).toBe(5);
    await settle(clock, hw.staState(vif, sta, StaState.ASSOC, StaState.AUTHORIZED));

    // data to the AP, acknowledged by it, with a TX status for mac80211
    ap.ap.setReceiver((f) => Buffer.from(f.subarray(4, 10)).equals(Buffer.from(TEST_BSSID)));
    const frame = Uint8Array.from([
      0x88,
      0x01,
      0,
      0,
      ...TEST_BSSID,
      ...hw.caps.addr,
      ...TEST_BSSID,
      0x10,
      0,
      6,
      0,
      0xaa,
      0xaa,
      0x03,
      0,
      0,
      0,
      0x88,
      0x8e,
      1,
      2,
      3,
      4,
    ]);
    const info: TxInfo = {
      vif,
      sta,
      ac: 1,
      tid: 6,
      hwKey: null,
      reqTxStatus: true,
      noAck: false,
      useMinRate: true,
      offChannel: false,
    };
    hw.tx(SkBuff.fromBytes(frame), info);
    await clock.runAsync({ until: () => statuses.length === 1, maxTime: clock.now() + 1000 });
    expect(statuses[0]!.st.acked).toBe(true);
    expect(statuses[0]!.frame).toEqual(Buffer.from(frame)); // mac80211 gets its frame back as it gave it
    expect(hw.stats).toMatchObject({ txStatusReported: 1, txStatusTimeouts: 0, txDropped: 0 });

    // a frame nobody acknowledges: status after the TXS (not acked), never lost
    const lost = Uint8Array.from(frame);
    lost.set([0x02, 0x99, 0x99, 0x99, 0x99, 0x99], 4);
    hw.tx(SkBuff.fromBytes(lost), info);
    await clock.runAsync({ until: () => statuses.length === 2, maxTime: clock.now() + 1000 });
    expect(statuses[1]!.st.acked).toBe(false);

    // teardown
    await settle(clock, hw.bssInfoChanged(vif, { ...conf, assoc: false }, { assoc: true }));
    await settle(clock, hw.staState(vif, sta, StaState.AUTHORIZED, StaState.ASSOC));
    await settle(clock, hw.staState(vif, sta, StaState.ASSOC, StaState.AUTH));
    await settle(clock, hw.staState(vif, sta, StaState.AUTH, StaState.NONE));
    await settle(clock, hw.staState(vif, sta, StaState.NONE, StaState.NOTEXIST));
    expect(emu.state.stas.get(wcid)?.connState ?? 0).toBe(0);
    await settle(clock, hw.removeInterface(vif));
    await settle(clock, hw.stop());
    ap.stop();
    expect(restarts).toEqual([]);
    expect(device.mcu.stats.timeouts).toBe(0);
    const c = emu.counters;
    expect([c.mcuMalformed, c.mcuUnknown, c.mcuWrongStage, c.mcuErrors]).toEqual([0, 0, 0, 0]);
    expect(c.drops).toEqual({});
  });
  it('received frames go up as one list per NAPI poll when mac80211 takes lists (mt76_rx_poll_complete)', async () => {
    const w = emulatorWorld({ air: true });
    const { clock, device } = w;
    await settle(clock, device.probe());
    const hw = new Mt7921uHw(device);
    const batches: number[] = [];
    const frames: Buffer[] = [];
    let scanDone: boolean | null = null;
    hw.attach({
      rx: () => {
        throw new Error('rx() with a list-taking mac80211');
      },
      rxList: (skbs) => {
        batches.push(skbs.length);
        for (const skb of skbs) {
          frames.push(skb.copyBytes());
          skb.free();
        }
      },
      txStatus: (skb) => skb.free(),
      scanCompleted: (aborted) => {
        scanDone = aborted;
      },
      beaconLoss: () => {},
      connectionLoss: () => {},
      restartHw: () => {},
    });
    await settle(clock, hw.config({ chandef: chandef(6) }));
    await settle(clock, hw.start());
    const vif: Vif = { type: 'station', addr: hw.caps.addr };
    await settle(clock, hw.addInterface(vif));
    beaconingAp(w, 6, -48);
    await settle(
      clock,
      hw.hwScan(vif, {
        channels: [{ band: '2g', channel: 6, freq: channelToFreq('2g', 6) }],
        ssids: [],
        ies: new Uint8Array(0),
        dwellActiveMs: 30,
        dwellPassiveMs: 250,
      }),
    );
    await clock.runAsync({ until: () => scanDone !== null, maxTime: clock.now() + 30_000 });
    expect(frames.some((f) => f[0] === 0x80 && Buffer.from(f.subarray(16, 22)).equals(Buffer.from(TEST_BSSID)))).toBe(
      true,
    );
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(frames.length);
    expect(hw.stats.rxDelivered).toBe(frames.length);
  });
});

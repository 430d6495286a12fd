/**
 * Station operations through the driver's MCU ops against the emulated MT7921U on a small test medium: interface
 * and BSS records, a hardware scan that hears a beacon (RXD channel and RCPI decoded by the driver), a JOIN grant,
 * the peer's station record and a CCMP key — checked against what the emulated firmware recorded.
 */
import { describe, expect, it } from 'vitest';
import type { RxStatus } from '../../drivers/mt7921u/mac/rxd.ts';
import { chan20 } from '../../drivers/mt7921u/mcu/chan.ts';
import { RocReqType } from '../../drivers/mt7921u/mcu/roc.ts';
import { McuCipher, SetKeyCmd } from '../../drivers/mt7921u/mcu/sta-rec.ts';
import { apPeerRecord, beaconFrame, beaconingAp, emulatorWorld, settle, stationVif, TEST_BSSID } from './world.ts';

describe('MCU ops on the emulated MT7921U', () => {
  it('add interface, scan hears the AP on channel 6, JOIN grant, station record and CCMP key', async () => {
    const heard: Array<{ st: RxStatus; frame: Buffer }> = [];
    const w = emulatorWorld({
      air: true,
      device: {
        onFrame: (skb, st) => {
          heard.push({ st, frame: skb.copyBytes() });
          skb.free();
        },
      },
    });

    const { clock, emu, device } = w;
    await settle(clock, device.probe());
    await settle(clock, device.start(chan20('2g', 1, true)));
    const ap = beaconingAp(w, 6, -55);

    const vif = stationVif(device);
    const ops = device.ops;
    await settle(clock, ops.addDev(vif, true));
    expect(emu.state.vifs.get(0)?.active).toBe(true);
    expect(Buffer.from(emu.state.vifs.get(0)!.addr)).toEqual(Buffer.from(vif.addr));

    const done = ops.waitScanDone(30_000);
    await settle(
      clock,
      ops.hwScan(vif, { ssids: [], channels: [1, 6, 11].map((c) => ({ band: '2g' as const, channel: c })) }),
    );
    expect(ops.scanning).toBe(true);
    const sd = await settle(clock, done);
    expect(sd).not.toBeNull();
    expect(ops.scanning).toBe(false);
    const beacons = heard.filter(
      (h) => h.frame[0] === 0x80 && Buffer.from(h.frame.subarray(16, 22)).equals(Buffer.from(TEST_BSSID)),
    );
    expect(beacons.length).toBeGreaterThan(0);
    const b = beacons[0]!;
    expect(b.st.band).toBe('2g');
    expect(b.st.channel).toBe(6);
    expect(b.st.freq).toBe(2437);
    expect(Math.abs(b.st.signal - -55)).toBeLessThanOrEqual(1);
    // the frame reaches mac80211 exactly as sent: RXD and padding removed
    const sent = beaconFrame(0);
    expect(b.frame.length).toBe(sent.length);
    expect(Buffer.from(b.frame.subarray(24))).toEqual(Buffer.from(sent.subarray(24)));

    const grant = await settle(clock, ops.roc(vif, chan20('2g', 6), 1000, RocReqType.JOIN));
    expect(grant.reqType).toBe(RocReqType.JOIN);
    expect(ops.rocActive).not.toBeNull();

    await settle(clock, ops.staUpdate(apPeerRecord(2 * -55 + 220)));
    const sta = emu.state.stas.get(1)!;
    expect(sta.connState).toBe(2);
    expect(Buffer.from(sta.peer)).toEqual(Buffer.from(TEST_BSSID));
    expect(sta.hdrTrans).toEqual({ toDs: true, fromDs: false, noRxTrans: true });

    const tk = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);
    await settle(
      clock,
      ops.setKey(vif, 1, true, SetKeyCmd.SET_KEY, { cipher: McuCipher.AES_CCMP, keyIdx: 0, key: tk }),
    );
    const key = [...emu.state.stas.get(1)!.keys.values()][0]!;
    expect(key.cipher).toBe(5);
    expect(Buffer.from(key.key.subarray(0, 16))).toEqual(Buffer.from(tk));

    await settle(clock, ops.abortRoc(vif));
    ap.stop();
    expect(device.mcu.stats.timeouts).toBe(0);
    expect(device.dispatch.totalDrops).toBe(0);
    const c = emu.counters;
    expect([c.mcuMalformed, c.mcuUnknown, c.mcuWrongStage, c.mcuErrors]).toEqual([0, 0, 0, 0]);
    expect(c.drops).toEqual({});
  });
});

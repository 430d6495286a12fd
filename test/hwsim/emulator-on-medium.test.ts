/**
 * The emulated MT7921U on the mock PHY: its radio is a RadioPort (through EmulatorRadioAdapter), and its firmware
 * scan finds a hwsim virtual radio beaconing as an AP on another channel; the AP's driver sees the chip's probes.
 */
import { describe, expect, it } from 'vitest';
import { Ac, type BssConf, type Vif } from '../../mac80211/driver-ops.ts';
import { element } from '../../mac80211/elements/elements.ts';
import { buildBeacon, elementsOf } from '../../mac80211/frame/build.ts';
import { encodeFrame } from '../../mac80211/frame/frame.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { chandef } from '../../drivers/hwsim/chan.ts';
import { EmulatorRadioAdapter } from '../../drivers/hwsim/emulator-radio.ts';
import { Medium } from '../../drivers/hwsim/medium.ts';
import { HwsimRadio } from '../../drivers/hwsim/radio.ts';
import { RecordingMac } from '../../drivers/hwsim/testing.ts';
import {
  bootedHost,
  le32,
  legacyCommand,
  scanRequestPayload,
  type TestHost,
} from '../../drivers/mt7921u/emulator/test-host.ts';

const AP = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);
const CHIP = Uint8Array.of(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);

let seqNo = 0;
async function cmd(h: TestHost, payload: Uint8Array, c: { cid?: number; ext?: number }) {
  const seq = (seqNo = (seqNo % 15) + 1);
  await h.send(
    0x08,
    legacyCommand({ cid: c.cid ?? 0, ext: c.ext, ce: c.ext === undefined, setQuery: 1, seq, payload }),
  );
  return h.event(seq, 200);
}

describe('emulated MT7921U on the mock PHY', () => {
  it("the chip's hardware scan hears a hwsim AP beaconing on channel 6 and the AP hears its probes", async () => {
    const clock = new VirtualClock();
    const medium = new Medium({ clock, seed: 3 });
    // The AP: a hwsim virtual radio beaconing on 2.4 GHz channel 6.
    const ap = new HwsimRadio({ medium, addr: AP, chandef: chandef('2g', 6) });
    const apMac = new RecordingMac(clock);
    ap.attach(apMac);
    await ap.start();
    const vif: Vif = { type: 'ap', addr: AP };
    await ap.addInterface(vif);
    const template = encodeFrame(
      buildBeacon({
        bssid: AP,
        timestamp: 0n,
        beaconInterval: 100,
        capability: 0x0001,
        elements: elementsOf(element(0, new TextEncoder().encode('test')), element(5, Uint8Array.of(0, 1, 0, 0))),
      }),
    );
    const conf: BssConf = {
      bssid: AP,
      assoc: false,
      aid: 0,
      beaconInt: 100,
      dtimPeriod: 1,
      chandef: chandef('2g', 6),
      basicRates: [10],
      qos: false,
      shortSlot: true,
      shortPreamble: false,
      ps: false,
      beaconTemplate: template,
      beaconEnabled: true,
    };
    await ap.bssInfoChanged(vif, conf, { beacon: true, beaconEnabled: true });
    await ap.confTx(vif, Ac.BE, { aifs: 3, cwMin: 15, cwMax: 1023, txop: 0, acm: false });

    // The chip, booted with synthetic firmware, its radio on the medium.
    const chipPort = medium.attach(CHIP);
    const h = await bootedHost({ radio: new EmulatorRadioAdapter(chipPort) }, clock);
    await cmd(h, Uint8Array.of(1, 0, 0, 0), { ext: 0x46 });
    // SCAN_REQ: active, wildcard SSID, channels 1, 6 (2.4 GHz) and 36 (5 GHz).
    expect(await cmd(h, scanRequestPayload(), { cid: 0x03 })).toBeDefined();
    const done = await h.take((r) => r.type === 7 && r.data[28] === 0x0d, 3000);
    expect(done).toBeDefined();
    // RX frames reported to the host during the scan: beacons of the AP on channel 6.
    const frames = h.received.filter((r) => r.type === 2);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((r) => ((le32(r.data, 12) >>> 8) & 0xff) === 6)).toBe(true);
    // The AP's driver received the chip's probe requests sent on its channel (the emulator sends two per channel).
    const probes = apMac.rxs.filter((x) => x.frame[0] === 0x40);
    expect(probes).toHaveLength(2);
    expect(probes.every((p) => p.status.channel === 6)).toBe(true);
    expect(chipPort.counters.txFrames).toBe(h.emu.counters.scanProbes);
  });
});

/**
 * The pieces of the hardware-in-the-loop tests: open the real dongle and bring it up with the real firmware,
 * scan with the driver's hardware scan, wait for the dongle to leave or come back on the bus. Real clock
 * throughout; every wait has a deadline.
 */
import type { Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import { Mt7921uHw } from '../../drivers/mt7921u/ops.ts';
import type { UsbTransport } from '../../drivers/mt7921u/transport.ts';
import { findDongles, openDongle } from '../../drivers/mt7921u/usb/finder.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { macToString } from '../../mac80211/addr.ts';
import { decodeMgmtBody } from '../../mac80211/frame/mgmt.ts';
import { ssidToDisplay } from '../../mac80211/elements/basic.ts';
import { type Band, type Channel, channelToFreq, type RxStatus, type Vif } from '../../mac80211/driver-ops.ts';
import { RealClock } from '../../netstack/core/clock.ts';
import type { DriverFirmware } from '../../tools/cli/dongle.ts';

export interface Rig {
  clock: RealClock;
  transport: UsbTransport;
  device: Mt7921uDevice;
  close(): Promise<void>;
}

/** Open the first dongle and run the whole probe (USB reset, WFSYS reset if needed, download, NIC capability). */
export async function bringUpDongle(fw: DriverFirmware): Promise<Rig> {
  const clock = new RealClock();
  const transport = await openDongle({ clock });
  const { device } = createMt7921uDevice({
    transport,
    clock,
    firmware: { patch: fw.patch, ram: fw.ram },
    bus: { resetOnProbe: false }, // openDongle reset the port before claiming
  });
  try {
    await device.probe();
  } catch (e) {
    device.close();
    await transport.close();
    throw e;
  }
  return {
    clock,
    transport,
    device,
    close: async () => {
      device.close();
      await transport.close();
    },
  };
}

export interface HeardBss {
  ssid: string;
  bssid: string;
  channel: number;
  band: Band;
  signal: number;
}

/**
 * A hardware scan of every 2.4 and 5 GHz channel the chip offers; what was heard, strongest first. Active by default
 * (probe requests for the wildcard SSID and `ssid`, 40 ms per channel); passive listens 110 ms per channel, enough
 * for one beacon interval.
 */
export async function scan(
  device: Mt7921uDevice,
  ssid: string | null,
  opts: { passive?: boolean; timeoutMs?: number } = {},
): Promise<HeardBss[]> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const hw = new Mt7921uHw(device);
  const heard = new Map<string, HeardBss>();
  let done: ((aborted: boolean) => void) | null = null;
  const completed = new Promise<boolean>((r) => (done = r));
  hw.attach({
    rx: (skb, st: RxStatus) => {
      const f = skb.copyBytes();
      skb.free();
      const stype = f[0]! & 0xfc;
      if (f.length < 36 || (stype !== 0x80 && stype !== 0x50)) return; // beacon, probe response
      const body = decodeMgmtBody(f[0]! | (f[1]! << 8), f.subarray(24));
      if (!body.ok || (body.value.kind !== 'beacon' && body.value.kind !== 'probe-resp')) return;
      const id = body.value.elements.find(0);
      const bssid = macToString(f, 16);
      const prev = heard.get(bssid);
      if (!prev || st.signal > prev.signal) {
        heard.set(bssid, {
          ssid: id ? ssidToDisplay(id) : '',
          bssid,
          channel: st.channel,
          band: st.band,
          signal: st.signal,
        });
      }
    },
    txStatus: (skb) => skb.free(),
    scanCompleted: (aborted) => done?.(aborted),
    beaconLoss: () => {},
    connectionLoss: () => {},
    restartHw: () => {},
  });
  const channels: Channel[] = hw.caps.bands
    .filter((b) => b.band !== '6g')
    .flatMap((b) =>
      b.channels.map((c) => ({ band: b.band, channel: c.channel, freq: channelToFreq(b.band, c.channel) })),
    );
  const first = channels[0]!;
  await hw.config({ chandef: { chan: first, width: 20, centerFreq1: first.freq } });
  await hw.start();
  const vif: Vif = { type: 'station', addr: hw.caps.addr };
  await hw.addInterface(vif);
  try {
    const ssids = opts.passive ? [] : [new Uint8Array(0), ...(ssid ? [new TextEncoder().encode(ssid)] : [])];
    await hw.hwScan(vif, { channels, ssids, ies: new Uint8Array(0), dwellActiveMs: 40, dwellPassiveMs: 110 });
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([completed, timer])) === 'timeout') {
      throw new Error(`the hardware scan did not complete within ${timeoutMs} ms (no SCAN_DONE event)`);
    }
  } finally {
    await hw.removeInterface(vif).catch(() => {});
    await hw.stop().catch(() => {});
  }
  return [...heard.values()].sort((a, b) => b.signal - a.signal);
}

/** Poll the bus every 250 ms until a dongle is (or is no longer) listed; false when the deadline passes. */
export async function waitForDongle(present: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await findDongles()).length > 0 === present) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

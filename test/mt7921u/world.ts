/**
 * Helpers for driver-on-emulator tests: run a promise in virtual time, and build the driver on an emulated MT7921U
 * (optionally on a small test medium) with synthetic or given firmware images.
 */
import type { Mt7921uDevice, Mt7921uDeviceOptions } from '../../drivers/mt7921u/device.ts';
import { StaInfoState, type StaRecInfo } from '../../drivers/mt7921u/mcu/sta-rec.ts';
import type { Mt76Vif } from '../../drivers/mt7921u/mcu-ops.ts';
import {
  EmulatedMt7921u,
  type EmulatorOptions,
  TestAir,
  type TestRadio,
} from '../../drivers/mt7921u/emulator/index.ts';
import { createMt7921uDevice } from '../../drivers/mt7921u/usb-bus.ts';
import { buildPatch, buildRamCode, parsePatch, parseRamCode } from '../../firmware/index.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';

/** Run the clock until `p` settles (or `maxMs` of virtual time pass); rethrow its error. */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs = 120_000): Promise<T> {
  let done = false;
  let err: unknown = null;
  let val: T | undefined;
  p.then(
    (v) => {
      done = true;
      val = v;
    },
    (e) => {
      done = true;
      err = e;
    },
  );
  await clock.runAsync({ until: () => done, maxTime: clock.now() + maxMs });
  if (!done) throw new Error('did not finish in virtual time');
  if (err !== null) throw err;
  return val as T;
}

export interface WorldOptions {
  patch?: Uint8Array;
  ram?: Uint8Array;
  emulator?: Partial<Omit<EmulatorOptions, 'clock' | 'firmware'>>;
  device?: Partial<Omit<Mt7921uDeviceOptions, 'bus' | 'regs' | 'clock' | 'firmware'>>;
  /** Put the emulator on a test medium (returns the air and the emulator's radio). */
  air?: boolean;
}

export interface World {
  clock: VirtualClock;
  emu: EmulatedMt7921u;
  device: Mt7921uDevice;
  air: TestAir | null;
  radio: TestRadio | null;
}

export function emulatorWorld(o: WorldOptions = {}): World {
  const clock = new VirtualClock();
  const patch = o.patch ?? buildPatch();
  const ram = o.ram ?? buildRamCode();
  const air = o.air ? new TestAir(clock) : null;
  const radio = air ? air.radio('emu') : null;
  const emu = new EmulatedMt7921u({
    clock,
    seed: 1,
    ...o.emulator,
    ...(radio ? { radio } : {}),
    firmware: { patch, ram },
  });
  const { device } = createMt7921uDevice({
    transport: emu,
    clock,
    firmware: { patch: parsePatch(patch), ram: parseRamCode(ram) },
    ...o.device,
  });
  return { clock, emu, device, air, radio };
}

export const TEST_BSSID = Uint8Array.from([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);

/** A minimal beacon (no FCS): SSID, rates, DS parameter set. */
export function beaconFrame(seq: number, channel = 6, ssid = 'airstack', bssid = TEST_BSSID): Uint8Array {
  const s = Buffer.from(ssid);
  return Uint8Array.from([
    0x80,
    0x00,
    0x00,
    0x00,
    ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ...bssid,
    ...bssid,
    (seq << 4) & 0xff,
    (seq >> 4) & 0xff,
    ...new Array(8).fill(0),
    100,
    0,
    0x11,
    0x04,
    0,
    s.length,
    ...s,
    1,
    4,
    0x82,
    0x84,
    0x8b,
    0x96,
    3,
    1,
    channel,
  ]);
}

/** An access point radio on `channel` of the world's air that beacons every 102.4 ms; returns a stop function. */
export function beaconingAp(w: World, channel: number, rssiDbm = -55): { ap: TestRadio; stop: () => void } {
  if (!w.air || !w.radio) throw new Error('the world has no air');
  const ap = w.air.radio('ap');
  ap.tune({ band: '2g', number: channel });
  w.air.setLink(ap, w.radio, { rssiDbm, snrDb: 35 });
  let seq = 0;
  const tbtt = w.clock.timer(() => {
    ap.transmit(beaconFrame(seq++, channel), { mode: 'cck', mbps: 1 }, { noAck: true, retryLimit: 0 }, () => {});
    tbtt.mod(102.4);
  });
  tbtt.mod(1);
  return { ap, stop: () => tbtt.cancel() };
}

/** The station interface the tests add: BSS 0, own MAC 0, WLAN index 19 for its own entry. */
export function stationVif(device: Mt7921uDevice): Mt76Vif {
  return {
    type: 'station',
    addr: device.caps!.macAddr!,
    bssIdx: 0,
    omacIdx: 0,
    bandIdx: 0,
    wmmIdx: 0,
    wcid: 19,
    scanSeqNum: 0,
  };
}

/** The station record of the test AP as the peer (WLAN index 1), associated, 2.4 GHz, legacy + WMM. */
export function apPeerRecord(rcpi = 120): StaRecInfo {
  return {
    bssIdx: 0,
    omacIdx: 0,
    vifType: 'station',
    vifAid: 1,
    bssid: TEST_BSSID,
    basicRates: 0xf,
    band: '2g',
    wcid: 1,
    enable: true,
    state: StaInfoState.ASSOC,
    rcpi,
    sta: { addr: TEST_BSSID, aid: 0, wme: true, maxAmsduLen: 0, suppRates: 0xfff, bandwidth: 0, rxNss: 1 },
  };
}

/**
 * `airstack demo` on an MT7921U: the real dongle against a real access point, or the emulated chip on the mock
 * PHY next to the simulated AP. One implementation for both (and for the hardware-in-the-loop tests, which call
 * `runDongleDemo` with the settings of their environment):
 *
 *   open the device (dongle.ts: a dongle when attached, else the emulator; --usb-trace wraps it) → bring-up with
 *   the progress bar (firmware download, MCU, MAC init) → a station node on the mt7921u driver (mac80211, the
 *   station MLME, a netstack Stack) → the station's story (mac80211/world/scenario.ts): scan, connect, DHCP, DNS,
 *   ping the gateway, HTTP GET → the report of issue 4 item 8 with issue 5's `driver` and `firmware`.
 *
 * The emulated world is the one of `--device hwsim` (mac80211/world/demo.ts): the WPA2 AP "airstack" with DHCP,
 * DNS and a file over HTTP, and an open neighbour; everything deterministic for a seed, in virtual time (so
 * `firmware.downloadMs` is virtual time too). On a real dongle the clock is real, nothing is simulated, and the
 * network is the person's: `ssid` (absent: bring-up and scan only), `passphrase` (absent: an open network), `url`
 * (default http://<gateway>/).
 */
import type { Mt7921uDevice } from '../../drivers/mt7921u/device.ts';
import type { EmulatedMt7921u } from '../../drivers/mt7921u/emulator/index.ts';
import { EmulatorRadioAdapter } from '../../drivers/hwsim/emulator-radio.ts';
import { Mt7921uHw } from '../../drivers/mt7921u/ops.ts';
import { macToString } from '../../mac80211/addr.ts';
import {
  buildDemoWorld,
  closeDemoWorld,
  DEMO_PASSPHRASE,
  DEMO_SSID,
  type DemoWorld,
  demoCounters,
  demoScenario,
  demoWorldLines,
  endDemo,
  stationLine,
} from '../../mac80211/world/demo.ts';
import {
  counterLines,
  ms,
  runStationScenario,
  type ScenarioFailure,
  type ScenarioReport,
  type ScenarioStep,
  type StationScenarioOptions,
  stationCounters,
} from '../../mac80211/world/scenario.ts';
import { type StationNode, World } from '../../mac80211/world/world.ts';
import { FileSink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import {
  bringUp,
  type DongleKind,
  type DriverFirmware,
  driverReport,
  firmwareReport,
  loadDriverFirmware,
  type OpenedDongle,
  openDongleForCli,
} from './dongle.ts';
import { UsageError } from './errors.ts';

/**
 * Faults the emulated dongle can be given during the demo (`--fault`), to show the recovery paths:
 *  - 'mcu-reply': the reply to the first MCU command of the connection is lost → MCU timeout → the driver's full
 *    reset (WFSYS reset, firmware again) → mac80211 reprograms the chip → the station connects on its next try;
 *  - 'unplug': the dongle is pulled out 10 ms into the HTTP download → every transfer fails → the step ends with
 *    "the MT7921U went away", exit 1.
 */
export const DEMO_FAULTS = ['mcu-reply', 'unplug'] as const;
export type DemoFault = (typeof DEMO_FAULTS)[number];

/** The emulated dongle's MAC address: the hwsim demo's station address, so both worlds lease the same IP. */
export const EMULATED_MAC = Uint8Array.of(0x02, 0, 0, 0, 0x02, 0);

export interface DongleDemoOptions {
  /** 'usb' | 'emulated'; absent: a dongle when one is attached, else the emulator. */
  device?: DongleKind;
  seed: number;
  /** The emulated world's loss per frame and try. */
  loss: number;
  count: number;
  /** --json: no progress bar. */
  json?: boolean;
  pcap?: string;
  usbTrace?: string;
  /** Emulated: the simulated AP's name (default "airstack"). Dongle: the network to join (absent: scan only). */
  ssid?: string;
  /** Emulated: default the simulated AP's. Dongle: absent for an open network. */
  passphrase?: string;
  /** Dongle: what to GET (default http://<gateway>/); emulated: the simulated AP's file. */
  url?: string;
  /** Emulated: bytes of the file served (default 1 MiB). */
  fileBytes?: number;
  /** Step-by-step lines (nothing when absent). */
  out?: (line: string) => void;
  /** Where the firmware is looked for (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The firmware (default: loadDriverFirmware — real images when found, synthetic for the emulator). */
  firmware?: DriverFirmware;
  /**
   * The device and the world instead of the defaults (tests: an emulated dongle next to a simulated AP on a world
   * of their making, running the dongle's path). Called with the firmware chosen.
   */
  open?: (fw: DriverFirmware) => Promise<{ dongle: OpenedDongle; world: World }>;
  /** A fault for the emulated dongle (refused on a real one). */
  fault?: DemoFault;
  /** Told which device was opened, before anything runs on it; may throw to refuse it (it is closed then). */
  onDevice?: (kind: DongleKind) => void;
  /** Told when the device is up (fault injection in tests). */
  onReady?: (r: { device: Mt7921uDevice; emulator: EmulatedMt7921u | null; world: World }) => void;
  /** Told when a step of the story begins. */
  onStep?: (step: ScenarioStep) => void;
}

export interface DongleDemoReport extends ScenarioReport {
  device: DongleKind;
  /** issue 5: {chip, rev, usb: {vid, pid}}. */
  driver: ReturnType<typeof driverReport>;
  /** issue 5: {source, patch: {build, bytes}, ram: {version, build, bytes, regions}, downloadMs}. */
  firmware: ReturnType<typeof firmwareReport>;
  counters: Record<string, unknown>;
}

export type DongleDemoFailure = ScenarioFailure | 'bring-up';

export interface DongleDemoResult {
  kind: DongleKind;
  /** The line saying which device was used. */
  line: string;
  report: DongleDemoReport;
  ok: boolean;
  failure: { step: DongleDemoFailure; message: string } | null;
  /** On the emulator: the simulated AP's passphrase (for the message of a rejected one). */
  simulatedPassphrase: string | null;
  /** The clock's time at the end (virtual time on the emulator). */
  clockMs: number;
  wallTimeMs: number;
}

export async function runDongleDemo(o: DongleDemoOptions): Promise<DongleDemoResult> {
  const out = o.out ?? (() => {});
  const wallStart = performance.now();
  // Synthetic images only ever reach the emulator: openDongleForCli refuses them for a dongle, once it knows
  // that there is one (so "no dongle" is said before "no firmware").
  const fw = o.firmware ?? loadDriverFirmware({ allowSynthetic: true, env: o.env });
  const ssid = o.ssid ?? DEMO_SSID;
  let demo: DemoWorld | null = null;
  let dongle: OpenedDongle;
  let w: World;
  if (o.open) {
    ({ dongle, world: w } = await o.open(fw));
  } else {
    dongle = await openDongleForCli({
      device: o.device,
      firmware: fw,
      usbTrace: o.usbTrace,
      seed: o.seed,
      emulator: async () => {
        demo = await buildDemoWorld({ seed: o.seed, loss: o.loss, ssid, fileBytes: o.fileBytes, pcap: o.pcap });
        const port = demo.w.medium.attach(EMULATED_MAC, { name: 'sta-phy' });
        return { clock: demo.w.virtual!, radio: new EmulatorRadioAdapter(port), macAddress: EMULATED_MAC };
      },
    });
    w = (demo as DemoWorld | null)?.w ?? new World({ clock: dongle.clock, seed: o.seed });
  }
  const d = demo as DemoWorld | null;
  try {
    o.onDevice?.(dongle.kind);
    if (o.fault !== undefined && dongle.emulator === null) {
      throw new UsageError(`--fault ${o.fault} is for the emulated MT7921U (--device emulated)`);
    }
  } catch (e) {
    if (d !== null) closeDemoWorld(d);
    await dongle.transport.close();
    throw e;
  }
  let writer: PcapngWriter | null = null;
  if (d === null && o.pcap !== undefined) {
    writer = new PcapngWriter(new FileSink(o.pcap));
    w.capture(writer, { air: false }); // the station's Ethernet view: the air is not ours to see
  }
  const simulated = d !== null;

  out(dongle.line);
  if (d !== null)
    for (const l of demoWorldLines(d, { seed: o.seed, loss: o.loss, ssid, what: 'the emulated MT7921U' })) out(l);
  else {
    out(
      o.ssid === undefined
        ? 'airstack demo: bring the MT7921U up and scan (name a network with --ssid to join it), in real time'
        : `airstack demo: the MT7921U joins "${o.ssid}", gets an address, pings the gateway and fetches a URL, in real time`,
    );
  }

  // 0. Bring-up
  out('');
  out(
    `0. Bring-up: ${dongle.transport.info.description}; firmware ${
      fw.paths ? `${fw.paths.patch}, ${fw.paths.ram}` : 'synthetic images (no MT7961 firmware found on disk)'
    }`,
  );
  let device: Mt7921uDevice | null = null;
  let sta: StationNode | null = null;
  let failure: DongleDemoResult['failure'] = null;
  try {
    sta = await w.addStation({
      name: 'sta',
      addr: 'driver',
      driver: async (ctx) => {
        const dv = await bringUp(dongle, fw, { json: o.json, device: { core: ctx.core } });
        device = dv;
        const hw = new Mt7921uHw(dv);
        // Say so when the driver resets the chip (mt792x_reset after an MCU timeout), then let mac80211 know.
        const restart = dv.onRestart;
        dv.onRestart = (err) => {
          const when = ((w.clock.now() - w.t0) / 1000).toFixed(3);
          out(
            err === null
              ? `   ${when}  mt7921u: chip reset #${dv.resets} done (${dv.mcu.stats.timeouts} MCU timeout(s) so far): firmware downloaded again; mac80211 reprograms it`
              : `   ${when}  mt7921u: chip reset failed: ${err.message}`,
          );
          restart?.(err);
        };
        return hw;
      },
    });
  } catch (e) {
    failure = { step: 'bring-up', message: (e as Error).message };
    out(`   FAILED: ${failure.message}`);
  }
  const dev = device as Mt7921uDevice | null;
  if (dev !== null && sta !== null) {
    const f = firmwareReport(fw, dev);
    const dr = driverReport(dev, dongle.transport);
    const bytes = (dev.download?.patchBytes ?? 0) + (dev.download?.ramBytes ?? 0);
    out(`   chip ${dr.chip} rev ${dr.rev}, usb ${dr.usb.vid}:${dr.usb.pid}, MAC ${macToString(sta.sdata.addr)}`);
    out(
      `   ROM patch build ${f.patch.build}, RAM code ${f.ram.version} build ${f.ram.build} (${f.ram.regions} regions)`,
    );
    out(
      `   downloaded ${bytes} bytes in ${ms(f.downloadMs ?? 0)}${simulated ? ' of virtual time' : ''}, ${dev.initAttempts} attempt(s)`,
    );
    out(stationLine(sta));
    o.onReady?.({ device: dev, emulator: dongle.emulator, world: w });
  }

  let report: ScenarioReport = { scan: [], link: null, dhcp: null, dns: null, ping: null, http: null };
  if (failure === null && sta !== null) {
    // A device that goes away ends the step under way at once, with a message, rather than at a protocol timeout.
    const gone = new AbortController();
    const unlisten = dongle.transport.onRemoved((err) =>
      gone.abort(new Error(`the MT7921U went away (${err.message})`)),
    );
    const scenario: StationScenarioOptions =
      d !== null
        ? demoScenario(d, { ssid, passphrase: o.passphrase ?? DEMO_PASSPHRASE, count: o.count, out })
        : { ssid: o.ssid ?? null, passphrase: o.passphrase, count: o.count, url: o.url, out };
    const emu = dongle.emulator;
    const onStep = (step: ScenarioStep) => {
      if (emu !== null && o.fault === 'mcu-reply' && step === 'connect') emu.faults.dropReplies(1);
      if (emu !== null && o.fault === 'unplug' && step === 'http') w.clock.setTimeout(() => emu.unplug(), 10);
      o.onStep?.(step);
    };
    const r = await runStationScenario(w, sta, { ...scenario, signal: gone.signal, onStep });
    unlisten();
    report = r.report;
    failure = r.failure;
    if (o.ssid === undefined && d === null && failure === null) {
      out('');
      out('to join a network: --ssid NAME [--passphrase P] [--url http://…] (default: the gateway’s web page)');
    }
  }

  // The end: radio off (on the real dongle, politely), device closed, trace and capture files complete.
  let stopped = false;
  if (sta !== null && !dongle.transport.removed) {
    // The simulated world keeps its AP's counters as they are; any other world stops everything it runs (radio,
    // MLME, services, timers), so that on a real clock the process can exit.
    if (d !== null) await w.settle(sta.local.stop(), 10_000).catch(() => {});
    else
      stopped = await w.settle(w.stop(), 10_000).then(
        () => true,
        () => false,
      );
  }
  dev?.close();
  if (d !== null) closeDemoWorld(d);
  else if (!stopped) w.close();
  writer?.close();
  await dongle.transport.close();

  const counters: Record<string, unknown> =
    sta === null ? {} : d !== null ? demoCounters(d, sta) : { station: stationCounters(sta) };
  if (dev !== null) counters.driver = driverCounters(dev, sta?.ops as Mt7921uHw | undefined);
  if (dongle.emulator !== null) counters.emulator = emulatorCounters(dongle.emulator);
  const full: DongleDemoReport = {
    device: dongle.kind,
    driver: driverReport(dev, dongle.transport),
    firmware: firmwareReport(fw, dev),
    ...report,
    counters,
  };
  let wallTimeMs: number;
  if (d !== null && sta !== null) wallTimeMs = endDemo(d, sta, { pcap: o.pcap, wallStart }, out);
  else {
    wallTimeMs = performance.now() - wallStart;
    if (sta !== null) {
      out('');
      out('7. Counters (station)');
      for (const line of counterLines(sta, null)) out(`   ${line}`);
    }
    out('');
    out(`${ms(wallTimeMs)} of wall time${o.pcap ? `; the station's Ethernet view written to ${o.pcap}` : ''}`);
  }
  if (o.usbTrace !== undefined) out(`USB trace written to ${o.usbTrace}`);
  return {
    kind: dongle.kind,
    line: dongle.line,
    report: full,
    ok: failure === null,
    failure,
    simulatedPassphrase: d !== null ? DEMO_PASSPHRASE : null,
    clockMs: w.clock.now(),
    wallTimeMs,
  };
}

function driverCounters(dev: Mt7921uDevice, hw: Mt7921uHw | undefined): Record<string, unknown> {
  return {
    state: dev.state,
    initAttempts: dev.initAttempts,
    resets: dev.resets,
    mcu: { ...dev.mcu.stats },
    tx: { ...dev.txStats },
    rxDispatch: { ...dev.dispatch.stats },
    rxReader: { ...dev.rx.stats },
    ops: hw ? { ...hw.stats } : null,
  };
}

function emulatorCounters(emu: EmulatedMt7921u): Record<string, unknown> {
  const { drops, ...rest } = emu.counters;
  return { ...rest, drops: { ...drops } };
}

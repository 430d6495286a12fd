/**
 * The Wi-Fi demo scenario (`airstack demo --device hwsim`, and the benchmark of its wall time): in a World on the
 * mock PHY — a WPA2 access point whose host runs DHCP, DNS and HTTP, a neighbouring open network, and a station —
 * the station scans, connects with WPA2, asks DHCP for an address, resolves a name, pings the gateway and
 * downloads a file over HTTP. Each step is told as it happens (`out`), and the whole run is summed up in the
 * report of issue 4 item 8: { device, scan, link, dhcp, dns, ping, http, counters }.
 */
import { macToString } from '../addr.ts';
import { FileSink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import {
  apCounters,
  counterLines,
  ms,
  runStationScenario,
  type ScenarioFailure,
  type ScenarioReport,
  type StationScenarioOptions,
  stationCounters,
} from './scenario.ts';
import { FILE_HOST } from './services.ts';
import { type ApNode, type StationNode, type StationOptions, World } from './world.ts';

/** The simulated AP's passphrase: a different --passphrase shows how a rejected passphrase is reported. */
export const DEMO_PASSPHRASE = 'correct horse battery staple';
export const DEMO_SSID = 'airstack';
export const DEMO_CHANNEL = 6;

export interface WifiDemoOptions {
  seed: number;
  /** Probability that a frame is lost on each link, each try. */
  loss: number;
  /** The network the station joins (the simulated AP takes this name). */
  ssid: string;
  /** The station's passphrase (the AP's is DEMO_PASSPHRASE). */
  passphrase: string;
  /** Pings to the gateway. */
  count: number;
  /** Bytes of the file downloaded over HTTP. */
  fileBytes?: number;
  pcap?: string;
  /** Step-by-step lines (nothing when absent). */
  out?: (line: string) => void;
  /**
   * The station's driver when it is not the hwsim virtual radio (e.g. emulatedMt7921u() from ./emulated.ts),
   * and the name the report gives it.
   */
  station?: { device: string; driver: StationOptions['driver'] };
}

export interface WifiDemoReport extends ScenarioReport {
  /** 'hwsim', or the station driver's name. */
  device: string;
  counters: Record<string, unknown>;
}

export type WifiDemoFailure = ScenarioFailure;

export interface WifiDemoResult {
  report: WifiDemoReport;
  ok: boolean;
  /** The first step that failed, and why. */
  failure: { step: WifiDemoFailure; message: string } | null;
  virtualTimeMs: number;
  wallTimeMs: number;
}

/** The simulated network of the demo: the WPA2 AP with its services, and an open neighbour to scan. */
export interface DemoWorld {
  w: World;
  ap: ApNode;
  writer: PcapngWriter | null;
}

export async function buildDemoWorld(o: {
  seed: number;
  loss: number;
  ssid: string;
  fileBytes?: number;
  pcap?: string;
}): Promise<DemoWorld> {
  const w = new World({ seed: o.seed, link: { loss: o.loss } });
  let writer: PcapngWriter | null = null;
  if (o.pcap !== undefined) {
    writer = new PcapngWriter(new FileSink(o.pcap));
    w.capture(writer);
  }
  const ap = await w.addAp({
    ssid: o.ssid,
    passphrase: DEMO_PASSPHRASE,
    channel: DEMO_CHANNEL,
    services: { fileBytes: o.fileBytes ?? 1 << 20 },
  });
  // A neighbour, for a scan worth reading: an open guest network on 5 GHz.
  await w.addAp({ name: 'guest', ssid: `${o.ssid}-guest`, channel: 36, services: false });
  return { w, ap, writer };
}

/** The first lines of the demo: the world, and who is in it. */
export function demoWorldLines(d: DemoWorld, o: { seed: number; loss: number; ssid: string; what: string }): string[] {
  const pct = (o.loss * 100).toFixed(o.loss * 100 < 1 && o.loss > 0 ? 1 : 0);
  return [
    `airstack demo: ${o.what} joins a WPA2 access point on the simulated radio (hwsim), in virtual time`,
    `  seed ${o.seed}, loss ${pct}% per frame and try on every link`,
    `  ap   ${d.ap.radio.name.padEnd(9)} ${macToString(d.ap.sdata.addr)}  "${o.ssid}" on channel ${DEMO_CHANNEL}, WPA2-PSK (CCMP); host ${d.ap.ip}: DHCP, DNS, HTTP`,
  ];
}

export function stationLine(sta: StationNode): string {
  return `  sta  ${(sta.radio?.name ?? sta.local.name).padEnd(9)} ${macToString(sta.sdata.addr)}`;
}

/** The station's story in the demo world: join the AP with `passphrase`, resolve the file's host, fetch the file. */
export function demoScenario(
  d: DemoWorld,
  o: { ssid: string; passphrase: string; count: number; out?: (l: string) => void },
): StationScenarioOptions {
  const svc = d.ap.services!;
  return {
    ssid: o.ssid,
    passphrase: o.passphrase,
    count: o.count,
    url: svc.url,
    resolve: `${FILE_HOST}.${svc.domain}`,
    expectedSha256: svc.fileSha256,
    out: o.out,
  };
}

/** The report's counters: the medium, the station and the AP. */
export function demoCounters(d: DemoWorld, sta: StationNode): Record<string, unknown> {
  return {
    virtualTimeMs: d.w.clock.now(),
    medium: { ...d.w.medium.counters },
    station: stationCounters(sta),
    ap: apCounters(d.ap),
  };
}

/** Stop the world's services and close the capture. */
export function closeDemoWorld(d: DemoWorld): void {
  d.w.close();
  d.writer?.close();
}

/** The demo's last lines: the counters and the time taken (returned). */
export function endDemo(
  d: DemoWorld,
  sta: StationNode,
  o: { pcap?: string; wallStart: number },
  out: (l: string) => void,
): number {
  const wallTimeMs = performance.now() - o.wallStart;
  out('');
  out(`7. Counters (station / AP)`);
  for (const line of counterLines(sta, d.ap)) out(`   ${line}`);
  out('');
  out(
    `virtual time ${(d.w.clock.now() / 1000).toFixed(1)} s in ${ms(wallTimeMs)} of wall time` +
      (o.pcap ? `; capture (radiotap + the station's Ethernet view) written to ${o.pcap}` : ''),
  );
  return wallTimeMs;
}

export async function runWifiDemo(o: WifiDemoOptions): Promise<WifiDemoResult> {
  const out = o.out ?? (() => {});
  const wallStart = performance.now();
  const d = await buildDemoWorld(o);
  const sta = await d.w.addStation({ driver: o.station?.driver });
  const what = o.station ? `the ${o.station.device} station` : 'a Wi-Fi station';
  for (const l of demoWorldLines(d, { ...o, what })) out(l);
  out(stationLine(sta));
  const r = await runStationScenario(d.w, sta, demoScenario(d, { ...o, out }));
  closeDemoWorld(d);
  const report: WifiDemoReport = { device: o.station?.device ?? 'hwsim', ...r.report, counters: demoCounters(d, sta) };
  const wallTimeMs = endDemo(d, sta, { pcap: o.pcap, wallStart }, out);
  return { report, ok: r.failure === null, failure: r.failure, virtualTimeMs: d.w.clock.now(), wallTimeMs };
}

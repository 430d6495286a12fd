/**
 * The Wi-Fi demo scenario (`airstack demo --device hwsim`, and the benchmark of its wall time): in a World on the
 * mock PHY — a WPA2 access point whose host runs DHCP, DNS and HTTP, a neighbouring open network, and a station —
 * the station scans, connects with WPA2, asks DHCP for an address, resolves a name, pings the gateway and
 * downloads a file over HTTP. Each step is told as it happens (`out`), and the whole run is summed up in the
 * report of issue 4 item 8: { device, scan, link, dhcp, dns, ping, http, counters }.
 */
import { formatIpv4 } from '../../netstack/inet/addr.ts';
import { FileSink, PcapngWriter } from '../../netstack/pcap/pcapng-writer.ts';
import type { Ieee80211Local } from '../local.ts';
import { dot11Counters, nonZero } from '../stats.ts';
import { scanResultLine } from '../sta/bss.ts';
import { WrongPassphraseError } from '../sta/mlme.ts';
import { akmName, cipherSuiteName } from '../sta/security.ts';
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

export interface WifiDemoReport {
  /** 'hwsim', or the station driver's name. */
  device: string;
  scan: {
    bssid: string;
    ssid: string;
    channel: number;
    freq: number;
    signal: number;
    akm: string;
    ciphers: string[];
  }[];
  link: {
    bssid: string;
    ssid: string;
    freq: number;
    signal: number;
    akm: string;
    pairwiseCipher: string;
    groupCipher: string;
  } | null;
  dhcp: { address: string; gateway: string | null; dns: string[]; leaseSeconds: number } | null;
  dns: { name: string; addresses: string[] } | null;
  ping: { transmitted: number; received: number; rttMs: { min: number; avg: number; max: number } } | null;
  http: { url: string; status: number; bytes: number; sha256: string; expectedSha256: string } | null;
  counters: Record<string, unknown>;
}

export type WifiDemoFailure = 'wrong-passphrase' | 'connect' | 'dhcp' | 'dns' | 'ping' | 'http';

export interface WifiDemoResult {
  report: WifiDemoReport;
  ok: boolean;
  /** The first step that failed, and why. */
  failure: { step: WifiDemoFailure; message: string } | null;
  virtualTimeMs: number;
  wallTimeMs: number;
}

const CONNECT_TIMEOUT_MS = 60_000;

function ms(x: number): string {
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

export async function runWifiDemo(o: WifiDemoOptions): Promise<WifiDemoResult> {
  const out = o.out ?? (() => {});
  const wallStart = performance.now();
  const w = new World({ seed: o.seed, link: { loss: o.loss } });
  let writer: PcapngWriter | null = null;
  if (o.pcap !== undefined) {
    writer = new PcapngWriter(new FileSink(o.pcap));
    w.capture(writer);
  }
  const report: WifiDemoReport = {
    device: o.station?.device ?? 'hwsim',
    scan: [],
    link: null,
    dhcp: null,
    dns: null,
    ping: null,
    http: null,
    counters: {},
  };
  let failure: WifiDemoResult['failure'] = null;
  const fail = (step: WifiDemoFailure, message: string) => {
    failure = { step, message };
    out(`   FAILED: ${message}`);
  };

  const ap = await w.addAp({
    ssid: o.ssid,
    passphrase: DEMO_PASSPHRASE,
    channel: DEMO_CHANNEL,
    services: { fileBytes: o.fileBytes ?? 1 << 20 },
  });
  // A neighbour, for a scan worth reading: an open guest network on 5 GHz.
  await w.addAp({ name: 'guest', ssid: `${o.ssid}-guest`, channel: 36, services: false });
  const sta = await w.addStation({ driver: o.station?.driver });
  const svc = ap.services!;

  const what = o.station ? `the ${o.station.device} station` : 'a Wi-Fi station';
  out(`airstack demo: ${what} joins a WPA2 access point on the simulated radio (hwsim), in virtual time`);
  out(
    `  seed ${o.seed}, loss ${(o.loss * 100).toFixed(o.loss * 100 < 1 && o.loss > 0 ? 1 : 0)}% per frame and try on every link`,
  );
  out(
    `  ap   ${ap.radio.name.padEnd(9)} ${fmtMac(ap.sdata.addr)}  "${o.ssid}" on channel ${DEMO_CHANNEL}, WPA2-PSK (CCMP); host ${ap.ip}: DHCP, DNS, HTTP`,
  );
  out(`  sta  ${(sta.radio?.name ?? sta.local.name).padEnd(9)} ${fmtMac(sta.sdata.addr)}`);
  sta.mlme.on('line', (l: string) => out(`   ${(w.clock.now() / 1000).toFixed(3)}  ${l}`));

  // 1. Scan
  out('');
  const bands = sta.local.caps.bands.map((b) => ({ '2g': '2.4', '5g': '5', '6g': '6' })[b.band]).join(', ');
  out(`1. Scan: every channel of ${bands} GHz (active where allowed, passive where not)`);
  const t0 = w.clock.now();
  const bsses = await w.settle(sta.mlme.scan());
  out(`   ${bsses.length} BSS in ${ms(w.clock.now() - t0)}:`);
  out('   bssid / frequency / signal level / flags / ssid');
  for (const b of bsses) out(`   ${scanResultLine(b).replace(/\t/g, '  ')}`);
  report.scan = bsses.map((b) => ({
    bssid: b.bssidStr,
    ssid: b.ssidDisplay,
    channel: b.channel,
    freq: b.freq,
    signal: b.signal,
    akm: b.security.akms.length ? b.security.akms.map(akmName).join('+') : 'NONE',
    ciphers: b.security.pairwise.map(cipherSuiteName),
  }));

  // 2. Connect
  out('');
  out(`2. Connect to "${o.ssid}" with WPA2-PSK`);
  const t1 = w.clock.now();
  try {
    const l = await w.settle(
      sta.connect({ ssid: o.ssid, passphrase: o.passphrase }, { timeoutMs: CONNECT_TIMEOUT_MS, address: 'none' }),
    );
    report.link = {
      bssid: l.bssid,
      ssid: l.ssid,
      freq: l.freq,
      signal: l.signal,
      akm: l.akm,
      pairwiseCipher: l.pairwiseCipher,
      groupCipher: l.groupCipher,
    };
    out(
      `   connected in ${ms(w.clock.now() - t1)}: AID ${l.aid}, ${l.keyMgmt}, ${l.pairwiseCipher}/${l.groupCipher}, signal ${l.signal} dBm`,
    );
  } catch (e) {
    await w.settle(sta.mlme.disconnect());
    if (e instanceof WrongPassphraseError) {
      fail('wrong-passphrase', e.message);
    } else fail('connect', (e as Error).message);
  }

  // 3. DHCP
  if (failure === null) {
    out('');
    out('3. DHCP: DISCOVER, OFFER, REQUEST, ACK, then ARP probes for the address (RFC 5227)');
    const t = w.clock.now();
    try {
      const lease = await w.settle(
        sta.dhcp(60_000, (c) =>
          c.on('state', (s: string) => out(`   ${(w.clock.now() / 1000).toFixed(3)}  DHCP ${s}`)),
        ),
      );
      report.dhcp = {
        address: formatIpv4(lease.address),
        gateway: lease.routers.length ? formatIpv4(lease.routers[0]!) : null,
        dns: lease.dns.map(formatIpv4),
        leaseSeconds: lease.leaseTime,
      };
      const d = report.dhcp;
      out(
        `   ${d.address}/${lease.prefixLen}, gateway ${d.gateway}, DNS ${d.dns.join(', ')}, lease ${d.leaseSeconds} s (${ms(w.clock.now() - t)})`,
      );
    } catch (e) {
      fail('dhcp', (e as Error).message);
    }
  }

  // 4. DNS
  const name = `${FILE_HOST}.${svc.domain}`;
  if (failure === null) {
    out('');
    out(`4. DNS: resolve ${name} through the server the lease named`);
    const t = w.clock.now();
    try {
      const addresses = await w.settle(sta.resolver.resolve4(name));
      report.dns = { name, addresses };
      out(`   ${name} is ${addresses.join(', ')} (${ms(w.clock.now() - t)})`);
    } catch (e) {
      fail('dns', `${name}: ${(e as Error).message}`);
    }
  }

  // 5. Ping
  if (failure === null && report.dhcp?.gateway) {
    const gw = report.dhcp.gateway;
    out('');
    out(`5. ping ${gw} (the gateway): ${o.count} × 56 bytes, 200 ms apart`);
    const r = await w.settle(
      sta.stack.ping(gw, {
        count: o.count,
        interval: 200,
        timeout: 1000,
        onReply: (x) => out(`   ${x.bytes} bytes from ${x.from}: icmp_seq=${x.seq} ttl=${x.ttl} time=${ms(x.rtt)}`),
      }),
    );
    const us = (x: number) => Math.round(x * 1000) / 1000;
    report.ping = {
      transmitted: r.transmitted,
      received: r.received,
      rttMs: { min: us(r.min), avg: us(r.avg), max: us(r.max) },
    };
    out(
      `   ${r.transmitted} transmitted, ${r.received} received` +
        (r.received ? `, rtt min/avg/max = ${[r.min, r.avg, r.max].map((x) => x.toFixed(3)).join('/')} ms` : ''),
    );
    if (r.received === 0) fail('ping', `no reply from ${gw}`);
  }

  // 6. HTTP
  if (failure === null) {
    out('');
    out(`6. HTTP: GET ${svc.url} over TCP`);
    const t = w.clock.now();
    try {
      const r = await w.settle(sta.get(svc.url));
      const dt = w.clock.now() - t;
      report.http = { ...r, expectedSha256: svc.fileSha256 };
      const same = r.sha256 === svc.fileSha256;
      out(
        `   ${r.status}, ${r.bytes} bytes in ${ms(dt)} (${((r.bytes * 8) / dt / 1000).toFixed(1)} Mbit/s of virtual time)`,
      );
      out(
        `   sha256 ${r.sha256} ${same ? 'matches the file served' : `DIFFERS from the file served (${svc.fileSha256})`}`,
      );
      if (r.status !== 200 || !same) fail('http', `download of ${svc.url} is not the file served`);
    } catch (e) {
      fail('http', (e as Error).message);
    }
  }

  if (failure === null) {
    sta.mlme.removeAllListeners('line');
    await w.settle(sta.mlme.disconnect());
    await w.sleep(20);
  }
  w.close();
  writer?.close();
  report.counters = counters(w, ap, sta);
  const wallTimeMs = performance.now() - wallStart;
  out('');
  out(`7. Counters (station / AP)`);
  for (const line of counterLines(ap, sta)) out(`   ${line}`);
  out('');
  out(
    `virtual time ${(w.clock.now() / 1000).toFixed(1)} s in ${ms(wallTimeMs)} of wall time` +
      (o.pcap ? `; capture (radiotap + the station's Ethernet view) written to ${o.pcap}` : ''),
  );
  return { report, ok: failure === null, failure, virtualTimeMs: w.clock.now(), wallTimeMs };
}

function fmtMac(a: Uint8Array): string {
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join(':');
}

function macCounters(l: Ieee80211Local): Record<string, unknown> {
  const { drop: rxDrop, ...rx } = l.rxStats;
  const { drop: txDrop, ...tx } = l.txStats;
  return {
    rx: { ...rx, drop: nonZero(rxDrop) },
    tx: { ...tx, drop: nonZero(txDrop) },
    dot11: dot11Counters(l.rxStats, l.txStats),
  };
}

function counters(w: World, ap: ApNode, sta: StationNode): Record<string, unknown> {
  const snmp = (n: ApNode | StationNode) => {
    const s = n.stack.snmp();
    return { Ip: s.Ip, Icmp: s.Icmp, Udp: s.Udp, Tcp: s.Tcp, Arp: s.Arp };
  };
  return {
    virtualTimeMs: w.clock.now(),
    medium: { ...w.medium.counters },
    station: {
      mlme: { ...sta.mlme.counters },
      scan: { ...sta.mlme.scanner.counters },
      connMonitor: { ...sta.mlme.monitor.counters },
      mac80211: macCounters(sta.local),
      radio: sta.radio ? { ...sta.radio.counters } : null,
      snmp: snmp(sta),
      resolver: { ...sta.resolver.counters },
    },
    ap: {
      ap: { ...ap.ap.counters },
      authenticator: ap.ap.authenticator ? { ...ap.ap.authenticator.counters } : null,
      mac80211: macCounters(ap.local),
      radio: { ...ap.radio.counters },
      snmp: snmp(ap),
      dhcpServer: ap.services ? { ...ap.services.dhcp.counters } : null,
      dnsServer: ap.services ? { ...ap.services.dns.counters } : null,
      httpRequests: ap.services?.requests ?? 0,
    },
  };
}

function counterLines(ap: ApNode, sta: StationNode): string[] {
  const tcp = (n: ApNode | StationNode, k: string) => (n.stack.snmp().Tcp as Record<string, number> | undefined)?.[k];
  const rows: [string, (n: ApNode | StationNode) => number | undefined][] = [
    ['802.11 frames received', (n) => n.local.rxStats.frames],
    ['802.11 data frames sent', (n) => n.local.txStats.frames],
    ['802.11 management frames sent', (n) => n.local.txStats.mgmt],
    ['CCMP-encrypted in software', (n) => n.local.txStats.swEncrypted],
    ['CCMP-encrypted in hardware', (n) => n.local.txStats.hwEncrypted],
    ['CCMP-decrypted in software', (n) => n.local.rxStats.swDecrypted],
    ['CCMP-decrypted in hardware', (n) => n.local.rxStats.hwDecrypted],
    ['MSDUs delivered to the stack', (n) => n.local.rxStats.delivered],
    ['802.11 RX drops (all reasons)', (n) => n.local.rxStats.dropped],
    ['retransmissions on air', (n) => n.radio?.port.counters.txRetries],
    ['Ip InReceives', (n) => n.stack.snmp().Ip.InReceives],
    ['Ip OutRequests', (n) => n.stack.snmp().Ip.OutRequests],
    ['Tcp InSegs', (n) => tcp(n, 'InSegs')],
    ['Tcp OutSegs', (n) => tcp(n, 'OutSegs')],
    ['Tcp RetransSegs', (n) => tcp(n, 'RetransSegs')],
  ];
  const lines = [`${'counter'.padEnd(34)}${'station'.padStart(10)}${'AP'.padStart(10)}`];
  for (const [label, f] of rows)
    lines.push(`${label.padEnd(34)}${String(f(sta) ?? '-').padStart(10)}${String(f(ap) ?? '-').padStart(10)}`);
  return lines;
}

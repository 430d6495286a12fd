/**
 * The station's story of `airstack demo`, told the same way whatever the device and whatever the network: scan,
 * connect (WPA2-PSK, or open), DHCP, resolve a name, ping the gateway, GET a URL over TCP, disconnect. The
 * simulated world (demo.ts: the hwsim radio or the emulated MT7921U next to a simulated AP) and a real dongle
 * against a real AP (tools/cli/dongle-demo.ts, and the hardware-in-the-loop tests) run this one function; only
 * what surrounds it differs. Each step is told as it happens (`out`) and summed up in the report of issue 4 item 8.
 */
import { formatIpv4 } from '../../netstack/inet/addr.ts';
import type { Ieee80211Local } from '../local.ts';
import { dot11Counters, nonZero } from '../stats.ts';
import { scanResultLine } from '../sta/bss.ts';
import { WrongPassphraseError } from '../sta/mlme.ts';
import { akmName, cipherSuiteName } from '../sta/security.ts';
import type { ApNode, StationNode, World } from './world.ts';

export interface ScanReport {
  bssid: string;
  ssid: string;
  channel: number;
  freq: number;
  signal: number;
  akm: string;
  ciphers: string[];
}

export interface LinkReport {
  bssid: string;
  ssid: string;
  freq: number;
  signal: number;
  akm: string;
  pairwiseCipher: string;
  groupCipher: string;
}

export interface ScenarioReport {
  scan: ScanReport[];
  link: LinkReport | null;
  dhcp: { address: string; gateway: string | null; dns: string[]; leaseSeconds: number } | null;
  dns: { name: string; addresses: string[] } | null;
  ping: { transmitted: number; received: number; rttMs: { min: number; avg: number; max: number } } | null;
  /** expectedSha256: the file's hash when the server is ours (the simulated AP), null for a real server. */
  http: { url: string; status: number; bytes: number; sha256: string; expectedSha256: string | null } | null;
}

export type ScenarioStep = 'scan' | 'connect' | 'dhcp' | 'dns' | 'ping' | 'http';
export type ScenarioFailure = ScenarioStep | 'wrong-passphrase';

export interface StationScenarioOptions {
  /** The network to join; null: scan only (the later steps are skipped). */
  ssid: string | null;
  /** WPA2 passphrase; absent: an open network. */
  passphrase?: string;
  /** Pings to the gateway. */
  count: number;
  /** What to GET (default http://<gateway>/). */
  url?: string;
  /** The name the DNS step resolves (default: the URL's host when it is a name; otherwise the step is skipped). */
  resolve?: string;
  /** The body's sha256 when known (the simulated AP's file): a different download fails the HTTP step. */
  expectedSha256?: string;
  connectTimeoutMs?: number;
  /**
   * Aborts the step under way, which fails with the signal's reason, and skips the rest (the device went away):
   * a step never waits for a device that cannot answer.
   */
  signal?: AbortSignal;
  /** Told when a step begins (fault injection in tests). */
  onStep?: (step: ScenarioStep) => void;
  /** Step-by-step lines (nothing when absent). */
  out?: (line: string) => void;
}

export interface StationScenarioResult {
  report: ScenarioReport;
  /** The first step that failed, and why. */
  failure: { step: ScenarioFailure; message: string } | null;
}

const CONNECT_TIMEOUT_MS = 60_000;
const DHCP_TIMEOUT_MS = 60_000;

export function ms(x: number): string {
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

function isIpv4Literal(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** The URL a person gave: http only (the station's HTTP client is node:http over the stack's TCP). */
export function checkHttpUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL (e.g. http://192.168.1.1/)`;
  }
  if (u.protocol !== 'http:') return `"${url}": only http:// URLs can be fetched (no TLS in the demo)`;
  return null;
}

/** Run the story on `sta` in `w` (virtual or real clock). Never throws for a step that fails: see `failure`. */
export async function runStationScenario(
  w: World,
  sta: StationNode,
  o: StationScenarioOptions,
): Promise<StationScenarioResult> {
  const out = o.out ?? (() => {});
  const stamp = () => ((w.clock.now() - w.t0) / 1000).toFixed(3);
  const report: ScenarioReport = { scan: [], link: null, dhcp: null, dns: null, ping: null, http: null };
  let failure: StationScenarioResult['failure'] = null;
  const fail = (step: ScenarioFailure, message: string) => {
    failure = { step, message };
    out(`   FAILED: ${message}`);
  };
  const onLine = (l: string) => out(`   ${stamp()}  ${l}`);
  sta.mlme.on('line', onLine);
  const signal = o.signal;
  const abort = signal
    ? new Promise<never>((_, reject) => {
        const stop = () => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      })
    : null;
  abort?.catch(() => {});
  /** Run the clock until `p` settles, or the signal aborts. */
  const until = <T>(p: Promise<T>): Promise<T> => w.settle(abort === null ? p : Promise.race([p, abort]));
  const begin = (s: ScenarioStep) => o.onStep?.(s);

  // 1. Scan
  out('');
  const bands = sta.local.caps.bands.map((b) => ({ '2g': '2.4', '5g': '5', '6g': '6' })[b.band]).join(', ');
  out(`1. Scan: every channel of ${bands} GHz (active where allowed, passive where not)`);
  const t0 = w.clock.now();
  begin('scan');
  try {
    const bsses = await until(sta.mlme.scan());
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
  } catch (e) {
    fail('scan', (e as Error).message);
  }

  if (o.ssid === null || failure !== null) {
    sta.mlme.off('line', onLine);
    return { report, failure };
  }

  // 2. Connect
  out('');
  out(`2. Connect to "${o.ssid}" ${o.passphrase === undefined ? '(open network)' : 'with WPA2-PSK'}`);
  const heard = report.scan.filter((b) => b.ssid === o.ssid);
  if (o.passphrase === undefined && heard.length > 0 && heard.every((b) => b.akm !== 'NONE')) {
    // Waiting for an open BSS of that name would only end at the connect timeout.
    fail('connect', `"${o.ssid}" is secured (${heard[0]!.akm}): give its passphrase`);
    sta.mlme.off('line', onLine);
    return { report, failure };
  }
  const t1 = w.clock.now();
  begin('connect');
  try {
    const l = await until(
      sta.connect(
        { ssid: o.ssid, passphrase: o.passphrase },
        { timeoutMs: o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, address: 'none' },
      ),
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
    if (!signal?.aborted) await w.settle(sta.mlme.disconnect());
    if (e instanceof WrongPassphraseError) fail('wrong-passphrase', e.message);
    else fail('connect', (e as Error).message);
  }

  // 3. DHCP
  if (failure === null) {
    out('');
    out('3. DHCP: DISCOVER, OFFER, REQUEST, ACK, then ARP probes for the address (RFC 5227)');
    const t = w.clock.now();
    begin('dhcp');
    try {
      const lease = await until(
        sta.dhcp(DHCP_TIMEOUT_MS, (c) => c.on('state', (s: string) => out(`   ${stamp()}  DHCP ${s}`))),
      );
      report.dhcp = {
        address: formatIpv4(lease.address),
        gateway: lease.routers.length ? formatIpv4(lease.routers[0]!) : null,
        dns: lease.dns.map(formatIpv4),
        leaseSeconds: lease.leaseTime,
      };
      const d = report.dhcp;
      out(
        `   ${d.address}/${lease.prefixLen}, gateway ${d.gateway ?? 'none'}, DNS ${d.dns.join(', ') || 'none'}, lease ${d.leaseSeconds} s (${ms(w.clock.now() - t)})`,
      );
    } catch (e) {
      fail('dhcp', (e as Error).message);
    }
  }

  const gw = report.dhcp?.gateway ?? null;
  const url = o.url ?? (gw !== null ? `http://${gw}/` : null);

  // 4. DNS
  const host = url !== null ? new URL(url).hostname : null;
  const name = o.resolve ?? (host !== null && !isIpv4Literal(host) ? host : null);
  if (failure === null) {
    out('');
    if (name === null) out(`4. DNS: nothing to resolve (the URL names an address)`);
    else {
      out(`4. DNS: resolve ${name} through the server the lease named`);
      const t = w.clock.now();
      begin('dns');
      try {
        const addresses = await until(sta.resolver.resolve4(name));
        report.dns = { name, addresses };
        out(`   ${name} is ${addresses.join(', ')} (${ms(w.clock.now() - t)})`);
      } catch (e) {
        fail('dns', `${name}: ${(e as Error).message}`);
      }
    }
  }

  // 5. Ping
  if (failure === null) {
    out('');
    if (gw === null) fail('ping', 'the DHCP lease names no gateway to ping');
    else {
      out(`5. ping ${gw} (the gateway): ${o.count} × 56 bytes, 200 ms apart`);
      begin('ping');
      try {
        const r = await until(
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
      } catch (e) {
        fail('ping', (e as Error).message);
      }
    }
  }

  // 6. HTTP
  if (failure === null && url !== null) {
    out('');
    out(`6. HTTP: GET ${url} over TCP`);
    const t = w.clock.now();
    begin('http');
    try {
      const r = await until(sta.get(url));
      const dt = w.clock.now() - t;
      report.http = { ...r, expectedSha256: o.expectedSha256 ?? null };
      const rate =
        dt > 0 ? ` (${((r.bytes * 8) / dt / 1000).toFixed(1)} Mbit/s${w.virtual ? ' of virtual time' : ''})` : '';
      out(`   ${r.status}, ${r.bytes} bytes in ${ms(dt)}${rate}`);
      if (o.expectedSha256 === undefined) out(`   sha256 ${r.sha256}`);
      else {
        const same = r.sha256 === o.expectedSha256;
        out(
          `   sha256 ${r.sha256} ${same ? 'matches the file served' : `DIFFERS from the file served (${o.expectedSha256})`}`,
        );
        if (r.status !== 200 || !same) fail('http', `download of ${url} is not the file served`);
      }
      if (failure === null && (r.status < 200 || r.status >= 400)) fail('http', `${url} answered ${r.status}`);
    } catch (e) {
      fail('http', `${url}: ${(e as Error).message}`);
    }
  }

  sta.mlme.off('line', onLine);
  if (report.link !== null && !signal?.aborted) {
    await w.settle(sta.mlme.disconnect());
    await w.sleep(20);
  }
  return { report, failure };
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

function snmp(n: ApNode | StationNode) {
  const s = n.stack.snmp();
  return { Ip: s.Ip, Icmp: s.Icmp, Udp: s.Udp, Tcp: s.Tcp, Arp: s.Arp };
}

export function stationCounters(sta: StationNode): Record<string, unknown> {
  return {
    mlme: { ...sta.mlme.counters },
    scan: { ...sta.mlme.scanner.counters },
    connMonitor: { ...sta.mlme.monitor.counters },
    mac80211: macCounters(sta.local),
    radio: sta.radio ? { ...sta.radio.counters } : null,
    snmp: snmp(sta),
    resolver: { ...sta.resolver.counters },
  };
}

export function apCounters(ap: ApNode): Record<string, unknown> {
  return {
    ap: { ...ap.ap.counters },
    authenticator: ap.ap.authenticator ? { ...ap.ap.authenticator.counters } : null,
    mac80211: macCounters(ap.local),
    radio: { ...ap.radio.counters },
    snmp: snmp(ap),
    dhcpServer: ap.services ? { ...ap.services.dhcp.counters } : null,
    dnsServer: ap.services ? { ...ap.services.dns.counters } : null,
    httpRequests: ap.services?.requests ?? 0,
  };
}

/** The counters table printed at the end: the station, and the AP when it is ours. */
export function counterLines(sta: StationNode, ap: ApNode | null): string[] {
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
  const col = (v: number | undefined) => String(v ?? '-').padStart(10);
  const lines = [`${'counter'.padEnd(34)}${'station'.padStart(10)}${ap ? 'AP'.padStart(10) : ''}`];
  for (const [label, f] of rows) lines.push(`${label.padEnd(34)}${col(f(sta))}${ap ? col(f(ap)) : ''}`);
  return lines;
}

/**
 * `airstack demo`: the most complete end-to-end path that exists, told step by step.
 *
 *  - With no `--device`: a real MT7921U dongle when one is attached (`usb`), otherwise the emulated one
 *    (`emulated`); the first line says which.
 *  - `--device usb`: the driver on the dongle, against a real network: bring-up (firmware download with a progress
 *    bar), scan; with `--ssid` (and `--passphrase` unless the network is open) connect, DHCP, DNS when the URL has a
 *    name, ping the gateway, GET `--url` (default http://<gateway>/). No dongle: one line, exit 1.
 *  - `--device emulated`: the same code on the emulated MT7921U (USB-level) whose radio is on the mock PHY next to
 *    the simulated WPA2 AP of `--device hwsim`; virtual time, deterministic for a seed. Real firmware images when
 *    found on disk (tools/cli/dongle.ts), synthetic ones otherwise.
 *  - `--device hwsim`: a station on the hwsim virtual radio and the WPA2 AP (mac80211/world/demo.ts).
 *  - `--device link`: two hosts on the in-memory Ethernet link — ARP resolution, ping, a UDP echo exchange, a
 *    datagram larger than the MTU, and the counters of every layer at the end.
 *
 * With `--json` one object { device, [driver, firmware,] scan, link, dhcp, dns, ping, http, counters } (`driver` and
 * `firmware` of issue 5 only for usb and emulated: hwsim has no MT7921U, so they are absent, not null). A passphrase
 * the AP rejects exits with code 2 and says the passphrase is probably wrong; another failed step exits 1.
 */
import type { Command } from 'commander';
import { VirtualClock } from '../../../netstack/core/clock.ts';
import { Prng } from '../../../netstack/core/prng.ts';
import { formatMac, parseIpv4 } from '../../../netstack/inet/addr.ts';
import { errnoName } from '../../../netstack/inet/errno.ts';
import { createPair, type PairDevice } from '../../../netstack/link/pair.ts';
import { decodeArp, formatArp } from '../../../netstack/neigh/arp-header.ts';
import { attachPcap } from '../../../netstack/pcap/capture.ts';
import { FileSink, PcapngWriter } from '../../../netstack/pcap/pcapng-writer.ts';
import { Stack, type Snmp } from '../../../netstack/stack.ts';
import type { PingResult } from '../../../netstack/icmp/ping.ts';
import { UsageError } from '../errors.ts';
import { ssidFromString } from '../../../mac80211/elements/basic.ts';
import { checkPassphrase } from '../../../mac80211/rsn/kdf.ts';
import { DEMO_PASSPHRASE, DEMO_SSID, runWifiDemo, type WifiDemoResult } from '../../../mac80211/world/demo.ts';
import { checkHttpUrl } from '../../../mac80211/world/scenario.ts';
import type { DongleKind } from '../dongle.ts';
import { DEMO_FAULTS, type DemoFault, type DongleDemoResult, runDongleDemo } from '../dongle-demo.ts';

export interface DemoOptions {
  device: string;
  seed: number;
  /** Probability of losing a frame, each direction. */
  loss: number;
  count: number;
  json: boolean;
  pcap?: string;
  /** Where human-readable lines go (default: stdout). */
  print?: (line: string) => void;
}

export interface DemoResult {
  /** True when every invariant held (and, on a lossless link, every exchange succeeded). */
  ok: boolean;
  /** What went wrong: counters that do not add up, or losses on a lossless link. */
  failures: string[];
  /** What the lossy link took (not failures). */
  notes: string[];
  seed: number;
  loss: number;
  arp: { resolvedAfterMs: number | null; exchange: string[] };
  ping: PingResult;
  udp: Array<{ sent: string; echoed: boolean; attempts: number; rttMs: number | null }>;
  fragmented: { bytes: number; echoed: boolean; attempts: number; fragmentsSent: number; reassembled: number };
  virtualTimeMs: number;
  wallTimeMs: number;
  counters: { h1: Snmp; h2: Snmp };
  link: { aToB: PairDevice['wire']; bToA: PairDevice['wire'] };
  pcap?: string;
}

const ECHO_PORT = 7;

export const DEVICES = ['usb', 'emulated', 'hwsim', 'link'] as const;

function checkDevice(d: string): void {
  if (!(DEVICES as readonly string[]).includes(d)) {
    throw new UsageError(`unknown device "${d}" (available: ${DEVICES.join(', ')})`);
  }
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  checkDevice(o.device);
  if (o.device !== 'link') throw new UsageError(`runDemo runs the link demo; --device ${o.device} is runWifiDemo`);
  const out = o.json ? () => {} : (o.print ?? ((l: string) => process.stdout.write(`${l}\n`)));
  const wallStart = performance.now();
  const failures: string[] = [];
  const notes: string[] = [];
  // On a lossless link every exchange must succeed; on a lossy one, an unanswered exchange is the link's doing.
  const missed = (what: string) => (o.loss === 0 ? failures : notes).push(what);
  const clock = new VirtualClock();
  const rng = new Prng(o.seed);
  const { a, b } = createPair({
    clock,
    rng: rng.fork('link'),
    loss: o.loss,
    delayMs: 2,
    jitterMs: 0.5,
    rateBps: 100e6,
  });
  const h1 = new Stack({ clock, name: 'h1', rng: rng.fork('h1') });
  const h2 = new Stack({ clock, name: 'h2', rng: rng.fork('h2') });
  let writer: PcapngWriter | null = null;
  if (o.pcap !== undefined) {
    try {
      writer = new PcapngWriter(new FileSink(o.pcap));
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (check the --pcap path)`);
    }
    attachPcap(h1, writer, { devices: [a] });
    attachPcap(h2, writer, { devices: [b] });
  }
  h1.addDevice(a);
  h2.addDevice(b);
  h1.addAddress(a, '10.0.0.1/24');
  h2.addAddress(b, '10.0.0.2/24');
  const H2 = parseIpv4('10.0.0.2');
  const run = (until: () => boolean, maxMs: number) => clock.runAsync({ until, maxTime: clock.now() + maxMs });
  /** Run the clock until `p` settles (protocol timers guarantee that it does). */
  const settle = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    void p.then(() => (done = true));
    await clock.runAsync({ until: () => done });
    return p;
  };

  out(`airstack demo: two hosts on an in-memory Ethernet link, in virtual time`);
  out(`  seed ${o.seed}, loss ${pct(o.loss)} each way, delay 2 ms ± 0.5 ms, 100 Mbit/s, MTU 1500`);
  out(`  h1  ${a.name}  ${formatMac(a.addr)}  10.0.0.1/24`);
  out(`  h2  ${b.name}  ${formatMac(b.addr)}  10.0.0.2/24`);
  await run(() => false, 50); // gratuitous ARPs settle

  // 1. ARP
  out('');
  out('1. ARP: the first packet to 10.0.0.2 waits while h1 resolves its MAC address');
  const exchange: string[] = [];
  const stopTap = h1.core.addTap({
    dev: a,
    dir: 'both',
    fn: (skb, _dev, dir) => {
      if (skb.len < 14 || skb.buf.readUInt16BE(skb.data + 12) !== 0x0806) return;
      const p = decodeArp(skb.buf, skb.data + 14, skb.len - 14);
      if (p !== null) exchange.push(`${dir === 'tx' ? '→' : '←'} ${formatArp(p)}`);
    },
  });
  const t0 = clock.now();
  const first = h1.ping(H2, { count: 1, timeout: 3000 });
  let resolvedAt: number | null = null;
  await run(() => {
    if (resolvedAt === null && h1.neighbours().some((n) => n.state === 'REACHABLE')) resolvedAt = clock.now();
    return resolvedAt !== null;
  }, 5000);
  await settle(first);
  stopTap();
  for (const l of exchange) out(`   ${l}`);
  if (resolvedAt === null) {
    missed('ARP: 10.0.0.2 was not resolved within 5 s');
    out('   10.0.0.2 did not answer');
  } else {
    const n = h1.neighbours().find((x) => x.ip === '10.0.0.2')!;
    out(`   10.0.0.2 is at ${n.mac} (${n.state}) after ${ms((resolvedAt as number) - t0)}`);
  }

  // 2. Ping
  out('');
  out(`2. ping 10.0.0.2: ${o.count} × 56 bytes, 200 ms apart`);
  const ping = await settle(
    h1.ping(H2, {
      count: o.count,
      interval: 200,
      timeout: 1000,
      onReply: (r) => out(`   ${r.bytes} bytes from ${r.from}: icmp_seq=${r.seq} ttl=${r.ttl} time=${ms(r.rtt)}`),
    }),
  );
  out(
    `   ${ping.transmitted} transmitted, ${ping.received} received, ${pct(ping.lost / ping.transmitted)} loss` +
      (ping.received
        ? `, rtt min/avg/max/mdev = ${[ping.min, ping.avg, ping.max, ping.mdev].map((x) => x.toFixed(3)).join('/')} ms`
        : ''),
  );
  if (ping.lost > 0) missed(`ping: ${ping.lost} of ${ping.transmitted} unanswered`);

  // 3. UDP echo
  out('');
  out(`3. UDP: h2 runs an echo service on port ${ECHO_PORT}; h1 sends three messages (retrying after 300 ms)`);
  const echo = h2.udpSocket();
  echo.bind(0, ECHO_PORT);
  echo.onReadable = () => {
    for (let d = echo.recv(); d !== null; d = echo.recv()) echo.sendTo(d.data, d.addr, d.port);
  };
  const client = h1.udpSocket();
  client.connect(H2, ECHO_PORT);
  const exchangeOne = async (msg: Buffer) => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const start = clock.now();
      const rc = client.send(msg);
      if (rc < 0) return { echoed: false, attempts: attempt, rttMs: null, error: errnoName(rc) };
      let got: Buffer | null = null;
      await run(() => {
        for (let d = client.recv(); d !== null; d = client.recv()) if (d.data.equals(msg)) got = d.data;
        return got !== null;
      }, 300);
      if (got !== null) return { echoed: true, attempts: attempt, rttMs: clock.now() - start, error: '' };
    }
    return { echoed: false, attempts: 5, rttMs: null, error: 'no echo' };
  };
  const udp: DemoResult['udp'] = [];
  for (const text of ['hello', 'from h1', 'over UDP']) {
    const r = await exchangeOne(Buffer.from(text));
    udp.push({ sent: text, echoed: r.echoed, attempts: r.attempts, rttMs: r.rttMs });
    if (r.echoed) out(`   "${text}" echoed in ${ms(r.rttMs!)}${r.attempts > 1 ? ` (attempt ${r.attempts})` : ''}`);
    else {
      out(`   "${text}": ${r.error} after ${r.attempts} attempts`);
      missed(`UDP: "${text}" was not echoed (${r.error})`);
    }
  }

  // 4. A datagram larger than the MTU
  out('');
  const size = 6000;
  out(`4. A ${size}-byte UDP datagram over the 1500-byte MTU: fragmented by h1, reassembled by h2, and back`);
  const big = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) & 0xff));
  const fragBefore = h1.snmp().Ip.FragCreates;
  const reasmBefore = h2.snmp().Ip.ReasmOKs;
  const fr = await exchangeOne(big);
  const fragmentsSent = h1.snmp().Ip.FragCreates - fragBefore;
  const reassembled = h2.snmp().Ip.ReasmOKs - reasmBefore;
  out(`   h1 sent ${fragmentsSent} fragments; h2 reassembled ${reassembled} datagram(s) and echoed them`);
  if (fr.echoed)
    out(
      `   the ${size} bytes came back intact in ${ms(fr.rttMs!)}${fr.attempts > 1 ? ` (attempt ${fr.attempts})` : ''}`,
    );
  else {
    out(`   no intact echo after ${fr.attempts} attempts (${fr.error})`);
    missed(`fragmented datagram: not echoed (${fr.error})`);
  }

  client.close();
  echo.close();
  clock.runUntilIdle(); // let every timer (ARP, reassembly) run out
  writer?.close();
  checkInvariants(failures, ping, a, b, h1, h2);

  // 5. Counters
  const s1 = h1.snmp();
  const s2 = h2.snmp();
  out('');
  out('5. Counters (as in /proc/net/snmp)');
  const pair = (x: number | undefined, y: number | undefined) => `${x} / ${y}`;
  const rows: Array<[string, (s: Snmp) => string]> = [
    ['Ip InReceives / InDelivers', (s) => pair(s.Ip.InReceives, s.Ip.InDelivers)],
    ['Ip OutRequests', (s) => String(s.Ip.OutRequests)],
    ['Ip FragCreates / ReasmOKs', (s) => pair(s.Ip.FragCreates, s.Ip.ReasmOKs)],
    ['Icmp OutEchos / InEchoReps', (s) => pair(s.Icmp.OutEchos, s.Icmp.InEchoReps)],
    ['Icmp InEchos / OutEchoReps', (s) => pair(s.Icmp.InEchos, s.Icmp.OutEchoReps)],
    ['Udp OutDatagrams / InDatagrams', (s) => pair(s.Udp.OutDatagrams, s.Udp.InDatagrams)],
    ['Arp requests / replies sent', (s) => pair(s.Arp.txRequests, s.Arp.txReplies)],
  ];
  out(`   ${'counter'.padEnd(32)}${'h1'.padStart(10)}${'h2'.padStart(10)}`);
  for (const [name, f] of rows) out(`   ${name.padEnd(32)}${f(s1).padStart(10)}${f(s2).padStart(10)}`);
  out(`   link h1→h2: ${wireLine(a)}`);
  out(`   link h2→h1: ${wireLine(b)}`);
  const wallTimeMs = performance.now() - wallStart;
  out('');
  out(
    `virtual time ${(clock.now() / 1000).toFixed(1)} s in ${ms(wallTimeMs)} of wall time${o.pcap ? `; capture written to ${o.pcap}` : ''}`,
  );
  if (notes.length) out(`lost to the link: ${notes.join('; ')}`);
  if (failures.length) out(`FAILED: ${failures.join('; ')}`);

  return {
    ok: failures.length === 0,
    failures,
    notes,
    seed: o.seed,
    loss: o.loss,
    arp: { resolvedAfterMs: resolvedAt === null ? null : (resolvedAt as number) - t0, exchange },
    ping,
    udp,
    fragmented: { bytes: size, echoed: fr.echoed, attempts: fr.attempts, fragmentsSent, reassembled },
    virtualTimeMs: clock.now(),
    wallTimeMs,
    counters: { h1: s1, h2: s2 },
    link: { aToB: { ...a.wire }, bToA: { ...b.wire } },
    pcap: o.pcap,
  };
}

/** What must hold whatever the loss: every packet accounted for at every layer, nothing left running. */
function checkInvariants(
  failures: string[],
  ping: PingResult,
  a: PairDevice,
  b: PairDevice,
  h1: Stack,
  h2: Stack,
): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  check(ping.transmitted === ping.received + ping.lost, 'ping: transmitted ≠ received + lost');
  for (const [tx, rx, name] of [
    [a, b, 'h1→h2'],
    [b, a, 'h2→h1'],
  ] as const) {
    const w = tx.wire;
    check(
      w.txFrames === w.delivered + w.lost + w.queueDrops + w.filtered + w.peerDown,
      `link ${name}: frames unaccounted`,
    );
    check(rx.softnet.processed === w.delivered - rx.rxMissed, `link ${name}: delivered frames not all processed`);
  }
  for (const h of [h1, h2]) {
    const s = h.snmp();
    check(s.Ip.InHdrErrors === 0 && s.Udp.InErrors === 0, `${h.name}: unexpected receive errors`);
    check(
      s.Ip.InReceives + s.Ip.ReasmOKs === s.Ip.InDelivers + s.Ip.ReasmReqds,
      `${h.name}: IPv4 counters do not add up`,
    );
    check(h.neighbours().length === 0 && h.ipv4.defrag.queueCount === 0, `${h.name}: state left behind when idle`);
  }
}

function wireLine(d: PairDevice): string {
  const w = d.wire;
  return `${w.txFrames} frames sent, ${w.delivered} delivered, ${w.lost} lost`;
}

function ms(x: number): string {
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed((x * 100) % 1 === 0 ? 0 : 1)}%`;
}

function parseNumber(name: string, v: string, min: number, max: number, integer: boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} ${v}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

export const order = 10;

export interface HwsimDemoCli {
  seed: number;
  loss: number;
  count: number;
  json: boolean;
  pcap?: string;
  ssid: string;
  passphrase: string;
}

/** The --ssid and --passphrase a person gave, checked; UsageError saying what is wrong. */
function checkNetwork(ssid: string | undefined, passphrase: string | undefined): void {
  if (passphrase !== undefined) {
    const problem = checkPassphrase(passphrase);
    if (problem !== null) throw new UsageError(`--passphrase: ${problem}`);
  }
  if (ssid === undefined) return;
  let ssidBytes: number;
  try {
    ssidBytes = ssidFromString(ssid).length;
  } catch (e) {
    throw new UsageError(`--ssid: ${(e as Error).message}`);
  }
  if (ssidBytes === 0) throw new UsageError('--ssid: an SSID has 1 to 32 octets');
}

/** `--device hwsim`: run, print, and set the exit code (0 ok, 2 passphrase rejected, 1 another failure). */
export async function hwsimDemo(o: HwsimDemoCli): Promise<WifiDemoResult> {
  checkNetwork(o.ssid, o.passphrase);
  if (o.pcap !== undefined) checkWritable(o.pcap);
  const r = await runWifiDemo({
    seed: o.seed,
    loss: o.loss,
    ssid: o.ssid,
    passphrase: o.passphrase,
    count: o.count,
    pcap: o.pcap,
    out: o.json ? undefined : (l) => process.stdout.write(`${l}\n`),
  });
  if (o.json) process.stdout.write(`${JSON.stringify(r.report, null, 2)}\n`);
  reportFailure(r.failure, DEMO_PASSPHRASE);
  return r;
}

/** Exit code and one line on stderr: 2 for a passphrase the AP rejected, 1 for any other failed step. */
function reportFailure(f: { step: string; message: string } | null, simulatedPassphrase: string | null): void {
  if (f === null) return;
  if (f.step === 'wrong-passphrase') {
    const hint = simulatedPassphrase !== null ? ` (the simulated AP's is "${simulatedPassphrase}")` : '';
    process.stderr.write(`airstack demo: ${f.message}; check --passphrase${hint}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`airstack demo: ${f.step} failed: ${f.message}\n`);
    process.exitCode = 1;
  }
}

export interface DongleDemoCli {
  /** Absent: a dongle when one is attached, else the emulator. */
  device?: DongleKind;
  seed: number;
  loss: number;
  count: number;
  json: boolean;
  pcap?: string;
  usbTrace?: string;
  ssid?: string;
  passphrase?: string;
  url?: string;
  fault?: DemoFault;
}

/** `--device emulated|usb` (and the default): run on the MT7921U driver, print, set the exit code. */
export async function dongleDemo(o: DongleDemoCli): Promise<DongleDemoResult> {
  checkNetwork(o.ssid, o.passphrase);
  if (o.url !== undefined) {
    const problem = checkHttpUrl(o.url);
    if (problem !== null) throw new UsageError(`--url ${problem}`);
  }
  if (o.pcap !== undefined) checkWritable(o.pcap);
  const r = await runDongleDemo({
    ...o,
    out: o.json ? undefined : (l) => process.stdout.write(`${l}\n`),
    onDevice: (kind) => {
      if (kind === 'usb' && o.loss > 0)
        throw new UsageError('--loss applies to the simulated radio, not to a real dongle');
      if (kind === 'emulated' && o.url !== undefined) {
        throw new UsageError('--url is for a real dongle (--device usb): the simulated AP serves its own file');
      }
    },
  });
  if (o.json) process.stdout.write(`${JSON.stringify(r.report, null, 2)}\n`);
  reportFailure(r.failure, r.simulatedPassphrase);
  return r;
}

function checkWritable(path: string): void {
  try {
    new FileSink(path).close();
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (check the --pcap path)`);
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'scan, join a WPA2 network, DHCP, DNS, ping and HTTP: on an MT7921U dongle, the emulated one, or a simulated radio',
    )
    .option(
      '--device <kind>',
      'usb (a real MT7921U), emulated (the emulated MT7921U next to a simulated AP), hwsim (the simulated radio ' +
        'alone) or link (an in-memory Ethernet link); default: usb when a dongle is attached, else emulated',
    )
    .option('--seed <n>', 'seed for everything random (loss, backoff, nonces, ports)', '1')
    .option('--loss <p>', 'simulated radio: probability of losing a frame (each try, each link), 0 to 0.9', '0')
    .option('--count <n>', 'number of pings', '5')
    .option(
      '--ssid <name>',
      `the network to join (simulated: the AP takes this name, default "${DEMO_SSID}"; usb: without it, scan only)`,
    )
    .option(
      '--passphrase <p>',
      `the WPA2 passphrase (simulated: default the AP's, a wrong one shows how a rejection is reported; usb: absent for an open network)`,
    )
    .option('--url <url>', 'usb: what to fetch once connected (default http://<gateway>/)')
    .option('--usb-trace <file>', 'usb, emulated: write every control and bulk transfer to FILE as JSON lines')
    .option(
      '--fault <what>',
      'emulated: inject a fault to watch the recovery — mcu-reply (a lost MCU reply while connecting: reset, ' +
        'reconnect) or unplug (the dongle pulled out during the download: a clear error, exit 1)',
    )
    .option('--json', 'print one JSON object with the results and every counter (no progress bar)')
    .option(
      '--pcap <file>',
      "write a pcapng: simulated, the air (radiotap) and the station's Ethernet view; usb, the Ethernet view; link, both hosts",
    )
    .action(
      async (opts: {
        device?: string;
        seed: string;
        loss: string;
        count: string;
        ssid?: string;
        passphrase?: string;
        url?: string;
        usbTrace?: string;
        fault?: string;
        json?: boolean;
        pcap?: string;
      }) => {
        process.stdout.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EPIPE') process.exit(0); // output piped into head & co.
          throw e;
        });
        if (opts.device !== undefined) checkDevice(opts.device);
        const device = opts.device as (typeof DEVICES)[number] | undefined;
        const common = {
          seed: parseNumber('seed', opts.seed, 0, 2 ** 32 - 1, true),
          loss: parseNumber('loss', opts.loss, 0, 0.9, false),
          count: parseNumber('count', opts.count, 1, 10_000, true),
          json: opts.json ?? false,
          pcap: opts.pcap,
        };
        const onlyFor = (what: string, v: unknown, devices: string) => {
          if (v !== undefined) throw new UsageError(`${what} is for --device ${devices}, not ${device}`);
        };
        if (opts.fault !== undefined && !(DEMO_FAULTS as readonly string[]).includes(opts.fault)) {
          throw new UsageError(`--fault ${opts.fault}: expected one of ${DEMO_FAULTS.join(', ')}`);
        }
        if (device === 'hwsim' || device === 'link' || device === 'usb') onlyFor('--fault', opts.fault, 'emulated');
        if (device === 'hwsim' || device === 'link') {
          onlyFor('--usb-trace', opts.usbTrace, 'usb or emulated');
          onlyFor('--url', opts.url, 'usb');
        }
        if (device === 'link') {
          onlyFor('--ssid', opts.ssid, 'usb, emulated or hwsim');
          onlyFor('--passphrase', opts.passphrase, 'usb, emulated or hwsim');
        }
        if (device === 'hwsim') {
          await hwsimDemo({
            ...common,
            ssid: opts.ssid ?? DEMO_SSID,
            passphrase: opts.passphrase ?? DEMO_PASSPHRASE,
          });
          return;
        }
        if (device === 'link') {
          const r = await runDemo({ device, ...common });
          if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          if (!r.ok) {
            if (opts.json) process.stderr.write(`airstack demo: ${r.failures.join('; ')}\n`);
            process.exitCode = 2;
          }
          return;
        }
        await dongleDemo({
          ...common,
          device,
          ssid: opts.ssid,
          passphrase: opts.passphrase,
          url: opts.url,
          usbTrace: opts.usbTrace,
          fault: opts.fault as DemoFault | undefined,
        });
      },
    );
}

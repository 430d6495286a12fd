/**
 * `airstack host --tap NAME --ip A.B.C.D/NN [--gw G] [--udp-echo PORT] [--tcp-echo PORT] [--http PORT --http-root DIR]
 *  [--pcap FILE] [--netns NS] [--mtu N]`
 *
 * Runs the netstack as a host on a Linux TAP device (created if it does not exist): it answers ping (and ARP),
 * serves UDP and TCP echo and static files over HTTP (host/), writes a pcapng of everything on the TAP when asked,
 * and on SIGINT/SIGTERM prints its counters and exits 0. The kernel's side of the TAP is configured by whoever runs it, e.g.
 *
 *     airstack host --tap tap0 --ip 10.0.0.2/24 --udp-echo 7 &
 *     ip addr add 10.0.0.1/24 dev tap0 && ping 10.0.0.2
 *
 * Extension points (issue 3): a `HostFeature` adds its options to the command and, when asked for, a
 * `HostService` that runs on the stack (TCP echo, HTTP, DHCP server) — or, with `providesAddress`, a service that
 * configures the address itself (DHCP client) instead of `--ip`. UDP echo below is the model. Write a feature in
 * its own module and add it to `hostFeatures`; that module may import types and the parse helpers from this file
 * (functions, so the import cycle is harmless) but not `hostFeatures` itself.
 */
import type { Command } from 'commander';
import { RealClock } from '../../../netstack/core/clock.ts';
import { formatMac, tryParseIpv4, tryParseMac } from '../../../netstack/inet/addr.ts';
import { errnoName } from '../../../netstack/inet/errno.ts';
import { TapDevice, TapError, type TapOptions } from '../../../netstack/link/tap.ts';
import { attachPcap } from '../../../netstack/pcap/capture.ts';
import { FileSink, PcapngWriter } from '../../../netstack/pcap/pcapng-writer.ts';
import { Stack } from '../../../netstack/stack.ts';
import type { UdpSocket } from '../../../netstack/udp/socket.ts';
import { UsageError } from '../errors.ts';
import { dhcpClientFeature, dhcpServerFeature } from '../host-dhcp.ts';
import { httpFeature } from './host/http.ts';
import { tcpEchoFeature } from './host/tcp-echo.ts';

// ---------------------------------------------------------------------------------------------------------------
// What a feature of `airstack host` is

/** What a service gets to work with. */
export interface HostContext {
  readonly stack: Stack;
  readonly dev: TapDevice;
  readonly clock: RealClock;
  /** Print one line for the person running the host. */
  say(line: string): void;
}

export interface HostService {
  readonly name: string;
  /** This service configures the address (a DHCP client): `--ip` must then not be given. */
  readonly providesAddress?: boolean;
  /** Start; resolves with a short description for the start-up banner ("udp echo on port 7"). */
  start(ctx: HostContext): Promise<string>;
  stop(): Promise<void>;
  /** Printed on exit under the service's name. */
  counters(): Record<string, number>;
}

export interface HostFeature {
  /** Add this feature's options to the command. */
  options(cmd: Command): void;
  /** From the parsed options: the service to run, or null when not asked for. Bad values throw UsageError. */
  plan(opts: Record<string, unknown>): HostService | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

function parseIpv4Arg(s: string, what: string): number {
  const a = tryParseIpv4(s);
  if (a === null) throw new UsageError(`${what} '${s}' is not an IPv4 address (expected A.B.C.D)`);
  return a;
}

export interface HostAddress {
  ip: string;
  prefixLen: number;
  gateway: string | null;
}

/** Check `--ip A.B.C.D/NN` and `--gw G` (the gateway must be on the subnet and not the host itself). */
export function parseHostAddress(ipArg: string, gwArg: string | undefined): HostAddress {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(ipArg);
  if (!m) throw new UsageError(`--ip '${ipArg}' needs a prefix length: A.B.C.D/NN, e.g. 10.0.0.2/24`);
  const ip = m[1]!;
  const a = parseIpv4Arg(ip, '--ip');
  const prefixLen = Number(m[2]);
  if (prefixLen < 1 || prefixLen > 32) throw new UsageError(`--ip prefix length /${prefixLen} is not in 1..32`);
  const first = a >>> 24;
  if (first === 0 || first === 127 || first >= 224) {
    throw new UsageError(`--ip ${ip} is not a unicast host address`);
  }
  const mask = prefixLen === 32 ? 0xffffffff : ~(0xffffffff >>> prefixLen) >>> 0;
  if (prefixLen <= 30 && ((a & ~mask) >>> 0 === 0 || (a | ~mask) >>> 0 === 0xffffffff)) {
    throw new UsageError(`--ip ${ip}/${prefixLen} is the network or broadcast address of its subnet`);
  }
  let gateway: string | null = null;
  if (gwArg !== undefined) {
    gateway = gwArg;
    const g = parseIpv4Arg(gateway, '--gw');
    if (g === a) throw new UsageError(`--gw ${gateway} is the host's own address`);
    if (((g ^ a) & mask) >>> 0 !== 0) {
      throw new UsageError(`--gw ${gateway} is not on the subnet of --ip ${ip}/${prefixLen}`);
    }
  }
  return { ip, prefixLen, gateway };
}

export function parsePort(s: string, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 65535) {
    throw new UsageError(`${what} '${s}' is not a port number (1..65535)`);
  }
  return Number(s);
}

export function parseMtu(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 68 || Number(s) > 65521) {
    throw new UsageError(`--mtu '${s}' is not an MTU a TAP takes (68..65521)`);
  }
  return Number(s);
}

export function parseMac(s: string): Buffer {
  const mac = tryParseMac(s);
  if (mac === null) throw new UsageError(`--mac '${s}' is not a MAC (aa:bb:cc:dd:ee:ff)`);
  if (mac[0]! & 1) throw new UsageError(`--mac ${s} is a multicast address`);
  if (mac.every((b) => b === 0)) throw new UsageError(`--mac ${s} is all zeros`);
  return mac;
}

/** Everything that can stop `airstack host` before it touches the system, as one line. */
export function hostPreflight(): void {
  if (process.platform !== 'linux')
    throw new UsageError(`airstack host needs Linux (TAP devices), not ${process.platform}`);
  if (process.getuid?.() !== 0) {
    throw new UsageError('not root: airstack host creates a TAP device (run it with sudo)');
  }
}

/** The --pcap file, opened before anything is created (a person's error when it cannot be written). */
export function openPcap(path: string | undefined, userAppl: string): PcapngWriter | null {
  if (path === undefined) return null;
  try {
    return new PcapngWriter(new FileSink(path), { userAppl });
  } catch (e) {
    throw new UsageError(`--pcap: ${(e as Error).message}`);
  }
}

/** TapDevice.create with its TapErrors as a person's errors (closing `pcap` when it fails). */
export async function createTap(opts: TapOptions, pcap: PcapngWriter | null): Promise<TapDevice> {
  try {
    return await TapDevice.create(opts);
  } catch (e) {
    pcap?.close();
    if (e instanceof TapError) throw new UsageError(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The command

interface RawHostOptions {
  tap: string;
  ip?: string;
  gw?: string;
  pcap?: string;
  netns?: string;
  mtu?: string;
  mac?: string;
  backend: string;
  [feature: string]: unknown;
}

export const order = 20;

export function register(program: Command): void {
  const cmd = program
    .command('host')
    .description(
      'run the netstack as a host on a Linux TAP device: answers ping, serves UDP/TCP echo and HTTP (needs root)',
    )
    .requiredOption('--tap <name>', 'TAP interface to use (created if it does not exist)')
    .option('--ip <A.B.C.D/NN>', "this host's address and prefix length")
    .option('--gw <A.B.C.D>', 'default gateway');
  for (const f of hostFeatures) f.options(cmd);
  cmd
    .option('--pcap <file>', 'write a pcapng of every frame on the TAP')
    .option('--netns <name>', 'create the TAP inside this network namespace (created if missing)')
    .option('--mtu <bytes>', "set the TAP's MTU (default: the TAP's own, 1500 when new)")
    .option('--mac <aa:bb:cc:dd:ee:ff>', "this host's MAC address (default: random, locally administered)")
    .option('--backend <auto|fd|socat>', 'how to reach the TAP: fd (python3 does one ioctl) or socat', 'auto')
    .action(async (raw: RawHostOptions) => {
      const code = await runHostCommand(raw);
      process.exit(code);
    });
}

async function runHostCommand(raw: RawHostOptions): Promise<number> {
  // Everything a person can get wrong is checked before anything is created.
  const services: HostService[] = [];
  for (const f of hostFeatures) {
    const s = f.plan(raw);
    if (s) services.push(s);
  }
  const addressing = services.filter((s) => s.providesAddress);
  if (addressing.length > 1)
    throw new UsageError(`${addressing.map((s) => s.name).join(' and ')} both set the address`);
  if (addressing.length === 1 && raw.ip !== undefined) {
    throw new UsageError(`give either --ip or ${addressing[0]!.name}, not both`);
  }
  if (addressing.length === 0 && raw.ip === undefined)
    throw new UsageError('give the host an address: --ip A.B.C.D/NN');
  const address = raw.ip !== undefined ? parseHostAddress(raw.ip, raw.gw) : null;
  if (address === null && raw.gw !== undefined) throw new UsageError('--gw needs --ip');
  if (!['auto', 'fd', 'socat'].includes(raw.backend)) {
    throw new UsageError(`--backend '${raw.backend}' is not one of auto, fd, socat`);
  }
  const mtu = raw.mtu !== undefined ? parseMtu(raw.mtu) : undefined;
  const mac = raw.mac !== undefined ? parseMac(raw.mac) : undefined;
  hostPreflight();

  const clock = new RealClock();
  // Opened before the TAP so that a bad path stops us before anything is created.
  const pcap = openPcap(raw.pcap, 'airstack host');
  const dev = await createTap(
    { name: raw.tap, clock, netns: raw.netns, mtu, mac, backend: raw.backend as 'auto' | 'fd' | 'socat' },
    pcap,
  );

  const say = (line: string) => process.stdout.write(`airstack host: ${line}\n`);
  const stack = new Stack({ clock, name: 'host' });
  const ctx: HostContext = { stack, dev, clock, say };
  const started: HostService[] = [];
  const cleanups: Array<() => void> = [];
  let exitCode = 0;
  try {
    say(dev.describe());
    // The capture is attached first, so it holds the gratuitous ARP sent when the address is added.
    if (pcap !== null) {
      const detach = attachPcap(stack, pcap, { devices: [dev] });
      const writer = pcap;
      cleanups.push(() => {
        detach();
        writer.close();
      });
    }
    stack.addDevice(dev);
    if (address !== null) {
      stack.addAddress(dev, `${address.ip}/${address.prefixLen}`);
      if (address.gateway !== null) stack.setDefaultGateway(address.gateway, dev);
    }
    const banner = [address ? `${address.ip}/${address.prefixLen}` : 'no address yet'];
    if (address?.gateway) banner.push(`via ${address.gateway}`);
    banner.push(`mac ${formatMac(dev.addr)}`, 'answering ping');
    if (raw.pcap !== undefined) banner.push(`pcapng to ${raw.pcap}`);
    for (const s of [...addressing, ...services.filter((x) => !x.providesAddress)]) {
      banner.push(await s.start(ctx));
      started.push(s);
    }
    say(banner.join('; '));
    say('ready (Ctrl-C to stop)');

    const reason = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
      dev.onLinkLost((why) => resolve(`lost:${why}`));
    });
    if (reason.startsWith('lost:')) {
      process.stderr.write(`airstack: TAP ${dev.name} went away (${reason.slice(5)})\n`);
      exitCode = 1;
    }
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await dev.destroy();
    for (const c of cleanups) c();
    process.stdout.write(hostReport(stack, dev, services, pcap));
  }
  return exitCode;
}

/** What `airstack host` prints on exit: the TAP's counters, the stack's (as /proc/net/snmp), each service's. */
export function hostReport(
  stack: Stack,
  dev: TapDevice,
  services: readonly HostService[],
  pcap: PcapngWriter | null = null,
): string {
  const groups: Record<string, Record<string, number>> = { [`tap ${dev.name}`]: { ...dev.counters } };
  for (const s of services) groups[s.name] = s.counters();
  if (pcap) groups.pcapng = { packets: pcap.packets };
  return `${stack.formatSnmp()}\n${formatCounters(groups)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// UDP echo (RFC 862)

export const udpEchoFeature: HostFeature = {
  options(cmd) {
    cmd.option('--udp-echo <port>', 'serve UDP echo on this port');
  },
  plan(opts) {
    return opts.udpEcho === undefined ? null : udpEchoService(parsePort(String(opts.udpEcho), '--udp-echo'));
  },
};

export function udpEchoService(port: number): HostService {
  let sock: UdpSocket | null = null;
  const c = { datagrams: 0, bytes: 0, sendErrors: 0 };
  return {
    name: 'udp-echo',
    async start(ctx) {
      const s = ctx.stack.udpSocket();
      const rc = s.bind(0, port);
      if (rc < 0) throw new UsageError(`--udp-echo ${port}: cannot bind (${errnoName(rc)})`);
      s.onReadable = () => {
        for (let d = s.recv(); d !== null; d = s.recv()) {
          // Sending hands the received buffer back to the stack: it is ours (a view of the received skb).
          const r = s.sendTo(d.data, d.addr, d.port);
          if (r < 0) c.sendErrors++;
          else {
            c.datagrams++;
            c.bytes += d.data.length;
          }
        }
      };
      sock = s;
      return `udp echo on port ${port}`;
    },
    async stop() {
      sock?.close();
    },
    counters: () => ({ ...c }),
  };
}

/** Counter groups as `group: name value name value ...` lines, zero values left out. */
export function formatCounters(groups: Record<string, Record<string, number>>): string {
  let out = '';
  for (const [group, counters] of Object.entries(groups)) {
    const nonZero = Object.entries(counters).filter(([, v]) => v !== 0);
    out += `${group}: ${nonZero.length ? nonZero.map(([k, v]) => `${k} ${v}`).join(' ') : '(all zero)'}\n`;
  }
  return out;
}

/** The features of `airstack host`, in the order their options are listed. */
export const hostFeatures: HostFeature[] = [
  udpEchoFeature,
  tcpEchoFeature,
  httpFeature,
  dhcpClientFeature,
  dhcpServerFeature,
];

/**
 * `airstack get URL --tap NAME (--ip A.B.C.D/NN [--gw G] | --dhcp) [--out FILE]`
 *
 * Downloads URL over airstack's own TCP on a Linux TAP device: HTTP/1.1 through node:http with our socket as its
 * connection, https through node:tls over our socket. With --dhcp the address, route and DNS servers come from a
 * DHCP lease (released at the end), and host names resolve through DNS on the stack. Prints the status, the bytes, the seconds and the SHA-256 of
 * the body, and saves it with --out. Redirects are followed (5 at most). Exit 0 for a 2xx answer, 1 otherwise.
 *
 *     ip tuntap add dev tap0 mode tap && ip addr add 10.0.0.1/24 dev tap0 && ip link set tap0 up
 *     python3 -m http.server -d /srv 8000 &
 *     airstack get http://10.0.0.1:8000/big.bin --tap tap0 --ip 10.0.0.2/24 --out /tmp/big.bin
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Command } from 'commander';
import { RealClock } from '../../../netstack/core/clock.ts';
import { hostname } from 'node:os';
import { DhcpClient, type DhcpLease } from '../../../netstack/dhcp/client.ts';
import { formatCidr, formatIpv4, parseCidr, parseIpv4, prefixMask } from '../../../netstack/inet/addr.ts';
import { attachPcap } from '../../../netstack/pcap/capture.ts';
import { ipFamily } from '../../../netstack/socket/lookup.ts';
import { Stack } from '../../../netstack/stack.ts';
import { UsageError } from '../errors.ts';
import { createTap, type HostAddress, hostPreflight, openPcap, parseHostAddress, parseMac, parseMtu } from './host.ts';

export const order = 21;

interface RawGetOptions {
  tap: string;
  ip?: string;
  gw?: string;
  dhcp?: boolean;
  out?: string;
  ca?: string;
  insecure?: boolean;
  timeout: string;
  pcap?: string;
  mtu?: string;
  mac?: string;
  backend: string;
}

export function register(program: Command): void {
  program
    .command('get')
    .description("download a URL over airstack's TCP on a Linux TAP device; print status, bytes, time, sha256")
    .argument('<url>', 'http:// or https:// URL with an IPv4 address as its host')
    .requiredOption('--tap <name>', 'TAP interface to use (an existing, configured one; created if missing)')
    .option('--ip <A.B.C.D/NN>', "this host's address and prefix length")
    .option('--gw <A.B.C.D>', 'default gateway')
    .option('--dhcp', 'get the address by DHCP instead of --ip')
    .option('--out <file>', 'save the body to this file')
    .option('--ca <file>', 'PEM certificates to trust for https (default: Node’s CA list)')
    .option('--insecure', 'https: do not verify the server certificate')
    .option('--timeout <seconds>', 'give up after this long without progress', '30')
    .option('--pcap <file>', 'write a pcapng of every frame on the TAP')
    .option('--mtu <bytes>', "set the TAP's MTU")
    .option('--mac <aa:bb:cc:dd:ee:ff>', "this host's MAC address (default: random, locally administered)")
    .option('--backend <auto|fd|socat>', 'how to reach the TAP', 'auto')
    .action(async (url: string, raw: RawGetOptions) => {
      process.exit(await runGet(url, raw));
    });
}

interface GetPlan {
  url: URL;
  /** null with --dhcp. */
  address: HostAddress | null;
  timeoutMs: number;
  dhcp: boolean;
  ca: Buffer | undefined;
  insecure: boolean;
}

/** Check everything a person gave before touching the system. */
export function planGet(urlArg: string, raw: RawGetOptions): GetPlan {
  let url: URL;
  try {
    url = new URL(urlArg);
  } catch {
    throw new UsageError(`'${urlArg}' is not a URL (expected http://A.B.C.D[:port]/path)`);
  }
  const dhcp = raw.dhcp ?? false;
  checkUrl(url, dhcp);
  let address: HostAddress | null = null;
  if (dhcp) {
    if (raw.ip !== undefined) throw new UsageError('give either --ip or --dhcp, not both');
    if (raw.gw !== undefined) throw new UsageError('--gw comes from the DHCP lease with --dhcp; leave it out');
  } else {
    if (raw.ip === undefined) throw new UsageError('give this host an address: --ip A.B.C.D/NN (or --dhcp)');
    address = parseHostAddress(raw.ip, raw.gw);
    const dst = parseIpv4(url.hostname);
    const { addr, prefixLen } = parseCidr(`${address.ip}/${address.prefixLen}`);
    const mask = prefixMask(prefixLen);
    if (((dst ^ addr) & mask) >>> 0 !== 0 && address.gateway === null) {
      throw new UsageError(`${url.hostname} is not on ${address.ip}/${prefixLen}: give --gw A.B.C.D to reach it`);
    }
  }
  const t = Number(raw.timeout);
  if (!Number.isFinite(t) || t <= 0)
    throw new UsageError(`--timeout '${raw.timeout}' is not a positive number of seconds`);
  let ca: Buffer | undefined;
  if (raw.ca !== undefined) {
    try {
      ca = readFileSync(raw.ca);
    } catch (e) {
      throw new UsageError(`--ca: cannot read ${raw.ca} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (!['auto', 'fd', 'socat'].includes(raw.backend)) {
    throw new UsageError(`--backend '${raw.backend}' is not one of auto, fd, socat`);
  }
  return { url, address, dhcp, timeoutMs: t * 1000, ca, insecure: raw.insecure ?? false };
}

/** http(s) only; an IPv4 host, or a name when DNS servers will come from DHCP. */
function checkUrl(url: URL, names: boolean): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${url.protocol}// URLs are not supported: use http:// or https://`);
  }
  const f = ipFamily(url.hostname.replace(/^\[|\]$/g, ''));
  if (f === 6) throw new UsageError(`${url.hostname}: airstack's stack is IPv4-only`);
  if (f !== 4 && !names) {
    throw new UsageError(`cannot resolve '${url.hostname}' without DNS servers: use an IPv4 address, or --dhcp`);
  }
}

async function runGet(urlArg: string, raw: RawGetOptions): Promise<number> {
  const plan = planGet(urlArg, raw);
  const mtu = raw.mtu !== undefined ? parseMtu(raw.mtu) : undefined;
  const mac = raw.mac !== undefined ? parseMac(raw.mac) : undefined;
  hostPreflight();
  let out: WriteStream | null = null;
  if (raw.out !== undefined) out = await openOut(raw.out);
  const pcap = openPcap(raw.pcap, 'airstack get');
  const clock = new RealClock();
  const dev = await createTap(
    { name: raw.tap, clock, mtu, mac, backend: raw.backend as 'auto' | 'fd' | 'socat' },
    pcap,
  );
  const say = (line: string) => process.stdout.write(`airstack get: ${line}\n`);
  const stack = new Stack({ clock, name: 'get' });
  const detach = pcap !== null ? attachPcap(stack, pcap, { devices: [dev] }) : null;
  let code = 1;
  let dhcp: DhcpClient | null = null;
  try {
    stack.addDevice(dev);
    const a = plan.address;
    let where: string;
    if (a !== null) {
      stack.addAddress(dev, `${a.ip}/${a.prefixLen}`);
      if (a.gateway !== null) stack.setDefaultGateway(a.gateway, dev);
      where = `${a.ip}/${a.prefixLen}${a.gateway ? ` via ${a.gateway}` : ''}`;
    } else {
      dhcp = new DhcpClient(stack, { dev, hostname: hostname().split('.')[0] });
      const lease = await firstLease(dhcp, clock, plan.timeoutMs);
      where = `${formatCidr(lease.address, lease.prefixLen)} leased from ${formatIpv4(lease.serverId)}`;
      if (lease.routers.length > 0) where += ` via ${formatIpv4(lease.routers[0]!)}`;
      if (lease.dns.length > 0) where += `, dns ${lease.dns.map(formatIpv4).join(',')}`;
    }
    say(`GET ${plan.url.href} via ${dev.name} (${where})`);
    const lost = new Promise<never>((_, reject) =>
      dev.onLinkLost((why) => reject(new UsageError(`TAP ${dev.name} went away (${why})`))),
    );
    const r = await Promise.race([download(stack, plan, out), lost]);
    say(`HTTP/${r.httpVersion} ${r.status} ${r.statusText}`);
    const mbps = r.seconds > 0 ? (r.bytes * 8) / r.seconds / 1e6 : 0;
    say(`${r.bytes} bytes in ${r.seconds.toFixed(3)} s (${mbps.toFixed(1)} Mbit/s)`);
    say(`sha256 ${r.sha256}`);
    if (raw.out !== undefined) say(`saved to ${raw.out}`);
    if (r.status >= 200 && r.status < 300) code = 0;
    else process.stderr.write(`airstack: GET ${r.finalUrl}: the server answered ${r.status} ${r.statusText}\n`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`GET ${plan.url.href}: ${(e as Error).message}`);
  } finally {
    out?.destroy();
    if (dhcp !== null) {
      const leased = dhcp.lease !== null;
      dhcp.stop();
      // The RELEASE is a unicast that may wait for ARP: give it a moment before the TAP goes away.
      if (leased) await new Promise<void>((resolve) => clock.setTimeout(resolve, 300));
    }
    await dev.destroy();
    detach?.();
    pcap?.close();
  }
  return code;
}

/** Start the DHCP client and wait for its first lease (a person's error when none comes in time). */
function firstLease(c: DhcpClient, clock: RealClock, timeoutMs: number): Promise<DhcpLease> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(
      () => reject(new UsageError(`no DHCP lease within ${timeoutMs / 1000} s on this link`)),
      timeoutMs,
    );
    c.once('bound', (l: DhcpLease) => {
      timer.cancel();
      resolve(l);
    });
    c.start();
  });
}

function openOut(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const ws = createWriteStream(path);
    ws.once('open', () => resolve(ws));
    ws.once('error', (e: NodeJS.ErrnoException) =>
      reject(new UsageError(`--out: cannot write ${path} (${e.code ?? e.message})`)),
    );
  });
}

export interface GetResult {
  status: number;
  statusText: string;
  httpVersion: string;
  bytes: number;
  seconds: number;
  sha256: string;
  finalUrl: string;
}

/** GET `plan.url` over `stack`, following redirects; the body goes through SHA-256 and into `out`. */
export async function download(stack: Stack, plan: GetPlan, out: WriteStream | null): Promise<GetResult> {
  let url = plan.url;
  for (let hops = 0; ; hops++) {
    const t0 = performance.now();
    const res = await request(stack, url, plan);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined && status !== 304) {
      res.resume();
      if (hops >= 5) throw new Error('too many redirects');
      const next = new URL(location, url);
      checkUrl(next, plan.dhcp);
      url = next;
      continue;
    }
    const { bytes, sha256 } = await consume(res, out, plan.timeoutMs);
    const expected = Number(res.headers['content-length']);
    if (Number.isFinite(expected) && bytes !== expected) {
      throw new Error(`the connection ended after ${bytes} of ${expected} bytes`);
    }
    return {
      status,
      statusText: res.statusMessage ?? '',
      httpVersion: res.httpVersion,
      bytes,
      seconds: (performance.now() - t0) / 1000,
      sha256,
      finalUrl: url.href,
    };
  }
}

function request(stack: Stack, url: URL, plan: GetPlan): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const host = url.hostname;
  const port = Number(url.port) || (secure ? 443 : 80);
  const connect = () => {
    const s = stack.net.connect({ host, port, noDelay: true });
    s.setTimeout(plan.timeoutMs, () => s.destroy(new Error(`no progress for ${plan.timeoutMs / 1000} s`)));
    return s;
  };
  return new Promise((resolve, reject) => {
    const common = {
      method: 'GET',
      host,
      port,
      path: `${url.pathname}${url.search}`,
      headers: { 'user-agent': 'airstack-get/0.1', accept: '*/*' },
    };
    const req = secure
      ? https.request(
          {
            ...common,
            ca: plan.ca,
            rejectUnauthorized: !plan.insecure,
            createConnection: (o: tls.ConnectionOptions) => tls.connect({ ...o, host, socket: connect() }),
          } as https.RequestOptions,
          resolve,
        )
      : http.request({ ...common, createConnection: () => connect() }, resolve);
    req.on('error', reject);
    req.end();
  });
}

function consume(
  res: IncomingMessage,
  out: WriteStream | null,
  timeoutMs: number,
): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    res.on('data', (d: Buffer) => {
      bytes += d.length;
      hash.update(d);
      if (out !== null && !out.write(d)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
    });
    res.on('error', reject);
    res.socket.setTimeout(timeoutMs);
    res.on('aborted', () => reject(new Error(`the connection was closed after ${bytes} bytes`)));
    res.on('end', () => {
      const finish = () => resolve({ bytes, sha256: hash.digest('hex') });
      if (out === null) finish();
      else out.end(finish);
    });
  });
}

/**
 * DHCP and DNS against the Linux side, over a TAP into a network namespace:
 * - airstack's DHCP client leases from dnsmasq (Debian's dnsmasq-base) and resolves through dnsmasq's DNS;
 * - the kernel's DHCP client (ISC dhclient) leases from airstack's DHCP server, and a kernel-side resolver
 *   (python3's socket, UDP and TCP) queries airstack's DNS server.
 * The pcapng of each run must pass tshark with no malformed packet (kept in /tmp when a test fails).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealClock } from '../../netstack/core/clock.ts';
import { DhcpClient } from '../../netstack/dhcp/client.ts';
import { DhcpServer } from '../../netstack/dhcp/server.ts';
import { resolvConf } from '../../netstack/dns/resolv-conf.ts';
import { Resolver } from '../../netstack/dns/resolver.ts';
import { DnsServer } from '../../netstack/dns/server.ts';
import { formatIpv4, formatMac } from '../../netstack/inet/addr.ts';
import type { TapDevice } from '../../netstack/link/tap.ts';
import { createNet, type Server } from '../../netstack/socket/net.ts';
import type { Stack } from '../../netstack/stack.ts';
import { attachTcp } from '../../netstack/tcp/attach.ts';
import { haveTshark, tsharkCheck } from '../support/tshark.ts';
import { describeInterop, failureTracker, NetnsWorld, waitForLine } from './harness.ts';
import { dhclientScript, waitFor, waitForLeaseFile } from './dhcp-peers.ts';
import { kernelPing } from './peers.ts';

// Shorter RFC 5227 timings so that a probe takes well under a second (the behaviour is the same).
const QUICK_ACD = { probeWaitMs: 100, probeMinMs: 100, probeMaxMs: 200, announceWaitMs: 300 };

describeInterop('airstack DHCP client and resolver against dnsmasq', { tools: ['dnsmasq', 'ping', 'tshark'] }, () => {
  const clock = new RealClock();
  let world: NetnsWorld;
  let stack: Stack;
  let dev: TapDevice;
  let dir: string;
  let client: DhcpClient;

  beforeAll(async () => {
    world = await NetnsWorld.create();
    ({ stack, dev } = await world.attachStack(clock, { address: false }));
    world.capture(stack, dev);
    dir = mkdtempSync(join(tmpdir(), 'airstack-dnsmasq-'));
    const child = world.spawn([
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--user=root',
      `--interface=${world.tapName}`,
      '--bind-interfaces',
      `--pid-file=${join(dir, 'pid')}`,
      `--dhcp-leasefile=${join(dir, 'leases')}`,
      '--dhcp-range=10.207.0.100,10.207.0.150,255.255.255.0,2m',
      '--dhcp-option=option:router,10.207.0.1',
      '--dhcp-option=option:dns-server,10.207.0.1',
      '--domain=interop.test',
      '--local=/interop.test/',
      '--no-resolv',
      '--no-hosts',
      '--address=/www.interop.test/10.207.0.80',
      '--log-dhcp',
      '--log-facility=-',
    ]);
    await waitForLine(child, /./, 10_000).catch(() => undefined);
  });
  afterAll(async () => {
    client?.stop();
    await world?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  failureTracker(() => world);

  it('leases an address from dnsmasq and applies it: address, default route, DNS server, domain', async () => {
    client = new DhcpClient(stack, { dev, hostname: 'airstack', acd: QUICK_ACD });
    client.start();
    await waitFor(() => client.state === 'BOUND', 30_000, 'BOUND');
    const l = client.lease!;
    const addr = formatIpv4(l.address);
    expect(l.address).toBeGreaterThanOrEqual(0x0acf0064);
    expect(l.address).toBeLessThanOrEqual(0x0acf0096);
    expect(l.leaseTime).toBe(120);
    expect(stack.addresses()).toContain(`${dev.name} ${addr}/24`);
    expect(stack.routes().some((r) => r.startsWith('default via 10.207.0.1'))).toBe(true);
    expect(resolvConf(stack).servers.map(formatIpv4)).toEqual(['10.207.0.1']);
    expect(resolvConf(stack).search).toEqual(['interop.test']);
    // dnsmasq wrote the lease, with our MAC and host name.
    const mac = formatMac(dev.addr);
    await waitFor(() => existsSync(join(dir, 'leases')), 5000, 'the lease file');
    expect(readFileSync(join(dir, 'leases'), 'utf8')).toMatch(
      new RegExp(`${mac} ${addr.replaceAll('.', '\\.')} airstack`),
    );
    // And the kernel reaches us at the new address.
    const ping = await kernelPing(world, addr, { count: 2 });
    expect(ping.received, ping.output).toBe(2);
  });

  it('renews with a unicast REQUEST that dnsmasq ACKs', async () => {
    const start = client.lease!.start;
    expect(client.renew()).toBe(true);
    await waitFor(() => client.counters.renewals === 1, 10_000, 'the renewal');
    expect(client.state).toBe('BOUND');
    expect(client.lease!.start).toBeGreaterThan(start);
  });

  it("resolves through dnsmasq's DNS with the servers and search domain from the lease", async () => {
    const r = new Resolver({ stack });
    const got = await new Promise<string>((resolve, reject) =>
      r.lookup('www', { family: 4 }, (err, a) => (err ? reject(err) : resolve(a as string))),
    );
    expect(got).toBe('10.207.0.80');
    await expect(r.resolve4('nothing-here.interop.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('releases the lease on stop: dnsmasq forgets it, and the address is gone from the stack', async () => {
    const addr = formatIpv4(client.lease!.address);
    client.stop();
    expect(stack.addresses().some((a) => a.includes(addr))).toBe(false);
    await waitFor(() => !readFileSync(join(dir, 'leases'), 'utf8').includes(addr), 5000, 'dnsmasq to drop the lease');
  });

  it('leaves a capture tshark reads without a malformed packet', () => {
    if (!haveTshark()) return;
    const report = tsharkCheck(world.flushCapture());
    expect(report.malformed, report.stderr).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

// A kernel-side stub resolver: one A query over UDP or TCP, prints the rcode and the addresses.
const PY_DNS = `
import socket, struct, sys, random
server, name, proto = sys.argv[1], sys.argv[2], sys.argv[3]
qid = random.randrange(65536)
q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)
if proto == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3); s.sendto(q, (server, 53)); r = s.recv(4096)
else:
    s = socket.create_connection((server, 53), timeout=3); s.sendall(struct.pack('>H', len(q)) + q)
    n = struct.unpack('>H', s.recv(2))[0]; r = b''
    while len(r) < n: r += s.recv(n - len(r))
rid, flags, qd, an = struct.unpack('>HHHH', r[:8])
assert rid == qid
i = 12
while r[i]: i += r[i] + 1
i += 5
addrs = []
def skip_name(i):
    while True:
        if (r[i] & 0xc0) == 0xc0: return i + 2
        if r[i] == 0: return i + 1
        i += r[i] + 1
for _ in range(an):
    i = skip_name(i)
    t, c, ttl, l = struct.unpack('>HHIH', r[i:i+10]); i += 10
    if t == 1: addrs.append(socket.inet_ntoa(r[i:i+4]))
    i += l
print('rcode', flags & 15, 'tc', (flags >> 9) & 1, ' '.join(addrs))
`;

describeInterop(
  'the kernel against airstack: dhclient leases, python resolves',
  { tools: ['dhclient', 'python3', 'tshark'] },
  () => {
    const clock = new RealClock();
    let world: NetnsWorld;
    let stack: Stack;
    let dev: TapDevice;
    let dir: string;
    let server: DhcpServer;
    let dns: DnsServer;
    let tcpServer: Server;
    let dhclientArgs: string[];
    const logFile = () => join(dir, 'dhclient.log');
    const dhclientLog = () => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8') : '');

    beforeAll(async () => {
      world = await NetnsWorld.create();
      ({ stack, dev } = await world.attachStack(clock));
      world.capture(stack, dev);
      // The kernel's side starts without an address: dhclient gets one.
      await world.exec(['ip', '-4', 'addr', 'flush', 'dev', world.tapName]);
      server = new DhcpServer(stack, {
        dev,
        pool: '10.207.0.100-10.207.0.120',
        routers: [world.airstackIp],
        dns: [world.airstackIp],
        domain: 'airstack.test',
        leaseTime: 300,
      });
      dns = new DnsServer(stack, {
        zones: [
          {
            origin: 'airstack.test',
            records: [
              { name: 'www', type: 'A', data: '10.207.0.80' },
              { name: 'big', type: 'A', data: Array.from({ length: 40 }, (_, i) => `10.207.1.${i + 1}`) },
            ],
          },
        ],
      });
      tcpServer = createNet(attachTcp(stack))
        .createServer((s) => dns.serveStream(s))
        .listen(53);
      dir = mkdtempSync(join(tmpdir(), 'airstack-dhclient-'));
      const script = join(dir, 'script.sh');
      writeFileSync(script, dhclientScript(join(dir, 'dhclient.log')));
      chmodSync(script, 0o755);
      writeFileSync(join(dir, 'dns.py'), PY_DNS);
      dhclientArgs = ['-4', '-v', '-sf', script, '-lf', join(dir, 'leases'), '-pf', join(dir, 'pid')];
    });
    afterAll(async () => {
      tcpServer?.close();
      dns?.close();
      server?.close();
      await world?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    failureTracker(() => world);

    it("dhclient leases an address from airstack's server and the kernel configures it", async () => {
      // In the foreground (-d), so that the world kills it whatever happens.
      world.spawn(['dhclient', '-d', ...dhclientArgs, world.tapName], { stdio: 'ignore' });
      await waitFor(() => dhclientLog().includes('BOUND'), 30_000, "dhclient's BOUND");
      const log = dhclientLog();
      expect(log).toMatch(/^BOUND 10\.207\.0\.100 255\.255\.255\.0 10\.207\.0\.2 10\.207\.0\.2 airstack\.test 300$/m);
      const addr = await world.exec(['ip', '-4', '-o', 'addr', 'show', 'dev', world.tapName]);
      expect(addr.stdout).toContain('inet 10.207.0.100/24');
      expect(server.counters).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1, naks: 0 });
      expect(server.bindings()[0]).toMatchObject({ state: 'bound', leaseTime: 300 });
      // The kernel, at its new address, and airstack reach each other.
      const ping = await stack.ping('10.207.0.100', { count: 2, interval: 50 });
      expect(ping.received).toBe(2);
    });

    it("the kernel's resolver queries airstack's DNS over UDP and TCP, and sees TC for a large answer", async () => {
      const py = (name: string, proto: string) =>
        world.exec(['python3', join(dir, 'dns.py'), world.airstackIp, name, proto]);
      const udp = await py('www.airstack.test', 'udp');
      expect(udp.stdout.trim(), udp.stderr).toBe('rcode 0 tc 0 10.207.0.80');
      const nx = await py('nope.airstack.test', 'udp');
      expect(nx.stdout.trim(), nx.stderr).toBe('rcode 3 tc 0');
      const big = await py('big.airstack.test', 'udp');
      expect(big.stdout.trim(), big.stderr).toBe('rcode 0 tc 1');
      const tcp = await py('big.airstack.test', 'tcp');
      expect(tcp.stdout.trim().split(' ').length, tcp.stderr).toBe(4 + 40);
      expect(dns.counters).toMatchObject({ truncated: 1, tcpQueries: 1, nxdomain: 1 });
    });

    it('dhclient releases the lease, and airstack marks it released', async () => {
      // -r: the running dhclient (found by its pid file) sends RELEASE and exits.
      await waitForLeaseFile(join(dir, 'leases'));
      const r = await world.exec(['dhclient', '-r', ...dhclientArgs, world.tapName], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(dhclientLog()).toMatch(/^RELEASE/m);
      await waitFor(() => server.counters.releases === 1, 5000, 'the RELEASE');
      expect(server.bindings()[0]!.state).toBe('released');
    });

    it('leaves a capture tshark reads without a malformed packet', () => {
      if (!haveTshark()) return;
      const report = tsharkCheck(world.flushCapture());
      expect(report.malformed, report.stderr).toEqual([]);
      expect(report.ok).toBe(true);
    });
  },
);

/**
 * DNS in virtual time: airstack's resolver against airstack's authoritative server on a simulated switch. Packets
 * on the wire are counted with the links' own counters, so "answered from the cache" means nothing was sent.
 */
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { DhcpClient } from '../../netstack/dhcp/client.ts';
import { DhcpServer } from '../../netstack/dhcp/server.ts';
import { decodeDns, encodeDns, Rcode, rcodeOf } from '../../netstack/dns/codec.ts';
import { type LookupAddress, Resolver, type ResolverOptions } from '../../netstack/dns/resolver.ts';
import { DnsServer, type ZoneRecord } from '../../netstack/dns/server.ts';
import { createNet } from '../../netstack/socket/net.ts';
import { attachTcp } from '../../netstack/tcp/attach.ts';
import { Lan, type LanHost } from './dhcp-lan.ts';

const S = 1000;

const RECORDS: ZoneRecord[] = [
  { name: 'www', type: 'A', data: '10.2.0.80', ttl: 120 },
  { name: 'www', type: 'TXT', data: 'hello' },
  { name: 'v6', type: 'AAAA', data: 'fd00::80' },
  { name: 'both', type: 'A', data: '10.2.0.81' },
  { name: 'both', type: 'AAAA', data: 'fd00::81' },
  { name: 'alias', type: 'CNAME', data: 'www', ttl: 30 },
  { name: 'c1', type: 'CNAME', data: 'c2' },
  { name: 'c2', type: 'CNAME', data: 'c3' },
  { name: 'c3', type: 'CNAME', data: 'alias' },
  { name: 'loop1', type: 'CNAME', data: 'loop2' },
  { name: 'loop2', type: 'CNAME', data: 'loop1' },
  { name: 'out', type: 'CNAME', data: 'www.other.test.' },
  { name: 'big', type: 'A', data: Array.from({ length: 40 }, (_, i) => `10.2.1.${i + 1}`) },
  { name: 'local', type: 'A', data: '127.0.0.1' },
  { name: 'ns', type: 'A', data: '10.2.0.53' },
];

interface World {
  clock: VirtualClock;
  lan: Lan;
  client: LanHost;
  ns: LanHost;
  server: DnsServer;
  resolver(opts?: Partial<ResolverOptions>): Resolver;
}

function world(): World {
  const clock = new VirtualClock();
  const lan = new Lan(clock, 'dns');
  const ns = lan.host('ns');
  ns.stack.addAddress(ns.dev, '10.2.0.53/24');
  const server = new DnsServer(ns.stack, {
    zones: [
      { origin: 'sim.test', soa: { minimum: 30 }, ttl: 300, records: RECORDS },
      { origin: 'other.test', records: [{ name: 'www', type: 'A', data: '10.2.0.90', ttl: 60 }] },
    ],
  });
  const client = lan.host('client');
  client.stack.addAddress(client.dev, '10.2.0.2/24');
  return {
    clock,
    lan,
    client,
    ns,
    server,
    resolver: (opts = {}) => new Resolver({ stack: client.stack, servers: ['10.2.0.53'], ...opts }),
  };
}

/** Run the clock until the promise settles. */
async function settle<T>(clock: VirtualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await clock.runAsync({ until: () => done, maxTime: clock.now() + 600 * S });
  return p;
}

function lookup(
  clock: VirtualClock,
  r: Resolver,
  name: string,
  opts: object = {},
): Promise<{ address?: string | LookupAddress[]; family?: number }> {
  return settle(
    clock,
    new Promise((resolve, reject) =>
      r.lookup(name, opts, (err, address, family) => (err ? reject(err) : resolve({ address, family }))),
    ),
  );
}

/** Frames the host has put on its link (the link's own counter). */
function sent(h: LanHost): number {
  return h.dev.wire.txFrames;
}

describe('DNS resolver and authoritative server', () => {
  it('resolves A through the server, with the lookup signature of node:dns', async () => {
    const w = world();
    const r = w.resolver();
    expect(await lookup(w.clock, r, 'www.sim.test', { family: 4 })).toEqual({ address: '10.2.0.80', family: 4 });
    expect(await lookup(w.clock, r, 'both.sim.test', { all: true })).toEqual({
      address: [
        { address: '10.2.0.81', family: 4 },
        { address: 'fd00::81', family: 6 },
      ],
    });
    expect(await lookup(w.clock, r, 'v6.sim.test', { family: 6 })).toEqual({ address: 'fd00::80', family: 6 });
    expect(await settle(w.clock, r.resolve4('WWW.Sim.Test.'))).toEqual(['10.2.0.80']);
    expect(w.server.counters.answers).toBeGreaterThanOrEqual(3);
    expect(r.counters.mismatched + r.counters.malformed).toBe(0);
  });

  it('follows CNAME chains, in one response and across zones, and refuses loops', async () => {
    const w = world();
    const r = w.resolver();
    expect(await settle(w.clock, r.resolve4('c1.sim.test'))).toEqual(['10.2.0.80']);
    expect(await settle(w.clock, r.resolve4('out.sim.test'))).toEqual(['10.2.0.90']);
    // c1: the whole chain in one answer; out: the server stops at its zone's edge, the resolver asks for the rest.
    expect(r.counters.udpQueries).toBe(3);
    await expect(settle(w.clock, r.resolve4('loop1.sim.test'))).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(r.counters.cnameLoops).toBe(1);
    const shallow = w.resolver({ maxCnameDepth: 2 });
    await expect(settle(w.clock, shallow.resolve4('c1.sim.test'))).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(shallow.counters.cnameTooDeep).toBe(1);
  });

  it('answers from the cache without a packet until the smallest TTL of the chain runs out', async () => {
    const w = world();
    const r = w.resolver();
    expect(await settle(w.clock, r.resolve4('alias.sim.test'))).toEqual(['10.2.0.80']);
    w.clock.runFor(29 * S);
    const before = sent(w.client);
    expect(await settle(w.clock, r.resolve4('alias.sim.test'))).toEqual(['10.2.0.80']);
    expect(sent(w.client)).toBe(before); // nothing on the wire
    expect(r.cache!.stats.hits).toBe(1);
    // The CNAME's TTL is 30 s (the A record's is 120 s): after 30 s the chain is asked for again.
    w.clock.runFor(2 * S);
    await settle(w.clock, r.resolve4('alias.sim.test'));
    expect(sent(w.client)).toBeGreaterThan(before);
    expect(w.server.counters.queries).toBe(2);
  });

  it('caches NXDOMAIN and NODATA for the SOA minimum (RFC 2308)', async () => {
    const w = world();
    const r = w.resolver();
    await expect(settle(w.clock, r.resolve4('nope.sim.test'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(settle(w.clock, r.resolve6('www.sim.test'))).rejects.toMatchObject({ code: 'ENODATA' });
    expect(w.server.counters).toMatchObject({ nxdomain: 1, nodata: 1 });
    w.clock.runFor(29 * S);
    const before = sent(w.client);
    await expect(settle(w.clock, r.resolve4('nope.sim.test'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(settle(w.clock, r.resolve6('www.sim.test'))).rejects.toMatchObject({ code: 'ENODATA' });
    expect(sent(w.client)).toBe(before);
    expect(r.cache!.stats.negativeHits).toBe(2);
    w.clock.runFor(2 * S);
    await expect(settle(w.clock, r.resolve4('nope.sim.test'))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(w.server.counters.nxdomain).toBe(2);
    // lookup() reports it as getaddrinfo does.
    await expect(lookup(w.clock, r, 'nope.sim.test')).rejects.toMatchObject({
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'nope.sim.test',
    });
  });

  it('fails over: a silent server times out, then the next one answers; timeouts double each round', async () => {
    const w = world();
    const r = w.resolver({ servers: ['10.2.0.99', '10.2.0.53'], timeoutMs: 1000 });
    const t0 = w.clock.now();
    expect(await settle(w.clock, r.resolve4('www.sim.test'))).toEqual(['10.2.0.80']);
    expect(w.clock.now() - t0).toBe(1000);
    expect(r.counters.timeouts).toBe(1);
    // Nobody answers: 3 rounds over 2 servers, 1 + 1 + 2 + 2 + 4 + 4 s.
    const dead = w.resolver({ servers: ['10.2.0.98', '10.2.0.99'], timeoutMs: 1000 });
    const t1 = w.clock.now();
    await expect(settle(w.clock, dead.resolve4('www.sim.test'))).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(w.clock.now() - t1).toBe(14_000);
    expect(dead.counters.udpQueries).toBe(6);
    await expect(lookup(w.clock, dead, 'www.sim.test')).rejects.toMatchObject({
      code: 'EAI_AGAIN',
      dnsCode: 'ETIMEOUT',
    });
  });

  it('a host without a DNS server answers with port unreachable: ECONNREFUSED, and the next server is tried', async () => {
    const w = world();
    const r = w.resolver({ servers: ['10.2.0.2'], attempts: 1 }); // itself: no DNS server there
    await expect(settle(w.clock, r.resolve4('www.sim.test'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const both = w.resolver({ servers: ['10.2.0.2', '10.2.0.53'] });
    expect(await settle(w.clock, both.resolve4('www.sim.test'))).toEqual(['10.2.0.80']);
    expect(both.counters.errors).toBe(1);
  });

  it('SERVFAIL and REFUSED move on to the next server; responses that do not match are dropped and counted', async () => {
    const w = world();
    // A misbehaving server at 10.2.0.54: a response with the wrong id, one for another question, garbage, then
    // SERVFAIL.
    const bad = w.lan.host('bad');
    bad.stack.addAddress(bad.dev, '10.2.0.54/24');
    const s = bad.stack.udpSocket();
    s.bind(0, 53);
    s.onReadable = () => {
      for (let d = s.recv(); d !== null; d = s.recv()) {
        const q = decodeDns(d.data)!;
        const reply = (id: number, name: string, rcode: number) =>
          encodeDns({ type: 'response', id, flags: rcode, questions: [{ name, type: 'A', class: 'IN' }] });
        s.sendTo(reply(q.id! ^ 1, q.questions![0]!.name, 0), d.addr, d.port);
        s.sendTo(reply(q.id!, 'evil.sim.test', 0), d.addr, d.port);
        s.sendTo(Buffer.from([1, 2, 3]), d.addr, d.port);
        s.sendTo(reply(q.id!, q.questions![0]!.name, Rcode.SERVFAIL), d.addr, d.port);
      }
    };
    const r = w.resolver({ servers: ['10.2.0.54', '10.2.0.53'] });
    expect(await settle(w.clock, r.resolve4('www.sim.test'))).toEqual(['10.2.0.80']);
    expect(r.counters).toMatchObject({ mismatched: 2, malformed: 1, servfail: 1 });
    // Out of every zone: REFUSED by the only server.
    await expect(settle(w.clock, w.resolver({ attempts: 1 }).resolve4('example.com'))).rejects.toMatchObject({
      code: 'EREFUSED',
    });
  });

  it('randomises query ids and source ports from the seeded rng', async () => {
    const w = world();
    const seen: Array<[number, number]> = [];
    w.ns.stack.core.addTap({
      dev: null,
      dir: 'rx',
      fn: (skb) => {
        const b = skb.buf.subarray(skb.data, skb.tail);
        if (b.length > 42 && b[23] === 17 && b.readUInt16BE(36) === 53)
          seen.push([b.readUInt16BE(42), b.readUInt16BE(34)]);
      },
    });
    const r = w.resolver({ cacheSize: 0 });
    for (let i = 0; i < 5; i++) await settle(w.clock, r.resolve4('www.sim.test'));
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((x) => x[0])).size).toBe(5);
    expect(new Set(seen.map((x) => x[1])).size).toBe(5);
  });

  it('static hosts entries answer without a query; localhost is always there', async () => {
    const w = world();
    const r = w.resolver({ hosts: '10.9.9.9  printer printer.lan # office\n' });
    expect(await lookup(w.clock, r, 'printer', { family: 4 })).toEqual({ address: '10.9.9.9', family: 4 });
    expect(await lookup(w.clock, r, 'localhost', { family: 4 })).toEqual({ address: '127.0.0.1', family: 4 });
    expect(r.counters.udpQueries).toBe(0);
    expect(r.counters.hostsHits).toBe(2);
  });

  it('uses the DNS servers and the search domain a DHCP lease gave', async () => {
    const w = world();
    w.ns.stack.addAddress(w.ns.dev, '10.2.0.1/24');
    const dhcpd = new DhcpServer(w.ns.stack, {
      dev: w.ns.dev,
      pool: '10.2.0.100-10.2.0.110',
      dns: ['10.2.0.53'],
      domain: 'sim.test',
    });
    const h = w.lan.host('dhcp-client');
    const dhcp = new DhcpClient(h.stack, { dev: h.dev });
    dhcp.start();
    await w.clock.runAsync({ until: () => dhcp.state === 'BOUND', maxTime: 60 * S });
    expect(dhcpd.activeLeases).toBe(1);
    const r = new Resolver({ stack: h.stack });
    expect(await lookup(w.clock, r, 'www', { family: 4 })).toEqual({ address: '10.2.0.80', family: 4 });
  });

  it('plugs into net.connect({ lookup }) as its lookup function', async () => {
    const w = world();
    const r = w.resolver();
    const srv = createServer((s) => s.end('hi'));
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
    const port = (srv.address() as { port: number }).port;
    const got = await new Promise<string>((resolve, reject) => {
      const sock: Socket = netConnect({ host: 'local.sim.test', port, lookup: r.lookup, family: 4 });
      let data = '';
      sock.on('data', (d) => (data += d));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      void w.clock.runAsync({ until: () => data !== '' || sock.destroyed, maxTime: 60 * S });
    });
    srv.close();
    expect(got).toBe('hi');
    expect(w.server.counters.answers).toBe(1);
  });

  it("plugs into the stack's own net.connect({ host }) as its lookup", async () => {
    const w = world();
    const r = w.resolver();
    const server = createNet(attachTcp(w.ns.stack))
      .createServer((sock) => sock.end('hello over airstack'))
      .listen(80);
    const net = createNet(attachTcp(w.client.stack), { lookup: r.lookup });
    const sock = net.connect({ host: 'ns.sim.test', port: 80 });
    let data = '';
    let ended = false;
    sock.on('data', (d: Buffer) => (data += d.toString()));
    sock.on('end', () => (ended = true));
    await w.clock.runAsync({ until: () => ended, maxTime: w.clock.now() + 30 * S });
    expect(data).toBe('hello over airstack');
    expect(sock.remoteAddress).toBe('10.2.0.53');
    expect(r.counters.udpQueries).toBe(1);
    server.close();
  });

  it("truncates large answers to 512 bytes with TC, and the resolver asks again over the stacks' TCP", async () => {
    const w = world();
    // Without a stream connector the truncated (empty) answer is all there is.
    const noTcp = w.resolver({ attempts: 1 });
    await expect(settle(w.clock, noTcp.resolve4('big.sim.test'))).rejects.toMatchObject({ code: 'ENODATA' });
    expect(noTcp.counters.truncated).toBe(1);
    expect(w.server.counters.truncated).toBe(1);
    // With the stacks' TCP: the server listens on 53/tcp, the resolver asks again over a connection.
    const nsNet = createNet(attachTcp(w.ns.stack));
    const tcpServer = nsNet.createServer((sock) => w.server.serveStream(sock)).listen(53);
    const clientNet = createNet(attachTcp(w.client.stack));
    const r = w.resolver({ tcp: (addr, port) => clientNet.connect(port, addr) });
    const addrs = await settle(w.clock, r.resolve4('big.sim.test'));
    expect(addrs).toHaveLength(40);
    expect(addrs).toContain('10.2.1.40');
    expect(r.counters).toMatchObject({ truncated: 1, tcpQueries: 1 });
    expect(w.server.counters.tcpQueries).toBe(1);
    expect(w.client.stack.snmp().Tcp!.ActiveOpens).toBe(1);
    tcpServer.close();
    await settle(w.clock, Promise.resolve());
  });

  it('answers SOA and NS for its zone, NXDOMAIN with the SOA at its minimum TTL, and EDNS sizes', () => {
    const w = world();
    const ask = (name: string, type: string, edns = 0) =>
      decodeDns(
        w.server.handle(
          encodeDns({
            type: 'query',
            id: 9,
            questions: [{ name, type: type as 'A', class: 'IN' }],
            additionals: edns ? [{ type: 'OPT', name: '.', udpPayloadSize: edns } as never] : [],
          }),
          'udp',
        )!,
      )!;
    const soa = ask('sim.test', 'SOA');
    expect(soa.flag_aa).toBe(true);
    expect(soa.answers![0]).toMatchObject({
      type: 'SOA',
      name: 'sim.test',
      data: { mname: 'ns1.sim.test', minimum: 30 },
    });
    expect(ask('sim.test', 'NS').answers![0]).toMatchObject({ type: 'NS', data: 'ns1.sim.test' });
    const nx = ask('nope.sim.test', 'A');
    expect(rcodeOf(nx)).toBe(Rcode.NXDOMAIN);
    expect(nx.authorities![0]).toMatchObject({ type: 'SOA', ttl: 30 });
    // 40 A records do not fit 512 bytes, but do fit the 4096 an EDNS query offers (capped at 1232).
    expect(ask('big.sim.test', 'A').flag_tc).toBe(true);
    const big = ask('big.sim.test', 'A', 4096);
    expect(big.flag_tc).toBe(false);
    expect(big.answers).toHaveLength(40);
    expect(big.additionals![0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });

  it('never answers garbage, and survives random queries', () => {
    const w = world();
    for (let i = 0; i < 600; i++) {
      const b = Buffer.alloc(i % 80);
      for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j * 17) & 0xff;
      w.server.handle(b, 'udp');
    }
    expect(w.server.counters.malformed).toBeGreaterThan(0);
  });
});

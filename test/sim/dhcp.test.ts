/**
 * DHCP in virtual time: an airstack server and airstack clients on a simulated switch. Each test is one story
 * (lease, renew, rebind, expire, conflict, reboot, NAK, sharing, exhaustion, loss) asserted through the stacks'
 * addresses and routes, the client's state and events, and the counters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { type DhcpClientOptions, DhcpClient, type DhcpClientState } from '../../netstack/dhcp/client.ts';
import { DhcpServer, type DhcpServerOptions } from '../../netstack/dhcp/server.ts';
import { DhcpEndpoint } from '../../netstack/dhcp/endpoint.ts';
import { BOOTREPLY, DhcpType, decodeDhcp, messageType, newDhcpMessage } from '../../netstack/dhcp/message.ts';
import { decodeFrame } from '../../netstack/testing/host.ts';
import { resolvConf } from '../../netstack/dns/resolv-conf.ts';
import { formatIpv4, formatMac, parseIpv4 } from '../../netstack/inet/addr.ts';
import type { LinkFaults } from '../../netstack/link/pair.ts';
import type { Stack } from '../../netstack/stack.ts';
import { Lan, type LanHost } from './dhcp-lan.ts';

const S = 1000;

interface World {
  clock: VirtualClock;
  lan: Lan;
  srv: LanHost;
  server: DhcpServer;
  client(name: string, opts?: Partial<DhcpClientOptions>, faults?: Partial<LinkFaults>): Client;
}

interface Client {
  host: LanHost;
  dhcp: DhcpClient;
  states: DhcpClientState[];
}

function world(opts: Partial<DhcpServerOptions> = {}, seed = 'dhcp'): World {
  const clock = new VirtualClock();
  const lan = new Lan(clock, seed);
  const srv = lan.host('server');
  srv.stack.addAddress(srv.dev, '10.1.0.1/24');
  const server = new DhcpServer(srv.stack, {
    dev: srv.dev,
    pool: '10.1.0.100-10.1.0.109',
    routers: ['10.1.0.1'],
    dns: ['10.1.0.53', '10.1.0.54'],
    domain: 'sim.test',
    mtu: 1400,
    leaseTime: 600,
    ...opts,
  });
  return {
    clock,
    lan,
    srv,
    server,
    client(name, copts = {}, faults = {}) {
      const host = lan.host(name, faults);
      const dhcp = new DhcpClient(host.stack, { dev: host.dev, hostname: name, ...copts });
      const states: DhcpClientState[] = [];
      dhcp.on('state', (s: DhcpClientState) => states.push(s));
      return { host, dhcp, states };
    },
  };
}

function addrs(stack: Stack): string[] {
  return stack.addresses().filter((a) => !a.startsWith('lo '));
}

interface Seen {
  t: number;
  dir: 'rx' | 'tx';
  src: string;
  dst: string;
  type: number | undefined;
}

/** Every DHCP message a stack sends or receives, with its time and IP addresses. */
function dhcpLog(stack: Stack): Seen[] {
  const out: Seen[] = [];
  stack.core.addTap({
    dev: null,
    dir: 'both',
    fn: (skb, _dev, dir) => {
      const f = decodeFrame(Buffer.from(skb.buf.subarray(skb.data, skb.tail)));
      if (!f.udp || !f.ipPayload || ![67, 68].includes(f.udp.dstPort)) return;
      const m = decodeDhcp(f.ipPayload.subarray(8));
      if (typeof m === 'string') return;
      out.push({
        t: stack.clock.now(),
        dir,
        src: formatIpv4(f.ip!.src),
        dst: formatIpv4(f.ip!.dst),
        type: messageType(m),
      });
    },
  });
  return out;
}

function runUntil(clock: VirtualClock, cond: () => boolean, maxMs: number): boolean {
  const end = clock.now() + maxMs;
  while (!cond() && clock.now() < end) {
    const next = Math.min(clock.nextEventTime(), end);
    clock.runUntil(next);
  }
  return cond();
}

describe('DHCP client and server in virtual time', () => {
  it('leases an address: DISCOVER, OFFER, REQUEST, ACK, probe, BOUND; the lease is applied to the stack', () => {
    const w = world();
    const c = w.client('c1');
    const bound: unknown[] = [];
    c.dhcp.on('bound', (l) => bound.push(l));
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(c.states).toEqual(['INIT', 'SELECTING', 'REQUESTING', 'CHECKING', 'BOUND']);
    expect(bound).toHaveLength(1);
    const l = c.dhcp.lease!;
    expect(formatIpv4(l.address)).toBe('10.1.0.100');
    expect(l.leaseTime).toBe(600);
    expect([l.t1, l.t2]).toEqual([300, 525]);
    expect(addrs(c.host.stack)).toEqual(['eth0 10.1.0.100/24']);
    expect(c.host.stack.routes().some((r) => r.startsWith('default via 10.1.0.1'))).toBe(true);
    expect(c.host.dev.mtu).toBe(1400);
    expect(resolvConf(c.host.stack).servers.map(formatIpv4)).toEqual(['10.1.0.53', '10.1.0.54']);
    expect(resolvConf(c.host.stack).search).toEqual(['sim.test']);
    // The probe: 3 ARP probes from 0.0.0.0 before the address was used.
    expect(c.dhcp.counters).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1, leases: 1, conflicts: 0 });
    expect(w.server.counters).toMatchObject({ discovers: 1, offers: 1, requests: 1, acks: 1, naks: 0 });
    expect(w.server.bindings()).toMatchObject([{ address: parseIpv4('10.1.0.100'), state: 'bound', hostname: 'c1' }]);
    // The OFFER was unicast to the new address (no broadcast flag): taken by the endpoint's tap.
    expect(c.dhcp.endpoint.counters.rxUnconfigured).toBeGreaterThanOrEqual(1);
    // And the address works.
    let ok = false;
    c.host.stack.pinger('10.1.0.1', { count: 1 }, (r) => {
      ok = r.received === 1;
    });
    w.clock.runFor(2 * S);
    expect(ok).toBe(true);
  });
});

describe('DHCP lease lifetime', () => {
  it('renews at T1 with a REQUEST unicast to the server, and the lease is extended', () => {
    const w = world();
    const c = w.client('c1');
    const seen = dhcpLog(c.host.stack);
    c.dhcp.start();
    runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S);
    const start = c.dhcp.lease!.start;
    const renewed: unknown[] = [];
    c.dhcp.on('renewed', (l) => renewed.push(l));
    w.clock.runUntil(start + 300 * S + 1);
    expect(renewed).toHaveLength(1);
    expect(c.dhcp.state).toBe('BOUND');
    expect(c.states.slice(-2)).toEqual(['RENEWING', 'BOUND']);
    const req = seen.filter((s) => s.dir === 'tx' && s.type === DhcpType.REQUEST).at(-1)!;
    expect(req).toMatchObject({ src: '10.1.0.100', dst: '10.1.0.1' });
    expect(req.t).toBe(start + 300 * S);
    expect(c.dhcp.lease!.start).toBe(start + 300 * S);
    expect(c.dhcp.counters.renewals).toBe(1);
    // Long after the first lease would have run out, the address is still there.
    w.clock.runUntil(start + 900 * S);
    expect(addrs(c.host.stack)).toEqual(['eth0 10.1.0.100/24']);
    expect(c.dhcp.counters.renewals).toBe(3);
    expect(c.dhcp.counters.expiries).toBe(0);
  });

  it('with the server gone, renews in vain, rebinds at T2 by broadcast, and gets the lease when the server is back', () => {
    const w = world();
    const c = w.client('c1');
    // What the client hands to the stack (with the server gone, unicasts stop at ARP and never reach the wire).
    const seen: Seen[] = [];
    c.dhcp.on('send', (x) =>
      seen.push({ t: x.at, dir: 'tx', src: formatIpv4(x.src), dst: formatIpv4(x.dst), type: x.type }),
    );
    c.dhcp.start();
    runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S);
    const start = c.dhcp.lease!.start;
    w.srv.dev.close();
    w.clock.runUntil(start + 525 * S - 1);
    expect(c.dhcp.state).toBe('RENEWING');
    // Renewal retries (RFC 2131 §4.4.5): at T1, after half the time left to T2 (112.5 s), then after the 60 s
    // minimum (half of 112.5 s is less); none that would come after T2.
    const renewals = seen.filter((s) => s.dir === 'tx' && s.type === DhcpType.REQUEST && s.dst === '10.1.0.1');
    expect(renewals.map((s) => s.t - start)).toEqual([300 * S, 412.5 * S, 472.5 * S]);
    w.clock.runUntil(start + 525 * S);
    expect(c.dhcp.state).toBe('REBINDING');
    w.clock.runUntil(start + 540 * S);
    w.srv.dev.open();
    w.clock.runUntil(start + 590 * S);
    expect(c.dhcp.state).toBe('BOUND');
    expect(c.dhcp.counters.rebinds).toBe(1);
    const rebinds = seen.filter((s) => s.dir === 'tx' && s.type === DhcpType.REQUEST && s.t >= start + 525 * S);
    expect(rebinds.every((s) => s.dst === '255.255.255.255' && s.src === '10.1.0.100')).toBe(true);
    // The first rebinding REQUEST was lost; the next came 60 s later (half of the 75 s left is under the minimum).
    expect(rebinds.map((s) => s.t - start)).toEqual([525 * S, 585 * S]);
    expect(addrs(c.host.stack)).toEqual(['eth0 10.1.0.100/24']);
  });

  it('at expiry removes the address, the routes, the MTU and the DNS servers, and starts over', () => {
    const w = world();
    const c = w.client('c1');
    c.dhcp.start();
    runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S);
    const start = c.dhcp.lease!.start;
    const expired: unknown[] = [];
    c.dhcp.on('expired', (l) => expired.push(l));
    w.srv.dev.close();
    w.clock.runUntil(start + 600 * S - 1);
    expect(addrs(c.host.stack)).toHaveLength(1);
    w.clock.runUntil(start + 600 * S);
    expect(expired).toHaveLength(1);
    expect(addrs(c.host.stack)).toEqual([]);
    expect(c.host.stack.routes().filter((r) => !r.includes(' lo'))).toEqual([]);
    expect(c.host.dev.mtu).toBe(1500);
    expect(resolvConf(c.host.stack).servers).toEqual([]);
    expect(c.dhcp.state).toBe('SELECTING');
    expect(c.dhcp.counters.expiries).toBe(1);
    // When the server returns, the client gets its address back.
    w.srv.dev.open();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 120 * S)).toBe(true);
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.100');
  });

  it('releases the lease on stop and the server can give the address to someone else', () => {
    const w = world({ pool: '10.1.0.100-10.1.0.100' });
    const a = w.client('a');
    a.dhcp.start();
    runUntil(w.clock, () => a.dhcp.state === 'BOUND', 30 * S);
    a.dhcp.stop();
    expect(addrs(a.host.stack)).toEqual([]);
    w.clock.runFor(S);
    expect(w.server.counters.releases).toBe(1);
    expect(w.server.bindings()[0]!.state).toBe('released');
    const b = w.client('b');
    b.dhcp.start();
    expect(runUntil(w.clock, () => b.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(formatIpv4(b.dhcp.lease!.address)).toBe('10.1.0.100');
  });
});

describe('DHCP conflicts, reboots and refusals', () => {
  it('declines an address another host already uses (ARP probe), then leases another one', () => {
    const w = world();
    const squatter = w.lan.host('squatter');
    squatter.stack.addAddress(squatter.dev, '10.1.0.100/24');
    const c = w.client('c1');
    const conflicts: Array<{ address: number; by: string }> = [];
    c.dhcp.on('conflict', (x) => conflicts.push(x));
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.counters.conflicts > 0, 30 * S)).toBe(true);
    expect(conflicts[0]!.by).toBe(formatMac(squatter.dev.addr));
    expect(addrs(c.host.stack)).toEqual([]); // never configured
    const declinedAt = w.clock.now();
    w.clock.runFor(1);
    expect(w.server.counters.declines).toBe(1);
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 60 * S)).toBe(true);
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.101');
    // It waited the RFC 2131 §3.1.5 ten seconds before DISCOVERing again.
    expect(w.clock.now() - declinedAt).toBeGreaterThanOrEqual(10 * S);
    expect(c.dhcp.counters).toMatchObject({ declines: 1, conflicts: 1, leases: 1 });
    // The squatter kept its address untouched.
    expect(addrs(squatter.stack)).toEqual(['eth0 10.1.0.100/24']);
  });

  it('INIT-REBOOT: a client with a remembered lease asks for it again and gets it without a DISCOVER', () => {
    const w = world();
    const c = w.client('c1');
    c.dhcp.start();
    runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S);
    const lease = c.dhcp.lease!;
    c.dhcp.stop({ release: false });
    w.clock.runFor(60 * S);
    const again = new DhcpClient(c.host.stack, { dev: c.host.dev, lease });
    const states: string[] = [];
    again.on('state', (s) => states.push(s));
    again.start();
    expect(runUntil(w.clock, () => again.state === 'BOUND', 30 * S)).toBe(true);
    expect(states).toEqual(['INIT-REBOOT', 'REBOOTING', 'CHECKING', 'BOUND']);
    expect(again.lease!.address).toBe(lease.address);
    expect(again.counters.discovers).toBe(0);
    expect(addrs(c.host.stack)).toEqual(['eth0 10.1.0.100/24']);
  });

  it('INIT-REBOOT on the wrong network: NAK, then a normal lease', () => {
    const w = world();
    const c = w.client('c1', { lease: { address: parseIpv4('192.168.7.7') } });
    const naks: unknown[] = [];
    c.dhcp.on('nak', (n) => naks.push(n));
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(naks).toEqual([{ state: 'REBOOTING', message: 'wrong network' }]);
    expect(c.states).toEqual(['INIT-REBOOT', 'REBOOTING', 'INIT', 'SELECTING', 'REQUESTING', 'CHECKING', 'BOUND']);
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.100');
    expect(w.server.counters.naks).toBe(1);
  });

  it("INIT-REBOOT asking for another client's address: NAK", () => {
    const w = world();
    const a = w.client('a');
    a.dhcp.start();
    runUntil(w.clock, () => a.dhcp.state === 'BOUND', 30 * S);
    const b = w.client('b', { lease: { address: a.dhcp.lease!.address } });
    b.dhcp.start();
    expect(runUntil(w.clock, () => b.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(b.dhcp.counters.naks).toBe(1);
    expect(formatIpv4(b.dhcp.lease!.address)).toBe('10.1.0.101');
  });

  it('a non-authoritative server stays silent for a client it has no record of; the client falls back to INIT', () => {
    const w = world();
    const c = w.client('c1', { lease: { address: parseIpv4('10.1.0.105') } });
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 200 * S)).toBe(true);
    expect(c.dhcp.counters.requestTimeouts).toBe(1);
    expect(w.server.counters.silent).toBe(5);
    // The DISCOVER asked for the remembered address, and the server could give it.
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.105');
  });

  it('an authoritative server ACKs the INIT-REBOOT of an unknown client when the address is free', () => {
    const w = world({ authoritative: true });
    const c = w.client('c1', { lease: { address: parseIpv4('10.1.0.105') } });
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(c.dhcp.counters.discovers).toBe(0);
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.105');
  });
});

describe('DHCP pools and lossy links', () => {
  it('several clients share the pool: distinct addresses, and they reach each other', () => {
    const w = world();
    const cs = ['a', 'b', 'c', 'd', 'e'].map((n) => w.client(n));
    for (const c of cs) c.dhcp.start();
    expect(runUntil(w.clock, () => cs.every((c) => c.dhcp.state === 'BOUND'), 60 * S)).toBe(true);
    const got = cs.map((c) => formatIpv4(c.dhcp.lease!.address)).sort();
    expect(got).toEqual(['10.1.0.100', '10.1.0.101', '10.1.0.102', '10.1.0.103', '10.1.0.104']);
    expect(w.server.activeLeases).toBe(5);
    let received = 0;
    cs[0]!.host.stack.pinger(cs[4]!.dhcp.lease!.address, { count: 2 }, (r) => {
      received = r.received;
    });
    w.clock.runFor(5 * S);
    expect(received).toBe(2);
  });

  it('pool exhaustion: the extra client keeps DISCOVERing with backoff and gets an address once one is released', () => {
    const w = world({ pool: '10.1.0.100-10.1.0.101' });
    const [a, b] = [w.client('a'), w.client('b')];
    a.dhcp.start();
    b.dhcp.start();
    runUntil(w.clock, () => a.dhcp.state === 'BOUND' && b.dhcp.state === 'BOUND', 30 * S);
    const c = w.client('c');
    const seen = dhcpLog(c.host.stack);
    c.dhcp.start();
    w.clock.runFor(100 * S);
    expect(c.dhcp.state).toBe('SELECTING');
    expect(w.server.counters.poolExhausted).toBeGreaterThanOrEqual(4);
    const t = seen.filter((s) => s.type === DhcpType.DISCOVER).map((s) => s.t);
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    // 4, 8, 16, 32 s, each ± 1 s.
    for (const [i, g] of gaps.entries()) expect(Math.abs(g - 4000 * 2 ** i)).toBeLessThanOrEqual(1000);
    a.dhcp.stop();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 120 * S)).toBe(true);
    expect(formatIpv4(c.dhcp.lease!.address)).toBe('10.1.0.100');
  });

  it('DISCOVER backoff: 4, 8, 16, 32, 64 s, each within ± 1 s, jitter from the seeded rng', () => {
    const times = (seed: string): number[] => {
      const w = world({}, seed);
      w.srv.dev.close();
      const c = w.client('c1', { rng: undefined });
      const seen = dhcpLog(c.host.stack);
      c.dhcp.start();
      w.clock.runFor(130 * S);
      return seen.filter((s) => s.type === DhcpType.DISCOVER).map((s) => s.t);
    };
    const t = times('x');
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    expect(gaps).toHaveLength(5);
    for (const [i, want] of [4, 8, 16, 32, 64].entries()) expect(Math.abs(gaps[i]! - want * S)).toBeLessThanOrEqual(S);
    expect(new Set(gaps.map((g, i) => g - [4, 8, 16, 32, 64][i]! * S)).size).toBe(5); // jittered
    expect(times('x')).toEqual(t); // deterministic
  });

  it('leases over a link losing 30 % of frames, retransmitting as needed, deterministically by seed', () => {
    const run = (seed: string) => {
      const w = world({}, seed);
      const cs = ['a', 'b', 'c'].map((n) => w.client(n, {}, { loss: 0.3 }));
      for (const c of cs) c.dhcp.start();
      const ok = runUntil(w.clock, () => cs.every((c) => c.dhcp.state === 'BOUND'), 600 * S);
      return { ok, t: w.clock.now(), rtx: cs.reduce((n, c) => n + c.dhcp.counters.retransmits, 0), w, cs };
    };
    const r = run('lossy-2');
    expect(r.ok).toBe(true);
    expect(r.rtx).toBeGreaterThan(0);
    expect(new Set(r.cs.map((c) => c.dhcp.lease!.address)).size).toBe(3);
    const lost = r.cs.reduce((n, c) => n + c.host.dev.wire.lost + c.host.port.wire.lost, 0);
    expect(lost).toBeGreaterThan(0);
    const again = run('lossy-2');
    expect([again.t, again.rtx]).toEqual([r.t, r.rtx]);
  });

  it('a search list (option 119) takes precedence over the domain name for the resolver configuration', () => {
    const w = world({ search: ['sim.test', 'corp.test'] });
    const c = w.client('c1');
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(c.dhcp.lease!.search).toEqual(['sim.test', 'corp.test']);
    expect(resolvConf(c.host.stack).search).toEqual(['sim.test', 'corp.test']);
  });

  it('with the broadcast flag the server broadcasts its replies (nothing for the tap)', () => {
    const w = world();
    const c = w.client('c1', { broadcastFlag: true });
    const seen = dhcpLog(c.host.stack);
    c.dhcp.start();
    expect(runUntil(w.clock, () => c.dhcp.state === 'BOUND', 30 * S)).toBe(true);
    expect(c.dhcp.endpoint.counters.rxUnconfigured).toBe(0);
    const offer = seen.find((s) => s.type === DhcpType.OFFER)!;
    expect(offer.dst).toBe('255.255.255.255');
    expect(seen.find((s) => s.type === DhcpType.DISCOVER)!.src).toBe('0.0.0.0');
  });
});

describe('DHCP client against a hostile server', () => {
  it('random replies for its transaction never throw, each is counted once, and the state stays valid (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(2, 5, 6, 0, 9),
            yiaddr: fc.nat(),
            options: fc.array(fc.tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 12 })), {
              maxLength: 8,
            }),
          }),
          { maxLength: 8 },
        ),
        (replies) => {
          const w = world();
          const c = w.client('c1');
          const rogue = w.lan.host('rogue');
          rogue.stack.addAddress(rogue.dev, '10.1.0.66/24');
          const ep = new DhcpEndpoint(rogue.stack, rogue.dev, 67, () => {});
          let xid = 0;
          c.dhcp.on('send', (x: { xid: number }) => {
            xid = x.xid;
          });
          w.server.close(); // only the rogue at first
          c.dhcp.start();
          for (const r of replies) {
            const m = newDhcpMessage(BOOTREPLY, xid, c.host.dev.addr);
            m.yiaddr = r.yiaddr;
            for (const [code, v] of r.options) m.options.set(code, v);
            m.options.set(53, Uint8Array.of(r.type));
            ep.send(m, 0xffffffff, 68, parseIpv4('10.1.0.66'));
            w.clock.runFor(50);
          }
          w.clock.runFor(1000);
          expect(['SELECTING', 'REQUESTING', 'CHECKING', 'BOUND', 'INIT']).toContain(c.dhcp.state);
          const k = c.dhcp.counters;
          const ep2 = c.dhcp.endpoint.counters;
          expect(ep2.rxPackets).toBe(replies.length);
          expect(k.offers + k.acks + k.naks + k.ignored + k.malformed + ep2.rxMalformed).toBe(replies.length);
          c.dhcp.stop({ release: false });
        },
      ),
      { numRuns: 60 },
    );
  });
});

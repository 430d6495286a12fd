/**
 * DHCP in virtual time: an airstack server and airstack clients on a simulated switch. Each test is one story
 * (lease, renew, rebind, expire, conflict, reboot, NAK, sharing, exhaustion, loss) asserted through the stacks'
 * addresses and routes, the client's state and events, and the counters.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { type DhcpClientOptions, DhcpClient, type DhcpClientState } from '../../netstack/dhcp/client.ts';
import { DhcpServer, type DhcpServerOptions } from '../../netstack/dhcp/server.ts';
import { resolvConf } from '../../netstack/dns/resolv-conf.ts';
import { formatIpv4, parseIpv4 } from '../../netstack/inet/addr.ts';
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

/**
 * The DHCP server's rules one message at a time: a scripted client sends hand-made messages through a DHCP
 * endpoint on a second stack and reads the replies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.ts';
import { parseIpv4 } from '../inet/addr.ts';
import { createPair } from '../link/pair.ts';
import { Stack } from '../stack.ts';
import { type DhcpRx, DhcpEndpoint } from './endpoint.ts';
import {
  BOOTREQUEST,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DhcpType,
  Opt,
  messageType,
  newDhcpMessage,
  optAddr,
  u32Bytes,
} from './message.ts';
import { DhcpServer, type DhcpServerOptions } from './server.ts';

function setup(opts: Partial<DhcpServerOptions> = {}) {
  const clock = new VirtualClock();
  const { a, b } = createPair({ clock });
  const srv = new Stack({ clock, name: 'srv' });
  srv.addDevice(a);
  srv.addAddress(a, '10.3.0.1/24');
  const server = new DhcpServer(srv, { dev: a, pool: '10.3.0.10-10.3.0.11', dns: ['10.3.0.53'], ...opts });
  const cli = new Stack({ clock, name: 'cli' });
  cli.addDevice(b);
  const got: DhcpRx[] = [];
  const ep = new DhcpEndpoint(cli, b, DHCP_CLIENT_PORT, (rx) => got.push(rx));
  ep.unconfiguredRx = true;
  const send = (type: DhcpType, mac: number, f: (m: ReturnType<typeof newDhcpMessage>) => void = () => {}) => {
    // One device, several clients: told apart by their client identifiers (option 61).
    const m = newDhcpMessage(BOOTREQUEST, 0x1000 + mac, b.addr);
    m.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(type));
    m.options.set(Opt.CLIENT_ID, Uint8Array.of(0, mac));
    f(m);
    got.length = 0;
    ep.send(m, 0xffffffff, DHCP_SERVER_PORT, m.ciaddr);
    clock.runFor(10);
    return got.map((r) => ({ type: messageType(r.msg), yiaddr: r.msg.yiaddr, msg: r.msg, dst: r.dst }));
  };
  return { clock, server, send, cli, dev: b };
}

const ip = parseIpv4;

describe('DHCP server rules', () => {
  it('holds an offer for offerHoldMs; after that the address can go to another client', () => {
    const { clock, send } = setup({ offerHoldMs: 5000, pool: '10.3.0.10-10.3.0.10' });
    expect(send(DhcpType.DISCOVER, 1)[0]).toMatchObject({ type: DhcpType.OFFER, yiaddr: ip('10.3.0.10') });
    expect(send(DhcpType.DISCOVER, 2)).toEqual([]); // held for client 1
    clock.runFor(5000);
    expect(send(DhcpType.DISCOVER, 2)[0]).toMatchObject({ type: DhcpType.OFFER, yiaddr: ip('10.3.0.10') });
    // Client 1 now REQUESTs what it was offered long ago: NAK.
    const r = send(DhcpType.REQUEST, 1, (m) => {
      m.options.set(Opt.SERVER_ID, u32Bytes(ip('10.3.0.1')));
      m.options.set(Opt.REQUESTED_IP, u32Bytes(ip('10.3.0.10')));
    });
    expect(r[0]).toMatchObject({ type: DhcpType.NAK, dst: 0xffffffff });
  });

  it('a declined address stays out of use for declineHoldMs', () => {
    const { clock, server, send } = setup({ declineHoldMs: 60_000 });
    send(DhcpType.DISCOVER, 1);
    send(DhcpType.DECLINE, 1, (m) => {
      m.options.set(Opt.SERVER_ID, u32Bytes(ip('10.3.0.1')));
      m.options.set(Opt.REQUESTED_IP, u32Bytes(ip('10.3.0.10')));
    });
    expect(server.counters.declines).toBe(1);
    expect(send(DhcpType.DISCOVER, 2)[0]!.yiaddr).toBe(ip('10.3.0.11'));
    expect(send(DhcpType.DISCOVER, 3)).toEqual([]); // .10 declined, .11 offered to 2
    expect(server.counters.poolExhausted).toBe(1);
    clock.runFor(60_000);
    expect(send(DhcpType.DISCOVER, 3)[0]!.yiaddr).toBe(ip('10.3.0.10'));
  });

  it('INFORM: an ACK with the options and no lease, unicast to ciaddr', () => {
    const { send, cli, dev } = setup();
    cli.addAddress(dev, '10.3.0.77/24');
    const r = send(DhcpType.INFORM, 1, (m) => {
      m.ciaddr = ip('10.3.0.77');
    });
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ type: DhcpType.ACK, yiaddr: 0, dst: ip('10.3.0.77') });
    expect(r[0]!.msg.options.has(Opt.LEASE_TIME)).toBe(false);
    expect(optAddr(r[0]!.msg, Opt.DNS)).toBe(ip('10.3.0.53'));
  });

  it('ignores replies, messages without a type, and REQUESTs for another server', () => {
    const { server, send } = setup();
    send(DhcpType.DISCOVER, 1, (m) => m.options.delete(Opt.MESSAGE_TYPE));
    expect(server.counters.malformed).toBe(1);
    send(DhcpType.DISCOVER, 1);
    const r = send(DhcpType.REQUEST, 1, (m) => {
      m.options.set(Opt.SERVER_ID, u32Bytes(ip('10.3.0.99')));
      m.options.set(Opt.REQUESTED_IP, u32Bytes(ip('10.3.0.10')));
    });
    expect(r).toEqual([]);
    expect(server.counters.silent).toBe(1);
    expect(server.bindings()[0]!.state).toBe('released'); // the offer was withdrawn
  });

  it('refuses a pool off its subnet or containing the network address, in words', () => {
    const clock = new VirtualClock();
    const { a } = createPair({ clock });
    const s = new Stack({ clock, name: 's' });
    s.addDevice(a);
    expect(() => new DhcpServer(s, { dev: a, pool: '10.0.0.5-10.0.0.9' })).toThrow(/has no IPv4 address/);
    s.addAddress(a, '10.3.0.1/24');
    expect(() => new DhcpServer(s, { dev: a, pool: '10.4.0.5-10.4.0.9' })).toThrow(/not on eth0's subnet/);
    expect(() => new DhcpServer(s, { dev: a, pool: '10.3.0.0-10.3.0.9' })).toThrow(/network or broadcast/);
    expect(() => new DhcpServer(s, { dev: a, pool: '10.3.0.9-10.3.0.5' })).toThrow(/empty/);
    expect(() => new DhcpServer(s, { dev: a, pool: 'x' })).toThrow(/FIRST-LAST/);
  });
});

describe('DHCP server under random requests', () => {
  it('never throws and counts every message once (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.integer({ min: 0, max: 10 }),
            client: fc.integer({ min: 1, max: 4 }),
            ciaddr: fc.constantFrom(0, ip('10.3.0.10'), ip('10.3.0.11'), ip('192.168.0.1')),
            requested: fc.option(fc.constantFrom(ip('10.3.0.10'), ip('10.3.0.11'), ip('10.9.9.9'))),
            serverId: fc.option(fc.constantFrom(ip('10.3.0.1'), ip('10.3.0.2'))),
            extra: fc.array(fc.tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 8 })), {
              maxLength: 4,
            }),
          }),
          { maxLength: 20 },
        ),
        (msgs) => {
          const { server, send } = setup();
          for (const r of msgs) {
            send(r.type, r.client, (m) => {
              for (const [code, v] of r.extra) m.options.set(code, v);
              m.options.set(Opt.MESSAGE_TYPE, Uint8Array.of(r.type));
              m.ciaddr = r.ciaddr;
              if (r.requested !== null) m.options.set(Opt.REQUESTED_IP, u32Bytes(r.requested));
              if (r.serverId !== null) m.options.set(Opt.SERVER_ID, u32Bytes(r.serverId));
            });
          }
          const c = server.counters;
          const handled = c.discovers + c.requests + c.declines + c.releases + c.informs + c.malformed + c.ignored;
          expect(handled + server.endpoint.counters.rxMalformed).toBe(msgs.length);
          expect(server.activeLeases).toBeLessThanOrEqual(2);
        },
      ),
      { numRuns: 100 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inetChecksum } from '../core/checksum.ts';
import { ETH_P_IP } from '../ethernet/header.ts';
import { EMSGSIZE, ENETUNREACH } from '../inet/errno.ts';
import { RecordingDevice } from '../link/recording.ts';
import { HOST_IP, PEER_IP, PEER_MAC, decodeFrame, ethFrame, ip, ipFrame, testHost } from '../testing/host.ts';
import { encodeUdp } from '../udp/header.ts';
import {
  buildIpv4Packet,
  checkIpv4Options,
  decodeIpv4Header,
  IPOPT_LSRR,
  IPOPT_RR,
  writeIpv4Header,
} from './header.ts';

const UDP = 17;

function udpTo(port: number, payload: Uint8Array, src = PEER_IP, dst = HOST_IP): Buffer {
  return encodeUdp({ srcPort: 5000, dstPort: port, payload }, src, dst);
}

/** A host with a UDP socket on port 7 that records what it receives. */
function host() {
  const h = testHost();
  const sk = h.stack.udpSocket();
  expect(sk.bind(0, 7)).toBe(0);
  const got: string[] = [];
  const drain = () => {
    for (let d = sk.recv(); d !== null; d = sk.recv()) got.push(d.data.toString());
  };
  const mib = h.stack.ipv4.mib;
  return { ...h, sk, got, drain, mib };
}

describe('IPv4 header codec', () => {
  const fields = fc.record({
    tos: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 0xffff }),
    df: fc.boolean(),
    mf: fc.boolean(),
    fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((x) => x * 8),
    ttl: fc.integer({ min: 0, max: 255 }),
    protocol: fc.integer({ min: 0, max: 255 }),
    src: fc.integer({ min: 0, max: 0xffffffff }),
    dst: fc.integer({ min: 0, max: 0xffffffff }),
    options: fc.uint8Array({ maxLength: 40 }),
  });

  it('encode → decode round-trips, with a valid checksum', () => {
    fc.assert(
      fc.property(fields, fc.uint8Array({ maxLength: 64 }), (f, payload) => {
        const pkt = buildIpv4Packet(f, payload);
        const h = decodeIpv4Header(pkt)!;
        const { options, ...rest } = f;
        const optLen = (options.length + 3) & ~3;
        expect(h).toMatchObject({ ...rest, version: 4, headerLen: 20 + optLen, totalLength: pkt.length });
        expect(Buffer.from(h.options.subarray(0, f.options.length))).toEqual(Buffer.from(f.options));
        expect(inetChecksum(pkt, 0, h.headerLen)).toBe(0);
      }),
    );
  });

  it('decoding and option checks never throw on random or truncated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const h = decodeIpv4Header(b);
        if (b.length < 20) expect(h).toBeNull();
        if (b.length >= 20) checkIpv4Options(b, 0, Math.min(b.length, ((b[0]! & 15) * 4) | 0));
      }),
    );
  });

  it('accepts well-formed options and points at the first bad byte of malformed ones', () => {
    const hdr = (opts: number[]) => {
      const b = Buffer.alloc(60);
      return {
        b,
        hl: writeIpv4Header(b, 0, { totalLength: 60, protocol: 17, src: 1, dst: 2, options: Uint8Array.from(opts) }),
      };
    };
    let { b, hl } = hdr([1, IPOPT_RR, 7, 4, 0, 0, 0, 0, 0x99, 4, 0, 0]);
    expect(checkIpv4Options(b, 0, hl)).toMatchObject({ errorAt: -1, recordRoute: true });
    ({ b, hl } = hdr([IPOPT_RR, 7, 3, 0, 0, 0, 0])); // pointer below 4
    expect(checkIpv4Options(b, 0, hl).errorAt).toBe(22);
    ({ b, hl } = hdr([1, 0x99, 40])); // length past the header
    expect(checkIpv4Options(b, 0, hl).errorAt).toBe(22);
    ({ b, hl } = hdr([IPOPT_LSRR, 7, 4, 10, 0, 0, 1]));
    expect(checkIpv4Options(b, 0, hl)).toMatchObject({ errorAt: -1, sourceRoute: true });
  });
});

describe('ip_rcv', () => {
  it('delivers a good datagram, trimming link-layer padding', () => {
    const h = host();
    const frame = Buffer.concat([ipFrame({ protocol: UDP }, udpTo(7, Buffer.from('hi'))), Buffer.alloc(20, 0xee)]);
    h.rx(frame);
    h.drain();
    expect(h.got).toEqual(['hi']);
    expect(h.mib).toMatchObject({ InReceives: 1, InDelivers: 1, InHdrErrors: 0 });
  });

  it('accepts TTL 0 and 1 addressed to us (RFC 1122 3.2.1.7)', () => {
    const h = host();
    h.rx(ipFrame({ protocol: UDP, ttl: 0 }, udpTo(7, Buffer.from('a'))));
    h.rx(ipFrame({ protocol: UDP, ttl: 1 }, udpTo(7, Buffer.from('b'))));
    h.drain();
    expect(h.got).toEqual(['a', 'b']);
  });

  it('drops and counts every malformed header in the right counter', () => {
    const h = host();
    const good = buildIpv4Packet({ src: PEER_IP, dst: HOST_IP, protocol: UDP }, udpTo(7, Buffer.from('x')));
    const fix = (b: Buffer) => {
      b.writeUInt16BE(0, 10);
      b.writeUInt16BE(inetChecksum(b, 0, Math.min(b.length, (b[0]! & 15) * 4)), 10);
      return b;
    };
    const cases: Array<[string, Buffer]> = [
      ['InHdrErrors', good.subarray(0, 19)],
      ['InHdrErrors', fix(Buffer.from([0x65, ...good.subarray(1)]))], // version 6
      ['InHdrErrors', fix(Buffer.from([0x44, ...good.subarray(1)]))], // IHL 4
      ['InHdrErrors', fix(Buffer.from([0x4f, ...good.subarray(1)]))], // IHL 15 > packet
      ['InCsumErrors', Buffer.from([...good.subarray(0, 10), good[10]! ^ 1, ...good.subarray(11)])],
      ['InTruncatedPkts', good.subarray(0, good.length - 1)],
      ['InHdrErrors', fix(Buffer.from([...good.subarray(0, 2), 0, 19, ...good.subarray(4)]))], // total < header
      ['InAddrErrors', buildIpv4Packet({ src: PEER_IP, dst: ip('10.0.0.3'), protocol: UDP }, Buffer.alloc(8))],
      ['InAddrErrors', buildIpv4Packet({ src: PEER_IP, dst: ip('192.168.0.1'), protocol: UDP }, Buffer.alloc(8))],
    ];
    for (const [counter, pkt] of cases) {
      const before = { ...h.mib };
      h.rx(ethFrame(ETH_P_IP, pkt));
      const m = h.mib as unknown as Record<string, number>;
      expect(m[counter], counter).toBe((before as unknown as Record<string, number>)[counter]! + 1);
      expect(h.mib.InReceives).toBe(before.InReceives + 1);
    }
    expect(h.mib.InHdrErrors).toBe(6); // checksum errors are header errors too
    expect(h.mib.InDelivers).toBe(0);
    h.drain();
    expect(h.got).toEqual([]);
  });

  it('drops martian sources', () => {
    const h = host();
    for (const src of ['224.0.0.5', '255.255.255.255', '127.0.0.1', '10.0.0.1', '10.0.0.255', '0.1.2.3', '0.0.0.0']) {
      h.rx(ipFrame({ protocol: UDP, src: ip(src) }, udpTo(7, Buffer.from('m'), ip(src))));
    }
    expect(h.stack.snmp().IpExt.InMartianSrc).toBe(7);
    expect(h.mib.InAddrErrors).toBe(7);
    h.drain();
    expect(h.got).toEqual([]);
  });

  it('ignores frames for another MAC before counting them (PACKET_OTHERHOST)', () => {
    const h = host();
    h.rx(ipFrame({ protocol: UDP }, udpTo(7, Buffer.from('x')), PEER_MAC));
    expect(h.mib.InReceives).toBe(0);
    expect(h.mib.InOtherHost).toBe(1);
  });

  it('tolerates options, rejects bad ones with a parameter problem, drops source routes', () => {
    const h = host();
    h.rx(
      ipFrame({ protocol: UDP, options: Uint8Array.from([1, IPOPT_RR, 7, 4, 0, 0, 0, 0]) }, udpTo(7, Buffer.from('o'))),
    );
    h.drain();
    expect(h.got).toEqual(['o']);
    h.rx(ipFrame({ protocol: UDP, options: Uint8Array.from([IPOPT_RR, 2, 0, 0]) }, udpTo(7, Buffer.from('b'))));
    const [pp] = h.sent();
    expect(pp!.icmp).toMatchObject({ type: 12, code: 0, rest: 21 << 24 });
    h.rx(
      ipFrame(
        { protocol: UDP, options: Uint8Array.from([IPOPT_LSRR, 7, 4, 10, 0, 0, 9, 0]) },
        udpTo(7, Buffer.from('s')),
      ),
    );
    h.drain();
    expect(h.got).toEqual(['o']);
    expect(h.mib.InHdrErrors).toBe(1);
    expect(h.mib.InSrcRoute).toBe(1);
  });

  it('answers an unknown protocol with "protocol unreachable", quoting the datagram', () => {
    const h = host();
    h.rx(ipFrame({ protocol: 253 }, Buffer.from('payload!')));
    expect(h.mib.InUnknownProtos).toBe(1);
    const [e] = h.sent();
    expect(e!.ip).toMatchObject({ src: HOST_IP, dst: PEER_IP, protocol: 1 });
    expect(e!.icmp).toMatchObject({ type: 3, code: 2 });
    const quoted = decodeIpv4Header(e!.icmp!.payload)!;
    expect(quoted).toMatchObject({ src: PEER_IP, dst: HOST_IP, protocol: 253 });
  });

  it('delivers broadcasts (limited and directed) without answering them with errors', () => {
    const h = host();
    h.rx(
      ipFrame(
        { protocol: UDP, dst: ip('255.255.255.255') },
        udpTo(7, Buffer.from('l'), PEER_IP, ip('255.255.255.255')),
      ),
    );
    h.rx(ipFrame({ protocol: UDP, dst: ip('10.0.0.255') }, udpTo(7, Buffer.from('d'), PEER_IP, ip('10.0.0.255'))));
    h.rx(ipFrame({ protocol: 253, dst: ip('10.0.0.255') }, Buffer.alloc(8)));
    h.rx(ipFrame({ protocol: UDP, dst: ip('10.0.0.255') }, udpTo(9, Buffer.from('n'), PEER_IP, ip('10.0.0.255'))));
    h.drain();
    expect(h.got).toEqual(['l', 'd']);
    expect(h.sent()).toEqual([]);
    expect(h.stack.snmp().IpExt.InBcastPkts).toBe(4);
    expect(h.stack.udp.mib.IgnoredMulti).toBe(1);
  });

  it('never throws on random datagrams, and every one is accounted for', () => {
    const arb = fc.record({
      bytes: fc.uint8Array({ minLength: 0, maxLength: 120 }),
      fixHeader: fc.boolean(),
      dst: fc.constantFrom(HOST_IP, ip('10.0.0.255'), ip('10.0.0.9')),
      proto: fc.constantFrom(1, 17, 6, 99),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 12 }), (pkts) => {
        const h = host();
        for (const p of pkts) {
          const b = Buffer.from(p.bytes);
          if (p.fixHeader && b.length >= 20) {
            b[0] = 0x40 | (b[0]! & 0x0f);
            b.writeUInt32BE(PEER_IP, 12);
            b.writeUInt32BE(p.dst, 16);
            b[9] = p.proto;
            const hl = Math.max(20, Math.min(b.length, (b[0]! & 15) * 4)) & ~3;
            b[0] = 0x40 | (hl >> 2);
            b.writeUInt16BE(Math.min(b.length, b.readUInt16BE(2) % (b.length + 1)), 2);
            b.writeUInt16BE(0, 10);
            b.writeUInt16BE(inetChecksum(b, 0, hl), 10);
          }
          h.rx(ethFrame(ETH_P_IP, b));
        }
        h.clock.runUntilIdle();
        const m = h.mib;
        expect(m.InReceives).toBe(pkts.length);
        expect(m.InReceives + m.ReasmOKs).toBe(
          m.InHdrErrors +
            m.InTruncatedPkts +
            m.InAddrErrors +
            m.InSrcRoute +
            m.ReasmReqds +
            m.InUnknownProtos +
            m.InDelivers,
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('routing and output', () => {
  it('longest prefix match wins; the gateway is the next hop', () => {
    const h = testHost();
    h.stack.addRoute({ dst: 'default', via: '10.0.0.254' });
    h.stack.addRoute({ dst: '192.168.7.0/24', via: '10.0.0.2' });
    const r = h.stack.ipv4;
    expect(r.routeOutput(ip('192.168.7.9'))).toMatchObject({ nextHop: PEER_IP, src: HOST_IP });
    expect(r.routeOutput(ip('8.8.8.8'))).toMatchObject({ nextHop: ip('10.0.0.254'), src: HOST_IP });
    expect(r.routeOutput(ip('10.0.0.77'))).toMatchObject({ nextHop: ip('10.0.0.77') });
    expect(h.stack.routes()).toContain('default via 10.0.0.254 dev eth0 proto static');
    expect(() => h.stack.addRoute({ dst: '10.9.0.0/16', via: '172.16.0.1' })).toThrow(/not on a connected subnet/);
  });

  it('no route: -ENETUNREACH and OutNoRoutes', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    expect(sk.sendTo(Buffer.from('x'), ip('8.8.8.8'), 53)).toBe(-ENETUNREACH);
    expect(h.stack.ipv4.mib.OutNoRoutes).toBe(1);
  });

  it('fragments to the route MTU; fragments reassemble to the original', () => {
    const h = testHost();
    h.stack.addRoute({ dst: '10.0.0.2/32', dev: 'eth0', mtu: 576 });
    const sk = h.stack.udpSocket();
    const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => i & 0xff));
    expect(sk.sendTo(data, PEER_IP, 9)).toBe(2000);
    const frags = h.sent();
    expect(frags.length).toBe(4); // 2008 bytes of UDP in 552-byte pieces
    for (const f of frags) {
      expect(f.ip!.totalLength).toBeLessThanOrEqual(576);
      expect(inetChecksum(f.raw, 14, 20)).toBe(0);
    }
    expect(frags.map((f) => [f.ip!.fragOffset, f.ip!.mf])).toEqual([
      [0, true],
      [552, true],
      [1104, true],
      [1656, false],
    ]);
    const whole = Buffer.concat(frags.map((f) => f.ipPayload!));
    expect(whole.subarray(8)).toEqual(data);
    expect(h.stack.ipv4.mib).toMatchObject({ FragOKs: 1, FragCreates: 4 });
  });

  it('with DF set, a datagram over the MTU is refused with -EMSGSIZE', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    sk.df = true;
    expect(sk.sendTo(Buffer.alloc(1473), PEER_IP, 9)).toBe(-EMSGSIZE);
    expect(sk.sendTo(Buffer.alloc(1472), PEER_IP, 9)).toBe(1472);
    expect(h.stack.ipv4.mib.FragFails).toBe(1);
  });

  it('"fragmentation needed" lowers the path MTU to that destination', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    sk.sendTo(Buffer.alloc(1400), PEER_IP, 9);
    const [orig] = h.sent();
    const quote = orig!.raw.subarray(14, 14 + 28);
    const icmp = Buffer.alloc(8 + quote.length);
    icmp[0] = 3;
    icmp[1] = 4;
    icmp.writeUInt16BE(1000, 6);
    quote.copy(icmp, 8);
    icmp.writeUInt16BE(inetChecksum(icmp, 0, icmp.length), 2);
    h.rx(ipFrame({ protocol: 1 }, icmp));
    expect(h.stack.ipv4.routeOutput(PEER_IP)!.mtu).toBe(1000);
    sk.sendTo(Buffer.alloc(1400), PEER_IP, 9);
    expect(h.sent().length).toBe(2);
  });

  it('route lookups follow device MTU changes and path MTU expiry (10 minutes)', () => {
    const h = testHost();
    const r = h.stack.ipv4;
    expect(r.routeOutput(PEER_IP)!.mtu).toBe(1500);
    h.dev.mtu = 1400;
    expect(r.routeOutput(PEER_IP)!.mtu).toBe(1400);
    r.pmtu.update(PEER_IP, 1000, h.clock.now());
    expect(r.routeOutput(PEER_IP)!.mtu).toBe(1000);
    h.clock.runFor(600_001);
    expect(r.routeOutput(PEER_IP)!.mtu).toBe(1400);
  });

  it('a limited broadcast from a device without an address goes out from 0.0.0.0 (DHCP)', () => {
    const h = testHost();
    const dev2 = h.stack.addDevice(new RecordingDevice('eth1', Buffer.from('020000000011', 'hex')));
    const sk = h.stack.udpSocket();
    sk.broadcast = true;
    sk.bindToDevice(dev2);
    expect(sk.bind(0, 68)).toBe(0);
    expect(sk.sendTo(Buffer.from('discover'), ip('255.255.255.255'), 67)).toBe(8);
    const [f] = dev2.take().map(decodeFrame);
    expect(f!.ip).toMatchObject({ src: 0, dst: ip('255.255.255.255') });
    expect(h.dev.sent).toEqual([]);
  });

  it('sends to its own addresses through the loopback device', () => {
    const h = testHost();
    const rx = h.stack.udpSocket();
    rx.bind(0, 4000);
    const tx = h.stack.udpSocket();
    tx.sendTo(Buffer.from('self'), HOST_IP, 4000);
    tx.sendTo(Buffer.from('lo'), ip('127.0.0.1'), 4000);
    h.clock.runUntilIdle();
    expect(rx.recv()?.data.toString()).toBe('self');
    const d = rx.recv()!;
    expect(d.data.toString()).toBe('lo');
    expect(d.addr).toBe(ip('127.0.0.1'));
    expect(h.dev.sent).toEqual([]);
    expect(h.stack.snmp().devices.lo!.rxPackets).toBe(2);
  });
});

describe('reassembly', () => {
  function fragments(payload: Buffer, size: number, id = 77, proto = UDP) {
    const out: Array<{ off: number; mf: boolean; data: Buffer }> = [];
    for (let off = 0; off < payload.length; off += size) {
      out.push({ off, mf: off + size < payload.length, data: payload.subarray(off, off + size) });
    }
    return out.map((f) => ipFrame({ protocol: proto, id, fragOffset: f.off, mf: f.mf }, f.data));
  }
  const big = (n: number) => udpTo(7, Buffer.from(Array.from({ length: n }, (_, i) => 65 + (i % 26))));

  it('reassembles fragments that arrive out of order, ignoring exact duplicates', () => {
    const h = host();
    const udp = big(3000);
    const fr = fragments(udp, 1000);
    expect(fr.length).toBe(4);
    for (const i of [3, 2, 0, 0, 1]) h.rx(fr[i]!);
    h.drain();
    expect(h.got).toEqual([udp.subarray(8).toString()]);
    expect(h.mib).toMatchObject({ ReasmReqds: 5, ReasmOKs: 1, ReasmFails: 0, ReasmDuplicates: 1, InDelivers: 1 });
    expect(h.stack.ipv4.defrag.mem).toBe(0);
  });

  it('drops the whole datagram when fragments overlap (RFC 5722)', () => {
    const h = host();
    const udp = big(2400);
    const f0 = ipFrame({ protocol: UDP, id: 5, mf: true }, udp.subarray(0, 1600));
    const f1 = ipFrame({ protocol: UDP, id: 5, fragOffset: 800 }, udp.subarray(800));
    h.rx(f0);
    h.rx(f1);
    h.drain();
    expect(h.got).toEqual([]);
    expect(h.mib).toMatchObject({ ReasmOverlaps: 1, ReasmFails: 1, ReasmOKs: 0 });
    expect(h.stack.ipv4.defrag.queueCount).toBe(0);
  });

  it('drops datagrams that would exceed 65535 bytes and conflicting last fragments', () => {
    const h = host();
    h.rx(ipFrame({ protocol: UDP, id: 1, fragOffset: 65528 }, Buffer.alloc(16)));
    h.rx(ipFrame({ protocol: UDP, id: 2, fragOffset: 8 }, Buffer.alloc(8)));
    h.rx(ipFrame({ protocol: UDP, id: 2, fragOffset: 8 }, Buffer.alloc(16)));
    expect(h.mib.ReasmFails).toBe(2);
    expect(h.stack.ipv4.defrag.queueCount).toBe(0);
  });

  it('bounds a bomb of tiny fragments', () => {
    const h = host();
    for (let i = 0; i < 300; i++)
      h.rx(ipFrame({ protocol: UDP, id: 9, fragOffset: i * 16, mf: true }, Buffer.alloc(8)));
    // 128 fragments are held, the 129th drops the datagram; the next ones start a new queue, and so on.
    expect(h.mib.ReasmTooManyFrags).toBe(2);
    expect(h.stack.ipv4.defrag.queueCount).toBe(1);
    expect(h.stack.ipv4.defrag.mem).toBeLessThan(200 * 1024);
  });

  it('refuses fragments above the global memory limit', () => {
    const h = host();
    h.stack.ipv4.defrag.highThresh = 64 * 1024;
    for (let id = 0; id < 200; id++) h.rx(ipFrame({ protocol: UDP, id, mf: true }, Buffer.alloc(512)));
    expect(h.stack.ipv4.defrag.mem).toBeLessThanOrEqual(64 * 1024);
    expect(h.mib.ReasmMemFull).toBeGreaterThan(0);
    expect(h.mib.ReasmFails).toBe(h.mib.ReasmMemFull);
  });

  it('times out after 30 s: time exceeded (code 1) only when the first fragment had arrived', () => {
    const h = host();
    const udp = big(2000);
    const fr = fragments(udp, 1000, 40);
    h.rx(fr[0]!);
    h.rx(ipFrame({ protocol: UDP, id: 41, fragOffset: 1000 }, udp.subarray(1000)));
    h.clock.runFor(29_999);
    expect(h.mib.ReasmTimeout).toBe(0);
    h.clock.runFor(2);
    expect(h.mib).toMatchObject({ ReasmTimeout: 2, ReasmFails: 2 });
    const sent = h.sent();
    expect(sent.length).toBe(1);
    expect(sent[0]!.icmp).toMatchObject({ type: 11, code: 1 });
    expect(decodeIpv4Header(sent[0]!.icmp!.payload)).toMatchObject({ id: 40, mf: true });
    expect(h.stack.ipv4.defrag.mem).toBe(0);
  });
});

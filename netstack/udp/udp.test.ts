import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChecksumState } from '../core/skb.ts';
import {
  EACCES,
  EADDRINUSE,
  EADDRNOTAVAIL,
  EAGAIN,
  EDESTADDRREQ,
  EINVAL,
  EMSGSIZE,
  ENETUNREACH,
} from '../inet/errno.ts';
import { HOST_IP, PEER_IP, ip, ipFrame, testHost } from '../testing/host.ts';
import { decodeUdp, encodeUdp, udpChecksum, udpChecksumOk } from './header.ts';
import type { UdpRecvInfo } from './socket.ts';

const dgram = (
  dport: number,
  payload: Uint8Array,
  o: { sport?: number; src?: number; dst?: number; checksum?: number } = {},
) =>
  encodeUdp(
    { srcPort: o.sport ?? 5000, dstPort: dport, payload, checksum: o.checksum },
    o.src ?? PEER_IP,
    o.dst ?? HOST_IP,
  );

function bound(port = 7) {
  const h = testHost();
  const sk = h.stack.udpSocket();
  expect(sk.bind(0, port)).toBe(0);
  const texts = () => {
    const out: string[] = [];
    for (let d = sk.recv(); d !== null; d = sk.recv()) out.push(d.data.toString());
    return out;
  };
  return { ...h, sk, texts, mib: h.stack.udp.mib };
}

describe('UDP codec', () => {
  it('encode → decode round-trips and the checksum verifies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (srcPort, dstPort, payload, src, dst) => {
          const b = encodeUdp({ srcPort, dstPort, payload }, src, dst);
          expect(decodeUdp(b)).toMatchObject({ srcPort, dstPort, length: b.length, payload: Uint8Array.from(payload) });
          expect(b.readUInt16BE(6)).not.toBe(0);
          expect(udpChecksumOk(b, 0, b.length, src, dst)).toBe(true);
          b[b.length - 1] = 1 ^ (b[b.length - 1] ?? 0);
          if (payload.length > 0) expect(udpChecksumOk(b, 0, b.length, src, dst)).toBe(false);
        },
      ),
    );
  });

  it('udpChecksum reads the field as zero whatever it holds (packet-sized payloads, any addresses)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 56, maxLength: 1500 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (payload, field, src, dst) => {
          const b = encodeUdp({ srcPort: 1, dstPort: 2, payload }, src, dst);
          const stored = b.readUInt16BE(6);
          b.writeUInt16BE(field, 6);
          expect(udpChecksum(b, 0, b.length, src, dst)).toBe(stored);
        },
      ),
    );
  });

  it('never throws on random or truncated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const u = decodeUdp(b);
        if (b.length < 8) expect(u).toBeNull();
      }),
    );
  });
});

describe('udp_rcv', () => {
  it('accepts a zero checksum (none), verifies the rest, trusts CHECKSUM_UNNECESSARY', () => {
    const h = bound();
    h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('none'), { checksum: 0 })));
    const bad = dgram(7, Buffer.from('bad'));
    bad[6]! ^= 0x40;
    h.rx(ipFrame({ protocol: 17 }, bad));
    h.rx(ipFrame({ protocol: 17 }, bad), ChecksumState.UNNECESSARY);
    expect(h.texts()).toEqual(['none', 'bad']);
    expect(h.mib).toMatchObject({ InDatagrams: 2, InErrors: 1, InCsumErrors: 1 });
  });

  it('checks the length field: short or beyond the datagram is an error; shorter trims', () => {
    const h = bound();
    const d = dgram(7, Buffer.from('hello'));
    h.rx(ipFrame({ protocol: 17 }, d.subarray(0, 7)));
    const long = Buffer.from(d);
    long.writeUInt16BE(d.length + 1, 4);
    h.rx(ipFrame({ protocol: 17 }, long));
    const tiny = Buffer.from(d);
    tiny.writeUInt16BE(7, 4);
    h.rx(ipFrame({ protocol: 17 }, tiny));
    // Length 11 of a 13-byte datagram: 3 bytes of payload, checksum computed over those 11 bytes.
    const trimmed = Buffer.concat([dgram(7, Buffer.from('hel')), Buffer.from('lo')]);
    h.rx(ipFrame({ protocol: 17 }, trimmed));
    expect(h.texts()).toEqual(['hel']);
    expect(h.mib.InErrors).toBe(3);
  });

  it('counts datagrams for closed ports (and answers them, see ICMP)', () => {
    const h = bound();
    h.rx(ipFrame({ protocol: 17 }, dgram(8, Buffer.from('x'))));
    expect(h.mib.NoPorts).toBe(1);
    expect(h.sent().map((f) => [f.icmp?.type, f.icmp?.code])).toEqual([[3, 3]]);
  });

  it('picks the most specific socket: connected > bound address > wildcard', () => {
    const h = testHost();
    const any = h.stack.udpSocket();
    const addr = h.stack.udpSocket();
    const conn = h.stack.udpSocket();
    for (const s of [any, addr, conn]) s.reuseAddr = true;
    expect(any.bind(0, 7)).toBe(0);
    expect(addr.bind(HOST_IP, 7)).toBe(0);
    expect(conn.bind(HOST_IP, 7)).toBe(0);
    expect(conn.connect(PEER_IP, 5001)).toBe(0);
    h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('c'), { sport: 5001 })));
    h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('a'), { sport: 5002 })));
    h.rx(ipFrame({ protocol: 17, dst: ip('10.0.0.255') }, dgram(7, Buffer.from('b'), { dst: ip('10.0.0.255') })));
    expect(conn.recv()?.data.toString()).toBe('c');
    expect(addr.recv()?.data.toString()).toBe('a');
    // The broadcast goes to every socket whose addresses accept it: only the wildcard one here.
    expect(any.recv()?.data.toString()).toBe('b');
    expect([any.recv(), addr.recv(), conn.recv()]).toEqual([null, null, null]);
  });

  it('copies a broadcast to every socket bound to the port', () => {
    const h = testHost();
    const socks = [h.stack.udpSocket(), h.stack.udpSocket()];
    for (const s of socks) {
      s.reuseAddr = true;
      expect(s.bind(0, 67)).toBe(0);
    }
    h.rx(
      ipFrame(
        { protocol: 17, dst: ip('255.255.255.255') },
        dgram(67, Buffer.from('dhcp'), { dst: ip('255.255.255.255') }),
      ),
    );
    expect(socks.map((s) => s.recv()?.data.toString())).toEqual(['dhcp', 'dhcp']);
  });

  it('drops and counts datagrams beyond the receive buffer', () => {
    const h = bound();
    h.sk.rcvbuf = 1;
    for (let i = 0; i < 5; i++) h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from(`${i}`))));
    expect(h.texts()).toEqual(['0']); // one datagram always fits an empty queue, as in Linux
    expect(h.mib).toMatchObject({ InDatagrams: 1, RcvbufErrors: 4, InErrors: 4 });
  });

  it('random datagrams never throw and are all accounted for', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), fc.boolean()), { maxLength: 10 }), (items) => {
        const h = bound();
        for (const [bytes, port7] of items) {
          const b = Buffer.from(bytes);
          if (port7 && b.length >= 4) b.writeUInt16BE(7, 2);
          h.rx(ipFrame({ protocol: 17 }, b));
        }
        const m = h.mib;
        expect(m.InDatagrams + m.NoPorts + m.InErrors + m.IgnoredMulti).toBe(items.length);
        expect(h.texts().length).toBe(m.InDatagrams);
      }),
      { numRuns: 200 },
    );
  });
});

describe('UDP sockets', () => {
  it('binds ephemeral ports in 32768-60999 and refuses clashes', () => {
    const h = testHost();
    const a = h.stack.udpSocket();
    expect(a.bind()).toBe(0);
    expect(a.localPort).toBeGreaterThanOrEqual(32768);
    expect(a.localPort).toBeLessThanOrEqual(60999);
    expect(a.bind()).toBe(-EINVAL);
    const b = h.stack.udpSocket();
    expect(b.bind(HOST_IP, a.localPort)).toBe(-EADDRINUSE);
    expect(b.bind(ip('10.9.9.9'), 5)).toBe(-EADDRNOTAVAIL);
    expect(b.bind(0, 70000)).toBe(-EINVAL);
    a.close();
    expect(b.bind(HOST_IP, a.localPort)).toBe(0);
  });

  it('runs out of ephemeral ports with -EAGAIN', () => {
    const h = testHost();
    h.stack.udp.portLow = 40000;
    h.stack.udp.portHigh = 40002;
    const s = [1, 2, 3, 4].map(() => h.stack.udpSocket());
    expect(s.map((x) => x.bind())).toEqual([0, 0, 0, -EAGAIN]);
  });

  it('connect picks the source address; send needs a peer; disconnect forgets it', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    expect(sk.send(Buffer.from('x'))).toBe(-EDESTADDRREQ);
    expect(sk.connect(PEER_IP, 53)).toBe(0);
    expect(sk.localAddr).toBe(HOST_IP);
    expect(sk.send(Buffer.from('q'))).toBe(1);
    const [f] = h.sent();
    expect(f!.ip).toMatchObject({ src: HOST_IP, dst: PEER_IP });
    expect(f!.udp).toMatchObject({ srcPort: sk.localPort, dstPort: 53 });
    expect(udpChecksumOk(f!.ipPayload!, 0, f!.ipPayload!.length, HOST_IP, PEER_IP)).toBe(true);
    sk.disconnect();
    expect(sk.connected).toBe(false);
    expect(sk.localPort).toBe(0);
  });

  it('sends the whole buffer or the slice [off, off+len) of it', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    const data = Buffer.from('0123456789');
    expect(sk.sendTo(data, PEER_IP, 9)).toBe(10);
    expect(sk.sendTo(data, PEER_IP, 9, 2, 5)).toBe(5);
    expect(sk.sendTo(data, PEER_IP, 9, 10, 0)).toBe(0);
    expect(h.sent().map((f) => Buffer.from(f.udp!.payload).toString())).toEqual(['0123456789', '23456', '']);
  });

  it('needs SO_BROADCAST to send to a broadcast address', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    // As on Linux, the limited broadcast needs a route (a default one) or a device.
    expect(sk.sendTo(Buffer.from('b'), ip('255.255.255.255'), 67)).toBe(-ENETUNREACH);
    sk.bindToDevice(h.dev);
    expect(sk.sendTo(Buffer.from('b'), ip('255.255.255.255'), 67)).toBe(-EACCES);
    expect(sk.sendTo(Buffer.from('b'), ip('10.0.0.255'), 67)).toBe(-EACCES);
    sk.broadcast = true;
    expect(sk.sendTo(Buffer.from('b'), ip('255.255.255.255'), 67)).toBe(1);
    expect(sk.sendTo(Buffer.from('b'), ip('10.0.0.255'), 67)).toBe(1);
    const out = h.sent();
    expect(out.map((f) => Buffer.from(f.eth.dst).toString('hex'))).toEqual(['ffffffffffff', 'ffffffffffff']);
    expect(h.stack.snmp().IpExt.OutBcastPkts).toBe(2);
  });

  it('refuses oversized datagrams and port 0', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    expect(sk.sendTo(Buffer.alloc(65508), PEER_IP, 9)).toBe(-EMSGSIZE);
    expect(sk.sendTo(Buffer.alloc(1), PEER_IP, 0)).toBe(-EINVAL);
  });

  it('recvInto copies without allocating and reports the sender and truncation', () => {
    const h = bound();
    h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('abcdef'), { sport: 4242 })));
    const out = Buffer.alloc(4);
    const info: UdpRecvInfo = { addr: 0, port: 0, dst: 0, length: 0, truncated: false };
    expect(h.sk.recvInto(out, info)).toBe(4);
    expect(out.toString()).toBe('abcd');
    expect(info).toEqual({ addr: PEER_IP, port: 4242, dst: HOST_IP, length: 6, truncated: true });
    expect(h.sk.recvInto(out, info)).toBe(-EAGAIN);
  });

  it('signals readability once per empty → non-empty transition', () => {
    const h = bound();
    let calls = 0;
    h.sk.onReadable = () => calls++;
    h.dev.inject(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('1'))));
    h.dev.inject(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('2'))));
    h.clock.runUntil(h.clock.now());
    expect(calls).toBe(1);
    expect(h.texts()).toEqual(['1', '2']);
    h.rx(ipFrame({ protocol: 17 }, dgram(7, Buffer.from('3'))));
    expect(calls).toBe(2);
  });

  it('charges datagrams in flight to the send buffer; -EAGAIN when full, onWritable when room returns', () => {
    const h = testHost({ resolved: false });
    const sk = h.stack.udpSocket();
    sk.sndbuf = 2000;
    let writable = 0;
    sk.onWritable = () => writable++;
    const results = [1, 2, 3, 4, 5, 6, 7, 8].map(() => sk.sendTo(Buffer.alloc(100), PEER_IP, 9));
    expect(results).toContain(-EAGAIN);
    expect(sk.wmem).toBeLessThanOrEqual(2000 + 400);
    h.stack.arp.tbl.addPermanent(h.dev, PEER_IP, Buffer.from('020000000002', 'hex'));
    h.clock.runUntil(h.clock.now());
    expect(sk.wmem).toBe(0);
    expect(writable).toBe(1);
  });

  it('leaves the checksum to a device that offloads it (CHECKSUM_PARTIAL)', () => {
    const h = testHost();
    h.dev.features.txCsumOffload = true;
    const sk = h.stack.udpSocket();
    sk.sendTo(Buffer.from('offload'), PEER_IP, 9);
    const [f] = h.sent();
    const u = f!.ipPayload!;
    // The field holds the folded pseudo-header sum; completing it over the datagram gives a valid checksum.
    expect(udpChecksumOk(u, 0, u.length, HOST_IP, PEER_IP)).toBe(false);
    h.dev.features.txCsumOffload = false;
    sk.sendTo(Buffer.from('offload'), PEER_IP, 9);
    const [g] = h.sent();
    expect(udpChecksumOk(g!.ipPayload!, 0, g!.ipPayload!.length, HOST_IP, PEER_IP)).toBe(true);
  });
});

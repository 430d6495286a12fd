import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../../test/support/shared.ts';
import { inetChecksum } from '../core/checksum.ts';
import { ETH_P_IP } from '../ethernet/header.ts';
import { HOST_IP, PEER_IP, ethFrame, ip, ipFrame, testHost } from '../testing/host.ts';
import { captureFrames } from '../testing/capture.ts';
import { encodeUdp } from '../udp/header.ts';
import { decodeIpv4Header } from '../ipv4/header.ts';
import { decodeIcmp, echoRest, encodeIcmp } from './header.ts';

const echo = (id: number, seq: number, data = Buffer.from('abcdefgh')) =>
  encodeIcmp({ type: 8, code: 0, rest: echoRest(id, seq), payload: data });

describe('ICMP codec', () => {
  it('encode → decode round-trips with a valid checksum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 100 }),
        (type, code, rest, payload) => {
          const b = encodeIcmp({ type, code, rest, payload });
          expect(inetChecksum(b, 0, b.length)).toBe(0);
          expect(decodeIcmp(b)).toMatchObject({ type, code, rest, payload: Uint8Array.from(payload) });
        },
      ),
    );
  });

  it('never throws on random or truncated input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const m = decodeIcmp(b);
        if (b.length < 8) expect(m).toBeNull();
      }),
    );
  });
});

describe('icmp_rcv', () => {
  it('answers an echo request in place: same id, sequence and data', () => {
    const h = testHost();
    const data = Buffer.from('0123456789abcdefghij');
    h.rx(ipFrame({ protocol: 1, tos: 0x10 }, echo(0x1234, 7, data)));
    const [r] = h.sent();
    expect(r!.ip).toMatchObject({ src: HOST_IP, dst: PEER_IP, protocol: 1, tos: 0x10 });
    expect(r!.icmp).toMatchObject({ type: 0, code: 0, rest: echoRest(0x1234, 7) });
    expect(Buffer.from(r!.icmp!.payload)).toEqual(data);
    expect(inetChecksum(r!.ipPayload!, 0, r!.ipPayload!.length)).toBe(0);
    const s = h.stack.snmp();
    expect(s.Icmp).toMatchObject({ InMsgs: 1, InEchos: 1, OutMsgs: 1, OutEchoReps: 1 });
    expect(s.IcmpMsg).toEqual({ InType8: 1, OutType0: 1 });
  });

  it('answers a priority-tagged (VLAN 0) request untagged', () => {
    const h = testHost();
    const untagged = ipFrame({ protocol: 1 }, echo(9, 9));
    const tagged = Buffer.concat([untagged.subarray(0, 12), Buffer.from('8100a000', 'hex'), untagged.subarray(12)]);
    h.rx(tagged);
    const [r] = h.sent();
    expect(r!.eth.tags).toEqual([]);
    expect(r!.icmp).toMatchObject({ type: 0, rest: echoRest(9, 9) });
  });

  it('drops and counts bad checksums, short messages and unknown types', () => {
    const h = testHost();
    const bad = echo(1, 1);
    bad[2]! ^= 0xff;
    h.rx(ipFrame({ protocol: 1 }, bad));
    h.rx(ipFrame({ protocol: 1 }, Buffer.from([8, 0, 0xf7, 0xff])));
    h.rx(ipFrame({ protocol: 1 }, encodeIcmp({ type: 42, code: 0, rest: 0, payload: Buffer.alloc(4) })));
    expect(h.sent()).toEqual([]);
    expect(h.stack.snmp().Icmp).toMatchObject({ InMsgs: 3, InErrors: 3, InCsumErrors: 1 });
  });

  it('ignores echo requests to a broadcast address unless told otherwise', () => {
    const h = testHost();
    h.rx(ipFrame({ protocol: 1, dst: ip('10.0.0.255') }, echo(1, 1)));
    expect(h.sent()).toEqual([]);
    h.stack.icmp.echoIgnoreBroadcasts = false;
    h.rx(ipFrame({ protocol: 1, dst: ip('10.0.0.255') }, echo(1, 2)));
    const [r] = h.sent();
    expect(r!.ip).toMatchObject({ src: HOST_IP, dst: PEER_IP });
  });

  it('answers timestamp requests (RFC 792)', () => {
    const h = testHost();
    const req = encodeIcmp({
      type: 13,
      code: 0,
      rest: echoRest(3, 4),
      payload: Buffer.from('000000010000000000000000', 'hex'),
    });
    h.rx(ipFrame({ protocol: 1 }, req));
    const [r] = h.sent();
    expect(r!.icmp).toMatchObject({ type: 14, rest: echoRest(3, 4) });
    const p = Buffer.from(r!.icmp!.payload);
    expect(p.readUInt32BE(0)).toBe(1);
    expect(p.readUInt32BE(4)).toBe(p.readUInt32BE(8));
  });

  it('is not fooled by the tcpdump "total length 0" capture', (ctx) => {
    const path = sharedPath('testdata/net/tcpdump-tests/icmp-length-zero.pcapng');
    if (path === null) return ctx.skip(missingShared('tcpdump-tests/icmp-length-zero.pcapng'));
    const { linkType, frames } = captureFrames(path);
    expect(linkType).toBe(1);
    const h = testHost();
    const dst = frames[0]!.subarray(0, 6);
    h.stack.setMac(h.dev, dst);
    h.stack.addAddress(h.dev, '10.25.132.13/24');
    h.sent();
    h.rx(frames[0]!);
    expect(h.stack.ipv4.mib).toMatchObject({ InReceives: 1, InHdrErrors: 1, InDelivers: 0 });
    expect(h.sent()).toEqual([]);
  });
});

describe('ICMP errors received', () => {
  /** An ICMP error from `reporter` quoting the first 28 bytes of a datagram the host sent. */
  function errorAbout(sent: Buffer, type: number, code: number, reporter = PEER_IP) {
    const quote = sent.subarray(14, 14 + 28);
    return ipFrame({ protocol: 1, src: reporter }, encodeIcmp({ type, code, rest: 0, payload: quote }));
  }

  it('port unreachable reaches a connected UDP socket as ECONNREFUSED', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    expect(sk.connect(PEER_IP, 9)).toBe(0);
    const errors: string[] = [];
    sk.onError = (e) => errors.push(e.code);
    sk.send(Buffer.from('x'));
    const [d] = h.sent();
    h.rx(errorAbout(d!.raw, 3, 3));
    h.clock.runUntil(h.clock.now());
    expect(errors).toEqual(['ECONNREFUSED']);
    expect(sk.getError()).toBe(-111);
    expect(sk.getError()).toBe(0);
    expect(h.stack.snmp().Icmp.InDestUnreachs).toBe(1);
  });

  it('an unconnected socket hears errors only with recvErr, and soft errors only there', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    sk.sendTo(Buffer.from('x'), PEER_IP, 9);
    const [d] = h.sent();
    h.rx(errorAbout(d!.raw, 3, 3));
    expect(sk.getError()).toBe(0);
    sk.recvErr = true;
    h.rx(errorAbout(d!.raw, 11, 0, ip('10.0.0.254')));
    expect(sk.readError()).toMatchObject({ code: 'EHOSTUNREACH', icmpType: 11, reporter: ip('10.0.0.254'), port: 9 });
    // A connected socket ignores soft errors (time exceeded) without recvErr, as Linux.
    const c = h.stack.udpSocket();
    c.connect(PEER_IP, 10);
    c.send(Buffer.from('y'));
    const [d2] = h.sent();
    h.rx(errorAbout(d2!.raw, 11, 0));
    expect(c.getError()).toBe(0);
  });

  it('errors whose quote is too short to find the sender are dropped and counted (InErrors, as Linux)', () => {
    const h = testHost();
    const sk = h.stack.udpSocket();
    sk.recvErr = true;
    sk.sendTo(Buffer.from('x'), PEER_IP, 9);
    const [d] = h.sent();
    h.rx(ipFrame({ protocol: 1 }, encodeIcmp({ type: 3, code: 3, rest: 0, payload: d!.raw.subarray(14, 14 + 24) })));
    h.rx(ipFrame({ protocol: 1 }, encodeIcmp({ type: 3, code: 3, rest: 0, payload: d!.raw.subarray(14, 14 + 10) })));
    expect(sk.readError()).toBeNull();
    expect(h.stack.snmp().Icmp).toMatchObject({ InMsgs: 2, InErrors: 2, InDestUnreachs: 2 });
  });

  it('delivers the tcpdump RFC 5837 "time exceeded" capture to the socket that sent the probe', (ctx) => {
    const path = sharedPath('testdata/net/tcpdump-tests/icmp-rfc5837.pcap');
    if (path === null) return ctx.skip(missingShared('tcpdump-tests/icmp-rfc5837.pcap'));
    const { linkType, frames } = captureFrames(path);
    expect(linkType).toBe(9); // PPP: strip its 4-byte header and put the datagram on our Ethernet
    const h = testHost();
    h.stack.addAddress(h.dev, '12.4.4.4/8');
    const sk = h.stack.udpSocket();
    sk.recvErr = true;
    expect(sk.bind(ip('12.4.4.4'), 42315)).toBe(0);
    h.rx(ethFrame(ETH_P_IP, frames[0]!.subarray(4)));
    expect(sk.readError()).toMatchObject({
      icmpType: 11,
      icmpCode: 0,
      addr: ip('12.1.1.1'),
      port: 33440,
      reporter: ip('10.4.0.2'),
    });
  });

  it('a ping hears about its unreachable requests', async () => {
    const h = testHost();
    const errs: number[] = [];
    const p = h.stack.ping(PEER_IP, { count: 1, onError: (e) => errs.push(e.code) });
    h.clock.runUntil(h.clock.now());
    const [req] = h.sent();
    h.rx(errorAbout(req!.raw, 3, 1, ip('10.0.0.254')));
    h.clock.runUntilIdle();
    const r = await p;
    expect(errs).toEqual([1]);
    expect(r).toMatchObject({ transmitted: 1, received: 0, lost: 1, errors: 1 });
  });
});

describe('icmp_send', () => {
  const closedPort = () =>
    ipFrame({ protocol: 17 }, encodeUdp({ srcPort: 1, dstPort: 9, payload: Buffer.alloc(600) }, PEER_IP, HOST_IP));

  it('quotes the offending datagram, up to 576 bytes in all', () => {
    const h = testHost();
    h.rx(closedPort());
    const [e] = h.sent();
    expect(e!.ip!.totalLength).toBe(576);
    expect(e!.ip!.tos).toBe(0xc0);
    expect(decodeIpv4Header(e!.icmp!.payload)).toMatchObject({ src: PEER_IP, dst: HOST_IP, protocol: 17 });
    expect(h.stack.udp.mib.NoPorts).toBe(1);
  });

  it('rate-limits errors per destination: a burst of 6, then one a second', () => {
    const h = testHost();
    h.stack.icmp.msgsPerSec = 0;
    for (let i = 0; i < 20; i++) h.rx(closedPort());
    expect(h.sent().length).toBe(6);
    h.clock.runFor(1000);
    for (let i = 0; i < 5; i++) h.rx(closedPort());
    expect(h.sent().length).toBe(1);
    expect(h.stack.snmp().Icmp).toMatchObject({ OutDestUnreachs: 7, OutRateLimitHost: 18 });
    h.stack.icmp.ratelimitMs = 0;
    for (let i = 0; i < 5; i++) h.rx(closedPort());
    expect(h.sent().length).toBe(5);
  });

  it('rate-limits errors globally (icmp_msgs_per_sec, burst 50)', () => {
    const h = testHost();
    h.stack.icmp.ratelimitMs = 0;
    for (let i = 0; i < 80; i++) h.rx(closedPort());
    expect(h.sent().length).toBe(50);
    expect(h.stack.snmp().Icmp.OutRateLimitGlobal).toBe(30);
  });

  it('never sends an error about an ICMP error, a fragment after the first, or a broadcast', () => {
    const h = testHost();
    // An ICMP error for a protocol we do not speak would otherwise earn "protocol unreachable": use a closed-port
    // UDP datagram in a non-first fragment, and one sent to the broadcast address.
    h.rx(ipFrame({ protocol: 17, fragOffset: 8 }, Buffer.alloc(16)));
    h.rx(
      ipFrame(
        { protocol: 17, dst: ip('10.0.0.255') },
        encodeUdp({ srcPort: 1, dstPort: 9, payload: Buffer.alloc(4) }, PEER_IP, ip('10.0.0.255')),
      ),
    );
    // Bad IP options earn a parameter problem, except on an ICMP error (a query still gets one).
    const badOpts = Uint8Array.from([7, 2, 0, 0]);
    h.rx(
      ipFrame({ protocol: 1, options: badOpts }, encodeIcmp({ type: 3, code: 3, rest: 0, payload: Buffer.alloc(28) })),
    );
    expect(h.stack.ipv4.mib.InHdrErrors).toBe(1);
    expect(h.sent()).toEqual([]);
    expect(h.stack.snmp().Icmp.OutMsgs).toBe(0);
    h.rx(ipFrame({ protocol: 1, options: badOpts }, echo(1, 1)));
    expect(h.sent().map((f) => f.icmp?.type)).toEqual([12]);
  });
});

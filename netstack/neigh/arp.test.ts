import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingShared, sharedPath } from '../../test/support/shared.ts';
import { ETH_P_ARP, ETH_P_IP } from '../ethernet/header.ts';
import { writeU32 } from '../inet/bytes.ts';
import { captureFrames } from '../testing/capture.ts';
import { BCAST_MAC, HOST_IP, HOST_MAC, PEER_IP, PEER_MAC, ethFrame, ip, testHost } from '../testing/host.ts';
import { ARPOP_REPLY, ARPOP_REQUEST, type ArpPacket, decodeArp, encodeArp } from './arp-header.ts';
import { Nud } from './neighbour.ts';

function ipBytes(a: number): Buffer {
  const b = Buffer.alloc(4);
  writeU32(b, 0, a);
  return b;
}

function arp(
  op: number,
  sip: number,
  tip: number,
  sha: Uint8Array = PEER_MAC,
  tha: Uint8Array = Buffer.alloc(6),
): Buffer {
  return encodeArp({ hrd: 1, pro: ETH_P_IP, op, sha, spa: ipBytes(sip), tha, tpa: ipBytes(tip) });
}

describe('ARP codec', () => {
  it('encode → decode round-trips any address sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.infiniteStream(fc.uint8Array({ minLength: 20, maxLength: 20 })),
        (hln, pln, hrd, pro, op, bytes) => {
          const it = bytes[Symbol.iterator]();
          const p: ArpPacket = {
            hrd,
            pro,
            op,
            sha: it.next().value.subarray(0, hln),
            spa: it.next().value.subarray(0, pln),
            tha: it.next().value.subarray(0, hln),
            tpa: it.next().value.subarray(0, pln),
          };
          const d = decodeArp(encodeArp(p))!;
          expect(d).toEqual({
            ...p,
            sha: Uint8Array.from(p.sha),
            spa: Uint8Array.from(p.spa),
            tha: Uint8Array.from(p.tha),
            tpa: Uint8Array.from(p.tpa),
          });
        },
      ),
    );
  });

  it('never throws on random or truncated input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void decodeArp(b)));
    const whole = arp(ARPOP_REQUEST, PEER_IP, HOST_IP);
    for (let n = 0; n < whole.length; n++) expect(decodeArp(whole.subarray(0, n))).toBeNull();
  });
});

describe('ARP receive', () => {
  it('answers a request for our address and learns the asker (STALE)', () => {
    const h = testHost({ resolved: false });
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REQUEST, PEER_IP, HOST_IP), BCAST_MAC));
    const [reply] = h.sent();
    expect(reply!.eth.dst).toEqual(Uint8Array.from(PEER_MAC));
    expect(reply!.arp).toMatchObject({
      op: ARPOP_REPLY,
      sha: Uint8Array.from(HOST_MAC),
      tha: Uint8Array.from(PEER_MAC),
    });
    expect([...reply!.arp!.spa]).toEqual([10, 0, 0, 1]);
    expect(h.stack.neighbours()).toEqual([
      { dev: 'eth0', ip: '10.0.0.2', mac: '02:00:00:00:00:02', state: 'STALE', queued: 0 },
    ]);
    expect(h.stack.arp.stats).toMatchObject({ rxRequests: 1, txReplies: 1 });
  });

  it('answers RFC 5227 probes (sender 0.0.0.0) without learning anything', () => {
    const h = testHost({ resolved: false });
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REQUEST, 0, HOST_IP), BCAST_MAC));
    const [reply] = h.sent();
    expect(reply!.arp!.op).toBe(ARPOP_REPLY);
    expect([...reply!.arp!.tpa]).toEqual([0, 0, 0, 0]);
    expect(h.stack.neighbours()).toEqual([]);
  });

  it('ignores requests for other addresses and unsolicited replies (arp_accept 0)', () => {
    const h = testHost({ resolved: false });
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REQUEST, PEER_IP, ip('10.0.0.9')), BCAST_MAC));
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, ip('10.0.0.3'), HOST_IP, PEER_MAC, HOST_MAC)));
    expect(h.sent()).toEqual([]);
    expect(h.stack.neighbours()).toEqual([]);
    expect(h.stack.arp.stats.rxIgnored).toBe(2);
  });

  it('counts a claim on one of our own addresses', () => {
    const h = testHost({ resolved: false });
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REQUEST, HOST_IP, HOST_IP), BCAST_MAC));
    expect(h.stack.arp.stats.rxAddrConflicts).toBe(1);
  });

  it('drops and counts each malformed packet in its own counter', () => {
    const h = testHost({ resolved: false });
    const good = arp(ARPOP_REQUEST, PEER_IP, HOST_IP);
    const mutate = (fn: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      fn(b);
      return b;
    };
    const cases: Array<[string, Buffer]> = [
      ['rxTruncated', good.subarray(0, 7)],
      ['rxTruncated', good.subarray(0, 27)],
      ['rxBadHln', mutate((b) => void (b[4] = 14))],
      ['rxBadPln', mutate((b) => void (b[5] = 16))],
      ['rxBadHrd', mutate((b) => void b.writeUInt16BE(0x3030, 0))],
      ['rxBadPro', mutate((b) => void b.writeUInt16BE(0x86dd, 2))],
      ['rxBadOp', mutate((b) => void b.writeUInt16BE(3, 6))],
      ['rxBadAddr', arp(ARPOP_REQUEST, PEER_IP, ip('224.0.0.1'))],
      ['rxBadAddr', arp(ARPOP_REQUEST, PEER_IP, ip('127.0.0.1'))],
      ['rxBadAddr', arp(ARPOP_REQUEST, PEER_IP, HOST_IP, Buffer.from('010203040506', 'hex'))],
    ];
    const st = h.stack.arp.stats;
    for (const [counter, payload] of cases) {
      const before = st[counter as keyof typeof st];
      h.rx(ethFrame(ETH_P_ARP, payload, BCAST_MAC));
      expect(st[counter as keyof typeof st], counter).toBe(before + 1);
    }
    expect(h.sent()).toEqual([]);
    expect(st.rxRequests + st.rxReplies).toBe(0);
  });

  it('drops the tcpdump "ARP with a too long hardware address" capture as a bad hardware size', (ctx) => {
    const p = sharedPath('testdata/net/tcpdump-tests/arp-too-long-tha.pcap');
    if (p === null) return ctx.skip(missingShared('tcpdump-tests/arp-too-long-tha.pcap'));
    const h = testHost({ resolved: false });
    const { frames } = captureFrames(p);
    expect(frames.length).toBe(1);
    h.rx(frames[0]!);
    // 802.1ad tag (VID 48) stripped, inner EtherType ARP; hln 14 rejected before anything else.
    expect(h.stack.eth.stats.rxVlanTagged).toBe(1);
    expect(h.stack.arp.stats.rxBadHln).toBe(1);
    expect(h.sent()).toEqual([]);
  });

  it('random ARP payloads never throw and are each answered, ignored or counted', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (body, valid) => {
        const h = testHost({ resolved: false });
        const b = Buffer.from(body);
        if (valid && b.length >= 8) {
          b.writeUInt16BE(1, 0);
          b.writeUInt16BE(ETH_P_IP, 2);
          b[4] = 6;
          b[5] = 4;
        }
        h.rx(ethFrame(ETH_P_ARP, b, BCAST_MAC));
        const s = h.stack.arp.stats;
        const errors = s.rxTruncated + s.rxBadHln + s.rxBadPln + s.rxBadHrd + s.rxBadPro + s.rxBadOp + s.rxBadAddr;
        expect(errors + s.rxRequests + s.rxReplies).toBe(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Neighbour resolution', () => {
  function unresolvedSender() {
    const h = testHost({ resolved: false, stack: { neigh: { unresQlenBytes: 1024 } } });
    const sk = h.stack.udpSocket();
    sk.recvErr = true;
    return { h, sk };
  }

  it('queues while INCOMPLETE, flushes on the reply, then is REACHABLE', () => {
    const { h, sk } = unresolvedSender();
    expect(sk.sendTo(Buffer.from('one'), PEER_IP, 9)).toBe(3);
    expect(sk.sendTo(Buffer.from('two'), PEER_IP, 9)).toBe(3);
    const [req] = h.sent();
    expect(req!.eth.dst).toEqual(Uint8Array.from(BCAST_MAC));
    expect(req!.arp).toMatchObject({ op: ARPOP_REQUEST });
    expect([...req!.arp!.tpa]).toEqual([10, 0, 0, 2]);
    expect(h.stack.neighbours()[0]).toMatchObject({ state: 'INCOMPLETE', queued: 2 });
    h.dev.inject(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    h.clock.runFor(1);
    const out = h.sent();
    expect(out.map((f) => Buffer.from(f.udp?.payload ?? []).toString())).toEqual(['one', 'two']);
    expect(out[0]!.eth.dst).toEqual(Uint8Array.from(PEER_MAC));
    expect(h.stack.neighbours()[0]).toMatchObject({ state: 'REACHABLE', queued: 0 });
  });

  it('gives up after 3 broadcast probes a second apart; the sender hears "host unreachable"', () => {
    const { h, sk } = unresolvedSender();
    sk.sendTo(Buffer.from('x'), PEER_IP, 9);
    h.clock.runFor(500);
    expect(h.sent().length).toBe(1);
    h.clock.runFor(2600);
    expect(h.sent().length).toBe(2);
    expect(h.stack.arp.tbl.stats.resFailed).toBe(1);
    expect(sk.readError()).toMatchObject({ code: 'EHOSTUNREACH', icmpType: 3, icmpCode: 1, port: 9 });
    expect(h.stack.snmp().IpExt.OutLinkFailures).toBe(1);
    h.clock.runUntilIdle(); // FAILED entries are collected: nothing keeps the clock busy
    expect(h.stack.neighbours()).toEqual([]);
  });

  it('bounds the queue of an unresolved entry: oldest dropped and counted', () => {
    const { h, sk } = unresolvedSender();
    for (let i = 0; i < 10; i++) sk.sendTo(Buffer.alloc(100, i), PEER_IP, 9);
    const n = h.stack.neighbours()[0]!;
    expect(n.queued).toBeLessThan(10);
    expect(h.stack.arp.tbl.stats.unresDiscards).toBe(10 - n.queued);
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    const payloads = h
      .sent()
      .filter((f) => f.udp)
      .map((f) => f.udp!.payload[0]);
    expect(payloads).toEqual(Array.from({ length: n.queued }, (_, i) => 10 - n.queued + i));
  });

  it('REACHABLE → STALE when unconfirmed; traffic → DELAY → PROBE (unicast) → REACHABLE', () => {
    const { h, sk } = unresolvedSender();
    sk.sendTo(Buffer.from('a'), PEER_IP, 9);
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    h.sent();
    h.clock.runFor(50_000); // reachable time is at most 1.5 × 30 s
    expect(h.stack.neighbours()[0]!.state).toBe('STALE');
    sk.sendTo(Buffer.from('b'), PEER_IP, 9);
    expect(h.stack.neighbours()[0]!.state).toBe('DELAY');
    expect(h.sent().map((f) => Buffer.from(f.udp?.payload ?? []).toString())).toEqual(['b']);
    h.clock.runFor(5_001);
    expect(h.stack.neighbours()[0]!.state).toBe('PROBE');
    const [probe] = h.sent();
    expect(probe!.eth.dst).toEqual(Uint8Array.from(PEER_MAC));
    expect(probe!.arp!.op).toBe(ARPOP_REQUEST);
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    expect(h.stack.arp.tbl.lookup(h.dev, PEER_IP)!.state).toBe(Nud.REACHABLE);
  });

  it('a different answer within locktime does not replace the first (first reply wins)', () => {
    const { h, sk } = unresolvedSender();
    sk.sendTo(Buffer.from('a'), PEER_IP, 9);
    h.dev.inject(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    const other = Buffer.from('020000000077', 'hex');
    h.dev.inject(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, other, HOST_MAC), HOST_MAC, other));
    h.clock.runFor(10);
    expect(h.stack.neighbours()[0]!.mac).toBe('02:00:00:00:00:02');
    // A gratuitous announcement overrides at once.
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REQUEST, PEER_IP, PEER_IP, other), BCAST_MAC, other));
    expect(h.stack.neighbours()[0]!.mac).toBe('02:00:00:00:00:77');
    expect(h.stack.arp.stats.rxGratuitous).toBe(1);
  });

  it('announces an added address with a gratuitous ARP request', () => {
    const h = testHost();
    h.stack.addAddress(h.dev, '10.0.1.1/24');
    h.clock.runUntilIdle();
    const [g] = h.sent();
    expect(g!.eth.dst).toEqual(Uint8Array.from(BCAST_MAC));
    expect(g!.arp!.op).toBe(ARPOP_REQUEST);
    expect([...g!.arp!.spa]).toEqual([10, 0, 1, 1]);
    expect([...g!.arp!.tpa]).toEqual([10, 0, 1, 1]);
  });
});

describe('neighbour garbage collection', () => {
  it('collects idle entries whatever the rounding of their timestamps (no timer spinning at one instant)', () => {
    const h = testHost({ resolved: false });
    const sk = h.stack.udpSocket();
    h.clock.runUntil(34622.87996320177); // a time whose sum with 60 s rounds below it when subtracted back
    sk.sendTo(Buffer.from('x'), PEER_IP, 9);
    h.rx(ethFrame(ETH_P_ARP, arp(ARPOP_REPLY, PEER_IP, HOST_IP, PEER_MAC, HOST_MAC)));
    h.clock.runUntilIdle(10_000); // throws on a livelock
    expect(h.stack.neighbours()).toEqual([]);
  });
});

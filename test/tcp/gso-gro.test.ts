/**
 * GSO and GRO end to end: two Stacks on the in-memory link, TCP bulk transfers with both offloads on (the default)
 * and off. What TCP sees must not change: the same bytes arrive, the wire carries the same segments, the counters
 * count wire segments.
 */
import { describe, expect, it } from 'vitest';
import type { NetDeviceFeatures } from '../../netstack/core/netdevice.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { parseIpv4 } from '../../netstack/inet/addr.ts';
import { pairStacks } from '../support/pair-stacks.ts';

interface WireSeg {
  seq: number;
  len: number;
  flags: number;
}

function transfer(total: number, features: Partial<NetDeviceFeatures>, loss = 0) {
  const { clock, a, b, h1, h2 } = pairStacks({ loss, rxRingSize: 4096, features }, 3);
  const wire: WireSeg[] = [];
  let biggest = 0;
  const acks: WireSeg[] = [];
  b.dropFilter = (f, off) => {
    if (f.readUInt16BE(off + 12) === 0x0800 && f[off + 23] === 6) {
      const th = off + 34;
      acks.push({ seq: f.readUInt32BE(th + 8), len: f.readUInt16BE(th + 14), flags: f[th + 13]! });
    }
    return false;
  };
  a.dropFilter = (f, off, len) => {
    biggest = Math.max(biggest, len);
    if (f.readUInt16BE(off + 12) === 0x0800 && f[off + 23] === 6) {
      const th = off + 34;
      const hl = (f[th + 12]! >> 4) << 2;
      const ipLen = f.readUInt16BE(off + 16);
      wire.push({ seq: f.readUInt32BE(th + 4), len: ipLen - 20 - hl, flags: f[th + 13]! });
    }
    return false;
  };
  const l = h2.tcp.listen({ port: 9 });
  const got: Buffer[] = [];
  let srv: ReturnType<typeof l.accept> = null;
  l.owner = {
    onAcceptReady() {
      const s = l.accept()!;
      srv = s;
      s.owner = {
        onReadable() {
          for (let x = s.recv(); x !== null; x = s.recv()) got.push(x);
        },
      };
    },
  };
  const data = new Prng(9).bytes(total);
  const c = h1.tcp.connect({ addr: parseIpv4('10.0.0.2'), port: 9 });
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = c.send(data, sent, Math.min(100_000, total - sent));
      if (n === 0) return;
      sent += n;
    }
    c.shutdown('write');
  };
  c.owner = { onConnected: pump, onWritable: pump };
  clock.runUntil(60_000);
  const rx = Buffer.concat(got);
  return { rx, data, wire, acks, biggest, c, srv: srv!, h1, h2, a, b };
}

describe('TCP with GSO and GRO over the in-memory link', () => {
  for (const offload of [false, true]) {
    it(`GSO alone puts exactly the same segments on the wire (checksum offload ${offload})`, () => {
      const csum = { rxCsumUnnecessary: offload, txCsumOffload: offload };
      const gso = transfer(3 << 20, { ...csum, gro: false });
      const none = transfer(3 << 20, { ...csum, gso: false, gro: false });
      expect(gso.rx.equals(gso.data)).toBe(true);
      expect(gso.biggest).toBeLessThanOrEqual(1514);
      expect(gso.wire).toEqual(none.wire);
      expect(gso.acks).toEqual(none.acks);
      expect(gso.h1.snmp().Tcp).toEqual(none.h1.snmp().Tcp);
      expect(gso.h1.snmp().Ip).toEqual(none.h1.snmp().Ip);
      expect(gso.a.stats).toEqual(none.a.stats);
    });

    it(`with GRO too the same bytes arrive and counters count wire segments (checksum offload ${offload})`, () => {
      const r = transfer(3 << 20, { rxCsumUnnecessary: offload, txCsumOffload: offload });
      expect(r.rx.equals(r.data)).toBe(true);
      expect(r.b.napi.gro!.stats.coalesced).toBeGreaterThan(0);
      expect(r.biggest).toBeLessThanOrEqual(1514);
      // GRO merges what arrives together, so quick-ACK mode acknowledges per merged packet, as Linux does: the
      // sender's choices may differ from a run without GRO, its segments stay well-formed.
      const mss = r.c.info().sndMss;
      for (const w of r.wire) if (w.len > 0 && !(w.flags & 0x09)) expect(w.len).toBe(mss);
      const t1 = r.h1.snmp();
      const t2 = r.h2.snmp();
      expect(t2.Tcp.InSegs).toBe(t1.Tcp.OutSegs);
      expect(t1.Tcp.InSegs).toBe(t2.Tcp.OutSegs);
      expect(t2.Ip.InReceives).toBe(t1.Ip.OutRequests);
      expect(r.srv.segsIn).toBe(r.c.segsOut - 1); // the SYN reached the listener, not the connection
      expect(r.b.stats.rxPackets).toBe(r.a.wire.delivered);
      expect(r.b.softnet.processed).toBe(r.a.wire.delivered);
    });
  }

  it('a device that completes partial checksums for a peer that verifies them (TX offload, no RX offload)', () => {
    for (const gso of [false, true]) {
      const r = transfer(1 << 20, { txCsumOffload: true, rxCsumUnnecessary: false, gso });
      expect(r.rx.equals(r.data)).toBe(true);
      expect(r.h2.snmp().Tcp.InCsumErrors).toBe(0);
    }
  });

  it('recovers from loss with both on (merged packets, SACK, retransmissions)', () => {
    const r = transfer(1 << 20, {}, 0.02);
    expect(r.rx.equals(r.data)).toBe(true);
    expect(r.c.totalRetrans).toBeGreaterThan(0);
  });
});

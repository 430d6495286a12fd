/**
 * Datagrams larger than the MTU cross the link in fragments and are reassembled; a lost fragment ends in a
 * reassembly timeout that the sender hears about.
 */
import { describe, expect, it } from 'vitest';
import { H1, H2, twoHosts } from './world.ts';

function payload(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) & 0xff));
}

describe('fragmentation across the link', () => {
  it('an 8,000-byte UDP datagram crosses in 6 fragments and is reassembled', () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 1 });
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    const tx = h1.udpSocket();
    expect(tx.sendTo(payload(8000), H2, 9)).toBe(8000);
    clock.runUntilIdle();
    const d = rx.recv()!;
    expect(d.data).toEqual(payload(8000));
    expect(h1.snmp().Ip).toMatchObject({ FragOKs: 1, FragCreates: 6 });
    expect(h2.snmp().Ip).toMatchObject({ ReasmReqds: 6, ReasmOKs: 1, ReasmFails: 0, InDelivers: 1 });
  });

  it('a 4,000-byte ping needs fragmentation and reassembly in both directions', async () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 1 });
    const p = h1.ping(H2, { count: 3, size: 4000, interval: 10 });
    const q = h2.ping(H1, { count: 3, size: 4000, interval: 10 });
    clock.runUntilIdle();
    expect((await p).received).toBe(3);
    expect((await q).received).toBe(3);
    for (const s of [h1.snmp(), h2.snmp()]) {
      expect(s.Ip.FragOKs).toBe(6); // 3 requests + 3 replies
      expect(s.Ip.ReasmOKs).toBe(6);
    }
  });

  it('a lost fragment times out after 30 s; the sender hears "fragment reassembly time exceeded"', () => {
    const { clock, a, h1, h2 } = twoHosts({ delayMs: 1 });
    // Lose the second fragment (offset 1480) of every datagram.
    a.dropFilter = (b, off) => b.readUInt16BE(off + 12) === 0x0800 && (b.readUInt16BE(off + 20) & 0x1fff) === 185;
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    const tx = h1.udpSocket();
    tx.recvErr = true;
    tx.sendTo(payload(4000), H2, 9);
    clock.runFor(29_000);
    expect(h2.snmp().Ip.ReasmTimeout).toBe(0);
    clock.runFor(2_000);
    expect(h2.snmp().Ip).toMatchObject({ ReasmTimeout: 1, ReasmFails: 1, ReasmOKs: 0 });
    expect(rx.recv()).toBeNull();
    expect(h2.snmp().Icmp.OutTimeExcds).toBe(1);
    expect(tx.readError()).toMatchObject({ code: 'EHOSTUNREACH', icmpType: 11, icmpCode: 1, addr: H2, port: 9 });
    expect(a.wire.filtered).toBe(1);
  });

  it('under 10 % loss every fragmented datagram is either reassembled or timed out', () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 1, loss: 0.1, seed: 3 });
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    rx.rcvbuf = 1 << 24;
    const tx = h1.udpSocket();
    tx.sendTo(payload(10), H2, 9); // let ARP settle
    clock.runFor(5_000);
    rx.recv();
    let got = 0;
    rx.onReadable = () => {
      while (rx.recv() !== null) got++;
    };
    // Which datagrams got at least one fragment through (seen by h2's receive tap)?
    const seen = new Set<number>();
    h2.core.addTap({
      dev: null,
      dir: 'rx',
      fn: (skb) => {
        const b = skb.buf;
        const d = skb.data;
        if (b.readUInt16BE(d + 12) === 0x0800 && b.readUInt16BE(d + 20) & 0x3fff) seen.add(b.readUInt16BE(d + 18));
      },
    });
    const n = 200;
    for (let i = 0; i < n; i++) {
      tx.sendTo(payload(3000), H2, 9); // 3 fragments
      clock.runFor(20);
    }
    clock.runUntilIdle();
    const ip = h2.snmp().Ip;
    // Each datagram that got at least one fragment through is reassembled or times out; none is left.
    expect(ip.ReasmOKs + ip.ReasmTimeout).toBe(seen.size);
    expect(ip.ReasmFails).toBe(ip.ReasmTimeout);
    expect(h2.ipv4.defrag.queueCount).toBe(0);
    expect(h2.ipv4.defrag.mem).toBe(0);
    expect(got).toBe(ip.ReasmOKs);
    // About 0.9³ of them arrive whole.
    expect(got).toBeGreaterThan(n * 0.6);
    expect(got).toBeLessThan(n * 0.85);
  });
});

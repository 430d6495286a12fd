/**
 * Packets waiting for ARP are queued up to a byte limit; beyond it the oldest are dropped and counted, and the
 * rest go out once the neighbour answers.
 */
import { describe, expect, it } from 'vitest';
import { H2, twoHosts } from './world.ts';

describe('ARP queue', () => {
  it('a burst to an unresolved neighbour overflows the queue: counted, the rest delivered in order', () => {
    const { clock, h1, h2 } = twoHosts({ delayMs: 20, stack: { neigh: { unresQlenBytes: 64 * 1024 } } });
    clock.runUntilIdle(); // gratuitous ARPs done; nothing resolved yet
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    rx.rcvbuf = 1 << 24;
    const tx = h1.udpSocket();
    tx.sndbuf = 1 << 24;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const p = Buffer.alloc(1000);
      p.writeUInt32BE(i, 0);
      expect(tx.sendTo(p, H2, 9)).toBe(1000);
    }
    const discards = h1.arp.tbl.stats.unresDiscards;
    expect(discards).toBeGreaterThan(0);
    expect(h1.neighbours()[0]).toMatchObject({ state: 'INCOMPLETE', queued: n - discards });
    clock.runUntilIdle();
    const got: number[] = [];
    for (let d = rx.recv(); d !== null; d = rx.recv()) got.push(d.data.readUInt32BE(0));
    // The oldest were dropped: what arrives is the newest n - discards, in order.
    expect(got).toEqual(Array.from({ length: n - discards }, (_, i) => discards + i));
    expect(h1.snmp().Udp.OutDatagrams).toBe(n);
  });
});

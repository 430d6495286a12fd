/**
 * 1,000 pings across a link that loses 10 % of frames in each direction: every request and reply is accounted
 * for at every layer, and nothing is left running afterwards.
 */
import { describe, expect, it } from 'vitest';
import { H2, twoHosts } from './world.ts';

describe('ping over a lossy link', () => {
  it('1,000 pings at 10 % loss: counters add up, and the clock goes idle', async () => {
    const w = twoHosts({ loss: 0.1, delayMs: 2, jitterMs: 0.5, seed: 42 });
    const { clock, a, b, h1, h2 } = w;
    const done = h1.ping(H2, { count: 1000, interval: 100, timeout: 1000, size: 56 });
    clock.runUntilIdle();
    expect(clock.idle).toBe(true);
    const r = await done;

    // The ping: every request answered or lost; loss near 1 - 0.9² = 19 %.
    expect(r.transmitted).toBe(1000);
    expect(r.received + r.lost).toBe(1000);
    expect(r.duplicates).toBe(0);
    expect(r.lost).toBeGreaterThan(120);
    expect(r.lost).toBeLessThan(260);
    expect(r.rtts.length).toBe(r.received);
    expect(r.min).toBeGreaterThanOrEqual(3);

    const s1 = h1.snmp();
    const s2 = h2.snmp();
    // ICMP: what h1 sent reached h2 or was lost on the wire; what h2 answered reached h1 or was lost.
    expect(s1.Icmp.OutEchos).toBe(1000);
    expect(s2.Icmp.InEchos).toBe(s2.Icmp.OutEchoReps);
    expect(s1.Icmp.InEchoReps).toBe(r.received);
    const lostRequests = s1.Icmp.OutEchos - s2.Icmp.InEchos;
    const lostReplies = s2.Icmp.OutEchoReps - s1.Icmp.InEchoReps;
    expect(lostRequests + lostReplies).toBe(r.lost);

    // IPv4: every datagram received was delivered; every one sent was transmitted.
    for (const s of [s1, s2]) {
      expect(s.Ip.InReceives).toBe(s.Ip.InDelivers);
      expect(s.Ip.OutRequests).toBe(s.Ip.OutTransmits);
      expect(s.Ip.InHdrErrors + s.Ip.InAddrErrors + s.Ip.OutDiscards).toBe(0);
    }

    // The wire: frames sent = delivered + lost in each direction, and lost frames are the ICMP and ARP
    // messages that one side sent and the other never saw.
    const arpTx = (s: typeof s1) => s.Arp.txRequests + s.Arp.txReplies;
    const arpRx = (s: typeof s1) => s.Arp.rxRequests + s.Arp.rxReplies;
    for (const [dev, from, to] of [
      [a, s1, s2],
      [b, s2, s1],
    ] as const) {
      expect(dev.wire.txFrames).toBe(dev.wire.delivered + dev.wire.lost);
      expect(dev.wire.lost).toBe(from.Icmp.OutMsgs - to.Icmp.InMsgs + (arpTx(from) - arpRx(to)));
    }

    // Devices and the softirq: everything delivered to b went through its NAPI context.
    expect(b.stats.rxPackets).toBe(a.wire.delivered);
    expect(b.softnet.processed).toBe(b.stats.rxPackets);
    expect(a.stats.txPackets).toBe(a.wire.txFrames);
    expect(b.softnet.dropped + b.rxMissed).toBe(0);

    // Nothing left behind: neighbour entries were collected, no socket or ping is bound.
    expect(h1.neighbours()).toEqual([]);
    expect(h2.neighbours()).toEqual([]);
  });

  it('gives the same result for the same seed', async () => {
    const run = async () => {
      const w = twoHosts({ loss: 0.1, delayMs: 2, jitterMs: 0.5, seed: 7 });
      const p = w.h1.ping(H2, { count: 100, interval: 50 });
      w.clock.runUntilIdle();
      return { r: await p, snmp: w.h2.snmp() };
    };
    expect(await run()).toEqual(await run());
  });
});

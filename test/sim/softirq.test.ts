/**
 * A burst larger than the softirq budget: net_rx_action processes 300 packets per round (weight 64 per poll),
 * counts time_squeeze when it stops with work left, and finishes the burst in later rounds without losing any.
 */
import { describe, expect, it } from 'vitest';
import { H2, twoHosts } from './world.ts';

describe('softirq budget', () => {
  it('a 1,000-frame burst takes several rounds, squeezes, and loses nothing', () => {
    const { clock, a, b, h1, h2 } = twoHosts({ rxRingSize: 2048 });
    const rx = h2.udpSocket();
    rx.bind(0, 9);
    rx.rcvbuf = 1 << 24;
    const tx = h1.udpSocket();
    h1.arp.tbl.addPermanent(a, H2, b.addr);
    clock.runUntilIdle();
    const rounds0 = h2.core.softirq.rounds;
    const processed0 = b.softnet.processed;
    for (let i = 0; i < 1000; i++) tx.sendTo(Buffer.alloc(18), H2, 9);
    // All 1,000 are on b's receive ring before the softirq runs.
    clock.runUntil(clock.now());
    expect(b.softnet.processed - processed0).toBe(1000);
    expect(h2.core.softirq.rounds - rounds0).toBeGreaterThanOrEqual(4);
    expect(b.softnet.timeSqueeze).toBeGreaterThanOrEqual(3);
    let n = 0;
    while (rx.recv() !== null) n++;
    expect(n).toBe(1000);
    expect(b.rxMissed + b.softnet.dropped).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../inet/addr.ts';
import { pairStacks } from '../../test/support/pair-stacks.ts';
import type { PairOptions } from './pair.ts';

/** Two stacks on a pair, resolved, with a UDP receiver on h2:9. */
function link(opts: Omit<PairOptions, 'clock'> = {}) {
  const { clock, a, b, h1, h2 } = pairStacks(opts);
  for (const d of [a, b]) Object.assign(d.wire, { txFrames: 0, txBytes: 0, delivered: 0, padded: 0 });
  const rx = h2.udpSocket();
  rx.bind(0, 9);
  rx.rcvbuf = 1 << 24;
  const tx = h1.udpSocket();
  const arrivals: Array<{ t: number; n: number }> = [];
  rx.onReadable = () => {
    for (let d = rx.recv(); d !== null; d = rx.recv()) arrivals.push({ t: clock.now(), n: d.data.readUInt32BE(0) });
  };
  /** Send n datagrams, letting the softirq run every 100 (the receive ring holds 1024). */
  const send = (n: number, size = 64) => {
    for (let i = 0; i < n; i++) {
      if (i % 100 === 99) clock.runUntil(clock.now());
      const p = Buffer.alloc(size);
      p.writeUInt32BE(i, 0);
      expect(tx.sendTo(p, parseIpv4('10.0.0.2'), 9)).toBe(size);
    }
  };
  return { clock, a, b, h1, h2, rx, send, arrivals };
}

describe('in-memory link pair', () => {
  it('delivers through the receiver NAPI context, in order, with no faults configured', () => {
    const l = link();
    const before = l.b.softnet.processed;
    l.send(100);
    l.clock.runUntilIdle();
    expect(l.arrivals.map((x) => x.n)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(l.b.softnet.processed - before).toBe(100);
    expect(l.a.wire).toMatchObject({ txFrames: 100, delivered: 100, lost: 0 });
  });

  it('loses frames with the configured probability; every frame is delivered or counted lost', () => {
    const l = link({ loss: 0.25 });
    l.send(2000);
    l.clock.runUntilIdle();
    const w = l.a.wire;
    expect(w.lost + w.delivered).toBe(2000);
    expect(w.lost).toBeGreaterThan(400);
    expect(w.lost).toBeLessThan(600);
    expect(l.arrivals.length).toBe(w.delivered);
  });

  it('is deterministic for a seed', () => {
    const run = () => {
      const l = link({ loss: 0.3, duplicate: 0.1, reorder: 0.1, jitterMs: 2, delayMs: 5 });
      l.send(300);
      l.clock.runUntilIdle();
      return l.arrivals;
    };
    expect(run()).toEqual(run());
  });

  it('duplicates and reorders, and counts both', () => {
    const l = link({ duplicate: 0.1, reorder: 0.2, delayMs: 1, reorderDelayMs: 3 });
    l.send(500);
    l.clock.runUntilIdle();
    const w = l.a.wire;
    expect(w.delivered).toBe(500 + w.duplicated);
    expect(w.duplicated).toBeGreaterThan(0);
    expect(l.arrivals.length).toBe(500 + w.duplicated);
    let inversions = 0;
    for (let i = 1; i < l.arrivals.length; i++) if (l.arrivals[i]!.n < l.arrivals[i - 1]!.n) inversions++;
    expect(w.reordered).toBeGreaterThan(0);
    expect(inversions).toBeGreaterThan(0);
  });

  it('corrupts bits that the receivers catch by checksum, every one', () => {
    const l = link({ corrupt: 0.2 });
    l.send(1000, 200);
    l.clock.runUntilIdle();
    const w = l.a.wire;
    expect(w.corrupted).toBeGreaterThan(100);
    const s = l.h2.snmp();
    // A flip lands in the IP header (its checksum catches it, or the version/IHL check first) or in the UDP
    // datagram (its checksum, or its length check when the length field itself was hit).
    expect(s.Ip.InHdrErrors + s.Udp.InErrors).toBe(w.corrupted);
    expect(s.IpExt.InCsumErrors).toBeGreaterThan(0);
    expect(s.Udp.InCsumErrors).toBeGreaterThan(0);
    expect(l.arrivals.length).toBe(1000 - w.corrupted);
  });

  it('delays by propagation plus serialisation at the rate limit', () => {
    const l = link({ delayMs: 10, rateBps: 8_000_000 });
    const t0 = l.clock.now();
    l.send(10, 958); // 1000-byte frames: 1 ms each at 8 Mbit/s
    l.clock.runUntilIdle();
    expect(l.arrivals.map((x) => Math.round((x.t - t0) * 1e6) / 1e6)).toEqual(
      Array.from({ length: 10 }, (_, i) => 11 + i),
    );
  });

  it('drops beyond the queue limit on the wire and counts it', () => {
    const l = link({ rateBps: 1_000_000, queueLimit: 10 });
    l.send(100);
    l.clock.runUntilIdle();
    expect(l.a.wire.queueDrops).toBe(90);
    expect(l.arrivals.length).toBe(10);
  });

  it('drops what does not fit the receive ring (rx_missed)', () => {
    const l = link({ rxRingSize: 16 });
    l.send(40); // all 40 arrive before the softirq runs
    l.clock.runUntilIdle();
    expect(l.b.rxMissed).toBe(24);
    expect(l.arrivals.length).toBe(16);
    expect(l.b.stats.rxDropped).toBe(24);
  });

  it('recycles receive buffers (a page pool): no allocation once warm', () => {
    const l = link();
    l.send(50);
    l.clock.runUntilIdle();
    const warm = l.b.rxPoolAllocs;
    for (let i = 0; i < 10; i++) {
      l.send(50);
      l.clock.runUntilIdle();
    }
    // recv() hands the buffers to the reader, so only a recvInto reader returns them; check with recvInto.
    const m = link();
    m.rx.onReadable = () => {
      const out = Buffer.alloc(2048);
      while (m.rx.recvInto(out) >= 0) {
        /* drain */
      }
    };
    m.send(50);
    m.clock.runUntilIdle();
    const before = m.b.rxPoolAllocs;
    for (let i = 0; i < 10; i++) {
      m.send(50);
      m.clock.runUntilIdle();
    }
    expect(m.b.rxPoolAllocs).toBe(before);
    expect(l.b.rxPoolAllocs).toBeGreaterThan(warm);
  });

  it('veth-like offload: partial checksums cross unfinished and are trusted', () => {
    const l = link({ features: { txCsumOffload: true, rxCsumUnnecessary: true } });
    l.send(5);
    l.clock.runUntilIdle();
    expect(l.arrivals.length).toBe(5);
    // A device that offloads TX to a receiver that verifies: the "hardware" completes the checksum.
    const m = link();
    m.a.features.txCsumOffload = true;
    m.send(5);
    m.clock.runUntilIdle();
    expect(m.arrivals.length).toBe(5);
    expect(m.h2.snmp().Udp.InCsumErrors).toBe(0);
  });

  it('a drop filter loses chosen frames (counted apart from random loss)', () => {
    const l = link();
    l.a.dropFilter = (b, off) => b.readUInt32BE(off + 42) % 2 === 1;
    l.send(10);
    l.clock.runUntilIdle();
    expect(l.arrivals.map((x) => x.n)).toEqual([0, 2, 4, 6, 8]);
    expect(l.a.wire.filtered).toBe(5);
  });
});

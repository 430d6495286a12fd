import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { chandef } from './chan.ts';
import { Medium } from './medium.ts';
import { BROADCAST, dataFrame, mac, OFDM6, seqOf } from './testing.ts';
import type { RxInfo } from './types.ts';

function world(seed = 4) {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed });
  const ports = [1, 2, 3].map((n) => medium.attach(mac(n), { chandef: chandef('5g', 36) }));
  const heard: { to: number; frame: Uint8Array; info: RxInfo; at: number }[][] = [[], [], []];
  const acked: boolean[] = [];
  ports.forEach((p, i) => {
    p.onReceive = (frame, info) => {
      heard[i]!.push({ to: p.id, frame: Uint8Array.from(frame), info: { ...info }, at: clock.now() });
      return p.wouldAck(frame);
    };
    p.onTxComplete = (_c, _f, r) => acked.push(r.acked);
  });
  return { clock, medium, ports, heard, acked };
}

function bitDiff(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      n += x & 1;
      x >>= 1;
    }
  }
  return n;
}

describe('fault injection', () => {
  it('drop by predicate: only the matching deliveries vanish; the sender retries', () => {
    const { clock, medium, ports, heard, acked } = world();
    const [a, b, c] = ports as [(typeof ports)[0], (typeof ports)[0], (typeof ports)[0]];
    const rule = medium.faults.add({ kind: 'drop', match: (d) => d.to === b.id && d.attempt === 0 });
    a.transmit(dataFrame(BROADCAST, mac(1), 80, 1), { rate: OFDM6 });
    a.transmit(dataFrame(mac(2), mac(1), 80, 2), { rate: OFDM6 });
    clock.runUntilIdle();
    expect(heard[1]!.map((h) => seqOf(h.frame))).toEqual([2]); // the broadcast and the first try lost
    expect(heard[2]!.map((h) => seqOf(h.frame))).toEqual([1, 2, 2]); // c overhears both tries
    expect(acked).toEqual([false, true]);
    expect(heard[1]![0]!.frame[1]! & 0x08).toBe(0x08); // the one that arrived was a retry
    expect(rule.hits).toBe(2);
    expect(b.counters.rxFaultDrops).toBe(2);
    expect(c.counters.rxFaultDrops).toBe(0);
    expect(medium.counters.faultDrops).toBe(2);
  });

  it('corrupt: the receiver gets the frame with exactly `bits` flipped and an FCS failure, and does not ACK', () => {
    const { clock, medium, ports, heard, acked } = world();
    medium.faults.add({ kind: 'corrupt', bits: 3, count: 1, match: (d) => d.to === ports[1]!.id });
    const f = dataFrame(mac(2), mac(1), 200, 7);
    const orig = Uint8Array.from(f);
    ports[0]!.transmit(f, { rate: OFDM6 });
    clock.runUntilIdle();
    const got = heard[1]!;
    expect(got).toHaveLength(2);
    expect(got[0]!.info.fcsFailed).toBe(true);
    expect(bitDiff(got[0]!.frame, orig)).toBe(3);
    expect(got[1]!.info.fcsFailed).toBe(false); // the retry arrived intact
    expect(acked).toEqual([true]);
    expect(ports[1]!.counters.rxFcsErrors).toBe(1);
  });

  it('duplicate: the receiver gets the frame twice, the copy after delayMs', () => {
    const { clock, medium, ports, heard } = world();
    medium.faults.add({ kind: 'duplicate', delayMs: 3, count: 1 });
    ports[0]!.transmit(dataFrame(mac(2), mac(1), 80, 9), { rate: OFDM6 });
    clock.runUntilIdle();
    // One delivery hit (the first receiver in attach order that heard it), the other intact.
    const all = [...heard[1]!, ...heard[2]!];
    expect(all).toHaveLength(3);
    const dup = heard[1]!.length === 2 ? heard[1]! : heard[2]!;
    expect(dup[1]!.at - dup[0]!.at).toBeCloseTo(3, 9);
    expect(dup[1]!.frame).toEqual(dup[0]!.frame);
    expect(medium.counters.faultDuplicates).toBe(1);
  });

  it('delay: frames arrive late and out of order; the ACK is decided on time', () => {
    const { clock, medium, ports, heard, acked } = world();
    medium.faults.add({ kind: 'delay', delayMs: 10, match: (d) => seqOf(d.frame) === 1 });
    for (let i = 1; i <= 3; i++) ports[0]!.transmit(dataFrame(mac(2), mac(1), 80, i), { rate: OFDM6 });
    clock.runUntilIdle();
    expect(heard[1]!.map((h) => seqOf(h.frame))).toEqual([2, 3, 1]);
    expect(acked).toEqual([true, true, true]);
    expect(ports[0]!.counters.txRetries).toBe(0);
  });

  it('probability and count limit the hits; rules can be removed; draws are deterministic by seed', () => {
    const run = (seed: number) => {
      const { clock, medium, ports, heard } = world(seed);
      const rule = medium.faults.add({ kind: 'drop', probability: 0.25, match: (d) => d.to === ports[1]!.id });
      const capped = medium.faults.add({ kind: 'drop', count: 5, match: (d) => d.to === ports[2]!.id });
      for (let i = 0; i < 2000; i++) ports[0]!.transmit(dataFrame(BROADCAST, mac(1), 60, i & 0xfff), { rate: OFDM6 });
      clock.runUntilIdle();
      rule.remove();
      for (let i = 0; i < 10; i++) ports[0]!.transmit(dataFrame(BROADCAST, mac(1), 60), { rate: OFDM6 });
      clock.runUntilIdle();
      return { hits: rule.hits, capped: capped.hits, b: heard[1]!.length, c: heard[2]!.length };
    };
    const r = run(21);
    expect(Math.abs(r.hits - 500)).toBeLessThan(100); // binomial(2000, 0.25): σ ≈ 19
    expect(r.b).toBe(2010 - r.hits);
    expect(r.capped).toBe(5);
    expect(r.c).toBe(2005);
    expect(run(21)).toEqual(r);
    expect(run(22).hits).not.toBe(r.hits);
  });

  it('refuses nonsense specs with a clear message', () => {
    const { medium } = world();
    expect(() => medium.faults.add({ kind: 'drop', probability: 2 })).toThrow(/probability/);
    expect(() => medium.faults.add({ kind: 'corrupt', bits: 0 })).toThrow(/bits/);
    expect(() => medium.faults.add({ kind: 'delay', delayMs: -1 })).toThrow(/delayMs/);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateInfo } from '../../mac80211/driver-ops.ts';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { ackTimeUs, aifsUs, sifsUs, txTimeUs } from './airtime.ts';
import { chandef } from './chan.ts';
import { Medium, type MediumOptions } from './medium.ts';
import type { RadioPort } from './port.ts';
import { BROADCAST, CCK1, dataFrame, HT7, mac, OFDM6, OFDM54, seqOf } from './testing.ts';
import type { RxInfo, TxParams, TxResult } from './types.ts';

interface Heard {
  frame: Uint8Array;
  info: RxInfo;
  at: number;
}

interface Done {
  cookie: unknown;
  result: TxResult;
  at: number;
}

/** A port that records what it hears and how its transmissions end; acks unicast frames addressed to it. */
function station(medium: Medium, n: number, opts: { ack?: boolean; channel?: number; band?: '2g' | '5g' } = {}) {
  const port = medium.attach(mac(n), { chandef: chandef(opts.band ?? '5g', opts.channel ?? 36) });
  const heard: Heard[] = [];
  const done: Done[] = [];
  port.onReceive = (frame, info) => {
    heard.push({ frame: Uint8Array.from(frame), info: { ...info }, at: medium.clock.now() });
    return (opts.ack ?? true) && port.wouldAck(frame);
  };
  port.onTxComplete = (cookie, _f, result) => done.push({ cookie, result: { ...result }, at: medium.clock.now() });
  return { port, heard, done };
}

function world(opts: Partial<MediumOptions> = {}) {
  const clock = new VirtualClock();
  const medium = new Medium({ clock, seed: 7, ...opts });
  return { clock, medium };
}

const p6: TxParams = { rate: OFDM6 };

describe('Medium: channels', () => {
  it('delivers a frame only to the radios on the same primary channel', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    const c = station(medium, 3, { channel: 40 });
    const d = station(medium, 4, { band: '2g', channel: 1 });
    a.port.transmit(dataFrame(BROADCAST, mac(1)), p6, 'x');
    clock.runUntilIdle();
    expect(b.heard).toHaveLength(1);
    expect(c.heard).toHaveLength(0);
    expect(d.heard).toHaveLength(0);
    expect(a.heard).toHaveLength(0); // a radio does not hear itself
    expect(b.heard[0]!.info).toMatchObject({ band: '5g', freq: 5180, channel: 36 });
    c.port.tune(chandef('5g', 36, 80));
    a.port.transmit(dataFrame(BROADCAST, mac(1)), p6);
    clock.runUntilIdle();
    expect(c.heard).toHaveLength(1); // an 80 MHz channel with primary 36 hears 36
    expect(c.heard[0]!.info.width).toBe(80);
  });

  it('a radio that tunes in after a frame started does not hear it', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2, { channel: 40 });
    a.port.transmit(dataFrame(BROADCAST, mac(1), 1500), p6);
    clock.runFor(0.5); // the frame is on air (2 ms at 6 Mb/s, after at most 169 µs of contention)
    b.port.tune(chandef('5g', 36));
    clock.runUntilIdle();
    expect(b.heard).toHaveLength(0);
    a.port.transmit(dataFrame(BROADCAST, mac(1), 1500), p6);
    clock.runUntilIdle();
    expect(b.heard).toHaveLength(1);
  });

  it('queued frames follow the sender to its new channel', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    const c = station(medium, 3, { channel: 40 });
    for (let i = 0; i < 3; i++) a.port.transmit(dataFrame(BROADCAST, mac(1), 1500, i), p6);
    clock.runFor(0.5); // the first is on air
    a.port.tune(chandef('5g', 40));
    clock.runUntilIdle();
    expect(b.heard.map((h) => seqOf(h.frame))).toEqual([0]);
    expect(c.heard.map((h) => seqOf(h.frame))).toEqual([1, 2]);
  });
});

describe('Medium: ACKs and retries', () => {
  it('a unicast frame to a listening radio is acknowledged on the first try', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    a.port.transmit(dataFrame(mac(2), mac(1)), p6, 42);
    clock.runUntilIdle();
    expect(a.done).toHaveLength(1);
    expect(a.done[0]!.cookie).toBe(42);
    expect(a.done[0]!.result).toMatchObject({ acked: true, retries: 0, flushed: false });
    expect(b.heard).toHaveLength(1);
    expect(a.port.counters).toMatchObject({ txFrames: 1, txTries: 1, txAcked: 1, txFailed: 0 });
  });

  it('an unacknowledged unicast frame is retried up to the retry limit with the Retry bit set', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2, { ack: false });
    a.port.transmit(dataFrame(mac(2), mac(1)), { rate: OFDM6, retryLimit: 3 });
    clock.runUntilIdle();
    expect(a.done[0]!.result).toMatchObject({ acked: false, retries: 3 });
    expect(b.heard).toHaveLength(4);
    expect(b.heard.map((h) => (h.frame[1]! & 0x08) !== 0)).toEqual([false, true, true, true]);
    expect(a.port.counters).toMatchObject({ txTries: 4, txRetries: 3, txFailed: 1 });
  });

  it('a unicast frame to nobody fails after the default retry limit (7)', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    a.port.transmit(dataFrame(mac(9), mac(1)), p6);
    clock.runUntilIdle();
    expect(a.done[0]!.result).toMatchObject({ acked: false, retries: 7 });
  });

  it('group-addressed and noAck frames get one try and no ACK', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    station(medium, 2, { ack: false });
    a.port.transmit(dataFrame(BROADCAST, mac(1)), p6);
    a.port.transmit(dataFrame(mac(2), mac(1)), { rate: OFDM6, noAck: true });
    clock.runUntilIdle();
    expect(a.done.map((d) => d.result)).toMatchObject([
      { acked: false, retries: 0 },
      { acked: false, retries: 0 },
    ]);
    expect(a.port.counters).toMatchObject({ txTries: 2, txNoAck: 2 });
  });

  it('a lost ACK makes the sender retry: the receiver sees the frame twice', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    medium.setLink(a.port, b.port, { ackLoss: 1 }, { symmetric: false });
    a.port.transmit(dataFrame(mac(2), mac(1)), { rate: OFDM6, retryLimit: 1 });
    clock.runUntilIdle();
    expect(b.heard).toHaveLength(2);
    expect(a.done[0]!.result.acked).toBe(false);
    expect(b.port.counters.rxAckLost).toBe(2);
  });
});

describe('Medium: loss', () => {
  function lossRun(seed: number, loss: number, frames: number) {
    const { clock, medium } = world({ seed });
    const a = station(medium, 1);
    const b = station(medium, 2);
    const c = station(medium, 3);
    medium.setLink(a.port, b.port, { loss });
    for (let i = 0; i < frames; i++) a.port.transmit(dataFrame(BROADCAST, mac(1), 60, i & 0xfff), p6);
    clock.runUntilIdle();
    return {
      b: b.heard.length,
      c: c.heard.length,
      lostB: b.port.counters.rxLost,
      seqs: b.heard.map((h) => seqOf(h.frame)),
    };
  }

  it('each receiver draws its own loss; the rate is honoured and the draws are deterministic by seed', () => {
    const n = 10_000;
    const r1 = lossRun(11, 0.3, n);
    // 5 standard deviations of a binomial(10000, 0.3): ±229
    expect(Math.abs(r1.lostB - 0.3 * n)).toBeLessThan(230);
    expect(r1.b + r1.lostB).toBe(n);
    expect(r1.c).toBe(n); // the link to c is lossless
    const r2 = lossRun(11, 0.3, n);
    expect(r2).toEqual(r1);
    const r3 = lossRun(12, 0.3, n);
    expect(r3.seqs).not.toEqual(r1.seqs);
  });

  it('unicast loss is repaired by retries; failures match p^(retries+1)', () => {
    const { clock, medium } = world({ seed: 3 });
    const a = station(medium, 1);
    const b = station(medium, 2);
    medium.setLink(a.port, b.port, { loss: 0.5 }, { symmetric: false });
    const n = 4000;
    for (let i = 0; i < n; i++)
      a.port.transmit(dataFrame(mac(2), mac(1), 60, i & 0xfff), { rate: OFDM54, retryLimit: 3 });
    clock.runUntilIdle();
    const failed = a.port.counters.txFailed;
    // P(fail) = 0.5^4 = 1/16 → 250 expected, σ ≈ 15.3
    expect(Math.abs(failed - n / 16)).toBeLessThan(80);
    expect(a.port.counters.txAcked + failed).toBe(n);
    // Every try is a draw: tries = deliveries + losses.
    expect(a.port.counters.txTries).toBe(b.port.counters.rxFrames + b.port.counters.rxLost);
  });
});

describe('Medium: signal', () => {
  it('signal = noise floor + SNR, adjusted by transmit power', () => {
    const { clock, medium } = world({ noiseFloor: -92 });
    const a = station(medium, 1);
    const b = station(medium, 2);
    medium.setLink(a.port, b.port, { snr: 25 }, { symmetric: false });
    medium.setLink(b.port, a.port, { snr: 30 }, { symmetric: false });
    a.port.transmit(dataFrame(mac(2), mac(1)), p6);
    a.port.transmit(dataFrame(mac(2), mac(1)), { rate: OFDM6, powerDbm: 14 });
    clock.runUntilIdle();
    expect(b.heard.map((h) => [h.info.signal, h.info.snr, h.info.noise])).toEqual([
      [-67, 25, -92],
      [-73, 19, -92],
    ]);
    expect(a.done[0]!.result.ackSignal).toBe(-62); // the ACK travels b → a at 30 dB
  });

  it('per-radio defaults apply when no pair setting exists (receiver first)', () => {
    const { medium } = world();
    const a = medium.attach(mac(1), { link: { snr: 10 } });
    const b = medium.attach(mac(2), { link: { snr: 20 } });
    const c = medium.attach(mac(3));
    expect(medium.link(a, b).snr).toBe(20);
    expect(medium.link(b, a).snr).toBe(10);
    expect(medium.link(c, a).snr).toBe(10);
    expect(medium.link(c, c).snr).toBe(40);
    medium.setLink(a, b, { snr: 5 });
    expect(medium.link(b, a).snr).toBe(5);
    expect(() => medium.setLink(a, b, { loss: 1.5 })).toThrow(/probability/);
  });
});

describe('Medium: time', () => {
  it('airtime, inter-frame spaces and backoff advance the virtual clock', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    a.port.transmit(dataFrame(BROADCAST, mac(1), 1500), p6);
    clock.runUntilIdle();
    const air = txTimeUs(1500, OFDM6, '5g');
    expect(air).toBe(2032);
    const waitUs = b.heard[0]!.at * 1000 - air - aifsUs('5g', OFDM6, 2);
    // backoff: a whole number of 9 µs slots in [0, 15]
    const slots = waitUs / 9;
    expect(Math.abs(slots - Math.round(slots))).toBeLessThan(1e-6);
    expect(slots).toBeGreaterThanOrEqual(-1e-6);
    expect(slots).toBeLessThanOrEqual(15 + 1e-6);
    // A unicast frame completes after SIFS and the ACK.
    const t0 = clock.now();
    a.port.transmit(dataFrame(mac(2), mac(1), 1500), p6);
    clock.runUntilIdle();
    const heardAt = b.heard[1]!.at;
    expect((a.done[1]!.at - heardAt) * 1000).toBeCloseTo(sifsUs('5g') + ackTimeUs(OFDM6, '5g'), 6);
    expect(heardAt).toBeGreaterThan(t0 + air / 1000);
  });

  it('one transmission at a time per channel; separate channels run in parallel', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    const r = station(medium, 3);
    const a2 = station(medium, 4, { channel: 40 });
    const b2 = station(medium, 5, { channel: 40 });
    for (let i = 0; i < 20; i++) {
      a.port.transmit(dataFrame(BROADCAST, mac(1), 1000, i), p6);
      b.port.transmit(dataFrame(BROADCAST, mac(2), 1000, i), p6);
      a2.port.transmit(dataFrame(BROADCAST, mac(4), 1000, i), p6);
    }
    clock.runUntilIdle();
    const air = txTimeUs(1000, OFDM6, '5g') / 1000;
    const times = r.heard.map((h) => h.at);
    expect(times).toHaveLength(40);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(air - 1e-9);
    // Senders alternate: a FIFO of contenders.
    expect(r.heard.slice(0, 4).map((h) => h.info.from)).toEqual([a.port.id, b.port.id, a.port.id, b.port.id]);
    expect(b2.heard).toHaveLength(20);
    expect(b2.heard.at(-1)!.at).toBeLessThan(times.at(-1)!); // channel 40 was not held up by 36
  });

  it("timing 'none' makes tries take no time", () => {
    const { clock, medium } = world({ timing: 'none' });
    const a = station(medium, 1);
    const b = station(medium, 2);
    for (let i = 0; i < 10; i++) a.port.transmit(dataFrame(mac(2), mac(1), 1500, i), p6);
    clock.runUntilIdle();
    expect(b.heard).toHaveLength(10);
    expect(clock.now()).toBe(0);
    expect(a.done.every((d) => d.result.acked)).toBe(true);
  });

  it('known airtimes', () => {
    expect(txTimeUs(1500, OFDM54, '5g')).toBe(20 + 4 * Math.ceil((16 + 8 * 1504 + 6) / 216));
    expect(txTimeUs(100, CCK1, '2g')).toBe(192 + 8 * 104);
    expect(txTimeUs(100, { ...CCK1, rate: 110 }, '2g', true)).toBe(96 + Math.ceil((8 * 104) / 11));
    expect(txTimeUs(1500, HT7, '5g')).toBe(36 + 4 * Math.ceil((16 + 8 * 1504 + 6) / 260));
    expect(txTimeUs(1500, OFDM6, '2g')).toBe(txTimeUs(1500, OFDM6, '5g') + 6);
    const he: RateInfo = { mode: 'he', rate: 11, nss: 2, bw: 80, sgi: true };
    const vht: RateInfo = { mode: 'vht', rate: 9, nss: 2, bw: 80, sgi: true };
    // faster rates take less time for long frames (HE's longer preamble costs more on short ones)
    expect(txTimeUs(8000, he, '5g')).toBeLessThan(txTimeUs(8000, vht, '5g'));
    expect(txTimeUs(1500, vht, '5g')).toBeLessThan(txTimeUs(1500, HT7, '5g'));
  });
});

describe('Medium: TSF, latency, flush, detach', () => {
  it('fills the TSF field with the sender TSF at the first bit; receivers get their own TSF as mactime', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    a.port.setTsf(1_000_000);
    b.port.setTsf(5_000_000);
    const beacon = dataFrame(BROADCAST, mac(1), 60);
    beacon[0] = 0x80;
    clock.runFor(10);
    a.port.transmit(beacon, { rate: OFDM6, tsfOffset: 24 });
    clock.runUntilIdle();
    const f = b.heard[0]!.frame;
    const tsf = new DataView(f.buffer).getBigUint64(24, true);
    const air = txTimeUs(60, OFDM6, '5g');
    const startUs = b.heard[0]!.at * 1000 - air;
    expect(Number(tsf)).toBe(Math.floor(1_000_000 + startUs));
    expect(b.heard[0]!.info.mactime).toBe(Math.floor(5_000_000 + startUs));
  });

  it('latency delays delivery without holding the channel; the ACK is decided on time', () => {
    const { clock, medium } = world({ timing: 'none' });
    const a = station(medium, 1);
    const b = station(medium, 2);
    medium.setLink(a.port, b.port, { latencyMs: 5 });
    a.port.transmit(dataFrame(mac(2), mac(1)), p6);
    a.port.transmit(dataFrame(mac(2), mac(1)), p6);
    clock.runUntilIdle();
    expect(b.heard.map((h) => h.at)).toEqual([5, 5]);
    expect(a.done.map((d) => [d.at, d.result.acked])).toEqual([
      [0, true],
      [0, true],
    ]);
  });

  it('flush and detach complete queued frames as flushed', () => {
    const { clock, medium } = world();
    const a = station(medium, 1);
    const b = station(medium, 2);
    for (let i = 0; i < 5; i++) a.port.transmit(dataFrame(mac(2), mac(1), 500, i), p6, i);
    clock.runFor(0.01);
    a.port.flush();
    expect(a.done.map((d) => [d.cookie, d.result.flushed])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    clock.runUntilIdle();
    expect(a.done.at(-1)).toMatchObject({ cookie: 0, result: { acked: true, flushed: false } });
    expect(b.heard).toHaveLength(1);
    b.port.detach();
    a.port.transmit(dataFrame(mac(2), mac(1)), p6);
    clock.runUntilIdle();
    expect(a.done.at(-1)!.result.acked).toBe(false);
    expect(b.heard).toHaveLength(1);
    a.port.detach();
    a.port.transmit(dataFrame(mac(2), mac(1)), p6, 'late');
    expect(a.done.at(-1)).toMatchObject({ cookie: 'late', result: { flushed: true } });
  });
});

describe('Medium: property', () => {
  it('random frames, rates, tunes and link settings never throw and every transmission completes once', () => {
    const rate = fc.oneof(
      fc.constantFrom(10, 20, 55, 110).map((r): RateInfo => ({ mode: 'cck', rate: r, nss: 1, bw: 20, sgi: false })),
      fc
        .constantFrom(60, 90, 120, 180, 240, 360, 480, 540)
        .map((r): RateInfo => ({ mode: 'ofdm', rate: r, nss: 1, bw: 20, sgi: false })),
      fc.record({
        mode: fc.constantFrom('ht' as const, 'vht' as const, 'he' as const),
        rate: fc.integer({ min: 0, max: 31 }),
        nss: fc.integer({ min: 1, max: 8 }),
        bw: fc.constantFrom(20 as const, 40 as const, 80 as const, 160 as const),
        sgi: fc.boolean(),
      }),
    );
    const op = fc.oneof(
      fc.record({
        t: fc.constant('tx' as const),
        who: fc.nat(3),
        frame: fc.uint8Array({ maxLength: 2400 }),
        rate,
        noAck: fc.boolean(),
      }),
      fc.record({ t: fc.constant('tune' as const), who: fc.nat(3), ch: fc.constantFrom(1, 6, 36, 40) }),
      fc.record({
        t: fc.constant('link' as const),
        a: fc.nat(3),
        b: fc.nat(3),
        loss: fc.double({ min: 0, max: 1, noNaN: true }),
        latencyMs: fc.constantFrom(0, 0, 0.5, 3),
      }),
      fc.record({ t: fc.constant('run' as const), ms: fc.double({ min: 0, max: 5, noNaN: true }) }),
      fc.record({ t: fc.constant('fault' as const), kind: fc.constantFrom('drop', 'corrupt', 'duplicate', 'delay') }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat(), (ops, seed) => {
        const { clock, medium } = world({ seed });
        const ports: RadioPort[] = [];
        const completions = new Map<unknown, number>();
        for (let i = 0; i < 4; i++) {
          const p = medium.attach(mac(i + 1), { chandef: chandef('5g', 36) });
          p.onReceive = (f) => p.wouldAck(f);
          p.onTxComplete = (cookie) => completions.set(cookie, (completions.get(cookie) ?? 0) + 1);
          ports.push(p);
        }
        let n = 0;
        for (const o of ops) {
          if (o.t === 'tx') ports[o.who]!.transmit(o.frame, { rate: o.rate, noAck: o.noAck }, n++);
          else if (o.t === 'tune') ports[o.who]!.tune(chandef(o.ch <= 14 ? '2g' : '5g', o.ch));
          else if (o.t === 'link') medium.setLink(ports[o.a]!, ports[o.b]!, { loss: o.loss, latencyMs: o.latencyMs });
          else if (o.t === 'run') clock.runFor(o.ms);
          else medium.faults.add({ kind: o.kind as 'drop', probability: 0.5, delayMs: 1 });
        }
        clock.runUntilIdle();
        expect(completions.size).toBe(n);
        for (const v of completions.values()) expect(v).toBe(1);
        const c = ports.reduce(
          (s, p) => s + p.counters.txAcked + p.counters.txFailed + p.counters.txNoAck + p.counters.txFlushed,
          0,
        );
        expect(c).toBe(n);
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * Hostile input: random segments (flags, sequence and acknowledgment numbers near and far from the window,
 * options, payloads) and random bytes thrown at established connections and listeners never throw, never break
 * the connection's bookkeeping, and a transfer afterwards still delivers the right bytes (or the connection was
 * legitimately reset).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChecksumState, SkBuff } from '../../netstack/core/skb.ts';
import type { TcpSock } from '../../netstack/tcp/sock.ts';
import { TcpState } from '../../netstack/tcp/types.ts';
import type { TcpOption } from '../../netstack/tcp/wire.ts';
import { ADDR_A, ADDR_B, SimNet, connectPair, drain, injectSegment, patternBytes, pumpAll } from './harness.ts';

function invariants(sk: TcpSock): void {
  expect(sk.packetsOut).toBeGreaterThanOrEqual(0);
  expect(sk.sackedOut).toBeGreaterThanOrEqual(0);
  expect(sk.lostOut).toBeGreaterThanOrEqual(0);
  expect(sk.retransOut).toBeGreaterThanOrEqual(0);
  expect(sk.sackedOut + sk.lostOut).toBeLessThanOrEqual(sk.packetsOut + sk.retransOut);
  expect(sk.tx.count).toBeGreaterThanOrEqual(sk.tx.sendHead - sk.tx.head);
  expect(sk.rx.bytes).toBeGreaterThanOrEqual(0);
  expect(sk.cwnd).toBeGreaterThanOrEqual(1);
}

const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.integer({ min: 0, max: 0xffff }).map<TcpOption>((value) => ({ kind: 'mss', value })),
  fc.integer({ min: 0, max: 255 }).map<TcpOption>((value) => ({ kind: 'wscale', value })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc
    .array(fc.tuple(fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: 0, max: 3000 })), {
      minLength: 1,
      maxLength: 3,
    })
    .map<TcpOption>((bs) => ({
      kind: 'sack',
      blocks: bs.map(([a, l]) => [a, a + l] as [number, number]),
    })),
  fc
    .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }))
    .map<TcpOption>(([val, ecr]) => ({ kind: 'ts', val, ecr })),
);

const segArb = fc.record({
  seqOff: fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), fc.integer({ min: 0, max: 0xffffffff })),
  ackOff: fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), fc.integer({ min: 0, max: 0xffffffff })),
  flags: fc.integer({ min: 0, max: 0xff }),
  window: fc.integer({ min: 0, max: 0xffff }),
  options: fc.array(optionArb, { maxLength: 4 }),
  len: fc.integer({ min: 0, max: 1600 }),
  toServer: fc.boolean(),
  advance: fc.integer({ min: 0, max: 300 }),
});

describe('TCP under hostile input', () => {
  it('survives random segments on established connections', () => {
    fc.assert(
      fc.property(
        fc.array(segArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 1000 }),
        (segs, seed) => {
          const n = new SimNet({ seed, ab: { delayMs: 2 } });
          const { client, server, listener } = connectPair(n);
          const data = patternBytes(50_000, seed);
          client.send(data);
          for (const s of segs) {
            const to = s.toServer ? server : client;
            const from = s.toServer ? client : server;
            const options = s.options
              .map((o) =>
                o.kind === 'sack'
                  ? {
                      kind: 'sack' as const,
                      blocks: o.blocks.map(
                        ([a, b]) => [(to.sndUna + a) >>> 0, (to.sndUna + b) >>> 0] as [number, number],
                      ),
                    }
                  : o,
              )
              .filter(
                (_, i, a) =>
                  a
                    .slice(0, i + 1)
                    .reduce(
                      (k, o) =>
                        k +
                        (o.kind === 'sack' ? 2 + 8 * o.blocks.length : o.kind === 'ts' ? 10 : o.kind === 'nop' ? 1 : 4),
                      0,
                    ) <= 40,
              );
            injectSegment(n, s.toServer ? 'b' : 'a', {
              sport: from.sport,
              dport: to.sport,
              seq: (to.rcvNxt + s.seqOff) >>> 0,
              ack: (to.sndUna + s.ackOff) >>> 0,
              flags: s.flags,
              window: s.window,
              options,
              payload: Buffer.alloc(s.len, 0x41),
            });
            n.clock.runFor(s.advance);
            for (const sk of [client, server]) if (sk.state !== TcpState.CLOSE) invariants(sk);
          }
          n.clock.runFor(60_000);
          listener.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('drops random bytes handed to TCP without throwing, counting them', () => {
    const n = new SimNet({ seed: 1, ab: { delayMs: 1 } });
    n.b.listen({ port: 80 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (bytes, trusted) => {
        const skb = SkBuff.fromBytes(bytes);
        if (trusted) skb.ipSummed = ChecksumState.UNNECESSARY;
        n.b.rcv(skb, {
          src: ADDR_A,
          dst: ADDR_B,
          protocol: 6,
          tos: 0,
          ttl: 64,
          length: bytes.length,
          dev: n.devB,
          broadcast: false,
        });
        n.clock.runFor(1);
      }),
      { numRuns: 2000 },
    );
    expect(n.b.mib.InErrs).toBeGreaterThan(0);
  });

  it('still delivers the right bytes after a storm of duplicates and old segments', () => {
    const n = new SimNet({ seed: 4, ab: { delayMs: 3, dup: 0.3, reorder: 0.2, reorderDelayMs: 9 } });
    const { client, server } = connectPair(n);
    const data = patternBytes(400_000, 9);
    pumpAll(client, data);
    const got: Buffer[] = [];
    let steps = 0;
    n.runUntil(() => {
      got.push(drain(server));
      // An old segment every few steps: its D-SACK and duplicate ACK must not disturb the sender.
      if (++steps % 20 === 0 && server.rcvNxt !== server.irs + 1)
        injectSegment(n, 'b', {
          sport: client.sport,
          dport: server.sport,
          seq: (server.rcvNxt - 1000) >>> 0,
          ack: server.sndNxt,
          flags: 0x10,
          window: 1000,
          payload: Buffer.alloc(500),
        });
      return server.eof;
    }, 120_000);
    expect(Buffer.concat(got).equals(data)).toBe(true);
  });
});

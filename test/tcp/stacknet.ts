/**
 * Two full Stacks (Ethernet, ARP, IPv4, ICMP, UDP — branch net) with TCP attached, joined by the in-memory faulty
 * link (netstack/link/pair.ts), in virtual time. Same surface as SimNet (a, b, clock, runUntil, dropFilter, log),
 * so the TCP simulations run over the real layers below TCP as well as over the direct harness.
 */
import { VirtualClock } from '../../netstack/core/clock.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { ETH_HLEN } from '../../netstack/ethernet/header.ts';
import { type LinkFaults, type PairDevice, createPair } from '../../netstack/link/pair.ts';
import { Stack } from '../../netstack/stack.ts';
import type { TcpStack } from '../../netstack/tcp/stack.ts';
import { TcpHeader, parseTcpHeader } from '../../netstack/tcp/wire.ts';
import type { LinkParams, SegmentRecord, SimNetOptions } from './harness.ts';

export interface StackNetOptions extends SimNetOptions {
  /** Resolve ARP as it happens (default: permanent neighbour entries, so the first SYN is not delayed). */
  arp?: boolean;
}

function faults(p: LinkParams, extraQueue: number): Partial<LinkFaults> {
  return {
    loss: p.loss ?? 0,
    duplicate: p.dup ?? 0,
    reorder: p.reorder ?? 0,
    reorderDelayMs: p.reorderDelayMs ?? Math.max(p.delayMs, 1),
    corrupt: p.corrupt ?? 0,
    delayMs: p.delayMs,
    rateBps: p.rateBps ?? 0,
    // The pair counts frames propagating as well as queued: allow a bandwidth-delay product on top.
    queueLimit: (p.queueLimit ?? 100_000) + extraQueue,
  };
}

export class StackNet {
  readonly clock = new VirtualClock();
  readonly h1: Stack;
  readonly h2: Stack;
  readonly a: TcpStack;
  readonly b: TcpStack;
  readonly devA: PairDevice;
  readonly devB: PairDevice;
  readonly log: SegmentRecord[] = [];
  dropFilter: ((dir: 'ab' | 'ba', th: TcpHeader, len: number) => boolean) | null = null;
  private readonly th = new TcpHeader();

  constructor(o: StackNetOptions) {
    const rng = new Prng(o.seed ?? 1);
    const mtu = o.mtu ?? 1500;
    const bdp = (p: LinkParams) => (p.rateBps ? Math.ceil((p.rateBps * p.delayMs) / 1000 / 8 / mtu) + 16 : 0);
    const ba = o.ba ?? o.ab;
    const { a, b } = createPair({
      clock: this.clock,
      rng: rng.fork('link'),
      mtu,
      aToB: faults(o.ab, bdp(o.ab)),
      bToA: faults(ba, bdp(ba)),
      features: o.offload ? { rxCsumUnnecessary: true, txCsumOffload: true } : {},
    });
    this.devA = a;
    this.devB = b;
    this.h1 = new Stack({ clock: this.clock, name: 'h1', rng: rng.fork('h1'), tcp: o.configA });
    this.h2 = new Stack({ clock: this.clock, name: 'h2', rng: rng.fork('h2'), tcp: o.configB });
    this.h1.addDevice(a);
    this.h2.addDevice(b);
    this.h1.addAddress(a, '10.0.0.1/24');
    this.h2.addAddress(b, '10.0.0.2/24');
    if (!(o.arp ?? false)) {
      this.h1.arp.tbl.addPermanent(a, 0x0a000002, b.addr);
      this.h2.arp.tbl.addPermanent(b, 0x0a000001, a.addr);
    }
    this.clock.runUntilIdle();
    this.a = this.h1.tcp;
    this.b = this.h2.tcp;
    const record = o.record ?? false;
    for (const [dev, dir] of [
      [a, 'ab'],
      [b, 'ba'],
    ] as const) {
      dev.dropFilter = (frame, off, len) => {
        if (!record && this.dropFilter === null) return false;
        // Ethernet + IPv4 (+ options) + TCP.
        if (len < ETH_HLEN + 20 || frame[off + 12] !== 0x08 || frame[off + 13] !== 0x00) return false;
        const ip = off + ETH_HLEN;
        if (frame[ip + 9] !== 6) return false;
        const ihl = (frame[ip]! & 15) * 4;
        const tot = (frame[ip + 2]! << 8) | frame[ip + 3]!;
        const th = this.th;
        if (parseTcpHeader(frame, ip + ihl, tot - ihl, th) !== 0) return false;
        const payload = tot - ihl - th.hlen;
        const drop = this.dropFilter?.(dir, th, payload) ?? false;
        if (record) {
          this.log.push({
            t: this.clock.now(),
            dir,
            flags: th.flags,
            seq: th.seq,
            ack: th.ack,
            len: payload,
            win: th.window,
            dropped: drop,
          });
        }
        return drop;
      };
    }
  }

  runUntil(until: () => boolean, maxMs: number): boolean {
    const deadline = this.clock.now() + maxMs;
    while (!until()) {
      if (this.clock.nextEventTime() > deadline) {
        this.clock.runUntil(deadline);
        return until();
      }
      this.clock.step(deadline);
    }
    return true;
  }

  get stats(): { ab: { queueDrops: number }; ba: { queueDrops: number } } {
    return { ab: this.devA.wire, ba: this.devB.wire };
  }
}

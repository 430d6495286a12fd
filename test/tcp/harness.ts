/**
 * Two TCP stacks wired back to back over a simulated link, in virtual time: per direction a bottleneck rate with
 * a drop-tail queue, propagation delay, and seeded loss, duplication, reordering and corruption. Deterministic for
 * a seed. Used by the TCP simulation tests before (and besides) the full Stack; segments cross "IP" directly.
 */
import { createHash } from 'node:crypto';
import { VirtualClock } from '../../netstack/core/clock.ts';
import { NetDevice, NetdevTx } from '../../netstack/core/netdevice.ts';
import { Prng } from '../../netstack/core/prng.ts';
import { ChecksumState, SkBuff } from '../../netstack/core/skb.ts';
import type { Ipv4RxMeta, Ipv4TxOptions } from '../../netstack/inet/protocol.ts';
import type { TcpSock } from '../../netstack/tcp/sock.ts';
import { TcpStack } from '../../netstack/tcp/stack.ts';
import type { TcpConfig } from '../../netstack/tcp/types.ts';
import {
  TcpHeader,
  type TcpSegmentFields,
  encodeTcpSegment,
  parseTcpHeader,
  tcpChecksum,
} from '../../netstack/tcp/wire.ts';

export const ADDR_A = 0x0a000001; // 10.0.0.1
export const ADDR_B = 0x0a000002; // 10.0.0.2

export interface LinkParams {
  /** One-way propagation delay, ms. */
  delayMs: number;
  /** Bottleneck rate, bits per second (0 = infinite). */
  rateBps?: number;
  /** Drop-tail queue limit in packets at the bottleneck. */
  queueLimit?: number;
  /** Probability of losing a packet. */
  loss?: number;
  /** Probability of delivering a packet twice. */
  dup?: number;
  /** Probability of delaying a packet by an extra reorderDelayMs (it overtakes nothing else: others overtake it). */
  reorder?: number;
  reorderDelayMs?: number;
  /** Probability of flipping a byte (the receiver's checksum must catch it). */
  corrupt?: number;
}

/** A device object for Ipv4RxMeta.dev and route().dev (features only). */
class SimDev extends NetDevice {
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.free();
    return NetdevTx.OK;
  }
}

export interface SegmentRecord {
  t: number;
  dir: 'ab' | 'ba';
  flags: number;
  seq: number;
  ack: number;
  len: number;
  win: number;
  dropped: boolean;
}

class Direction {
  busyUntil = 0;
  queued = 0;
  delivered = 0;
  lost = 0;
  queueDrops = 0;
  constructor(
    readonly p: LinkParams,
    readonly rng: Prng,
  ) {}
}

export interface SimNetOptions {
  seed?: number | string;
  ab: LinkParams;
  ba?: LinkParams;
  mtu?: number;
  configA?: Partial<TcpConfig>;
  configB?: Partial<TcpConfig>;
  /** veth-like checksum offload (no checksums computed or verified). */
  offload?: boolean;
  /** Keep a record of every segment (for assertions on the wire). */
  record?: boolean;
}

export class SimNet {
  readonly clock = new VirtualClock();
  readonly rng: Prng;
  readonly a: TcpStack;
  readonly b: TcpStack;
  readonly devA = new SimDev('simA');
  readonly devB = new SimDev('simB');
  readonly log: SegmentRecord[] = [];
  private readonly dirAB: Direction;
  private readonly dirBA: Direction;
  /** Drop every segment matching this predicate (targeted loss in state-machine tests). */
  dropFilter: ((dir: 'ab' | 'ba', th: TcpHeader, len: number) => boolean) | null = null;
  private readonly th = new TcpHeader();
  private readonly offload: boolean;
  private readonly record: boolean;
  readonly mtu: number;

  constructor(o: SimNetOptions) {
    this.rng = new Prng(o.seed ?? 1);
    this.mtu = o.mtu ?? 1500;
    this.offload = o.offload ?? false;
    this.record = o.record ?? false;
    this.devA.features.txCsumOffload = this.offload;
    this.devB.features.txCsumOffload = this.offload;
    this.dirAB = new Direction(o.ab, this.rng.fork('ab'));
    this.dirBA = new Direction(o.ba ?? o.ab, this.rng.fork('ba'));
    this.a = this.makeStack(ADDR_A, ADDR_B, this.devA, this.dirAB, 'ab', o.configA);
    this.b = this.makeStack(ADDR_B, ADDR_A, this.devB, this.dirBA, 'ba', o.configB);
  }

  private makeStack(
    self: number,
    peer: number,
    dev: SimDev,
    dir: Direction,
    name: 'ab' | 'ba',
    config?: Partial<TcpConfig>,
  ): TcpStack {
    const net = this;
    const stack: TcpStack = new TcpStack(
      {
        clock: this.clock,
        rng: this.rng.fork(`stack-${name}`),
        output(skb: SkBuff, opts: Ipv4TxOptions) {
          net.transmit(dir, name, skb, opts);
        },
        route(dst: number) {
          return dst === peer || dst === self ? { src: self, mtu: net.mtu, dev } : null;
        },
        isLocalAddr: (a: number) => a === self,
      },
      config,
    );
    return stack;
  }

  /** The peer stack of a direction. */
  private peerOf(name: 'ab' | 'ba'): TcpStack {
    return name === 'ab' ? this.b : this.a;
  }

  private transmit(dir: Direction, name: 'ab' | 'ba', skb: SkBuff, opts: Ipv4TxOptions): void {
    const p = dir.p;
    const len = skb.len;
    const th = this.th;
    parseTcpHeader(skb.buf, skb.data, len, th);
    const payload = len - th.hlen;
    let dropped = false;
    if (this.dropFilter?.(name, th, payload)) dropped = true;
    else if (p.loss && dir.rng.chance(p.loss)) dropped = true;
    if (this.record) {
      this.log.push({
        t: this.clock.now(),
        dir: name,
        flags: th.flags,
        seq: th.seq,
        ack: th.ack,
        len: payload,
        win: th.window,
        dropped,
      });
    }
    if (dropped) {
      dir.lost++;
      skb.free();
      return;
    }
    // Bottleneck: serialization after the packets already queued, drop-tail beyond the queue limit.
    const now = this.clock.now();
    let depart = now;
    if (p.rateBps) {
      const txMs = ((len + 20 + 14) * 8 * 1000) / p.rateBps;
      if (dir.busyUntil > now && p.queueLimit !== undefined) {
        const backlog = Math.round((dir.busyUntil - now) / txMs);
        if (backlog >= p.queueLimit) {
          dir.queueDrops++;
          if (this.record) this.log[this.log.length - 1]!.dropped = true;
          skb.free();
          return;
        }
      }
      depart = Math.max(now, dir.busyUntil) + txMs;
      dir.busyUntil = depart;
    }
    let arrive = depart + p.delayMs;
    if (p.reorder && dir.rng.chance(p.reorder)) arrive += p.reorderDelayMs ?? p.delayMs;
    const copies = p.dup && dir.rng.chance(p.dup) ? 2 : 1;
    const meta: Ipv4RxMeta = {
      src: opts.src,
      dst: opts.dst,
      protocol: 6,
      tos: 0,
      ttl: 64,
      length: len,
      dev: name === 'ab' ? this.devB : this.devA,
      broadcast: false,
    };
    const peer = this.peerOf(name);
    for (let c = 0; c < copies; c++) {
      let out = c === 0 ? skb : skb.copy();
      if (p.corrupt && dir.rng.chance(p.corrupt)) {
        out = out === skb ? skb.copy() : out;
        out.buf[out.data + dir.rng.int(out.len)]! ^= 1 << dir.rng.int(8);
        out.ipSummed = ChecksumState.NONE;
      } else if (out.ipSummed === ChecksumState.PARTIAL) {
        out.ipSummed = ChecksumState.UNNECESSARY;
      }
      const o = out;
      this.clock.setTimeout(() => {
        dir.delivered++;
        peer.rcv(o, meta);
      }, arrive - now);
    }
  }

  /** Run until `until()` holds or virtual time `maxMs` passes. Returns true when `until` held. */
  runUntil(until: () => boolean, maxMs: number): boolean {
    const deadline = this.clock.now() + maxMs;
    while (!until()) {
      const next = this.clock.nextEventTime();
      if (next > deadline) {
        this.clock.runUntil(deadline);
        return until();
      }
      this.clock.step(deadline);
    }
    return true;
  }

  get stats(): { ab: Direction; ba: Direction } {
    return { ab: this.dirAB, ba: this.dirBA };
  }
}

/** Deterministic payload bytes. */
export function patternBytes(n: number, seed = 7): Buffer {
  return Buffer.from(new Prng(seed, 'payload').bytes(n));
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface TransferResult {
  ok: boolean;
  bytes: number;
  sha256: string;
  /** Virtual ms from connect() to the last byte read. */
  durationMs: number;
  client: TcpSock;
  server: TcpSock | null;
  goodputBps: number;
}

/**
 * A bulk transfer A → B of `data` over `net`: B listens, A connects, writes as buffer space allows, half-closes;
 * B reads everything (hashing it) until end of stream.
 */
/** What the transfer helpers need from a simulated network (SimNet or StackNet). */
export interface TcpNet {
  readonly a: TcpStack;
  readonly b: TcpStack;
  readonly clock: VirtualClock;
  runUntil(until: () => boolean, maxMs: number): boolean;
}

export function bulkTransfer(net: TcpNet, data: Uint8Array, maxMs: number, port = 5001): TransferResult {
  const listener = net.b.listen({ port });
  const hash = createHash('sha256');
  let received = 0;
  let done = false;
  let server: TcpSock | null = null;
  const start = net.clock.now();
  let end = 0;
  listener.owner = {
    onAcceptReady() {
      const sk = listener.accept()!;
      server = sk;
      sk.owner = {
        onReadable() {
          for (let b = sk.recv(); b !== null; b = sk.recv()) {
            hash.update(b);
            received += b.length;
          }
          if (sk.eof && !done) {
            done = true;
            end = net.clock.now();
            sk.close();
          }
        },
      };
      sk.owner.onReadable!();
    },
  };
  const client = net.a.connect({ addr: ADDR_B, port });
  pumpAll(client, data);
  net.runUntil(() => done, maxMs);
  listener.close();
  const durationMs = (done ? end : net.clock.now()) - start;
  return {
    ok: done,
    bytes: received,
    sha256: hash.digest('hex'),
    durationMs,
    client,
    server,
    goodputBps: (received * 8 * 1000) / Math.max(durationMs, 1e-9),
  };
}

/** Deliver a hand-made segment to `to` as if sent by the other host (checksum filled in). */
export function injectSegment(net: SimNet, to: 'a' | 'b', f: TcpSegmentFields): void {
  const bytes = encodeTcpSegment(f);
  const src = to === 'b' ? ADDR_A : ADDR_B;
  const dst = to === 'b' ? ADDR_B : ADDR_A;
  const c = tcpChecksum(bytes, 0, bytes.length, src, dst);
  bytes[16] = c >> 8;
  bytes[17] = c & 0xff;
  const skb = SkBuff.fromBytes(bytes);
  const stack = to === 'b' ? net.b : net.a;
  stack.rcv(skb, {
    src,
    dst,
    protocol: 6,
    tos: 0,
    ttl: 64,
    length: bytes.length,
    dev: to === 'b' ? net.devB : net.devA,
    broadcast: false,
  });
}

/** A connected pair (client on A, server on B), run until established. */
export function connectPair(
  net: TcpNet,
  port = 5001,
  opts: { backlog?: number } = {},
): { client: TcpSock; server: TcpSock; listener: import('../../netstack/tcp/listen.ts').TcpListener } {
  const listener = net.b.listen({ port, backlog: opts.backlog });
  const client = net.a.connect({ addr: ADDR_B, port });
  let server: TcpSock | null = null;
  net.runUntil(() => {
    server ??= listener.accept();
    return server !== null && client.state === 1;
  }, 30_000);
  if (server === null) throw new Error('connectPair: no connection');
  return { client, server, listener };
}

/**
 * Write all of `data` as buffer space allows (now and on each onWritable), then half-close if `end`. Replaces the
 * owner's onWritable/onConnected.
 */
export function pumpAll(sk: TcpSock, data: Uint8Array, end = true, after?: () => void): void {
  let off = 0;
  const pump = () => {
    while (off < data.length) {
      const k = sk.send(data, off, Math.min(65536, data.length - off));
      if (k === 0) return;
      off += k;
    }
    if (end && !sk.finQueued && !sk.sndShutdown) sk.shutdown('write');
    after?.();
  };
  sk.owner = { ...sk.owner, onConnected: pump, onWritable: pump };
  pump();
}

/** Read everything available from a connection into one Buffer. */
export function drain(sk: TcpSock): Buffer {
  const parts: Buffer[] = [];
  for (let b = sk.recv(); b !== null; b = sk.recv()) parts.push(b);
  return Buffer.concat(parts);
}

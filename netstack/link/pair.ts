/**
 * An in-memory Ethernet link: two NetDevices joined by a simulated wire that runs on the stack's clock, with
 * seeded fault injection per direction (netem-like): loss, duplication, reordering, corruption (a flipped bit after
 * the link header: the FCS is not modelled, upper-layer checksums must catch it), delay and jitter, a rate limit
 * (serialisation delay) and a queue limit on frames in flight. Every fault has a counter.
 *
 * Transmit copies the frame onto the wire (the DMA of a real NIC), so the sender's buffer completes at once; the
 * receiving device takes a buffer from its RX pool, puts the frame on its RX ring and schedules its own NAPI context:
 * the receive path of DESIGN.md (interrupt → napi_schedule → net_rx_action → poll → netif_receive_skb).
 *
 * RX buffers are recycled when the skb is freed (a page pool). A consumer that keeps the bytes past free() must
 * copy them, or detach the buffer (replace skb.buf) first, as UdpSocket.recv() does; a buffer that is not the
 * pool's size when freed is simply left to the garbage collector.
 *
 * Checksum offload (off by default so that tests exercise checksums): `txCsumOffload` lets senders leave
 * CHECKSUM_PARTIAL to the device, which completes it in software as a NIC would in hardware; `rxCsumUnnecessary` on
 * the receiver makes the pair veth-like: frames are marked CHECKSUM_UNNECESSARY and partial checksums are never
 * completed (a capture shows them unfinished, as on a Linux veth).
 */
import type { Clock, Timer } from '../core/clock.ts';
import { Fifo } from '../core/fifo.ts';
import { Napi, NetDevice, type NetDeviceFeatures, NetdevTx } from '../core/netdevice.ts';
import { Prng } from '../core/prng.ts';
import { ChecksumState, PacketType, SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import { localMac } from '../inet/addr.ts';
import { copyBytes } from '../inet/bytes.ts';
import { skbChecksumHelp } from '../inet/offload.ts';
import { ethSkbPad } from '../ethernet/ethernet.ts';
import { ETH_HLEN } from '../ethernet/header.ts';

const log = logger('pair');

export interface LinkFaults {
  /** Probability that a frame is lost. */
  loss: number;
  /** Probability that a frame is delivered twice. */
  duplicate: number;
  /** Probability that a frame is held back by `reorderDelayMs` so later frames overtake it (GUESS: netem reorders by sending some frames early instead; the effect on a receiver is the same). */
  reorder: number;
  reorderDelayMs: number;
  /** Probability that one bit of a frame (after the Ethernet header) is flipped. */
  corrupt: number;
  /** One-way propagation delay and uniform jitter (± jitterMs; FIFO order is kept). */
  delayMs: number;
  jitterMs: number;
  /** Bits per second (0: unlimited): serialisation delay of len·8/rate. */
  rateBps: number;
  /** Frames on the wire (serialising or propagating) beyond which new frames are dropped, like netem's limit. */
  queueLimit: number;
}

export const NO_FAULTS: LinkFaults = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDelayMs: 1,
  corrupt: 0,
  delayMs: 0,
  jitterMs: 0,
  rateBps: 0,
  queueLimit: 1000,
};

/** What happened to the frames one device sent. */
export interface WireStats {
  txFrames: number;
  txBytes: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  queueDrops: number;
  /** Frames that arrived while the receiving device was down. */
  peerDown: number;
  /** Frames padded to 60 bytes. */
  padded: number;
  /** Frames dropped by `dropFilter`. */
  filtered: number;
}

export interface PairOptions extends Partial<LinkFaults> {
  clock: Clock;
  rng?: Prng;
  names?: [string, string];
  macs?: [Uint8Array, Uint8Array];
  mtu?: number;
  /** Per-direction overrides of the faults above. */
  aToB?: Partial<LinkFaults>;
  bToA?: Partial<LinkFaults>;
  /** Offload features of both devices (default: none). */
  features?: Partial<NetDeviceFeatures>;
  /** Pad frames to 60 bytes as Ethernet requires (default true). */
  padFrames?: boolean;
  /** RX descriptors per device (default 1024, GUESS: a typical NIC ring): frames arriving to a full ring are dropped (rx_missed). */
  rxRingSize?: number;
  /** RX buffers kept for reuse per device (default 512). */
  rxPoolSize?: number;
}

interface InFlight {
  at: number;
  skb: SkBuff;
}

const RX_HEADROOM = 64;
/** Frames up to this size are copied word by word through DataViews (cheaper than a native call for them). */
const SMALL_FRAME = 256;
/** RX buffers are carved from slabs of this size (64 frames of MTU 1500). */
const RX_SLAB_SIZE = 128 * 1024;
const EMPTY_SLAB = Buffer.alloc(0);

export class PairDevice extends NetDevice {
  peer!: PairDevice;
  faults: LinkFaults;
  readonly wire: WireStats = {
    txFrames: 0,
    txBytes: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    queueDrops: 0,
    peerDown: 0,
    padded: 0,
    filtered: 0,
  };
  /** Drop frames for which this returns true (a tc filter for tests: "lose the second fragment"). */
  dropFilter: ((frame: Buffer, off: number, len: number) => boolean) | null = null;
  /** Frames dropped because the RX ring was full (rx_missed_errors). */
  rxMissed = 0;
  /** RX buffers allocated because the pool was empty. */
  rxPoolAllocs = 0;
  padFrames = true;
  rxRingSize: number;
  rxPoolSize: number;
  private readonly napi: Napi;
  private readonly ring: Fifo<SkBuff>;
  private pool: SkBuff[] = [];
  private readonly bufSize: number;
  private inFlight: InFlight[] = [];
  private inFlightHead = 0;
  private wireFree = 0;
  private lastArrival = 0;
  private readonly timer: Timer;
  private readonly recycle = (skb: SkBuff): void => this.recycleRx(skb);
  private slab: Buffer = EMPTY_SLAB;
  private slabUsed = 0;

  constructor(
    name: string,
    addr: Uint8Array,
    private readonly clock: Clock,
    private readonly rng: Prng,
    faults: LinkFaults,
    opts: { mtu: number; rxRingSize: number; rxPoolSize: number },
  ) {
    super(name, addr);
    this.mtu = opts.mtu;
    this.faults = faults;
    this.rxRingSize = opts.rxRingSize;
    this.rxPoolSize = opts.rxPoolSize;
    this.ring = new Fifo<SkBuff>(Math.min(opts.rxRingSize, 4096));
    this.bufSize = RX_HEADROOM + this.mtu + ETH_HLEN + 4 + 32;
    this.napi = new Napi(this, (napi, budget) => this.poll(napi, budget));
    this.timer = clock.timer(() => this.deliverDue());
  }

  /** Frames on the wire from this device. */
  get framesInFlight(): number {
    return this.inFlight.length - this.inFlightHead;
  }

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    const f = this.faults;
    const w = this.wire;
    const rng = this.rng;
    if (this.padFrames && ethSkbPad(skb)) w.padded++;
    if (skb.ipSummed === ChecksumState.PARTIAL && !this.peer.features.rxCsumUnnecessary) skbChecksumHelp(skb);
    const len = skb.len;
    w.txFrames++;
    w.txBytes += len;
    if (this.dropFilter?.(skb.buf, skb.data, len)) {
      w.filtered++;
      skb.free();
      return NetdevTx.OK;
    }
    if (f.loss > 0 && rng.chance(f.loss)) {
      w.lost++;
      skb.free();
      return NetdevTx.OK;
    }
    if (this.framesInFlight >= f.queueLimit) {
      w.queueDrops++;
      skb.free();
      return NetdevTx.OK;
    }
    const now = this.clock.now();
    let at = now;
    if (f.rateBps > 0) {
      const start = Math.max(this.wireFree, now);
      this.wireFree = start + (len * 8 * 1000) / f.rateBps;
      at = this.wireFree;
    }
    if (f.delayMs > 0 || f.jitterMs > 0) {
      at += f.delayMs;
      if (f.jitterMs > 0) at += (rng.float() * 2 - 1) * f.jitterMs;
      if (at < now) at = now;
    }
    if (at < this.lastArrival) at = this.lastArrival; // jitter alone does not reorder
    let reordered = false;
    if (f.reorder > 0 && rng.chance(f.reorder)) {
      reordered = true;
      w.reordered++;
    } else {
      this.lastArrival = at;
    }
    const frame = this.peer.rxBuffer(skb, len);
    skb.free(); // TX complete: the frame is on the wire
    if (f.corrupt > 0 && rng.chance(f.corrupt) && len > ETH_HLEN) {
      const i = frame.data + ETH_HLEN + rng.int(len - ETH_HLEN);
      frame.buf[i]! ^= 1 << rng.int(8);
      w.corrupted++;
    }
    const dup = f.duplicate > 0 && rng.chance(f.duplicate);
    const dupFrame = dup ? this.peer.rxBuffer(frame, len) : null;
    if (dupFrame !== null) w.duplicated++;
    if (reordered) at += f.reorderDelayMs;
    if (at <= now && this.framesInFlight === 0) {
      this.arrive(frame);
      if (dupFrame !== null) this.arrive(dupFrame);
      return NetdevTx.OK;
    }
    this.schedule(at, frame);
    if (dupFrame !== null) this.schedule(at, dupFrame);
    return NetdevTx.OK;
  }

  /** An RX buffer of the pool with a copy of `src`'s frame. */
  private rxBuffer(src: SkBuff, len: number): SkBuff {
    let skb = this.pool.pop();
    if (skb === undefined || this.bufSize < RX_HEADROOM + len) {
      if (skb !== undefined) this.pool.push(skb);
      this.rxPoolAllocs++;
      skb = this.freshRxBuffer(len);
    }
    // Full-sized frames go to the native copy: asking a fresh buffer for its DataView would allocate one per frame
    // (receive buffers handed to sockets zero-copy are never recycled, so most frames land in fresh ones).
    if (len > SMALL_FRAME) src.buf.copy(skb.buf, RX_HEADROOM, src.data, src.data + len);
    else copyBytes(src.buf, src.dv, src.data, skb.buf, skb.dv, RX_HEADROOM, len);
    skb.data = RX_HEADROOM;
    skb.tail = RX_HEADROOM + len;
    skb.destructor = this.recycle;
    return skb;
  }

  /**
   * A new RX buffer, carved from a slab (as a driver's page pool carves pages): one ArrayBuffer per ~40 frames
   * instead of one per few (Node's 8 KiB pool), which matters when sockets keep the buffers they are handed.
   */
  private freshRxBuffer(len: number): SkBuff {
    const size = Math.max(RX_HEADROOM + len, this.bufSize);
    if (size > RX_SLAB_SIZE >> 3) return SkBuff.alloc(size - RX_HEADROOM, RX_HEADROOM);
    if (this.slabUsed + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(RX_SLAB_SIZE);
      this.slabUsed = 0;
    }
    const buf = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += (size + 63) & ~63;
    return SkBuff.wrap(buf, RX_HEADROOM, RX_HEADROOM);
  }

  private recycleRx(skb: SkBuff): void {
    if (skb.buf.length !== this.bufSize || this.pool.length >= this.rxPoolSize) return;
    skb.data = skb.tail = RX_HEADROOM;
    skb.macHeader = skb.networkHeader = skb.transportHeader = -1;
    skb.dev = null;
    skb.protocol = 0;
    skb.pktType = PacketType.HOST;
    skb.priority = 0;
    skb.ipSummed = ChecksumState.NONE;
    skb.csumStart = -1;
    skb.csumOffset = 0;
    skb.vlanTci = -1;
    skb.tstamp = 0;
    skb.cb = null;
    this.pool.push(skb);
  }

  private schedule(at: number, skb: SkBuff): void {
    const q = this.inFlight;
    // Mostly FIFO: insert from the back.
    let i = q.length;
    while (i > this.inFlightHead && q[i - 1]!.at > at) i--;
    if (i === q.length) q.push({ at, skb });
    else q.splice(i, 0, { at, skb });
    const head = q[this.inFlightHead]!;
    if (!this.timer.pending || this.timer.expires > head.at) this.timer.modAt(head.at);
  }

  private deliverDue(): void {
    const now = this.clock.now();
    const q = this.inFlight;
    while (this.inFlightHead < q.length && q[this.inFlightHead]!.at <= now) {
      const e = q[this.inFlightHead]!;
      q[this.inFlightHead++] = undefined as unknown as InFlight;
      this.arrive(e.skb);
    }
    if (this.inFlightHead === q.length) {
      q.length = 0;
      this.inFlightHead = 0;
    } else {
      if (this.inFlightHead > 256 && this.inFlightHead * 2 > q.length) {
        this.inFlight = q.slice(this.inFlightHead);
        this.inFlightHead = 0;
      }
      this.timer.modAt(this.inFlight[this.inFlightHead]!.at);
    }
  }

  /** The frame reaches the peer: onto its RX ring, and its "interrupt" fires. */
  private arrive(skb: SkBuff): void {
    const peer = this.peer;
    if (!peer.up || !this.carrier) {
      this.wire.peerDown++;
      skb.free();
      return;
    }
    this.wire.delivered++;
    if (peer.ring.length >= peer.rxRingSize) {
      peer.rxMissed++;
      peer.stats.rxDropped++;
      skb.free();
      return;
    }
    peer.ring.push(skb);
    peer.napi.schedule();
  }

  /** NAPI poll: hand up to `budget` frames to netif_receive_skb. */
  private poll(napi: Napi, budget: number): number {
    let n = 0;
    const ring = this.ring;
    const unnecessary = this.features.rxCsumUnnecessary;
    while (n < budget && ring.length > 0) {
      const skb = ring.shift()!;
      skb.macHeader = skb.data;
      if (unnecessary) skb.ipSummed = ChecksumState.UNNECESSARY;
      napi.receive(skb);
      n++;
    }
    return n;
  }

  protected override ndoStop(): void {
    this.ring.drain((skb) => skb.free());
  }
}

/** Create two connected devices. Faults apply to both directions unless overridden with aToB / bToA. */
export function createPair(opts: PairOptions): { a: PairDevice; b: PairDevice } {
  const rng = opts.rng ?? new Prng(1);
  const base: LinkFaults = { ...NO_FAULTS };
  for (const k of Object.keys(NO_FAULTS) as Array<keyof LinkFaults>) {
    if (opts[k] !== undefined) base[k] = opts[k]!;
  }
  const names = opts.names ?? ['eth0', 'eth0'];
  const macs = opts.macs ?? [localMac(rng.nextU32(), 0xa), localMac(rng.nextU32(), 0xb)];
  const devOpts = { mtu: opts.mtu ?? 1500, rxRingSize: opts.rxRingSize ?? 1024, rxPoolSize: opts.rxPoolSize ?? 512 };
  const a = new PairDevice(names[0], macs[0], opts.clock, rng.fork('pair:a'), { ...base, ...opts.aToB }, devOpts);
  const b = new PairDevice(names[1], macs[1], opts.clock, rng.fork('pair:b'), { ...base, ...opts.bToA }, devOpts);
  a.peer = b;
  b.peer = a;
  for (const d of [a, b]) {
    d.features = { rxCsumUnnecessary: false, txCsumOffload: false, ...opts.features };
    d.padFrames = opts.padFrames ?? true;
  }
  log('pair %s (%s) <-> %s (%s)', a.name, a.addr.toString('hex'), b.name, b.addr.toString('hex'));
  return { a, b };
}

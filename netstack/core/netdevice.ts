/**
 * Net devices, the transmit queue (qdisc), NAPI and the receive softirq, after Linux net/core/dev.c.
 *
 * Transmit: devQueueXmit(skb) → bounded pfifo qdisc (txQueueLen packets; overflow is dropped and counted and the
 * caller sees XMIT_DROP) → TX taps → the driver's ndoStartXmit. A driver that cannot take a packet returns
 * TX_BUSY (the packet stays at the head of the queue) and later calls netifWakeQueue(). Senders that want
 * backpressure watch `txQueueFull` and register with onTxSpace().
 *
 * Receive: a completion in the driver is the "interrupt": it puts the buffer on its RX ring and calls
 * napi.schedule(), nothing else. The softirq (NetRxAction) polls scheduled NAPI contexts with weight 64, budget 300
 * and a 2 ms limit per round on the injected clock, counting processed, dropped and time_squeeze per device (the
 * /proc/net/softnet_stat columns). A poll that uses its whole weight stays scheduled; one that does not completes and
 * the driver's `complete` callback re-arms its interrupt (submits reads). Devices without their own NAPI (the
 * in-memory link, TAP) use netifRx(), which queues into a per-device backlog served by a built-in NAPI context.
 *
 * netifReceiveSkb: taps first (ptype_all), then dispatch by EtherType (ptype_base). Drivers that call
 * napi.groReceive() instead of receive() let GRO merge the segments of a flow first; devQueueXmit cuts GSO
 * super-packets for devices without TSO (gro.ts).
 */
import type { Clock } from './clock.ts';
import { Fifo } from './fifo.ts';
import { GroList, type PacketOffload } from './gro.ts';
import { PacketType, type SkBuff } from './skb.ts';
import { ETH_ALEN } from '../ethernet/header.ts';

export enum NetdevTx {
  OK = 0,
  BUSY = 1,
}

export enum XmitResult {
  SUCCESS = 0,
  DROP = 1,
}

export interface NetDeviceStats {
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  rxErrors: number;
  rxMulticast: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
  txErrors: number;
}

/** The /proc/net/softnet_stat columns, per device. */
export interface SoftnetStats {
  processed: number;
  dropped: number;
  timeSqueeze: number;
}

export type TapDirection = 'rx' | 'tx';
/** A tap borrows the skb: read it during the call, copy what you keep. skb.data is at the link-layer header. */
export type TapFn = (skb: SkBuff, dev: NetDevice, dir: TapDirection) => void;
/** A protocol handler consumes the skb (skb.data is past the link-layer header). */
export type PacketHandler = (skb: SkBuff, dev: NetDevice) => void;

export interface Tap {
  /** null = every device */
  dev: NetDevice | null;
  dir: TapDirection | 'both';
  fn: TapFn;
}

function zeroStats(): NetDeviceStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxDropped: 0,
    rxErrors: 0,
    rxMulticast: 0,
    txPackets: 0,
    txBytes: 0,
    txDropped: 0,
    txErrors: 0,
  };
}

/** Link-layer types, as pcapng LINKTYPE values. */
export enum LinkType {
  ETHERNET = 1,
  IEEE802_11 = 105,
  IEEE802_11_RADIOTAP = 127,
}

export interface NetDeviceFeatures {
  /** RX: mark received packets CHECKSUM_UNNECESSARY (the link cannot corrupt, like veth). */
  rxCsumUnnecessary: boolean;
  /** TX: the device completes L4 checksums (CHECKSUM_PARTIAL accepted). */
  txCsumOffload: boolean;
  /**
   * Senders may hand the device GSO super-packets, cut into ordinary packets by dev_queue_xmit (NETIF_F_GSO;
   * software, so on unless turned off, as Linux).
   */
  gso?: boolean;
  /** The device cuts GSO super-packets itself (NETIF_F_TSO): dev_queue_xmit passes them through. Default off. */
  tso?: boolean;
  /** Received frames go through GRO in the NAPI poll (NETIF_F_GRO; on unless turned off, as Linux). */
  gro?: boolean;
}

export abstract class NetDevice {
  ifindex = 0;
  mtu = 1500;
  /** Hardware address (6 bytes for Ethernet-like devices). */
  addr: Buffer;
  readonly broadcast: Buffer = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  linkType: LinkType = LinkType.ETHERNET;
  /** Link-layer header length (14 for Ethernet). */
  hardHeaderLen = 14;
  /** Extra headroom the driver wants beyond hardHeaderLen (802.11 header, TXD, USB header...). */
  neededHeadroom = 0;
  neededTailroom = 0;
  features: NetDeviceFeatures = { rxCsumUnnecessary: false, txCsumOffload: false };
  up = false;
  carrier = true;
  txQueueLen = 1000;
  readonly stats: NetDeviceStats = zeroStats();
  readonly softnet: SoftnetStats = { processed: 0, dropped: 0, timeSqueeze: 0 };
  /** Set by NetCore.register(). */
  core: NetCore | null = null;

  // pfifo qdisc (a ring buffer: no allocation when it fills and drains per packet)
  private readonly q = new Fifo<SkBuff>(64);
  private queueStopped = false;
  private running = false;
  private txSpaceWaiters: Array<() => void> = [];
  /** Packets dropped by the qdisc because it was full. */
  qdiscDrops = 0;

  /** Backlog for netifRx() (Linux's per-CPU input_pkt_queue, here per device). */
  private readonly backlog = new Fifo<SkBuff>(64);
  maxBacklog = 1000;
  private backlogNapi: Napi | null = null;

  constructor(
    readonly name: string,
    addr?: Uint8Array,
  ) {
    this.addr = Buffer.from(addr ?? new Uint8Array(ETH_ALEN));
  }

  /** Driver transmit: take ownership of skb and return OK, or return BUSY (ownership stays with the caller). */
  protected abstract ndoStartXmit(skb: SkBuff): NetdevTx;

  /** Driver hooks for bringing the interface up and down. */
  protected ndoOpen(): void {}
  protected ndoStop(): void {}

  open(): void {
    if (this.up) return;
    this.up = true;
    this.ndoOpen();
  }

  close(): void {
    if (!this.up) return;
    this.up = false;
    this.ndoStop();
    this.q.drain((skb) => {
      skb.drop();
      this.stats.txDropped++;
    });
    // flush_backlog: frames taken in while the device was up are not delivered after it went down.
    this.backlog.drain((skb) => {
      skb.drop();
      this.stats.rxDropped++;
    });
  }

  get txQueueLength(): number {
    return this.q.length;
  }

  get txQueueFull(): boolean {
    return this.txQueueLength >= this.txQueueLen;
  }

  /** Call `fn` once when the transmit queue has room again (backpressure for senders). */
  onTxSpace(fn: () => void): void {
    this.txSpaceWaiters.push(fn);
  }

  /**
   * Queue a packet for transmission (takes ownership). skb.data must be at the link-layer header. A GSO
   * super-packet is cut into ordinary packets first unless the device does that itself (validate_xmit_skb).
   */
  devQueueXmit(skb: SkBuff): XmitResult {
    if (!this.up) {
      this.stats.txDropped++;
      skb.drop();
      return XmitResult.DROP;
    }
    if (skb.gsoSegs > 1 && this.features.tso !== true && this.core !== null) {
      const segs = this.core.gsoSegment(skb, this);
      let rc = XmitResult.SUCCESS;
      for (let i = 0; i < segs.length; i++) {
        if (this.devQueueXmit(segs[i]!) !== XmitResult.SUCCESS) rc = XmitResult.DROP;
      }
      return rc;
    }
    if (this.txQueueFull) {
      this.qdiscDrops++;
      this.stats.txDropped++;
      skb.drop();
      return XmitResult.DROP;
    }
    this.q.push(skb);
    this.qdiscRun();
    return XmitResult.SUCCESS;
  }

  /** The driver cannot accept more packets until netifWakeQueue(). */
  netifStopQueue(): void {
    this.queueStopped = true;
  }

  /** The driver has room again: resume sending from the qdisc. */
  netifWakeQueue(): void {
    if (!this.queueStopped) return;
    this.queueStopped = false;
    this.qdiscRun();
  }

  get queueIsStopped(): boolean {
    return this.queueStopped;
  }

  private qdiscRun(): void {
    if (this.running) return; // re-entry from a driver that completes synchronously
    this.running = true;
    try {
      while (!this.queueStopped && this.q.length > 0) {
        const skb = this.q.peek()!;
        const len = skb.len;
        this.core?.tapXmit(skb, this);
        const rc = this.ndoStartXmit(skb);
        if (rc === NetdevTx.BUSY) {
          this.queueStopped = true;
          break;
        }
        this.q.shift();
        this.stats.txPackets += skb.pcount;
        this.stats.txBytes += len;
      }
    } finally {
      this.running = false;
    }
    if (this.txSpaceWaiters.length && this.txQueueLength < this.txQueueLen) {
      const waiters = this.txSpaceWaiters;
      this.txSpaceWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Deliver a received frame from a device without its own NAPI context (in-memory link, TAP): queue it on the
   * device backlog and schedule the backlog NAPI. Takes ownership. Full backlog → dropped and counted.
   */
  netifRx(skb: SkBuff): void {
    if (!this.up || this.core === null) {
      this.stats.rxDropped++;
      skb.drop();
      return;
    }
    if (this.backlog.length >= this.maxBacklog) {
      this.softnet.dropped++;
      this.stats.rxDropped++;
      skb.drop();
      return;
    }
    this.backlog.push(skb);
    if (this.backlogNapi === null) {
      this.backlogNapi = new Napi(this, (napi, budget) => this.processBacklog(napi, budget));
    }
    this.backlogNapi.schedule();
  }

  private processBacklog(napi: Napi, budget: number): number {
    let n = 0;
    while (n < budget && this.backlog.length > 0) {
      napi.receive(this.backlog.shift()!);
      n++;
    }
    return n;
  }
}

/**
 * A NAPI context (struct napi_struct). The driver's poll function processes up to `budget` packets from its RX ring,
 * handing each to napi.receive(), and returns how many it processed.
 */
export class Napi {
  scheduled = false;
  /** Held GRO packets (created on first use). */
  gro: GroList | null = null;

  constructor(
    readonly dev: NetDevice,
    readonly poll: (napi: Napi, budget: number) => number,
    readonly weight = 64,
    /** Called when a poll finishes under weight: the driver re-arms its interrupt (resubmits reads). */
    readonly complete: (() => void) | null = null,
  ) {}

  /** napi_schedule: called from the "interrupt". Idempotent. */
  schedule(): void {
    if (this.scheduled) return;
    const core = this.dev.core;
    if (core === null) return;
    this.scheduled = true;
    core.softirq.add(this);
  }

  /** Hand one received frame up the stack (netif_receive_skb), counting it as processed. Takes ownership. */
  receive(skb: SkBuff): void {
    this.dev.softnet.processed++;
    this.dev.core!.netifReceiveSkb(skb, this.dev);
  }

  /**
   * napi_gro_receive: like receive(), but the frame may be merged with others of its flow (GRO) before it goes up;
   * merged packets go up at the latest when the poll ends. Takes ownership. skb.data at the link-layer header.
   */
  groReceive(skb: SkBuff): void {
    const dev = this.dev;
    const core = dev.core!;
    dev.softnet.processed++;
    core.countRx(skb, dev);
    if (dev.features.gro !== false && dev.linkType === LinkType.ETHERNET && skb.tail - skb.data >= 14) {
      const b = skb.buf;
      const d = skb.data;
      const off = core.offload((b[d + 12]! << 8) | b[d + 13]!);
      if (off !== undefined) {
        let gro = this.gro;
        if (gro === null) gro = this.gro = new GroList(this);
        gro.stats.received++;
        if (off.groReceive(gro, skb, d + 14)) return;
      }
    }
    core.receiveSkbCore(skb, dev);
  }

  /** napi_gro_flush: send up held GRO packets (all, or those held longer than olderThanMs). */
  groFlush(olderThanMs = -1): void {
    this.gro?.flush(olderThanMs);
  }

  /** Free held GRO packets without sending them up (the device is going down). */
  groDiscard(): void {
    this.gro?.discard();
  }
}

/** net_rx_action: the receive softirq of one stack. */
export class NetRxAction {
  weight = 64;
  budget = 300;
  /** Time limit per round in ms, measured on the injected clock. */
  timeLimitMs = 2;
  private list: Napi[] = [];
  private raised = false;
  rounds = 0;

  constructor(private readonly clock: Clock) {}

  add(napi: Napi): void {
    this.list.push(napi);
    this.raise();
  }

  private raise(): void {
    if (this.raised) return;
    this.raised = true;
    this.clock.defer(() => this.run());
  }

  /** One softirq round. */
  run(): void {
    this.raised = false;
    this.rounds++;
    let budget = this.budget;
    const deadline = this.clock.now() + this.timeLimitMs;
    while (this.list.length > 0) {
      const napi = this.list.shift()!;
      const weight = Math.min(napi.weight, this.weight);
      const work = napi.poll(napi, weight);
      budget -= work;
      if (work >= weight) {
        // Used its whole weight: stays scheduled; GRO packets held for over a millisecond go up now.
        if (napi.gro !== null) napi.gro.flush(1);
        this.list.push(napi);
      } else {
        if (napi.gro !== null) napi.gro.flush();
        napi.scheduled = false;
        napi.complete?.();
      }
      if (this.list.length > 0 && (budget <= 0 || this.clock.now() > deadline)) {
        for (const n of this.list) n.dev.softnet.timeSqueeze++;
        this.raise();
        return;
      }
    }
  }
}

/**
 * Per-stack device registry, taps and EtherType dispatch (the parts of net/core/dev.c that are not per device).
 */
export class NetCore {
  readonly softirq: NetRxAction;
  readonly devices: NetDevice[] = [];
  private taps: Tap[] = [];
  private handlers = new Map<number, PacketHandler>();
  private offloads = new Map<number, PacketOffload>();
  /** Frames whose EtherType nobody handles. */
  unknownProtocol = 0;

  constructor(readonly clock: Clock) {
    this.softirq = new NetRxAction(clock);
  }

  register(dev: NetDevice): void {
    if (dev.core !== null) throw new Error(`device ${dev.name} is already registered`);
    dev.core = this;
    dev.ifindex = this.devices.length + 1;
    this.devices.push(dev);
  }

  device(name: string): NetDevice | undefined {
    return this.devices.find((d) => d.name === name);
  }

  /** Register the handler for an EtherType (dev_add_pack). */
  addProtocol(etherType: number, handler: PacketHandler): void {
    this.handlers.set(etherType, handler);
  }

  /** Register the GRO/GSO offload for an EtherType (dev_add_offload). */
  addOffload(etherType: number, offload: PacketOffload): void {
    this.offloads.set(etherType, offload);
  }

  offload(etherType: number): PacketOffload | undefined {
    return this.offloads.get(etherType);
  }

  /**
   * skb_gso_segment: cut a GSO super-packet (data at its first header, skb.protocol its EtherType) into ordinary
   * packets for `dev`. Consumes skb. Without an offload for its protocol (a bug in the sender) it is dropped and
   * counted.
   */
  gsoSegment(skb: SkBuff, dev: NetDevice): SkBuff[] {
    const off = this.offloads.get(skb.protocol);
    if (off === undefined) {
      dev.stats.txDropped++;
      skb.drop();
      return [];
    }
    return off.gsoSegment(skb, dev);
  }

  /** Add a tap (ptype_all). Returns a function that removes it. */
  addTap(tap: Tap): () => void {
    this.taps.push(tap);
    return () => {
      this.taps = this.taps.filter((t) => t !== tap);
    };
  }

  get hasTaps(): boolean {
    return this.taps.length > 0;
  }

  /** Called by the qdisc before handing a packet to the driver (dev_queue_xmit_nit). */
  tapXmit(skb: SkBuff, dev: NetDevice): void {
    if (this.taps.length === 0) return;
    // Taps read buf[data, data+len): a super-packet is shown to them as one linear packet, as tcpdump shows it.
    const view = skb.fragList !== null ? skb.copy() : skb;
    for (const t of this.taps) {
      if ((t.dev === null || t.dev === dev) && t.dir !== 'rx') t.fn(view, dev, 'tx');
    }
  }

  /**
   * netif_receive_skb. skb.data must be at the link-layer header with skb.macHeader set; the link layer's
   * type_trans (eth_type_trans) is run by the handler registered for the device's link type via `linkRx`.
   */
  netifReceiveSkb(skb: SkBuff, dev: NetDevice): void {
    this.countRx(skb, dev);
    this.receiveSkbCore(skb, dev);
  }

  /** The device's receive counters for one frame as it arrives (before GRO merges it with others). */
  countRx(skb: SkBuff, dev: NetDevice): void {
    skb.dev = dev;
    skb.tstamp = this.clock.now();
    dev.stats.rxPackets += skb.pcount;
    dev.stats.rxBytes += skb.len;
  }

  /** __netif_receive_skb_core: taps, the link layer, dispatch by EtherType (counters already taken). */
  receiveSkbCore(skb: SkBuff, dev: NetDevice): void {
    if (this.taps.length !== 0) {
      const view = skb.fragList !== null ? skb.copy() : skb;
      for (const t of this.taps) {
        if ((t.dev === null || t.dev === dev) && t.dir !== 'tx') t.fn(view, dev, 'rx');
      }
    }
    const link = this.linkRx;
    if (link === null) {
      dev.stats.rxDropped++;
      skb.drop();
      return;
    }
    // The link layer pulls its header and sets skb.protocol / pktType, or drops and counts.
    if (!link(skb, dev)) return;
    if (skb.pktType === PacketType.MULTICAST || skb.pktType === PacketType.BROADCAST) dev.stats.rxMulticast++;
    const h = this.handlers.get(skb.protocol);
    if (h === undefined) {
      this.unknownProtocol++;
      dev.stats.rxDropped++;
      skb.drop();
      return;
    }
    h(skb, dev);
  }

  /**
   * Link-layer receive hook (eth_type_trans): pull the link header, set skb.protocol and skb.pktType; return false
   * after dropping and counting a malformed frame. Installed by the Ethernet layer.
   */
  linkRx: ((skb: SkBuff, dev: NetDevice) => boolean) | null = null;
}

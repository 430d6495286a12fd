/**
 * Generic receive offload and generic segmentation offload, after Linux net/core/gro.c and dev.c (napi_gro_receive,
 * napi_gro_flush, skb_gso_segment). The protocol work is done by offloads registered per EtherType (Linux's
 * packet_offload: IPv4 registers one, which hands TCP segments to TCP's); this file only keeps the held packets.
 *
 * GRO: a NAPI poll hands each received frame to napi.groReceive(). The offload either merges it into a held packet
 * of the same flow (chained on that packet's fragList: no copy), holds it as the start of a new one, or says "not
 * mine" and the frame goes up at once. Held packets are completed (headers fixed, gsoSegs set) and go up the stack
 * when a segment must not be merged (flags, out of order, size), when eight flows are held and a ninth comes, and
 * at the end of the poll (napi_complete_done flushes everything; a poll that used its whole weight only flushes
 * packets held for more than a millisecond, as napi_gro_flush(napi, HZ >= 1000)).
 *
 * GSO: a sender may hand a device a super-packet (skb.gsoSegs > 1, segments of skb.gsoSize payload bytes, one
 * per fragment). dev_queue_xmit cuts it into ordinary packets with skb_gso_segment before the qdisc unless the
 * device segments by itself (features.tso).
 */
import type { Napi, NetDevice } from './netdevice.ts';
import { SKB_DEFAULT_HEADROOM, SkBuff } from './skb.ts';

/** Flows held per NAPI context (Linux MAX_GRO_SKBS). */
export const MAX_GRO_SKBS = 8;
/** Largest merged packet, IP header included (Linux GRO_LEGACY_MAX_SIZE: an IPv4 total length must fit). */
export const GRO_MAX_SIZE = 65535;

/** A held packet (Linux keeps this state in NAPI_GRO_CB(skb)); offloads extend it with their flow keys. */
export class GroEntry {
  /** Segments merged so far (1: only the first). */
  count = 1;
  /** Clock time at which the packet was first held. */
  held = 0;
  /** The last skb of the chain (the head itself until a segment is merged). */
  last: SkBuff;

  constructor(
    /** The head, data at its link-layer header. */
    readonly skb: SkBuff,
    /** The offload that holds it (its groComplete runs before the packet goes up). */
    readonly offload: PacketOffload,
  ) {
    this.last = skb;
  }
}

/** The protocol side of GRO/GSO for one EtherType (Linux's packet_offload callbacks). */
export interface PacketOffload {
  /**
   * Try to merge `skb` (data at the link header, network header at absolute offset `nh`) into a packet held in
   * `gro`, or hold it as a new one. Returns true when the skb was taken (merged or held); false: the caller sends
   * it up as it is (the offload has already completed any held packet of its flow, so order is kept).
   */
  groReceive(gro: GroList, skb: SkBuff, nh: number): boolean;
  /** Fix the headers of a held packet that merged `entry.count` segments before it goes up (gro_complete). */
  groComplete(entry: GroEntry): void;
  /**
   * Cut a GSO super-packet (data at the link header) into ordinary packets for `dev` (skb_gso_segment), completing
   * checksums in software unless the device offloads them. Consumes skb.
   */
  gsoSegment(skb: SkBuff, dev: NetDevice): SkBuff[];
}

/** Counters of the GRO layer of one NAPI context. */
export interface GroStats {
  /** Frames offered to a protocol's GRO (napi_gro_receive calls with an offload for their EtherType). */
  received: number;
  /** Frames merged into a held packet. */
  merged: number;
  /** Packets sent up after merging two or more segments. */
  coalesced: number;
  /** Held packets completed because a ninth flow came (gro_flush_oldest). */
  evicted: number;
}

/** The held packets of one NAPI context (napi->gro_hash, one list: at most MAX_GRO_SKBS flows). */
export class GroList {
  readonly held: GroEntry[] = [];
  readonly stats: GroStats = { received: 0, merged: 0, coalesced: 0, evicted: 0 };

  constructor(readonly napi: Napi) {}

  /** The clock time now (offloads stamp held packets with it). */
  now(): number {
    return this.napi.dev.core!.clock.now();
  }

  /** Hold a new packet; the oldest held one goes up first when the list is full. */
  hold(e: GroEntry): void {
    if (this.held.length >= MAX_GRO_SKBS) {
      this.stats.evicted++;
      this.complete(this.held[0]!);
    }
    e.held = this.now();
    this.held.push(e);
  }

  /** Finish a held packet and send it up the stack (napi_gro_complete). */
  complete(e: GroEntry): void {
    const i = this.held.indexOf(e);
    if (i >= 0) this.held.splice(i, 1);
    if (e.count > 1) {
      e.offload.groComplete(e);
      this.stats.coalesced++;
    }
    const dev = this.napi.dev;
    dev.core!.receiveSkbCore(e.skb, dev);
  }

  /** napi_gro_flush: send up every held packet, or (olderThanMs >= 0) those held for longer than that. */
  flush(olderThanMs = -1): void {
    if (this.held.length === 0) return;
    if (olderThanMs < 0) {
      while (this.held.length > 0) this.complete(this.held[0]!);
      return;
    }
    const limit = this.now() - olderThanMs;
    for (let i = 0; i < this.held.length; ) {
      const e = this.held[i]!;
      if (e.held < limit) this.complete(e);
      else i++;
    }
  }

  /** Free every held packet without sending it up (the device went down). */
  discard(): void {
    for (const e of this.held) e.skb.drop();
    this.held.length = 0;
  }
}

/**
 * Cut a GSO super-packet into packets of `hdrLen` header bytes (copied from the head: link, network and transport
 * headers, skb.data at the first) followed by `skb.gsoSize` payload bytes, the last one shorter (skb_segment).
 * When the payload is laid out one segment per buffer (the head's own, then one per fragment, each with headroom
 * for the headers: how TCP builds them) the fragments become the packets, headers pushed in front: nothing but
 * headers is copied (skb_segment_list). Otherwise each packet is a new buffer. Header offsets (mac, network,
 * transport) are set on every packet; the caller fixes lengths, sequence numbers and checksums. Consumes skb.
 */
export function skbSegment(skb: SkBuff, hdrLen: number, headroom: number, tailroom: number): SkBuff[] {
  const mss = skb.gsoSize;
  const frags = skb.fragList;
  let fits = frags !== null && skb.headLen - hdrLen === mss;
  if (fits) {
    for (let i = 0; i < frags!.length; i++) {
      const f = frags![i]!;
      const fl = f.tail - f.data;
      if (fl === 0 || fl > mss || (fl < mss && i !== frags!.length - 1)) {
        fits = false;
        break;
      }
    }
  }
  const nhOff = skb.networkHeader >= 0 ? skb.networkHeader - skb.data : -1;
  const thOff = skb.transportHeader >= 0 ? skb.transportHeader - skb.data : -1;
  const macOff = skb.macHeader >= 0 ? skb.macHeader - skb.data : -1;
  const out: SkBuff[] = [];
  if (fits) {
    skb.fragList = null;
    skb.dataLen = 0;
    out.push(skb);
    for (let i = 0; i < frags!.length; i++) {
      const f = frags![i]!;
      if (f.headroom < hdrLen + headroom || f.tailroom < tailroom) f.ensureRoom(hdrLen + headroom, tailroom);
      f.push(hdrLen);
      skb.buf.copy(f.buf, f.data, skb.data, skb.data + hdrLen);
      out.push(f);
    }
  } else {
    const total = skb.len - hdrLen;
    for (let off = 0; off < total || off === 0; off += mss) {
      const n = Math.min(mss, total - off);
      const s = SkBuff.alloc(
        hdrLen + n,
        hdrLen + headroom > SKB_DEFAULT_HEADROOM ? hdrLen + headroom : SKB_DEFAULT_HEADROOM,
        tailroom,
      );
      skb.buf.copy(s.buf, s.data, skb.data, skb.data + hdrLen);
      skb.copyBits(hdrLen + off, s.buf, s.data + hdrLen, n);
      s.tail = s.data + hdrLen + n;
      out.push(s);
    }
  }
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    if (s !== skb) s.copyMeta(skb);
    s.macHeader = macOff >= 0 ? s.data + macOff : -1;
    s.networkHeader = nhOff >= 0 ? s.data + nhOff : -1;
    s.transportHeader = thOff >= 0 ? s.data + thOff : -1;
    s.gsoSize = 0;
    s.gsoSegs = 0;
  }
  if (!fits) skb.free();
  return out;
}

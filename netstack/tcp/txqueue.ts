/**
 * The send side's queue: segments written by the user, in sequence order, from the oldest unacknowledged one to
 * the last unsent one (Linux's tcp_rtx_queue + sk_write_queue in one array). Each segment owns its payload bytes,
 * copied in once from the user's buffer; the first transmission hands the lower layers a view of those bytes with
 * the headers pushed into the segment's own headroom (zero copy), retransmissions copy.
 *
 * The segment also carries its scoreboard state (RFC 6675: SACKed, lost, retransmitted) and its place in the
 * time-ordered list of transmissions that RACK walks (RFC 8985).
 */
import { SKB_DEFAULT_HEADROOM } from '../core/skb.ts';
import { seqGeq, seqLt } from './seq.ts';

/** Headroom reserved in front of each segment's payload for TCP, IP and link headers. */
export const TCP_HEADROOM = SKB_DEFAULT_HEADROOM;

/** Scoreboard bits (Linux's TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS, TCPCB_LOST, TCPCB_EVER_RETRANS). */
export const SACKED_ACKED = 1;
export const SACKED_RETRANS = 2;
export const SEG_LOST = 4;
export const EVER_RETRANS = 8;

export class TxSeg {
  /** First sequence number and one past the last (SYN and FIN count). */
  seq = 0;
  end = 0;
  /** TCP flags this segment carries besides ACK: SYN, FIN, PSH. */
  flags = 0;
  /** Payload bytes are buf[off, off+len). */
  buf: Buffer | null = null;
  off = 0;
  len = 0;
  /** Bytes that can still be appended in place (0 once transmitted or when the buffer is shared). */
  cap = 0;
  /** buf[0, off) is this segment's own headroom, never written yet: the first transmission may push into it. */
  ownHeadroom = false;
  /** Scoreboard bits. */
  sacked = 0;
  /** Time of the last (re)transmission, ms. */
  txTime = 0;
  /** Time of the first transmission, ms. */
  firstTxTime = 0;
  /** Time-ordered transmission list (RACK): linked while sent and neither SACKed nor acknowledged. */
  tsPrev: TxSeg | null = null;
  tsNext: TxSeg | null = null;
  tsLinked = false;
}

/** Segments in sequence order with the first unsent one marked (`sendHead`). Indices are into `segs`. */
export class TxQueue {
  segs: TxSeg[] = [];
  head = 0;
  /** Index of the first segment never transmitted (== segs.length when all were sent). */
  sendHead = 0;
  /** Payload bytes queued (unacknowledged + unsent). */
  bytes = 0;
  // Time-ordered list of in-flight transmissions (oldest first).
  tsHead: TxSeg | null = null;
  tsTail: TxSeg | null = null;

  get empty(): boolean {
    return this.head === this.segs.length;
  }

  get hasUnsent(): boolean {
    return this.sendHead < this.segs.length;
  }

  /** Number of segments (sent and unsent). */
  get count(): number {
    return this.segs.length - this.head;
  }

  first(): TxSeg | undefined {
    return this.head < this.segs.length ? this.segs[this.head] : undefined;
  }

  last(): TxSeg | undefined {
    return this.head < this.segs.length ? this.segs[this.segs.length - 1] : undefined;
  }

  unsent(): TxSeg | undefined {
    return this.sendHead < this.segs.length ? this.segs[this.sendHead] : undefined;
  }

  push(seg: TxSeg): void {
    this.segs.push(seg);
    this.bytes += seg.len;
  }

  /** Insert `seg` right after index i (a split). */
  insertAfter(i: number, seg: TxSeg): void {
    this.segs.splice(i + 1, 0, seg);
    if (this.sendHead > i) this.sendHead++;
  }

  /** Remove and return the first segment. */
  shift(): TxSeg {
    const seg = this.segs[this.head]!;
    this.segs[this.head] = undefined as unknown as TxSeg;
    this.head++;
    this.bytes -= seg.len;
    if (this.head === this.segs.length) {
      this.segs.length = 0;
      this.head = 0;
      this.sendHead = 0;
    } else if (this.head >= 256 && this.head * 2 >= this.segs.length) {
      this.segs.copyWithin(0, this.head);
      this.segs.length -= this.head;
      this.sendHead -= this.head;
      this.head = 0;
    }
    return seg;
  }

  /**
   * Index of the sent segment that contains `seq` (seg.seq <= seq < seg.end), or of the first sent segment
   * starting after it; `sendHead` when none. Binary search over [head, sendHead).
   */
  indexOf(seq: number): number {
    let lo = this.head;
    let hi = this.sendHead;
    const segs = this.segs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqGeq(seq, segs[mid]!.end)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the sent segment starting exactly at `seq`, or -1. */
  indexAt(seq: number): number {
    const i = this.indexOf(seq);
    return i < this.sendHead && this.segs[i]!.seq === seq ? i : -1;
  }

  // --- time-ordered list ---------------------------------------------------------------------------------------

  tsAppend(seg: TxSeg): void {
    if (seg.tsLinked) this.tsUnlink(seg);
    seg.tsLinked = true;
    seg.tsNext = null;
    seg.tsPrev = this.tsTail;
    if (this.tsTail !== null) this.tsTail.tsNext = seg;
    else this.tsHead = seg;
    this.tsTail = seg;
  }

  tsUnlink(seg: TxSeg): void {
    if (!seg.tsLinked) return;
    seg.tsLinked = false;
    if (seg.tsPrev !== null) seg.tsPrev.tsNext = seg.tsNext;
    else this.tsHead = seg.tsNext;
    if (seg.tsNext !== null) seg.tsNext.tsPrev = seg.tsPrev;
    else this.tsTail = seg.tsPrev;
    seg.tsPrev = null;
    seg.tsNext = null;
  }

  /** Drop everything (connection closed). */
  clear(): void {
    this.segs = [];
    this.head = 0;
    this.sendHead = 0;
    this.bytes = 0;
    this.tsHead = null;
    this.tsTail = null;
  }
}

/** Segment buffers are carved from 64 KiB slabs: one ArrayBuffer per ~38 segments instead of one per 4. */
const SLAB_SIZE = 64 * 1024;
let slab: Buffer = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/** A buffer of `size` bytes for a segment (headroom + payload); never shared with another live segment. */
export function allocSegBuffer(size: number): Buffer {
  if (size > SLAB_SIZE >> 2) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return b;
}

/** Copy n bytes of src (from off) into dst at dstOff: Buffer.copy (memcpy) for Buffers, set() otherwise. */
export function copyInto(src: Uint8Array, off: number, n: number, dst: Buffer, dstOff: number): void {
  if (Buffer.isBuffer(src)) src.copy(dst, dstOff, off, off + n);
  else dst.set(src.subarray(off, off + n), dstOff);
}

/** True when a segment is entirely below `una` (fully acknowledged). */
export function segAcked(seg: TxSeg, una: number): boolean {
  return !seqLt(una, seg.end);
}

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
  /** The slab buf was carved from (null: a buffer of its own): referenced until the segment is acknowledged. */
  slab: SegSlab | null = null;
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

  /** Remove and return the first segment (acknowledged: its buffer is released). */
  shift(): TxSeg {
    const seg = this.segs[this.head]!;
    this.segs[this.head] = undefined as unknown as TxSeg;
    this.head++;
    this.bytes -= seg.len;
    if (seg.slab !== null) {
      seg.slab.put();
      seg.slab = null;
    }
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
    for (let i = this.head; i < this.segs.length; i++) {
      const seg = this.segs[i]!;
      if (seg.slab !== null) {
        seg.slab.put();
        seg.slab = null;
      }
    }
    this.segs = [];
    this.head = 0;
    this.sendHead = 0;
    this.bytes = 0;
    this.tsHead = null;
    this.tsTail = null;
  }
}

/**
 * Segment buffers are carved from 64 KiB slabs: one ArrayBuffer per ~38 segments instead of one per 4. A slab whose
 * segments are all acknowledged, and whose zero-copy transmissions have all completed (their skbs freed), goes back
 * to a small pool and is carved again: the bytes of the next send() land in memory that is still in the cache,
 * where a fresh buffer costs several times more to fill (cache misses, and the garbage collector later).
 */
const SLAB_SIZE = 64 * 1024;
/** Slabs kept for reuse (all connections of the process): 4 MiB, the default largest send buffer. */
const SLAB_POOL_MAX = 64;

export class SegSlab {
  readonly buf = Buffer.allocUnsafeSlow(SLAB_SIZE);
  used = 0;
  /** Segments carved from it and not yet acknowledged, transmissions still viewing it, +1 while being carved. */
  refs = 1;
  /** Drop one reference (also the destructor of a zero-copy transmission's skb). */
  readonly put = (): void => {
    if (--this.refs !== 0) return;
    this.used = 0;
    if (slabPool.length < SLAB_POOL_MAX) slabPool.push(this);
  };
}

const slabPool: SegSlab[] = [];
let slab: SegSlab | null = null;

/**
 * Give `seg` a buffer of `size` bytes (headroom + payload), never shared with another live segment: carved from
 * a slab (the segment holds a reference to it until it is acknowledged) or, when large, its own.
 */
export function allocSegBuffer(seg: TxSeg, size: number): void {
  if (size > SLAB_SIZE >> 2) {
    seg.buf = Buffer.allocUnsafeSlow(size);
    seg.slab = null;
    return;
  }
  let s = slab;
  if (s === null || s.used + size > SLAB_SIZE) {
    if (s !== null) s.put();
    s = slab = slabPool.pop() ?? new SegSlab();
    s.refs = 1;
  }
  seg.buf = s.buf.subarray(s.used, s.used + size);
  seg.slab = s;
  s.refs++;
  s.used += (size + 7) & ~7;
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

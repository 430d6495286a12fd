/**
 * The receive side's queues: in-order payload waiting for the user (skbs whose data..tail is payload, handed out
 * as Buffer views: zero copy), and the out-of-order queue (sorted, non-overlapping ranges) with the SACK blocks
 * that describe it (RFC 2018 §4: the block holding the most recent segment first, then the most recent others) and
 * a pending D-SACK block (RFC 2883).
 */
import type { SkBuff } from '../core/skb.ts';
import { seqGeq, seqGt, seqLeq, seqLt } from './seq.ts';
import { TCP_MAX_SACKS } from './wire.ts';

export interface OfoSeg {
  seq: number;
  /** End of payload (FIN not included). */
  end: number;
  fin: boolean;
  skb: SkBuff;
}

export class RxQueue {
  private q: SkBuff[] = [];
  private qh = 0;
  /** Unread in-order bytes. */
  bytes = 0;
  ofo: OfoSeg[] = [];
  ofoBytes = 0;
  /** SACK blocks to send: sack[2i], sack[2i+1]; allocated on first use. */
  sack: Uint32Array | null = null;
  sackCount = 0;
  dsackPending = false;
  dsackStart = 0;
  dsackEnd = 0;

  get empty(): boolean {
    return this.qh === this.q.length;
  }

  /** Queue in-order payload (skb.data..tail). Takes ownership. */
  enqueue(skb: SkBuff): void {
    this.q.push(skb);
    this.bytes += skb.len;
  }

  /**
   * A view of up to `max` unread bytes (the head skb's payload, or a prefix of it), consumed; null when empty. The
   * view's memory is the caller's from now on: the skb is detached from its buffer before it is freed, so no RX
   * pool recycles it (skb ownership rule 4).
   */
  read(max = Number.POSITIVE_INFINITY): Buffer | null {
    if (this.qh === this.q.length) return null;
    const skb = this.q[this.qh]!;
    const n = Math.min(skb.len, max);
    const view = skb.buf.subarray(skb.data, skb.data + n);
    this.bytes -= n;
    this.headViewed = true;
    if (n === skb.len) this.popHead();
    else skb.data += n;
    return view;
  }

  /** The head skb has handed out a view of its buffer. */
  private headViewed = false;

  /** Copy up to dst.length - off bytes into dst; consume them unless `peek`. Returns the count. */
  readInto(dst: Uint8Array, off: number, len: number, peek: boolean): number {
    let copied = 0;
    let i = this.qh;
    let skip = 0;
    while (copied < len && i < this.q.length) {
      const skb = this.q[i]!;
      const avail = skb.len - skip;
      const n = Math.min(avail, len - copied);
      dst.set(skb.buf.subarray(skb.data + skip, skb.data + skip + n), off + copied);
      copied += n;
      if (peek) {
        i++;
        skip = 0;
        continue;
      }
      this.bytes -= n;
      if (n === skb.len) {
        this.popHead();
        i = this.qh;
      } else {
        skb.data += n;
      }
    }
    return copied;
  }

  private popHead(): void {
    const skb = this.q[this.qh]!;
    if (this.headViewed) {
      skb.buf = DETACHED;
      skb.data = skb.tail = 0;
      this.headViewed = false;
    }
    this.q[this.qh++] = undefined as unknown as SkBuff;
    if (this.qh === this.q.length) {
      this.q.length = 0;
      this.qh = 0;
    } else if (this.qh >= 64 && this.qh * 2 >= this.q.length) {
      this.q.copyWithin(0, this.qh);
      this.q.length -= this.qh;
      this.qh = 0;
    }
    skb.free();
  }

  /** Drop all queued data (abort / close with unread data). */
  purge(): void {
    if (this.headViewed && this.qh < this.q.length) {
      const head = this.q[this.qh]!;
      head.buf = DETACHED;
      head.data = head.tail = 0;
    }
    this.headViewed = false;
    for (let i = this.qh; i < this.q.length; i++) this.q[i]!.free();
    this.q = [];
    this.qh = 0;
    this.bytes = 0;
    for (const s of this.ofo) s.skb.free();
    this.ofo = [];
    this.ofoBytes = 0;
    this.sackCount = 0;
    this.dsackPending = false;
  }

  // --- out-of-order queue --------------------------------------------------------------------------------------

  /**
   * Insert payload [seq, end) (skb.data..tail is the payload) into the out-of-order queue, trimming overlaps so
   * the queue stays non-overlapping (existing data wins, fully covered old ranges are replaced). Returns false
   * when the segment was entirely a duplicate (skb freed; D-SACK recorded).
   */
  ofoInsert(seq: number, end: number, fin: boolean, skb: SkBuff, dsack: boolean): boolean {
    const ofo = this.ofo;
    // First index whose seq >= seq.
    let lo = 0;
    let hi = ofo.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(ofo[mid]!.seq, seq)) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    const prev = i > 0 ? ofo[i - 1]! : null;
    if (prev !== null && seqGt(prev.end, seq)) {
      if (seqGeq(prev.end, end) && !(fin && !prev.fin && prev.end === end)) {
        if (dsack) this.setDsack(seq, end);
        skb.free();
        return false;
      }
      const cut = (prev.end - seq) | 0;
      if (dsack) this.setDsack(seq, prev.end);
      skb.data += cut;
      seq = prev.end;
    }
    // Remove ranges the new one covers entirely.
    let j = i;
    while (j < ofo.length && seqLeq(ofo[j]!.end, end) && seqGeq(ofo[j]!.seq, seq)) {
      const old = ofo[j]!;
      if (dsack) this.setDsack(old.seq, old.end);
      if (old.fin) fin = true;
      this.ofoBytes -= (old.end - old.seq) | 0;
      old.skb.free();
      j++;
    }
    if (j > i) ofo.splice(i, j - i);
    const next = i < ofo.length ? ofo[i]! : null;
    if (next !== null && seqLt(next.seq, end)) {
      if (dsack) this.setDsack(next.seq, end);
      skb.tail -= (end - next.seq) | 0;
      end = next.seq;
      fin = false;
    }
    if (seq === end && !fin) {
      skb.free();
      return false;
    }
    ofo.splice(i, 0, { seq, end, fin, skb });
    this.ofoBytes += (end - seq) | 0;
    this.updateSackBlocks(i);
    return true;
  }

  /**
   * Move the run of out-of-order segments that now start at or below rcvNxt to the in-order queue. Data the
   * in-order segment already carried was received twice: it is reported as a D-SACK when `dsack`.
   */
  ofoDrain(rcvNxt: number, dsack: boolean): { rcvNxt: number; fin: boolean } {
    const ofo = this.ofo;
    let n = 0;
    let fin = false;
    while (n < ofo.length && seqLeq(ofo[n]!.seq, rcvNxt)) {
      const s = ofo[n]!;
      if (dsack && seqLt(s.seq, rcvNxt)) this.setDsack(s.seq, seqLt(s.end, rcvNxt) ? s.end : rcvNxt);
      this.ofoBytes -= (s.end - s.seq) | 0;
      if (seqGt(s.end, rcvNxt)) {
        const skip = (rcvNxt - s.seq) | 0;
        s.skb.data += skip;
        this.enqueue(s.skb);
        rcvNxt = s.end;
      } else {
        s.skb.free();
      }
      n++;
      if (s.fin) {
        fin = true;
        break;
      }
    }
    if (n > 0) ofo.splice(0, n);
    this.pruneSackBlocks(rcvNxt);
    drained.rcvNxt = rcvNxt;
    drained.fin = fin;
    return drained;
  }

  /** Record a duplicate range for the next ACK's first SACK block (RFC 2883). */
  setDsack(start: number, end: number): void {
    if (!this.dsackPending) {
      this.dsackPending = true;
      this.dsackStart = start;
      this.dsackEnd = end;
    } else if (seqLeq(start, this.dsackEnd) && seqGeq(end, this.dsackStart)) {
      // Overlapping or adjacent: merge (tcp_dsack_extend); a disjoint later duplicate waits for the next ACK.
      if (seqLt(start, this.dsackStart)) this.dsackStart = start;
      if (seqGt(end, this.dsackEnd)) this.dsackEnd = end;
    }
  }

  /** After inserting at index i: the block holding it goes first (RFC 2018 §4). */
  private updateSackBlocks(i: number): void {
    const ofo = this.ofo;
    let a = i;
    while (a > 0 && ofo[a - 1]!.end === ofo[a]!.seq) a--;
    let b = i;
    while (b + 1 < ofo.length && ofo[b]!.end === ofo[b + 1]!.seq) b++;
    const start = ofo[a]!.seq;
    const end = ofo[b]!.end;
    let s = this.sack;
    if (s === null) s = this.sack = new Uint32Array(2 * TCP_MAX_SACKS);
    // Keep the other blocks that do not overlap this run, most recent first.
    let w = 1;
    const keepS: number[] = scratchS;
    const keepE: number[] = scratchE;
    let k = 0;
    for (let r = 0; r < this.sackCount; r++) {
      const bs = s[2 * r]!;
      const be = s[2 * r + 1]!;
      if (seqLeq(be, start) || seqGeq(bs, end)) {
        // Disjoint from the new run; but an old block may have grown into a different run: keep as is.
        keepS[k] = bs;
        keepE[k] = be;
        k++;
      }
    }
    s[0] = start;
    s[1] = end;
    for (let r = 0; r < k && w < TCP_MAX_SACKS; r++, w++) {
      s[2 * w] = keepS[r]!;
      s[2 * w + 1] = keepE[r]!;
    }
    this.sackCount = w;
  }

  /** Forget SACK blocks at or below rcvNxt. */
  private pruneSackBlocks(rcvNxt: number): void {
    const s = this.sack;
    if (s === null || this.sackCount === 0) return;
    if (this.ofo.length === 0) {
      this.sackCount = 0;
      return;
    }
    let w = 0;
    for (let r = 0; r < this.sackCount; r++) {
      if (seqGt(s[2 * r + 1]!, rcvNxt)) {
        s[2 * w] = seqGt(s[2 * r]!, rcvNxt) ? s[2 * r]! : rcvNxt;
        s[2 * w + 1] = s[2 * r + 1]!;
        w++;
      }
    }
    this.sackCount = w;
  }
}

const drained = { rcvNxt: 0, fin: false };
const DETACHED = Buffer.alloc(0);
const scratchS: number[] = [0, 0, 0, 0];
const scratchE: number[] = [0, 0, 0, 0];

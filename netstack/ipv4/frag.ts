/**
 * IPv4 reassembly (after Linux net/ipv4/ip_fragment.c and inet_fragment.c).
 *
 * Fragments are queued by (src, dst, id, protocol). Limits:
 *  - a datagram may not exceed 65535 bytes (offset + length beyond it: the whole queue is dropped);
 *  - memory: every queued fragment costs its buffer size, every queue QUEUE_COST; above `highThresh` (Linux
 *    net.ipv4.ipfrag_high_thresh, 4 MiB) new fragments are refused (Linux ≥ 4.17 behaves the same way);
 *  - at most `maxFragments` fragments per datagram (GUESS: Linux has no such limit, its memory limit alone bounds
 *    a bomb of tiny fragments; 128 lets a 64 KiB datagram through at a 576-byte MTU);
 *  - a datagram not complete after `timeoutMs` (net.ipv4.ipfrag_time, 30 s) is dropped; when its first fragment
 *    had arrived, the owner is told (ICMP time exceeded, code 1).
 * A fragment that overlaps another without being contained in it drops the whole datagram (RFC 5722, as Linux
 * does since 4.19); one wholly contained in an earlier fragment is a duplicate and dropped alone.
 */
import type { Clock, Timer } from '../core/clock.ts';
import { ChecksumState, SKB_DEFAULT_HEADROOM, SkBuff } from '../core/skb.ts';
import { inetChecksum } from '../core/checksum.ts';
import { logger } from '../core/log.ts';
import { formatIpv4 } from '../inet/addr.ts';
import { readU32, writeU16 } from '../inet/bytes.ts';
import { IP_MAX_PACKET, IP_MF, IP_OFFSET } from './header.ts';

const log = logger('ipfrag');

/** Memory charged per queue (Linux charges sizeof(struct ipq)). */
export const QUEUE_COST = 256;

export interface FragCounters {
  ReasmReqds: number;
  ReasmOKs: number;
  ReasmFails: number;
  ReasmTimeout: number;
  /** IpExt: datagrams dropped because two fragments overlapped. */
  ReasmOverlaps: number;
  /** IpExt (airstack): fragments dropped as duplicates of data already queued. */
  ReasmDuplicates: number;
  /** IpExt (airstack): datagrams dropped for having more than maxFragments fragments. */
  ReasmTooManyFrags: number;
  /** IpExt (airstack): fragments refused because the global memory limit was reached. */
  ReasmMemFull: number;
}

interface Frag {
  start: number;
  end: number;
  headerLen: number;
  /** skb.data at the IP header. */
  skb: SkBuff;
}

class FragQueue {
  frags: Frag[] = [];
  /** Payload length: known exactly once the last fragment arrived, otherwise the highest end seen. */
  len = 0;
  lastIn = false;
  firstIn = false;
  meat = 0;
  mem = QUEUE_COST;
  timer: Timer;
  allUnnecessary = true;

  constructor(
    readonly key: string,
    readonly src: number,
    readonly dst: number,
    readonly id: number,
    readonly protocol: number,
    clock: Clock,
    onTimeout: (q: FragQueue) => void,
  ) {
    this.timer = clock.timer(() => onTimeout(this));
  }
}

export class Ipv4Defrag {
  highThresh = 4 * 1024 * 1024;
  timeoutMs = 30_000;
  maxFragments = 128;
  /** Bytes charged to all queues. */
  mem = 0;
  private queues = new Map<string, FragQueue>();
  /** Called when a datagram whose first fragment had arrived times out; borrows that fragment (data at IP). */
  onTimeout: ((first: SkBuff) => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly mib: FragCounters,
  ) {}

  get queueCount(): number {
    return this.queues.size;
  }

  /**
   * ip_defrag: consume one fragment (skb.data at the IP header, trimmed to the total length, header already
   * checked). Returns the reassembled datagram (data at the IP header, MF and offset cleared) or null.
   */
  gather(skb: SkBuff): SkBuff | null {
    const mib = this.mib;
    mib.ReasmReqds++;
    const b = skb.buf;
    const d = skb.data;
    const hl = (b[d]! & 0x0f) * 4;
    const src = readU32(b, d + 12);
    const dst = readU32(b, d + 16);
    const id = (b[d + 4]! << 8) | b[d + 5]!;
    const protocol = b[d + 9]!;
    const key = `${src}:${dst}:${id}:${protocol}`;
    let q = this.queues.get(key);
    const truesize = skb.buf.length;
    if (this.mem + truesize + (q ? 0 : QUEUE_COST) > this.highThresh) {
      mib.ReasmMemFull++;
      mib.ReasmFails++;
      skb.drop();
      return null;
    }
    if (q === undefined) {
      q = new FragQueue(key, src, dst, id, protocol, this.clock, (x) => this.expire(x));
      this.queues.set(key, q);
      this.mem += QUEUE_COST;
      q.timer.mod(this.timeoutMs);
    }
    const flags = (b[d + 6]! << 8) | b[d + 7]!;
    const start = (flags & IP_OFFSET) * 8;
    let end = start + skb.len - hl;
    if ((flags & IP_MF) === 0) {
      // The last fragment: nothing may lie beyond it, and a second last fragment must agree.
      if (end < q.len || (q.lastIn && end !== q.len)) return this.fail(q, skb, 'conflicting last fragment');
      q.lastIn = true;
      q.len = end;
    } else {
      // Non-final fragments carry a multiple of 8 bytes; Linux trims the excess.
      if (end & 7) end &= ~7;
      if (end > q.len) {
        if (q.lastIn) return this.fail(q, skb, 'data beyond the last fragment');
        q.len = end;
      }
    }
    if (end === start) return this.fail(q, skb, 'empty fragment');
    if (hl + end > IP_MAX_PACKET) return this.fail(q, skb, 'datagram over 65535 bytes');
    // Insert sorted by start; detect duplicates and overlaps.
    const frags = q.frags;
    let i = frags.length;
    while (i > 0 && frags[i - 1]!.start >= end) i--;
    if (i > 0) {
      const prev = frags[i - 1]!;
      if (prev.end > start) {
        if (start >= prev.start && end <= prev.end) {
          mib.ReasmDuplicates++;
          skb.drop();
          return null;
        }
        mib.ReasmOverlaps++;
        return this.fail(q, skb, 'overlapping fragments');
      }
    }
    if (frags.length >= this.maxFragments) {
      mib.ReasmTooManyFrags++;
      return this.fail(q, skb, 'too many fragments');
    }
    skb.trim(hl + (end - start));
    frags.splice(i, 0, { start, end, headerLen: hl, skb });
    q.meat += end - start;
    q.mem += truesize;
    this.mem += truesize;
    if (skb.ipSummed !== ChecksumState.UNNECESSARY) q.allUnnecessary = false;
    if (start === 0) q.firstIn = true;
    if (q.lastIn && q.firstIn && q.meat === q.len) return this.reassemble(q);
    return null;
  }

  private fail(q: FragQueue, skb: SkBuff, why: string): null {
    if (log.enabled) log('%s > %s id %d: %s, datagram dropped', formatIpv4(q.src), formatIpv4(q.dst), q.id, why);
    this.mib.ReasmFails++;
    skb.drop();
    this.kill(q);
    return null;
  }

  private kill(q: FragQueue): void {
    q.timer.cancel();
    this.queues.delete(q.key);
    this.mem -= q.mem;
    for (const f of q.frags) f.skb.drop();
    q.frags = [];
  }

  private expire(q: FragQueue): void {
    if (!this.queues.has(q.key)) return;
    this.mib.ReasmFails++;
    this.mib.ReasmTimeout++;
    if (log.enabled) log('%s > %s id %d: reassembly timed out', formatIpv4(q.src), formatIpv4(q.dst), q.id);
    const first = q.frags[0];
    if (q.firstIn && first !== undefined && first.start === 0) this.onTimeout?.(first.skb);
    this.kill(q);
  }

  private reassemble(q: FragQueue): SkBuff {
    const first = q.frags[0]!;
    const hl = first.headerLen;
    const out = SkBuff.alloc(hl + q.len, SKB_DEFAULT_HEADROOM);
    const p = out.put(hl + q.len);
    const fb = first.skb;
    fb.buf.copy(out.buf, p, fb.data, fb.data + hl);
    for (const f of q.frags) {
      const s = f.skb;
      s.buf.copy(out.buf, p + hl + f.start, s.data + f.headerLen, s.tail);
    }
    out.copyMeta(fb);
    out.networkHeader = p;
    out.transportHeader = -1;
    out.macHeader = -1;
    out.ipSummed = q.allUnnecessary ? ChecksumState.UNNECESSARY : ChecksumState.NONE;
    const b = out.buf;
    writeU16(b, p + 2, hl + q.len);
    writeU16(b, p + 6, ((b[p + 6]! << 8) | b[p + 7]!) & ~(IP_MF | IP_OFFSET) & 0xffff);
    writeU16(b, p + 10, 0);
    writeU16(b, p + 10, inetChecksum(b, p, hl));
    this.mib.ReasmOKs++;
    this.kill(q);
    return out;
  }
}

/**
 * TCP's part of GRO and GSO (Linux's tcp4_gro_receive / tcp_gro_receive / tcp4_gro_complete / tcp4_gso_segment).
 *
 * GRO merges a segment into the held packet of its flow (same addresses, ports and link header) only when nothing
 * TCP could tell apart is lost: it is the next in sequence, its ACK number, window, header length and options
 * (timestamps included) are the held packet's, its only flags are ACK, PSH or FIN, its payload is at most the first
 * segment's and not empty, the IPv4 TTL, TOS and DF agree and the IP ids continue (or stay fixed with DF). A segment
 * with PSH or FIN, or shorter than the first, ends the packet (it goes up at once); SYN, RST, URG, CWR and pure ACKs
 * are never merged. Checksums are verified per segment before merging (unless the device did), so a corrupted
 * segment goes up alone and TCP drops and counts it.
 *
 * GSO cuts a super-packet built by tcp_write_xmit back into the segments it stands for: consecutive sequence
 * numbers, PSH and FIN only on the last segment, CWR only on the first, a checksum each.
 */
import { csumFinish, csumFold, csumPartial, pseudoHeaderSum } from '../core/checksum.ts';
import { GRO_MAX_SIZE, GroEntry, type GroList, skbSegment } from '../core/gro.ts';
import type { NetDevice } from '../core/netdevice.ts';
import { ChecksumState, type SkBuff } from '../core/skb.ts';
import { IPPROTO_TCP } from '../inet/protocol.ts';
import type { InetGroInfo, InetOffload, Ipv4Offload } from '../ipv4/offload.ts';
import { TCP_CWR, TCP_FIN, TCP_HLEN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from './wire.ts';

/** Flags that end a GRO packet (the segment carrying them is its last, or is not merged at all). */
const FLUSH_FLAGS = TCP_URG | TCP_PSH | TCP_RST | TCP_SYN | TCP_FIN;
/** The header word at offset 12 (data offset, flags, window) must match except these flags. */
const WORD_MASK = ~((TCP_CWR | TCP_FIN | TCP_PSH) << 16);

/** A held TCP packet: its flow and where the next segment must continue it. */
class TcpGroEntry extends GroEntry {
  saddr = 0;
  daddr = 0;
  ports = 0;
  ack = 0;
  /** Header word 12..15: data offset, flags, window. */
  word = 0;
  thlen = 0;
  ttlTos = 0;
  df = false;
  id = 0;
  /** Sequence number the next segment must carry. */
  nextSeq = 0;
  /** Payload of the first segment: no merged segment may be longer (gso_size). */
  mss = 0;
  /** IPv4 total length so far. */
  ipLen = 0;
}

function rd32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export class TcpOffload implements InetOffload {
  readonly protocol = IPPROTO_TCP;

  groReceive(gro: GroList, skb: SkBuff, ip: InetGroInfo, ipv4: Ipv4Offload): boolean {
    const b = skb.buf;
    const th = ip.th;
    const seglen = skb.tail - th;
    if (seglen < TCP_HLEN) return false;
    const thlen = (b[th + 12]! >> 4) << 2;
    if (thlen < TCP_HLEN || seglen < thlen) return false;
    const len = seglen - thlen;
    const flags = b[th + 13]!;
    if (skb.ipSummed === ChecksumState.NONE) {
      // skb_gro_checksum_validate: a bad segment goes up alone (TCP counts and drops it).
      if (csumFold(csumPartial(b, th, seglen, pseudoHeaderSum(ip.saddr, ip.daddr, IPPROTO_TCP, seglen))) !== 0xffff) {
        return false;
      }
      skb.ipSummed = ChecksumState.UNNECESSARY;
    }
    const ports = rd32(b, th);
    const held = gro.held;
    let p: TcpGroEntry | null = null;
    for (let i = 0; i < held.length; i++) {
      const e = held[i] as TcpGroEntry;
      if (e.offload === ipv4 && e.ports === ports && e.saddr === ip.saddr && e.daddr === ip.daddr) {
        if (sameLinkHeader(e.skb, skb)) {
          p = e;
          break;
        }
      }
    }
    if (p !== null) {
      const seq = rd32(b, th + 4);
      const word = rd32(b, th + 12);
      let flush =
        (flags & TCP_CWR) !== 0 ||
        ((word ^ p.word) & WORD_MASK) !== 0 ||
        rd32(b, th + 8) !== p.ack ||
        len === 0 ||
        len > p.mss ||
        seq !== p.nextSeq ||
        ip.ttlTos !== p.ttlTos ||
        ip.df !== p.df ||
        p.ipLen + len > GRO_MAX_SIZE;
      if (!flush) {
        // IP ids continue from the first segment's; with DF they may also stay fixed (as Linux accepts).
        const want = (p.id + p.count) & 0xffff;
        flush = ip.id !== want && !(ip.df && ip.id === p.id);
      }
      if (!flush && thlen > TCP_HLEN) {
        const pb = p.skb.buf;
        const pth = p.skb.transportHeader;
        for (let i = TCP_HLEN; i < thlen; i++) {
          if (b[th + i] !== pb[pth + i]) {
            flush = true;
            break;
          }
        }
      }
      if (!flush) {
        skb.data = th + thlen;
        p.skb.appendFrag(skb);
        p.last = skb;
        p.count++;
        p.nextSeq = (p.nextSeq + len) >>> 0;
        p.ipLen += len;
        gro.stats.merged++;
        if (flags & (TCP_FIN | TCP_PSH)) {
          const pb = p.skb.buf;
          pb[p.skb.transportHeader + 13] = pb[p.skb.transportHeader + 13]! | (flags & (TCP_FIN | TCP_PSH));
        }
        if (len < p.mss || (flags & FLUSH_FLAGS) !== 0) gro.complete(p);
        return true;
      }
      // Not mergeable: the held packet goes up first, then this segment is judged on its own.
      gro.complete(p);
    }
    if (len === 0 || (flags & FLUSH_FLAGS) !== 0) return false;
    const e = new TcpGroEntry(skb, ipv4);
    skb.networkHeader = ip.nh;
    skb.transportHeader = th;
    e.saddr = ip.saddr;
    e.daddr = ip.daddr;
    e.ports = ports;
    e.ack = rd32(b, th + 8);
    e.word = rd32(b, th + 12);
    e.thlen = thlen;
    e.ttlTos = ip.ttlTos;
    e.df = ip.df;
    e.id = ip.id;
    e.nextSeq = (rd32(b, th + 4) + len) >>> 0;
    e.mss = len;
    e.ipLen = skb.tail - ip.nh;
    gro.hold(e);
    return true;
  }

  /** tcp4_gro_complete: the packet says how many segments it stands for and how long they were. */
  groComplete(e: GroEntry): void {
    const t = e as TcpGroEntry;
    const skb = e.skb;
    skb.gsoSize = t.mss;
    skb.gsoSegs = e.count;
    skb.ipSummed = ChecksumState.UNNECESSARY;
  }

  gsoSegment(skb: SkBuff, dev: NetDevice, csumOffload: boolean): SkBuff[] {
    const b = skb.buf;
    const th = skb.transportHeader;
    const nh = skb.networkHeader;
    const thlen = (b[th + 12]! >> 4) << 2;
    const saddr = rd32(b, nh + 12);
    const daddr = rd32(b, nh + 16);
    const seq0 = rd32(b, th + 4);
    const flags = b[th + 13]!;
    const mss = skb.gsoSize;
    const segs = skbSegment(skb, th + thlen - skb.data, dev.neededHeadroom, dev.neededTailroom);
    const last = segs.length - 1;
    for (let i = 0; i <= last; i++) {
      const s = segs[i]!;
      const sb = s.buf;
      const t = s.transportHeader;
      const seq = (seq0 + i * mss) >>> 0;
      sb[t + 4] = seq >>> 24;
      sb[t + 5] = seq >>> 16;
      sb[t + 6] = seq >>> 8;
      sb[t + 7] = seq;
      let f = flags;
      if (i !== last) f &= ~(TCP_FIN | TCP_PSH);
      if (i !== 0) f &= ~TCP_CWR;
      sb[t + 13] = f;
      const tlen = s.tail - t;
      const pseudo = pseudoHeaderSum(saddr, daddr, IPPROTO_TCP, tlen);
      let v: number;
      if (csumOffload) {
        s.ipSummed = ChecksumState.PARTIAL;
        s.csumStart = t;
        s.csumOffset = 16;
        v = csumFold(pseudo);
      } else {
        sb[t + 16] = 0;
        sb[t + 17] = 0;
        s.ipSummed = ChecksumState.NONE;
        s.csumStart = -1;
        v = csumFinish(csumPartial(sb, t, tlen, pseudo));
      }
      sb[t + 16] = v >>> 8;
      sb[t + 17] = v & 0xff;
    }
    return segs;
  }
}

/** The held packet and the new frame came with the same link-layer header (dst, src, EtherType). */
function sameLinkHeader(p: SkBuff, skb: SkBuff): boolean {
  const a = p.buf;
  const b = skb.buf;
  const pa = p.data;
  const pb = skb.data;
  for (let i = 0; i < 14; i++) if (a[pa + i] !== b[pb + i]) return false;
  return true;
}

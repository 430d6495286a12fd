/**
 * The IPv4 part of GRO and GSO (Linux's inet_gro_receive / inet_gro_complete / inet_gso_segment): header checks
 * for merging, the total length and header checksum of merged and cut packets, IP ids of the segments; the
 * transport part is the offload registered for the protocol (TCP's).
 *
 * A frame is a GRO candidate only when its header is the plain 20 octets (no options), its checksum verifies, it
 * is not a fragment and its total length is exactly what arrived (no link padding, nothing cut short): anything
 * else goes up untouched, and ip_rcv judges it as usual.
 */
import { csumFinish, csumFold, csumPartial } from '../core/checksum.ts';
import type { GroEntry, GroList, PacketOffload } from '../core/gro.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { SkBuff } from '../core/skb.ts';
import { IP_DF, IP_MF, IP_OFFSET, IPV4_HLEN } from './header.ts';

/** What the IPv4 header of a GRO candidate says, for the transport offload (borrowed: one object reused). */
export interface InetGroInfo {
  /** Absolute offsets of the IPv4 and transport headers in skb.buf. */
  nh: number;
  th: number;
  saddr: number;
  daddr: number;
  id: number;
  /** (ttl << 8) | tos: merged segments must agree. */
  ttlTos: number;
  df: boolean;
}

/** The transport side (Linux's net_offload for one IP protocol). */
export interface InetOffload {
  readonly protocol: number;
  groReceive(gro: GroList, skb: SkBuff, ip: InetGroInfo, ipv4: Ipv4Offload): boolean;
  /** Transport fields of a merged packet (its IPv4 header is already fixed). */
  groComplete(e: GroEntry): void;
  /**
   * Cut a super-packet (skb.data at its first header, network and transport headers set) into packets with
   * their transport headers and checksums fixed (`csumOffload`: leave the checksums to the device). The IPv4
   * headers are fixed by the caller.
   */
  gsoSegment(skb: SkBuff, dev: NetDevice, csumOffload: boolean): SkBuff[];
}

export class Ipv4Offload implements PacketOffload {
  private readonly protos: Array<InetOffload | undefined> = new Array(256).fill(undefined);
  private readonly info: InetGroInfo = { nh: 0, th: 0, saddr: 0, daddr: 0, id: 0, ttlTos: 0, df: false };

  /** inet_add_offload. */
  add(o: InetOffload): void {
    this.protos[o.protocol] = o;
  }

  groReceive(gro: GroList, skb: SkBuff, nh: number): boolean {
    const b = skb.buf;
    if (skb.tail - nh < IPV4_HLEN || b[nh] !== 0x45) return false;
    const ops = this.protos[b[nh + 9]!];
    if (ops === undefined) return false;
    if (csumFold(csumPartial(b, nh, IPV4_HLEN)) !== 0xffff) return false;
    if (((b[nh + 2]! << 8) | b[nh + 3]!) !== skb.tail - nh) return false;
    const frag = (b[nh + 6]! << 8) | b[nh + 7]!;
    if (frag & (IP_MF | IP_OFFSET)) return false;
    const ip = this.info;
    ip.nh = nh;
    ip.th = nh + IPV4_HLEN;
    ip.saddr = ((b[nh + 12]! << 24) | (b[nh + 13]! << 16) | (b[nh + 14]! << 8) | b[nh + 15]!) >>> 0;
    ip.daddr = ((b[nh + 16]! << 24) | (b[nh + 17]! << 16) | (b[nh + 18]! << 8) | b[nh + 19]!) >>> 0;
    ip.id = (b[nh + 4]! << 8) | b[nh + 5]!;
    ip.ttlTos = (b[nh + 8]! << 8) | b[nh + 1]!;
    ip.df = (frag & IP_DF) !== 0;
    return ops.groReceive(gro, skb, ip, this);
  }

  /** inet_gro_complete: the merged packet's total length and header checksum, then the transport's part. */
  groComplete(e: GroEntry): void {
    const skb = e.skb;
    const b = skb.buf;
    const nh = skb.networkHeader;
    const tot = skb.len - (nh - skb.data);
    b[nh + 2] = tot >>> 8;
    b[nh + 3] = tot & 0xff;
    setIpChecksum(b, nh, IPV4_HLEN);
    this.protos[b[nh + 9]!]!.groComplete(e);
  }

  /**
   * inet_gso_segment: the transport cuts, then every packet gets its total length, its IP id (consecutive from
   * the super-packet's: ip_queue_xmit reserved them) and its header checksum. Consumes skb.
   */
  gsoSegment(skb: SkBuff, dev: NetDevice): SkBuff[] {
    const b = skb.buf;
    const nh = skb.networkHeader;
    const ops = nh >= 0 ? this.protos[b[nh + 9]!] : undefined;
    if (ops === undefined) {
      dev.stats.txDropped++;
      skb.drop();
      return [];
    }
    const hl = (b[nh]! & 0x0f) << 2;
    const id = (b[nh + 4]! << 8) | b[nh + 5]!;
    const segs = ops.gsoSegment(skb, dev, dev.features.txCsumOffload);
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const sb = s.buf;
      const n = s.networkHeader;
      const tot = s.tail - n;
      const sid = (id + i) & 0xffff;
      sb[n + 2] = tot >>> 8;
      sb[n + 3] = tot & 0xff;
      sb[n + 4] = sid >>> 8;
      sb[n + 5] = sid & 0xff;
      setIpChecksum(sb, n, hl);
    }
    return segs;
  }
}

function setIpChecksum(b: Uint8Array, nh: number, hl: number): void {
  b[nh + 10] = 0;
  b[nh + 11] = 0;
  const ck = csumFinish(csumPartial(b, nh, hl));
  b[nh + 10] = ck >>> 8;
  b[nh + 11] = ck & 0xff;
}

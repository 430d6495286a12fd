/**
 * UDP (RFC 768; after Linux net/ipv4/udp.c): udp_rcv with length and checksum checks, socket lookup (the most
 * specific bound socket wins, as compute_score does), broadcast delivery to every matching socket, port
 * unreachable for closed ports, ICMP errors to the socket that sent the offending datagram, port allocation with
 * Linux's ephemeral range (net.ipv4.ip_local_port_range 32768-60999).
 *
 * Counters are the /proc/net/snmp "Udp:" line. One difference: InDatagrams counts datagrams queued to a socket
 * (Linux counts them when the application reads), so that InDatagrams + NoPorts + InErrors + IgnoredMulti adds up
 * to what arrived.
 */
import type { Clock } from '../core/clock.ts';
import type { NetDevice } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import { ChecksumState, type SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import { formatIpv4 } from '../inet/addr.ts';
import { EADDRINUSE, EAGAIN } from '../inet/errno.ts';
import { IPPROTO_UDP, type IcmpErrorInfo, type InetProtocol, type Ipv4RxMeta } from '../inet/protocol.ts';
import type { Ipv4 } from '../ipv4/ipv4.ts';
import { UDP_HLEN, udpChecksumOk } from './header.ts';
import { UdpSocket } from './socket.ts';

const log = logger('udp');

const ICMP_DEST_UNREACH = 3;
const ICMP_PORT_UNREACH = 3;

export interface UdpMib {
  InDatagrams: number;
  NoPorts: number;
  InErrors: number;
  OutDatagrams: number;
  RcvbufErrors: number;
  SndbufErrors: number;
  InCsumErrors: number;
  IgnoredMulti: number;
  MemErrors: number;
}

export class Udp implements InetProtocol {
  readonly protocol = IPPROTO_UDP;
  readonly mib: UdpMib = {
    InDatagrams: 0,
    NoPorts: 0,
    InErrors: 0,
    OutDatagrams: 0,
    RcvbufErrors: 0,
    SndbufErrors: 0,
    InCsumErrors: 0,
    IgnoredMulti: 0,
    MemErrors: 0,
  };
  /** net.ipv4.ip_local_port_range */
  portLow = 32768;
  portHigh = 60999;
  /** net.core.rmem_default / wmem_default: initial socket buffer sizes. */
  rmemDefault = 212_992;
  wmemDefault = 212_992;
  /** Sockets by local port. */
  private readonly ports = new Map<number, UdpSocket[]>();

  constructor(
    readonly ipv4: Ipv4,
    readonly clock: Clock,
    private readonly rng: Prng,
  ) {
    ipv4.addProtocol(this);
  }

  /** A new unbound socket. */
  socket(): UdpSocket {
    return new UdpSocket(this);
  }

  get socketCount(): number {
    let n = 0;
    for (const l of this.ports.values()) n += l.length;
    return n;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Port table (used by UdpSocket)

  /** True when `sk` could use local port `port` and address `addr` without clashing (inet_rcv_saddr_equal). */
  private portFree(port: number, addr: number, sk: UdpSocket): boolean {
    const list = this.ports.get(port);
    if (list === undefined) return true;
    for (const o of list) {
      if (o === sk) continue;
      if (o.reuseAddr && sk.reuseAddr) continue;
      if (o.boundDev !== null && sk.boundDev !== null && o.boundDev !== sk.boundDev) continue;
      if (o.localAddr === 0 || addr === 0 || o.localAddr === addr) return false;
    }
    return true;
  }

  /** udp_lib_get_port: hash `sk` on `port` (0: pick an ephemeral one). Returns the port, or a negative errno. */
  hashSocket(sk: UdpSocket, port: number, addr: number): number {
    if (port === 0) {
      const range = this.portHigh - this.portLow + 1;
      const start = this.rng.int(range);
      for (let i = 0; i < range; i++) {
        const p = this.portLow + ((start + i) % range);
        if (this.portFree(p, addr, sk)) {
          port = p;
          break;
        }
      }
      if (port === 0) return -EAGAIN; // range exhausted, as Linux
    } else if (!this.portFree(port, addr, sk)) {
      return -EADDRINUSE;
    }
    let list = this.ports.get(port);
    if (list === undefined) this.ports.set(port, (list = []));
    list.push(sk);
    return port;
  }

  unhashSocket(sk: UdpSocket, port: number): void {
    const list = this.ports.get(port);
    if (list === undefined) return;
    const i = list.indexOf(sk);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.ports.delete(port);
  }

  /** __udp4_lib_lookup: the best socket for a datagram daddr:dport ← saddr:sport arriving on dev (null: any). */
  lookup(daddr: number, dport: number, saddr: number, sport: number, dev: NetDevice | null): UdpSocket | null {
    const list = this.ports.get(dport);
    if (list === undefined) return null;
    let best: UdpSocket | null = null;
    let bestScore = 0;
    for (let i = 0; i < list.length; i++) {
      const sk = list[i]!;
      let score = 1;
      if (sk.localAddr !== 0) {
        if (sk.localAddr !== daddr) continue;
        score += 4;
      }
      if (sk.remoteAddr !== 0) {
        if (sk.remoteAddr !== saddr) continue;
        score += 4;
      }
      if (sk.remotePort !== 0) {
        if (sk.remotePort !== sport) continue;
        score += 4;
      }
      if (sk.boundDev !== null && dev !== null) {
        if (sk.boundDev !== dev) continue;
        score += 4;
      }
      if (score > bestScore) {
        best = sk;
        bestScore = score;
      }
    }
    return best;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Receive

  /** udp_rcv. Consumes skb (data at the UDP header). */
  rcv(skb: SkBuff, meta: Ipv4RxMeta): void {
    const mib = this.mib;
    const len = skb.len;
    if (len < UDP_HLEN) {
      this.inError(skb);
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const ulen = (b[d + 4]! << 8) | b[d + 5]!;
    if (ulen < UDP_HLEN || ulen > len) {
      this.inError(skb);
      return;
    }
    if (ulen < len) skb.tail = d + ulen;
    if (skb.ipSummed === ChecksumState.NONE && (b[d + 6]! | b[d + 7]!) !== 0) {
      if (!udpChecksumOk(b, d, ulen, meta.src, meta.dst, skb.dv)) {
        mib.InCsumErrors++;
        if (log.enabled) log('bad checksum from %s', formatIpv4(meta.src));
        this.inError(skb);
        return;
      }
      skb.ipSummed = ChecksumState.UNNECESSARY;
    }
    const sport = (b[d]! << 8) | b[d + 1]!;
    const dport = (b[d + 2]! << 8) | b[d + 3]!;
    if (meta.broadcast) {
      this.mcastDeliver(skb, meta, sport, dport);
      return;
    }
    const sk = this.lookup(meta.dst, dport, meta.src, sport, meta.dev);
    if (sk === null) {
      mib.NoPorts++;
      this.ipv4.icmp?.send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      skb.drop();
      return;
    }
    sk.queueRcv(skb);
  }

  private inError(skb: SkBuff): void {
    this.mib.InErrors++;
    skb.drop();
  }

  /** __udp4_lib_mcast_deliver: a copy to every socket bound to the port that accepts the addresses. */
  private mcastDeliver(skb: SkBuff, meta: Ipv4RxMeta, sport: number, dport: number): void {
    const list = this.ports.get(dport);
    let first: UdpSocket | null = null;
    if (list !== undefined) {
      for (const sk of list) {
        if (sk.localAddr !== 0 && sk.localAddr !== meta.dst) continue;
        if (sk.remoteAddr !== 0 && sk.remoteAddr !== meta.src) continue;
        if (sk.remotePort !== 0 && sk.remotePort !== sport) continue;
        if (sk.boundDev !== null && sk.boundDev !== meta.dev) continue;
        if (first === null) {
          first = sk;
          continue;
        }
        // Copies, not clones: each socket may hand its buffer to its user.
        sk.queueRcv(skb.copy());
      }
    }
    if (first === null) {
      this.mib.IgnoredMulti++;
      skb.free();
      return;
    }
    first.queueRcv(skb);
  }

  /** __udp4_lib_err: an ICMP error about a datagram we sent. */
  errHandler(info: IcmpErrorInfo): void {
    const q = info.quoted;
    if (q.length < 4) return;
    const sport = (q[0]! << 8) | q[1]!;
    const dport = (q[2]! << 8) | q[3]!;
    const sk = this.lookup(info.src, sport, info.dst, dport, null);
    if (sk === null) return;
    sk.icmpError(info, dport);
  }
}

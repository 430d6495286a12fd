/**
 * IPv4 for a host (RFC 791, RFC 1122; after Linux net/ipv4/ip_input.c, ip_output.c, route.c, devinet.c).
 *
 * Receive: ipRcv (header checks, trim link padding, options, route input: local / broadcast / not for us, martian
 * sources) → ipLocalDeliver (reassembly) → the InetProtocol registered for the protocol number, or InUnknownProtos
 * and ICMP protocol unreachable. Not a router: datagrams for other hosts are counted in InAddrErrors and dropped.
 * RFC 1122 3.2.1.7: a host must not discard a datagram it receives just because its TTL is below 2, so TTL is
 * only checked on output (never 0).
 *
 * Send: queueXmit (route lookup, header) → fragmentation to the route MTU (DF: the caller gets -EMSGSIZE) →
 * neighbour output (ARP) → devQueueXmit; local destinations go through the loopback device, broadcasts and
 * multicasts to the matching link address without ARP.
 *
 * Addresses: weak host model, as Linux: a datagram for any local address is accepted on any device, and ARP
 * answers for any of them.
 */
import type { Clock } from '../core/clock.ts';
import { csumPartial, csumFinish } from '../core/checksum.ts';
import { type NetCore, type NetDevice, XmitResult } from '../core/netdevice.ts';
import type { Prng } from '../core/prng.ts';
import { ChecksumState, PacketType, SKB_DEFAULT_HEADROOM, SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import {
  INADDR_ALLHOSTS_GROUP,
  INADDR_BROADCAST,
  INADDR_LOOPBACK,
  formatCidr,
  formatIpv4,
  isLoopback,
  isMulticast,
  isZeronet,
  prefixMask,
} from '../inet/addr.ts';
import { copyOf, readU16, readU32, writeU16, writeU32 } from '../inet/bytes.ts';
import { EMSGSIZE, ENETUNREACH, ENOBUFS } from '../inet/errno.ts';
import { skbChecksumHelp } from '../inet/offload.ts';
import type { IcmpErrorInfo, InetProtocol, Ipv4RxMeta, Ipv4TxOptions } from '../inet/protocol.ts';
import type { Ethernet } from '../ethernet/ethernet.ts';
import { ETH_P_IP } from '../ethernet/header.ts';
import { Ipv4Defrag } from './frag.ts';
import {
  IP_DF,
  IP_MAX_PACKET,
  IP_MF,
  IP_OFFSET,
  IPOPT_COPY,
  IPOPT_END,
  IPOPT_NOOP,
  IPV4_HLEN,
  checkIpv4Options,
} from './header.ts';
import { type IpMib, newIpMib } from './mib.ts';
import { Fib, type Ipv4Route, PmtuCache, type Route, RouteType } from './route.ts';

const log = logger('ipv4');

// ICMP numbers IPv4 itself needs (kept here to avoid a dependency on the ICMP module).
const ICMP_DEST_UNREACH = 3;
const ICMP_PROT_UNREACH = 2;
const ICMP_HOST_UNREACH = 1;
const ICMP_FRAG_NEEDED = 4;
const ICMP_TIME_EXCEEDED = 11;
const ICMP_EXC_FRAGTIME = 1;
const ICMP_PARAMETERPROB = 12;

/** An address assigned to a device (struct in_ifaddr). */
export interface IfAddr {
  addr: number;
  prefixLen: number;
  mask: number;
  /** Directed broadcast address, 0 for /31 and /32. */
  broadcast: number;
  dev: NetDevice;
}

/** The part of ICMP that IPv4 calls (icmp_send). */
export interface IcmpSender {
  /** Report a problem with a received datagram; borrows skbIn (skbIn.networkHeader at its IP header). */
  send(skbIn: SkBuff, type: number, code: number, info: number): void;
}

export interface RouteSpec {
  /** Destination prefix; 'default' or '0.0.0.0/0' for the default route. */
  dst: number;
  prefixLen: number;
  gateway?: number;
  dev?: NetDevice;
  src?: number;
  mtu?: number;
  metric?: number;
}

export type AddrEvent = 'add' | 'del';

export class Ipv4 {
  readonly mib: IpMib = newIpMib();
  readonly fib = new Fib();
  readonly pmtu = new PmtuCache();
  readonly defrag: Ipv4Defrag;
  private readonly addrs: IfAddr[] = [];
  private readonly localMap = new Map<number, IfAddr>();
  private readonly bcastMap = new Map<number, IfAddr>();
  private readonly protocols: Array<InetProtocol | undefined> = new Array(256).fill(undefined);
  /** The loopback device: local destinations are sent through it. */
  lo: NetDevice | null = null;
  /** Neighbour output (ARP) for unicast next hops; set by the stack. */
  neighOutput: ((skb: SkBuff, dev: NetDevice, nextHop: number) => number) | null = null;
  icmp: IcmpSender | null = null;
  private readonly addrListeners: Array<(ev: AddrEvent, ifa: IfAddr) => void> = [];
  private ident: number;
  private readonly rxMeta: Ipv4RxMeta;
  private readonly mcastMac = Buffer.from([0x01, 0x00, 0x5e, 0, 0, 0]);
  // One-entry output route cache.
  private cDst = -1;
  private cSrc = -1;
  private cOif: NetDevice | null = null;
  private cGen = -1;
  private cDevMtu = 0;
  private cValidUntil = 0;
  private cRoute: Ipv4Route | null = null;

  constructor(
    core: NetCore,
    private readonly clock: Clock,
    private readonly eth: Ethernet,
    rng: Prng,
  ) {
    this.ident = rng.nextU32() & 0xffff;
    this.defrag = new Ipv4Defrag(clock, this.mib);
    this.defrag.onTimeout = (first) => this.icmp?.send(first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
    this.rxMeta = {
      src: 0,
      dst: 0,
      protocol: 0,
      tos: 0,
      ttl: 0,
      length: 0,
      dev: null as unknown as NetDevice,
      broadcast: false,
    };
    core.addProtocol(ETH_P_IP, this.rcv);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Protocols

  /** inet_add_protocol. */
  addProtocol(p: InetProtocol): void {
    if (this.protocols[p.protocol] !== undefined) throw new Error(`IP protocol ${p.protocol} is already registered`);
    this.protocols[p.protocol] = p;
  }

  protocol(n: number): InetProtocol | undefined {
    return this.protocols[n];
  }

  // -------------------------------------------------------------------------------------------------------------
  // Addresses

  onAddressChange(fn: (ev: AddrEvent, ifa: IfAddr) => void): void {
    this.addrListeners.push(fn);
  }

  /** inet_insert_ifa: assign an address and add its connected route. Throws a person-readable error. */
  addAddress(dev: NetDevice, addr: number, prefixLen: number): IfAddr {
    addr >>>= 0;
    if (prefixLen < 0 || prefixLen > 32) throw new Error(`prefix length ${prefixLen} is not 0-32`);
    if (this.localMap.has(addr)) throw new Error(`${formatIpv4(addr)} is already assigned on this host`);
    if (addr === 0 || isMulticast(addr) || addr === INADDR_BROADCAST) {
      throw new Error(`${formatIpv4(addr)} cannot be a host address`);
    }
    const mask = prefixMask(prefixLen);
    const broadcast = prefixLen < 31 ? (addr | ~mask) >>> 0 : 0;
    if (broadcast !== 0 && addr === broadcast) {
      throw new Error(`${formatCidr(addr, prefixLen)} is the broadcast address of its subnet`);
    }
    const ifa: IfAddr = { addr, prefixLen, mask, broadcast, dev };
    this.addrs.push(ifa);
    this.localMap.set(addr, ifa);
    if (broadcast !== 0) this.bcastMap.set(broadcast, ifa);
    const net = (addr & mask) >>> 0;
    const hasConnected = this.fib.routes.some(
      (r) => r.dev === dev && r.gateway === 0 && r.dst === net && r.prefixLen === prefixLen,
    );
    if (!hasConnected && !(dev === this.lo && prefixLen === 32)) {
      this.fib.add({ dst: net, prefixLen, dev, gateway: 0, src: addr, mtu: 0, metric: 0, proto: 'kernel' });
    }
    this.fib.generation++;
    log('%s: address %s added', dev.name, formatCidr(addr, prefixLen));
    for (const l of this.addrListeners) l('add', ifa);
    return ifa;
  }

  /** Remove an address, its connected route (unless another address covers the subnet) and routes that need it. */
  removeAddress(dev: NetDevice, addr: number): void {
    addr >>>= 0;
    const i = this.addrs.findIndex((a) => a.addr === addr && a.dev === dev);
    if (i < 0) throw new Error(`${formatIpv4(addr)} is not assigned to ${dev.name}`);
    const ifa = this.addrs[i]!;
    this.addrs.splice(i, 1);
    this.localMap.delete(addr);
    if (ifa.broadcast !== 0 && this.bcastMap.get(ifa.broadcast) === ifa) {
      this.bcastMap.delete(ifa.broadcast);
      const other = this.addrs.find((a) => a.broadcast === ifa.broadcast);
      if (other) this.bcastMap.set(other.broadcast, other);
    }
    const net = (addr & ifa.mask) >>> 0;
    const sibling = this.addrs.find((a) => a.dev === dev && (a.addr & ifa.mask) >>> 0 === net);
    if (sibling === undefined) {
      this.fib.remove((r) => r.dev === dev && r.gateway === 0 && r.dst === net && r.prefixLen === ifa.prefixLen);
    } else {
      for (const r of this.fib.routes) if (r.src === addr) r.src = sibling.addr;
    }
    this.fib.remove((r) => r.src === addr);
    // Gateways that are no longer on a connected subnet of their device.
    this.fib.remove((r) => r.gateway !== 0 && !this.onLink(r.gateway, r.dev));
    this.fib.generation++;
    log('%s: address %s removed', dev.name, formatCidr(addr, ifa.prefixLen));
    for (const l of this.addrListeners) l('del', ifa);
  }

  private onLink(gw: number, dev: NetDevice): boolean {
    return this.fib.routes.some((r) => r.gateway === 0 && r.dev === dev && (gw & r.mask) >>> 0 === r.dst);
  }

  addresses(dev?: NetDevice): IfAddr[] {
    return dev ? this.addrs.filter((a) => a.dev === dev) : [...this.addrs];
  }

  isLocal(addr: number): boolean {
    return this.localMap.has(addr);
  }

  /** A directed broadcast of one of our subnets, or the limited broadcast. */
  isBroadcast(addr: number): boolean {
    return addr === INADDR_BROADCAST || this.bcastMap.has(addr);
  }

  /** inet_select_addr: a source for `dev`, preferring the subnet of `near`, then any address of the device. */
  selectAddr(dev: NetDevice, near: number): number {
    let first = 0;
    for (const a of this.addrs) {
      if (a.dev !== dev) continue;
      if ((near & a.mask) >>> 0 === (a.addr & a.mask) >>> 0) return a.addr;
      if (first === 0) first = a.addr;
    }
    if (first !== 0) return first;
    for (const a of this.addrs) if (a.dev !== this.lo) return a.addr;
    return 0;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Routes

  /** `ip route add`: throws a person-readable error when the route cannot work. */
  addRoute(spec: RouteSpec): Route {
    let dev = spec.dev;
    const gateway = spec.gateway ?? 0;
    if (gateway !== 0) {
      const via = this.fib.routes.find(
        (r) => r.gateway === 0 && (gateway & r.mask) >>> 0 === r.dst && (dev === undefined || r.dev === dev),
      );
      if (via === undefined) {
        throw new Error(
          `gateway ${formatIpv4(gateway)} is not on a connected subnet (add an address on its link first)`,
        );
      }
      dev = via.dev;
    }
    if (dev === undefined) throw new Error('a route needs a gateway or a device');
    return this.fib.add({
      dst: spec.dst,
      prefixLen: spec.prefixLen,
      dev,
      gateway,
      src: spec.src ?? 0,
      mtu: spec.mtu ?? 0,
      metric: spec.metric ?? 0,
      proto: 'static',
    });
  }

  /**
   * ip_route_output: where a datagram to `dst` goes. `src` (0: choose) and `oif` (null: any) constrain it.
   * Null when there is no route (ENETUNREACH). The result is shared: do not modify it.
   */
  routeOutput(dst: number, src = 0, oif: NetDevice | null = null): Ipv4Route | null {
    dst >>>= 0;
    src >>>= 0;
    const gen = this.fib.generation + this.pmtu.generation;
    const c = this.cRoute;
    if (
      c !== null &&
      this.cDst === dst &&
      this.cSrc === src &&
      this.cOif === oif &&
      this.cGen === gen &&
      c.dev.up &&
      c.dev.mtu === this.cDevMtu &&
      this.clock.now() < this.cValidUntil
    ) {
      return c;
    }
    this.cValidUntil = Number.POSITIVE_INFINITY;
    const r = this.resolve(dst, src, oif);
    this.cRoute = r;
    this.cDst = dst;
    this.cSrc = src;
    this.cOif = oif;
    this.cGen = this.fib.generation + this.pmtu.generation;
    this.cDevMtu = r?.dev.mtu ?? 0;
    return r;
  }

  private resolve(dst: number, src: number, oif: NetDevice | null): Ipv4Route | null {
    const local = this.localMap.get(dst);
    if (local !== undefined || (isLoopback(dst) && this.lo !== null)) {
      const dev = this.lo ?? local!.dev;
      const s = src || (local !== undefined ? dst : INADDR_LOOPBACK);
      return { dev, src: s, nextHop: dst, mtu: dev.mtu, type: RouteType.LOCAL, gateway: 0 };
    }
    if (dst === INADDR_BROADCAST || (isMulticast(dst) && oif !== null)) {
      let dev = oif;
      if (dev === null && src !== 0) dev = this.localMap.get(src)?.dev ?? null;
      if (dev === null) dev = this.fib.lookup(dst)?.dev ?? null;
      if (dev === null || !dev.up) return null;
      const type = dst === INADDR_BROADCAST ? RouteType.BROADCAST : RouteType.MULTICAST;
      // Only the device's own address (0.0.0.0 without one, as a DHCP client needs), not another device's.
      const own = src || (this.addrs.find((x) => x.dev === dev)?.addr ?? 0);
      return { dev, src: own, nextHop: dst, mtu: dev.mtu, type, gateway: 0 };
    }
    const r = this.fib.lookup(dst, oif);
    if (r === null) return null;
    let type = RouteType.UNICAST;
    if (isMulticast(dst)) type = RouteType.MULTICAST;
    else if (this.bcastMap.get(dst)?.dev === r.dev) type = RouteType.BROADCAST;
    const nextHop = r.gateway !== 0 && type === RouteType.UNICAST ? r.gateway : dst;
    let mtu = r.mtu || r.dev.mtu;
    const pm = this.pmtu.get(dst, this.clock.now());
    if (pm !== 0) {
      this.cValidUntil = this.pmtu.expires(dst);
      if (pm < mtu) mtu = pm;
    }
    const s = src || r.src || this.selectAddr(r.dev, nextHop);
    return { dev: r.dev, src: s, nextHop, mtu, type, gateway: r.gateway };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Receive

  /** ip_rcv: consumes skb (data at the IP header). */
  readonly rcv = (skb: SkBuff, dev: NetDevice): void => {
    const mib = this.mib;
    if (skb.pktType === PacketType.OTHERHOST) {
      mib.InOtherHost++;
      skb.drop();
      return;
    }
    mib.InReceives++;
    const len = skb.len;
    if (len < IPV4_HLEN) {
      this.hdrError(skb);
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const vihl = b[d]!;
    const hl = (vihl & 0x0f) << 2;
    if (vihl >> 4 !== 4 || hl < IPV4_HLEN || len < hl) {
      this.hdrError(skb);
      return;
    }
    // Header checksum: always in software (no device offloads it here).
    let sum = csumPartial(b, d, hl);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    if (sum !== 0xffff) {
      mib.InCsumErrors++;
      this.hdrError(skb);
      return;
    }
    const tot = (b[d + 2]! << 8) | b[d + 3]!;
    if (tot > len) {
      mib.InTruncatedPkts++;
      skb.drop();
      return;
    }
    if (tot < hl) {
      this.hdrError(skb);
      return;
    }
    if (tot < len) skb.tail = d + tot; // link-layer padding
    mib.InOctets += tot;
    skb.networkHeader = d;
    const dst = ((b[d + 16]! << 24) | (b[d + 17]! << 16) | (b[d + 18]! << 8) | b[d + 19]!) >>> 0;
    const src = ((b[d + 12]! << 24) | (b[d + 13]! << 16) | (b[d + 14]! << 8) | b[d + 15]!) >>> 0;
    // Route input: for us, a broadcast, or not for us (this host does not forward).
    let bcast = false;
    if (this.localMap.get(dst) === undefined) {
      if (dst === INADDR_BROADCAST || this.bcastMap.has(dst) || (dst === 0 && src === 0)) {
        bcast = true;
        mib.InBcastPkts++;
      } else if (dst === INADDR_ALLHOSTS_GROUP) {
        bcast = true;
        mib.InMcastPkts++;
      } else if (!(dev === this.lo && isLoopback(dst))) {
        mib.InAddrErrors++;
        if (log.enabled) log('%s: not for us: %s', dev.name, formatIpv4(dst));
        skb.drop();
        return;
      }
    }
    if (this.martianSource(src, bcast, dev)) {
      mib.InMartianSrc++;
      mib.InAddrErrors++;
      if (log.enabled) log('%s: martian source %s', dev.name, formatIpv4(src));
      skb.drop();
      return;
    }
    // Options after the route and source checks, as ip_rcv_finish_core: no parameter problem to a martian.
    if (hl > IPV4_HLEN && !this.rcvOptions(skb, hl)) return;
    this.localDeliver(skb, dev, bcast);
  };

  private martianSource(src: number, bcast: boolean, dev: NetDevice): boolean {
    if (src === 0) return !bcast; // 0.0.0.0 may only send broadcasts (DHCP)
    if (isMulticast(src) || src === INADDR_BROADCAST || isZeronet(src)) return true;
    if (dev === this.lo) return false;
    return isLoopback(src) || this.localMap.has(src) || this.bcastMap.has(src);
  }

  private hdrError(skb: SkBuff): void {
    this.mib.InHdrErrors++;
    skb.drop();
  }

  /** ip_rcv_options: false when the datagram was dropped. */
  private rcvOptions(skb: SkBuff, hl: number): boolean {
    const info = checkIpv4Options(skb.buf, skb.data, hl);
    if (info.errorAt >= 0) {
      this.mib.InHdrErrors++;
      this.icmp?.send(skb, ICMP_PARAMETERPROB, 0, info.errorAt << 24);
      skb.drop();
      return false;
    }
    if (info.sourceRoute) {
      this.mib.InSrcRoute++;
      skb.drop();
      return false;
    }
    return true;
  }

  /** ip_local_deliver (+ ip_local_deliver_finish): reassemble, then hand to the transport protocol. */
  private localDeliver(skb: SkBuff, dev: NetDevice, bcast: boolean): void {
    let b = skb.buf;
    let d = skb.data;
    if (((b[d + 6]! << 8) | b[d + 7]!) & (IP_MF | IP_OFFSET)) {
      const whole = this.defrag.gather(skb);
      if (whole === null) return;
      skb = whole;
      b = skb.buf;
      d = skb.data;
    }
    const hl = (b[d]! & 0x0f) << 2;
    const proto = b[d + 9]!;
    const meta = this.rxMeta;
    meta.src = ((b[d + 12]! << 24) | (b[d + 13]! << 16) | (b[d + 14]! << 8) | b[d + 15]!) >>> 0;
    meta.dst = ((b[d + 16]! << 24) | (b[d + 17]! << 16) | (b[d + 18]! << 8) | b[d + 19]!) >>> 0;
    meta.protocol = proto;
    meta.tos = b[d + 1]!;
    meta.ttl = b[d + 8]!;
    meta.dev = dev;
    meta.broadcast = bcast;
    skb.data = d + hl;
    skb.transportHeader = d + hl;
    meta.length = skb.len;
    const p = this.protocols[proto];
    if (p === undefined) {
      this.mib.InUnknownProtos++;
      if (!bcast) this.icmp?.send(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
      skb.drop();
      return;
    }
    this.mib.InDelivers++;
    p.rcv(skb, meta);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Send

  /**
   * ip_queue_xmit: route, add the IPv4 header and send a transport payload (skb.data at the transport header).
   * Takes ownership. Returns 0 or a negative errno (-ENETUNREACH, -EMSGSIZE with DF, -ENOBUFS).
   */
  queueXmit(skb: SkBuff, opts: Ipv4TxOptions): number {
    this.mib.OutRequests++;
    const rt = this.routeOutput(opts.dst, opts.src ?? 0, opts.dev ?? null);
    if (rt === null) {
      this.mib.OutNoRoutes++;
      skb.drop();
      return -ENETUNREACH;
    }
    return this.outputRoute(skb, rt, opts);
  }

  /** Like queueXmit with a route the caller already looked up (and counted OutRequests for). */
  outputRoute(skb: SkBuff, rt: Ipv4Route, opts: Ipv4TxOptions): number {
    if (skb.headroom < IPV4_HLEN) skb.ensureRoom(SKB_DEFAULT_HEADROOM);
    if (skb.len + IPV4_HLEN > IP_MAX_PACKET) {
      this.mib.OutDiscards++;
      skb.drop();
      return -EMSGSIZE;
    }
    const d = skb.push(IPV4_HLEN);
    skb.networkHeader = d;
    skb.protocol = ETH_P_IP;
    skb.vlanTci = -1; // a reply built in a received buffer must not inherit its tag (tagging is a device's job)
    const b = skb.buf;
    const tot = skb.len;
    this.ident = (this.ident + 1) & 0xffff;
    b[d] = 0x45;
    b[d + 1] = opts.tos ?? 0;
    b[d + 2] = tot >> 8;
    b[d + 3] = tot & 0xff;
    b[d + 4] = this.ident >> 8;
    b[d + 5] = this.ident & 0xff;
    b[d + 6] = opts.df ? IP_DF >> 8 : 0;
    b[d + 7] = 0;
    b[d + 8] = opts.ttl || (rt.type === RouteType.MULTICAST ? 1 : this.mib.DefaultTTL);
    b[d + 9] = opts.protocol;
    b[d + 10] = 0;
    b[d + 11] = 0;
    writeU32(b, d + 12, opts.src || rt.src);
    writeU32(b, d + 16, opts.dst);
    const ck = csumFinish(csumPartial(b, d, IPV4_HLEN));
    b[d + 10] = ck >> 8;
    b[d + 11] = ck & 0xff;
    return this.finishOutput(skb, rt);
  }

  /** ip_finish_output: fragment when too big for the route MTU, complete offloaded checksums if needed. */
  private finishOutput(skb: SkBuff, rt: Ipv4Route): number {
    if (skb.len > rt.mtu) return this.fragment(skb, rt);
    if (skb.ipSummed === ChecksumState.PARTIAL && !rt.dev.features.txCsumOffload) skbChecksumHelp(skb);
    return this.finishOutput2(skb, rt);
  }

  /** ip_finish_output2: pick the link-layer destination (ARP for unicast) and queue to the device. */
  private finishOutput2(skb: SkBuff, rt: Ipv4Route): number {
    const mib = this.mib;
    mib.OutTransmits++;
    mib.OutOctets += skb.len;
    let dev = rt.dev;
    switch (rt.type) {
      case RouteType.LOCAL:
        dev = this.lo ?? dev;
        this.eth.header(skb, dev, ETH_P_IP, dev.addr);
        break;
      case RouteType.BROADCAST:
        mib.OutBcastPkts++;
        this.eth.header(skb, dev, ETH_P_IP, dev.broadcast);
        break;
      case RouteType.MULTICAST: {
        mib.OutMcastPkts++;
        const m = this.mcastMac;
        const b = skb.buf;
        const d = skb.data;
        m[3] = b[d + 17]! & 0x7f;
        m[4] = b[d + 18]!;
        m[5] = b[d + 19]!;
        this.eth.header(skb, dev, ETH_P_IP, m);
        break;
      }
      default: {
        const out = this.neighOutput;
        if (out === null) {
          mib.OutDiscards++;
          skb.drop();
          return -ENOBUFS;
        }
        const rc = out(skb, dev, rt.nextHop);
        if (rc < 0) mib.OutDiscards++;
        return rc;
      }
    }
    if (dev.devQueueXmit(skb) !== XmitResult.SUCCESS) {
      mib.OutDiscards++;
      return -ENOBUFS;
    }
    return 0;
  }

  /** ip_fragment (the slow path: each fragment is a new buffer). */
  private fragment(skb: SkBuff, rt: Ipv4Route): number {
    const mib = this.mib;
    const b = skb.buf;
    const d = skb.data;
    const frag = readU16(b, d + 6);
    const hl = (b[d]! & 0x0f) << 2;
    const maxData = (rt.mtu - hl) & ~7;
    if (frag & IP_DF || maxData < 8) {
      mib.FragFails++;
      if (log.enabled) log('%d-byte datagram does not fit MTU %d and may not be fragmented', skb.len, rt.mtu);
      skb.drop();
      return -EMSGSIZE;
    }
    skbChecksumHelp(skb);
    const payload = skb.len - hl;
    const baseOff = (frag & IP_OFFSET) * 8;
    const lastMf = frag & IP_MF;
    let err = 0;
    let n = 0;
    for (let off = 0; off < payload; off += maxData) {
      const chunk = Math.min(maxData, payload - off);
      const last = off + chunk >= payload;
      const f = SkBuff.alloc(hl + chunk, SKB_DEFAULT_HEADROOM);
      const p = f.put(hl + chunk);
      const fb = f.buf;
      b.copy(fb, p, d, d + hl);
      if (off > 0 && hl > IPV4_HLEN) optionsFragment(fb, p, hl);
      b.copy(fb, p + hl, d + hl + off, d + hl + off + chunk);
      writeU16(fb, p + 2, hl + chunk);
      writeU16(fb, p + 6, (frag & IP_DF) | ((baseOff + off) >> 3) | (last ? lastMf : IP_MF));
      writeU16(fb, p + 10, 0);
      writeU16(fb, p + 10, csumFinish(csumPartial(fb, p, hl)));
      f.networkHeader = p;
      f.protocol = ETH_P_IP;
      f.priority = skb.priority;
      f.vlanTci = skb.vlanTci;
      n++;
      const rc = this.finishOutput2(f, rt);
      if (rc < 0 && err === 0) err = rc;
    }
    mib.FragOKs++;
    mib.FragCreates += n;
    skb.free();
    return err;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Errors

  /**
   * A datagram we sent could not reach its next hop (ARP failed): tell the protocol that sent it, as Linux does
   * with an ICMP host unreachable to itself. Consumes skb (data at the IP header).
   */
  linkFailure(skb: SkBuff): void {
    if (skb.len >= IPV4_HLEN) {
      const b = skb.buf;
      const d = skb.data;
      const src = readU32(b, d + 12);
      if (this.localMap.has(src)) {
        this.mib.OutLinkFailures++;
        const hl = (b[d]! & 0x0f) << 2;
        this.icmpErrorDeliver({
          type: ICMP_DEST_UNREACH,
          code: ICMP_HOST_UNREACH,
          mtu: 0,
          src,
          dst: readU32(b, d + 16),
          protocol: b[d + 9]!,
          quoted: copyOf(b, d + hl, Math.min(skb.tail, d + hl + 64)),
          reporter: src,
        });
      }
    }
    skb.drop();
  }

  /**
   * icmp_socket_deliver: an ICMP error about a datagram we sent. "Fragmentation needed" lowers the path MTU to the
   * destination first. Then the sending protocol's errHandler is called.
   */
  icmpErrorDeliver(info: IcmpErrorInfo): void {
    if (info.type === ICMP_DEST_UNREACH && info.code === ICMP_FRAG_NEEDED && info.mtu > 0) {
      const cur = this.routeOutput(info.dst)?.mtu ?? 0;
      if (cur === 0 || info.mtu < cur) this.pmtu.update(info.dst, info.mtu, this.clock.now());
    }
    this.protocols[info.protocol]?.errHandler?.(info);
  }
}

/** ip_options_fragment: options without the copy flag become NOOPs in fragments after the first. */
function optionsFragment(b: Uint8Array, p: number, hl: number): void {
  let i = p + IPV4_HLEN;
  const end = p + hl;
  while (i < end) {
    const t = b[i]!;
    if (t === IPOPT_END) break;
    if (t === IPOPT_NOOP) {
      i++;
      continue;
    }
    const l = b[i + 1] ?? 0;
    if (l < 2 || i + l > end) break;
    if (!(t & IPOPT_COPY)) b.fill(IPOPT_NOOP, i, i + l);
    i += l;
  }
}

export { RouteType };
export type { Ipv4Route };

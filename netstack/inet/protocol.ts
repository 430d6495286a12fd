/**
 * The contract between IPv4 and the transport protocols (Linux's struct net_protocol and the ip_queue_xmit
 * interface). IPv4 addresses are unsigned 32-bit numbers in host order (0xc0a80001 = 192.168.0.1) everywhere in
 * the stack: comparisons and hashing stay integer operations.
 */
import type { SkBuff } from '../core/skb.ts';
import type { NetDevice } from '../core/netdevice.ts';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/**
 * What ip_local_deliver knows about a datagram when it hands the payload to a transport protocol. Borrowed: IPv4
 * reuses one object for every datagram, so a protocol copies the fields it keeps beyond rcv().
 */
export interface Ipv4RxMeta {
  src: number;
  dst: number;
  protocol: number;
  tos: number;
  ttl: number;
  /** Total length of the transport payload (skb.len at delivery). */
  length: number;
  dev: NetDevice;
  /** Destination was a broadcast or multicast address. */
  broadcast: boolean;
}

/** An ICMP error about a datagram this host sent, delivered to the protocol that sent it (err_handler). */
export interface IcmpErrorInfo {
  type: number;
  code: number;
  /** Next-hop MTU for "fragmentation needed" (type 3 code 4), else 0. */
  mtu: number;
  /** Addresses of the offending datagram (src = this host). */
  src: number;
  dst: number;
  protocol: number;
  /** The quoted transport header bytes (at least 8 when present). */
  quoted: Uint8Array;
  /** Host that reported the error. */
  reporter: number;
}

export interface InetProtocol {
  readonly protocol: number;
  /** Consumes skb; skb.data is at the transport header, skb.transportHeader set. */
  rcv(skb: SkBuff, meta: Ipv4RxMeta): void;
  errHandler?(info: IcmpErrorInfo): void;
}

/** Options for sending a transport payload through IPv4. */
export interface Ipv4TxOptions {
  src: number;
  dst: number;
  protocol: number;
  tos?: number;
  ttl?: number;
  /** Set Don't Fragment (TCP with PMTU discovery). */
  df?: boolean;
  /** Bind the output to a device (SO_BINDTODEVICE / broadcast on an interface). */
  dev?: NetDevice;
}

export interface RouteResult {
  dev: NetDevice;
  /** Preferred source address on dev. */
  src: number;
  /** Next hop: the gateway, or dst itself for a connected route. */
  nextHop: number;
  mtu: number;
}

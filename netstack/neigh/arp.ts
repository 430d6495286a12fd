/**
 * ARP (RFC 826, after Linux net/ipv4/arp.c): arp_rcv / arp_process, replies for our addresses, probes for the
 * neighbour cache, gratuitous ARP when an address is added. Behaviour follows Linux's defaults: arp_ignore 0
 * (answer for any local address), arp_accept 0 (unsolicited ARP updates existing entries but creates none),
 * RFC 5227 probes (sender 0.0.0.0) answered.
 *
 * Malformed packets are dropped and counted before anything else looks at them, including packets addressed to
 * another host (Linux ignores those first; counting them too costs nothing and shows odd traffic).
 */
import { XmitResult, type NetCore, type NetDevice } from '../core/netdevice.ts';
import { PacketType, SkBuff } from '../core/skb.ts';
import type { Clock } from '../core/clock.ts';
import type { Prng } from '../core/prng.ts';
import { logger } from '../core/log.ts';
import { formatIpv4, formatMac, isBroadcastMac, isLoopback, isMulticast, macEqual } from '../inet/addr.ts';
import { readU32, writeU16, writeU32 } from '../inet/bytes.ts';
import { ENOBUFS } from '../inet/errno.ts';
import type { Ethernet } from '../ethernet/ethernet.ts';
import { ETH_P_ARP, ETH_P_IP } from '../ethernet/header.ts';
import {
  ARP_ETH_IP_LEN,
  ARP_FIXED_LEN,
  ARPHRD_ETHER,
  ARPHRD_IEEE802,
  ARPOP_REPLY,
  ARPOP_REQUEST,
} from './arp-header.ts';
import { NeighTable, type NeighParams, type Neighbour, Nud } from './neighbour.ts';

const log = logger('arp');

/** What ARP needs to know about this host's IPv4 addresses. */
export interface InetAddrView {
  /** A local address of this host (any device). */
  isLocal(addr: number): boolean;
  /** inet_select_addr: the address to use as source on `dev`, preferring one on the subnet of `near`; 0 if none. */
  selectAddr(dev: NetDevice, near: number): number;
}

export interface ArpStats {
  rxRequests: number;
  rxReplies: number;
  /** Shorter than the fixed part or than the addresses it announces. */
  rxTruncated: number;
  /** Hardware address length is not the device's (6). */
  rxBadHln: number;
  /** Protocol address length is not 4. */
  rxBadPln: number;
  /** Hardware type is not Ethernet (1) or IEEE 802 (6). */
  rxBadHrd: number;
  /** Protocol type is not IPv4. */
  rxBadPro: number;
  /** Operation is neither request nor reply. */
  rxBadOp: number;
  /** Target loopback or multicast, or a multicast sender hardware address. */
  rxBadAddr: number;
  /** Well-formed but not for this host (another host's unicast MAC, a request for another address...). */
  rxIgnored: number;
  /** Gratuitous ARP seen (sender IP = target IP, or a reply to broadcast). */
  rxGratuitous: number;
  /** Someone else claims one of our addresses. */
  rxAddrConflicts: number;
  txRequests: number;
  txReplies: number;
  txGratuitous: number;
}

export class Arp {
  readonly stats: ArpStats = {
    rxRequests: 0,
    rxReplies: 0,
    rxTruncated: 0,
    rxBadHln: 0,
    rxBadPln: 0,
    rxBadHrd: 0,
    rxBadPro: 0,
    rxBadOp: 0,
    rxBadAddr: 0,
    rxIgnored: 0,
    rxGratuitous: 0,
    rxAddrConflicts: 0,
    txRequests: 0,
    txReplies: 0,
    txGratuitous: 0,
  };
  readonly tbl: NeighTable;
  /** Where packets go whose neighbour could not be resolved (IPv4 turns them into "host unreachable"). */
  errorReport: ((skb: SkBuff) => void) | null = null;

  constructor(
    core: NetCore,
    private readonly eth: Ethernet,
    private readonly addrs: InetAddrView,
    private readonly clock: Clock,
    rng: Prng,
    params: Partial<NeighParams> = {},
  ) {
    this.tbl = new NeighTable(clock, rng, params);
    this.tbl.ops = {
      solicit: (n, unicastTo, hint) => this.solicit(n, unicastTo, hint),
      linkXmit: (skb, dev, ha) => this.linkXmit(skb, dev, ha),
      errorReport: (skb) => (this.errorReport ? this.errorReport(skb) : skb.drop()),
    };
    core.addProtocol(ETH_P_ARP, this.rcv);
  }

  /** Send an IPv4 packet (data at the IP header) to a resolved hardware address. */
  private linkXmit(skb: SkBuff, dev: NetDevice, ha: Uint8Array): number {
    this.eth.header(skb, dev, ETH_P_IP, ha);
    return dev.devQueueXmit(skb) === XmitResult.SUCCESS ? 0 : -ENOBUFS;
  }

  /** arp_solicit: a request for n.key, broadcast or unicast to the cached address (PROBE state). */
  private solicit(n: Neighbour, unicastTo: Buffer | null, hint: SkBuff | null): void {
    let saddr = 0;
    if (hint !== null && hint.len >= 20) {
      const s = readU32(hint.buf, hint.data + 12);
      if (this.addrs.isLocal(s)) saddr = s;
    }
    if (saddr === 0) saddr = this.addrs.selectAddr(n.dev, n.key);
    this.send(ARPOP_REQUEST, n.dev, saddr, n.key, unicastTo, null);
  }

  /** Announce `addr` on `dev` (gratuitous ARP request: sender = target = addr). */
  announce(dev: NetDevice, addr: number): void {
    this.stats.txGratuitous++;
    this.send(ARPOP_REQUEST, dev, addr, addr, null, null);
  }

  /**
   * arp_send: build and transmit an Ethernet/IPv4 ARP packet. `destHw` null = broadcast; `tha` null = zeros (a
   * request). The sender hardware address is the device's.
   */
  send(op: number, dev: NetDevice, sip: number, tip: number, destHw: Uint8Array | null, tha: Uint8Array | null): void {
    if (!dev.up) return;
    const skb = SkBuff.alloc(ARP_ETH_IP_LEN, 64);
    const p = skb.put(ARP_ETH_IP_LEN);
    const b = skb.buf;
    writeU16(b, p, ARPHRD_ETHER);
    writeU16(b, p + 2, ETH_P_IP);
    b[p + 4] = 6;
    b[p + 5] = 4;
    writeU16(b, p + 6, op);
    b.set(dev.addr.subarray(0, 6), p + 8);
    writeU32(b, p + 14, sip);
    if (tha) b.set(tha.subarray(0, 6), p + 18);
    else b.fill(0, p + 18, p + 24);
    writeU32(b, p + 24, tip);
    skb.resetNetworkHeader();
    if (op === ARPOP_REQUEST) this.stats.txRequests++;
    else this.stats.txReplies++;
    if (log.enabled) {
      log('%s: tx %s %s -> %s', dev.name, op === ARPOP_REQUEST ? 'who-has' : 'is-at', formatIpv4(sip), formatIpv4(tip));
    }
    this.eth.header(skb, dev, ETH_P_ARP, destHw ?? dev.broadcast);
    dev.devQueueXmit(skb);
  }

  /** arp_rcv + arp_process. Consumes skb (data at the ARP header). */
  readonly rcv = (skb: SkBuff, dev: NetDevice): void => {
    const st = this.stats;
    const len = skb.len;
    const b = skb.buf;
    const d = skb.data;
    if (len < ARP_FIXED_LEN) {
      this.drop(skb, 'rxTruncated');
      return;
    }
    if (b[d + 4] !== dev.addr.length) {
      this.drop(skb, 'rxBadHln');
      return;
    }
    if (b[d + 5] !== 4) {
      this.drop(skb, 'rxBadPln');
      return;
    }
    if (len < ARP_ETH_IP_LEN) {
      this.drop(skb, 'rxTruncated');
      return;
    }
    const hrd = (b[d]! << 8) | b[d + 1]!;
    if (hrd !== ARPHRD_ETHER && hrd !== ARPHRD_IEEE802) {
      this.drop(skb, 'rxBadHrd');
      return;
    }
    if (((b[d + 2]! << 8) | b[d + 3]!) !== ETH_P_IP) {
      this.drop(skb, 'rxBadPro');
      return;
    }
    const op = (b[d + 6]! << 8) | b[d + 7]!;
    if (op !== ARPOP_REQUEST && op !== ARPOP_REPLY) {
      this.drop(skb, 'rxBadOp');
      return;
    }
    const shaOff = d + 8;
    const sip = readU32(b, d + 14);
    const thaOff = d + 18;
    const tip = readU32(b, d + 24);
    // Linux drops multicast and loopback targets; GUESS: a group sender hardware address is just as bogus.
    if (isMulticast(tip) || isLoopback(tip) || b[shaOff]! & 1) {
      this.drop(skb, 'rxBadAddr');
      return;
    }
    if (op === ARPOP_REQUEST) st.rxRequests++;
    else st.rxReplies++;
    // GUESS: a packet with our own sender address is our own looped back by the medium: ignored.
    if (skb.pktType === PacketType.OTHERHOST || macEqual(b, shaOff, dev.addr)) {
      st.rxIgnored++;
      skb.free();
      return;
    }
    const sha = b.subarray(shaOff, shaOff + 6);
    if (log.enabled) {
      log(
        '%s: rx %s %s (%s) -> %s',
        dev.name,
        op === 1 ? 'who-has' : 'is-at',
        formatIpv4(sip),
        formatMac(sha),
        formatIpv4(tip),
      );
    }
    // RFC 5227 probe: sender 0.0.0.0 asks whether tip is in use.
    if (sip === 0) {
      if (op === ARPOP_REQUEST && this.addrs.isLocal(tip)) this.send(ARPOP_REPLY, dev, tip, 0, sha, sha);
      else st.rxIgnored++;
      skb.free();
      return;
    }
    if (this.addrs.isLocal(sip)) {
      st.rxAddrConflicts++;
      if (log.enabled) log('%s: %s claims our address %s', dev.name, formatMac(sha), formatIpv4(sip));
      skb.free();
      return;
    }
    const tbl = this.tbl;
    if (op === ARPOP_REQUEST && tip !== sip && this.addrs.isLocal(tip)) {
      // neigh_event_ns: whoever asks for us is a neighbour; then answer.
      const n = tbl.lookupCreate(dev, sip);
      if (n !== null) tbl.update(n, sha, Nud.STALE, true);
      this.send(ARPOP_REPLY, dev, tip, sip, sha, sha);
      skb.free();
      return;
    }
    const garp = sip === tip || (op === ARPOP_REPLY && isBroadcastMac(b, thaOff));
    if (garp) st.rxGratuitous++;
    const n = tbl.lookup(dev, sip);
    if (n !== null) {
      // Broadcast replies and requests do not prove reachability; the first reply wins within locktime.
      const state = op === ARPOP_REPLY && skb.pktType === PacketType.HOST ? Nud.REACHABLE : Nud.STALE;
      const override = garp || this.clock.now() >= n.updated + tbl.params.locktimeMs;
      tbl.update(n, sha, state, override);
    } else {
      st.rxIgnored++;
    }
    skb.free();
  };

  private drop(skb: SkBuff, counter: keyof ArpStats): void {
    this.stats[counter]++;
    if (log.enabled) log('dropped (%s), %d bytes', counter, skb.len);
    skb.drop();
  }
}

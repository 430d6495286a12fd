/**
 * ICMP (RFC 792, RFC 1122 3.2.2; after Linux net/ipv4/icmp.c and ping.c).
 *
 * icmp_rcv: checksum, echo replies (in place: the request's buffer becomes the reply), timestamp replies, errors
 * delivered to the protocol that sent the quoted datagram (IPv4 → errHandler → socket), echo replies to the ping
 * that is waiting for them. icmp_send: errors about received datagrams, never about an ICMP error, a non-first
 * fragment, a broadcast or multicast, or from a non-unicast source, and rate limited like Linux
 * (net.ipv4.icmp_ratelimit 1000 ms per destination with a burst of 6, icmp_ratemask 0x1818, and
 * icmp_msgs_per_sec 1000 / icmp_msgs_burst 50 for the whole host). Broadcast echo requests are ignored
 * (icmp_echo_ignore_broadcasts = 1).
 */
import type { Clock } from '../core/clock.ts';
import { csumFinish, csumFold, csumPartial, csumPartialDv, csumReplace16 } from '../core/checksum.ts';
import { ChecksumState, PacketType, SKB_DEFAULT_HEADROOM, SkBuff } from '../core/skb.ts';
import { logger } from '../core/log.ts';
import { formatIpv4, isLoopback, isMulticast, isZeronet } from '../inet/addr.ts';
import { copyOf, readU16, readU32, writeU16, writeU32 } from '../inet/bytes.ts';
import { IPPROTO_ICMP, type IcmpErrorInfo, type InetProtocol, type Ipv4RxMeta } from '../inet/protocol.ts';
import type { IcmpSender, Ipv4 } from '../ipv4/ipv4.ts';
import { IP_OFFSET, IPV4_HLEN } from '../ipv4/header.ts';
import {
  ICMP_ADDRESS,
  ICMP_ADDRESSREPLY,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_FRAG_NEEDED,
  ICMP_HLEN,
  ICMP_PARAMETERPROB,
  ICMP_SOURCE_QUENCH,
  ICMP_TIME_EXCEEDED,
  ICMP_TIMESTAMP,
  ICMP_TIMESTAMPREPLY,
  NR_ICMP_TYPES,
  icmpIsError,
} from './header.ts';

const log = logger('icmp');

/** The /proc/net/snmp "Icmp:" counters kept directly (the per-type ones are derived from IcmpMsg). */
export interface IcmpMib {
  InMsgs: number;
  InErrors: number;
  InCsumErrors: number;
  OutMsgs: number;
  OutErrors: number;
  OutRateLimitGlobal: number;
  OutRateLimitHost: number;
}

/** Per-type column names of the Icmp: line, in /proc/net/snmp order. */
const ICMP_TYPE_COLUMNS: Array<[string, number]> = [
  ['DestUnreachs', 3],
  ['TimeExcds', 11],
  ['ParmProbs', 12],
  ['SrcQuenchs', 4],
  ['Redirects', 5],
  ['Echos', 8],
  ['EchoReps', 0],
  ['Timestamps', 13],
  ['TimestampReps', 14],
  ['AddrMasks', 17],
  ['AddrMaskReps', 18],
];

/** Something waiting for echo replies with a given identifier (a ping socket). */
export interface EchoListener {
  onEchoReply(seq: number, meta: Ipv4RxMeta, payloadLen: number): void;
  onError(info: IcmpErrorInfo, seq: number): void;
}

interface RateBucket {
  tokens: number;
  last: number;
}

export class Icmp implements InetProtocol, IcmpSender {
  readonly protocol = IPPROTO_ICMP;
  readonly mib: IcmpMib = {
    InMsgs: 0,
    InErrors: 0,
    InCsumErrors: 0,
    OutMsgs: 0,
    OutErrors: 0,
    OutRateLimitGlobal: 0,
    OutRateLimitHost: 0,
  };
  /** IcmpMsg: messages received / sent per type. */
  readonly inType = new Array<number>(256).fill(0);
  readonly outType = new Array<number>(256).fill(0);
  /** net.ipv4.icmp_echo_ignore_broadcasts */
  echoIgnoreBroadcasts = true;
  /** net.ipv4.icmp_echo_ignore_all */
  echoIgnoreAll = false;
  /** net.ipv4.icmp_ratelimit (ms; 0 disables the per-destination limit). */
  ratelimitMs = 1000;
  /** net.ipv4.icmp_ratemask: types subject to rate limiting (dest unreachable, source quench, time exceeded, param problem). */
  ratemask = 0x1818;
  /** net.ipv4.icmp_msgs_per_sec and icmp_msgs_burst (0 disables the global limit). */
  msgsPerSec = 1000;
  msgsBurst = 50;
  private peers = new Map<number, RateBucket>();
  private globalTokens: number;
  private globalLast = 0;
  private echoListeners = new Map<number, EchoListener>();
  private nextEchoId: number;

  constructor(
    private readonly ipv4: Ipv4,
    private readonly clock: Clock,
    firstEchoId: number,
  ) {
    this.globalTokens = this.msgsBurst;
    this.nextEchoId = firstEchoId & 0xffff;
    ipv4.addProtocol(this);
    ipv4.icmp = this;
  }

  /** Icmp: line as Linux prints it (named per-type columns derived from IcmpMsg). */
  snmp(): Record<string, number> {
    const m = this.mib;
    const out: Record<string, number> = { InMsgs: m.InMsgs, InErrors: m.InErrors, InCsumErrors: m.InCsumErrors };
    for (const [n, t] of ICMP_TYPE_COLUMNS) out[`In${n}`] = this.inType[t]!;
    out.OutMsgs = m.OutMsgs;
    out.OutErrors = m.OutErrors;
    out.OutRateLimitGlobal = m.OutRateLimitGlobal;
    out.OutRateLimitHost = m.OutRateLimitHost;
    for (const [n, t] of ICMP_TYPE_COLUMNS) out[`Out${n}`] = this.outType[t]!;
    return out;
  }

  /** IcmpMsg: line (only the types seen, as Linux prints). */
  snmpMsg(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let t = 0; t < 256; t++) if (this.inType[t]) out[`InType${t}`] = this.inType[t]!;
    for (let t = 0; t < 256; t++) if (this.outType[t]) out[`OutType${t}`] = this.outType[t]!;
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Receive

  /** icmp_rcv. Consumes skb (data at the ICMP header). */
  rcv(skb: SkBuff, meta: Ipv4RxMeta): void {
    const mib = this.mib;
    mib.InMsgs++;
    const len = skb.len;
    const b = skb.buf;
    const d = skb.data;
    if (skb.ipSummed === ChecksumState.NONE && csumFold(csumPartialDv(skb.dv, d, len)) !== 0xffff) {
      mib.InCsumErrors++;
      this.error(skb);
      return;
    }
    if (len < ICMP_HLEN) {
      this.error(skb);
      return;
    }
    const type = b[d]!;
    this.inType[type]!++;
    if (type > NR_ICMP_TYPES) {
      // RFC 1122 3.2.2: unknown types are discarded
      this.error(skb);
      return;
    }
    if (meta.broadcast) {
      // RFC 1122 3.2.2.6 / 3.2.2.8: echo and timestamp to a broadcast may be ignored; errors to one are bogus.
      if ((type === ICMP_ECHO || type === ICMP_TIMESTAMP) && this.echoIgnoreBroadcasts) {
        this.error(skb);
        return;
      }
      if (type !== ICMP_ECHO && type !== ICMP_TIMESTAMP && type !== ICMP_ADDRESS && type !== ICMP_ADDRESSREPLY) {
        this.error(skb);
        return;
      }
    }
    switch (type) {
      case ICMP_ECHO:
        this.echo(skb, meta);
        return;
      case ICMP_ECHOREPLY:
        this.echoReply(skb, meta);
        return;
      case ICMP_TIMESTAMP:
        this.timestamp(skb, meta);
        return;
      case ICMP_DEST_UNREACH:
      case ICMP_SOURCE_QUENCH:
      case ICMP_TIME_EXCEEDED:
      case ICMP_PARAMETERPROB:
        this.unreach(skb, meta, type);
        return;
      default:
        // Redirects (hosts that do not forward keep their routes), masks, info: discarded.
        skb.free();
    }
  }

  private error(skb: SkBuff): void {
    this.mib.InErrors++;
    skb.drop();
  }

  /** icmp_echo: turn the request into the reply in place. */
  private echo(skb: SkBuff, meta: Ipv4RxMeta): void {
    if (this.echoIgnoreAll) {
      skb.free();
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const old = (b[d]! << 8) | b[d + 1]!;
    b[d] = ICMP_ECHOREPLY;
    if (skb.ipSummed === ChecksumState.NONE) {
      writeU16(b, d + 2, csumReplace16(readU16(b, d + 2), old, (ICMP_ECHOREPLY << 8) | b[d + 1]!));
    } else {
      writeU16(b, d + 2, 0);
      writeU16(b, d + 2, csumFinish(csumPartial(b, d, skb.len)));
    }
    skb.ipSummed = ChecksumState.NONE;
    this.xmit(skb, meta.broadcast ? 0 : meta.dst, meta.src, meta.tos, ICMP_ECHOREPLY);
  }

  private echoReply(skb: SkBuff, meta: Ipv4RxMeta): void {
    const b = skb.buf;
    const d = skb.data;
    const l = this.echoListeners.get(readU16(b, d + 4));
    if (l !== undefined) l.onEchoReply(readU16(b, d + 6), meta, skb.len - ICMP_HLEN);
    skb.free();
  }

  /** icmp_timestamp: originate copied, receive = transmit = ms since midnight UT (RFC 792). */
  private timestamp(skb: SkBuff, meta: Ipv4RxMeta): void {
    if (skb.len < ICMP_HLEN + 12) {
      this.error(skb);
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const ms = Math.floor(this.clock.wallTime()) % 86_400_000;
    b[d] = ICMP_TIMESTAMPREPLY;
    writeU32(b, d + 12, ms);
    writeU32(b, d + 16, ms);
    skb.trim(ICMP_HLEN + 12);
    writeU16(b, d + 2, 0);
    writeU16(b, d + 2, csumFinish(csumPartial(b, d, skb.len)));
    skb.ipSummed = ChecksumState.NONE;
    this.xmit(skb, meta.broadcast ? 0 : meta.dst, meta.src, meta.tos, ICMP_TIMESTAMPREPLY);
  }

  /** icmp_unreach and friends: an error about something we sent; find who sent it. */
  private unreach(skb: SkBuff, meta: Ipv4RxMeta, type: number): void {
    const b = skb.buf;
    const d = skb.data;
    const len = skb.len;
    const q = d + ICMP_HLEN;
    if (len < ICMP_HLEN + IPV4_HLEN) {
      this.error(skb);
      return;
    }
    const qhl = (b[q]! & 0x0f) << 2;
    if (b[q]! >> 4 !== 4 || qhl < IPV4_HLEN) {
      this.error(skb);
      return;
    }
    // RFC 1122 3.2.2.1: errors about datagrams we sent to a broadcast address are bogus.
    const qdst = readU32(b, q + 16);
    if (this.ipv4.isBroadcast(qdst) || isMulticast(qdst)) {
      skb.free();
      return;
    }
    // 8 bytes of the original transport header are needed to find the sender (icmp_socket_deliver: InErrors).
    if (len < ICMP_HLEN + qhl + 8) {
      this.error(skb);
      return;
    }
    const code = b[d + 1]!;
    const info: IcmpErrorInfo = {
      type,
      code,
      mtu: type === ICMP_DEST_UNREACH && code === ICMP_FRAG_NEEDED ? readU16(b, d + 6) : 0,
      src: readU32(b, q + 12),
      dst: qdst,
      protocol: b[q + 9]!,
      quoted: copyOf(b, q + qhl, d + len),
      reporter: meta.src,
    };
    if (log.enabled) {
      log(
        'error type %d code %d from %s about %s -> %s',
        type,
        code,
        formatIpv4(meta.src),
        formatIpv4(info.src),
        formatIpv4(qdst),
      );
    }
    skb.free();
    this.ipv4.icmpErrorDeliver(info);
  }

  /** err_handler for IPPROTO_ICMP: errors about our echo requests go to the ping waiting on that id (ping_err). */
  errHandler(info: IcmpErrorInfo): void {
    const q = info.quoted;
    if (q.length < 8 || q[0] !== ICMP_ECHO) return;
    const l = this.echoListeners.get((q[4]! << 8) | q[5]!);
    l?.onError(info, (q[6]! << 8) | q[7]!);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Send

  private xmit(skb: SkBuff, src: number, dst: number, tos: number, type: number): number {
    this.mib.OutMsgs++;
    this.outType[type]!++;
    const rc = this.ipv4.queueXmit(skb, { src, dst, protocol: IPPROTO_ICMP, tos });
    if (rc < 0) this.mib.OutErrors++;
    return rc;
  }

  /**
   * icmp_send: report a problem with a received datagram to its sender. Borrows skbIn (networkHeader at its IP
   * header). Silently does nothing where RFC 1122 3.2.2 forbids an error, or when rate limited.
   */
  send(skbIn: SkBuff, type: number, code: number, info: number): void {
    const nh = skbIn.networkHeader;
    if (nh < 0 || skbIn.tail - nh < IPV4_HLEN) return;
    const b = skbIn.buf;
    const hl = (b[nh]! & 0x0f) << 2;
    if (hl < IPV4_HLEN || skbIn.tail - nh < hl) return;
    if (readU16(b, nh + 6) & IP_OFFSET) return; // only about the first fragment
    if (skbIn.pktType !== PacketType.HOST) return; // link-layer broadcast / multicast
    const src = readU32(b, nh + 12);
    const dst = readU32(b, nh + 16);
    if (src === 0 || isZeronet(src) || isMulticast(src) || this.ipv4.isBroadcast(src)) return;
    if (isMulticast(dst) || this.ipv4.isBroadcast(dst)) return;
    if (icmpIsError(type) && b[nh + 9] === IPPROTO_ICMP) {
      // Never an error about an error (only about queries).
      if (skbIn.tail - nh < hl + 1) return;
      const inner = b[nh + hl]!;
      if (inner > NR_ICMP_TYPES || icmpIsError(inner)) return;
    }
    if (!this.rateAllow(type, src)) return;
    // Quote as much of the datagram as fits in 576 bytes (RFC 1812 4.3.2.3, as Linux).
    const quoteLen = Math.min(skbIn.tail - nh, 576 - IPV4_HLEN - ICMP_HLEN);
    const skb = SkBuff.alloc(ICMP_HLEN + quoteLen, SKB_DEFAULT_HEADROOM, this.tailroomTo(src));
    const p = skb.put(ICMP_HLEN + quoteLen);
    const o = skb.buf;
    o[p] = type;
    o[p + 1] = code;
    writeU16(o, p + 2, 0);
    writeU32(o, p + 4, info >>> 0);
    b.copy(o, p + ICMP_HLEN, nh, nh + quoteLen);
    writeU16(o, p + 2, csumFinish(csumPartial(o, p, ICMP_HLEN + quoteLen)));
    skb.transportHeader = p;
    const tos = icmpIsError(type) ? (b[nh + 1]! & 0x1e) | 0xc0 : b[nh + 1]!;
    const from = this.ipv4.isLocal(dst) ? dst : 0;
    if (log.enabled) log('send type %d code %d to %s', type, code, formatIpv4(src));
    this.xmit(skb, from, src, tos, type);
  }

  /** Tailroom the device towards `dst` wants (a MIC for software CCMP), so that nothing is copied for it. */
  private tailroomTo(dst: number): number {
    return this.ipv4.routeOutput(dst)?.dev.neededTailroom ?? 0;
  }

  /** icmpv4_global_allow + icmpv4_xrlim_allow. */
  private rateAllow(type: number, dst: number): boolean {
    if (type > NR_ICMP_TYPES || !((1 << type) & this.ratemask)) return true;
    if (isLoopback(dst) || this.ipv4.isLocal(dst)) return true;
    const now = this.clock.now();
    if (this.msgsPerSec > 0) {
      this.globalTokens = Math.min(
        this.msgsBurst,
        this.globalTokens + ((now - this.globalLast) * this.msgsPerSec) / 1000,
      );
      this.globalLast = now;
      if (this.globalTokens < 1) {
        this.mib.OutRateLimitGlobal++;
        return false;
      }
    }
    if (this.ratelimitMs > 0) {
      let p = this.peers.get(dst);
      if (p === undefined) {
        if (this.peers.size >= 4096) this.peers.clear(); // GUESS: bound the table; Linux ages inet_peer entries
        p = { tokens: 6 * this.ratelimitMs, last: now };
        this.peers.set(dst, p);
      }
      let t = Math.min(p.tokens + (now - p.last), 6 * this.ratelimitMs);
      p.last = now;
      if (t < this.ratelimitMs) {
        p.tokens = t;
        this.mib.OutRateLimitHost++;
        return false;
      }
      t -= this.ratelimitMs;
      p.tokens = t;
    }
    if (this.msgsPerSec > 0) this.globalTokens -= 1;
    return true;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Echo requests (ping sockets)

  /** Reserve an echo identifier for `l` (like binding a ping socket). */
  bindEcho(l: EchoListener): number {
    for (let i = 0; i < 0x10000; i++) {
      const id = this.nextEchoId;
      this.nextEchoId = (this.nextEchoId + 1) & 0xffff;
      if (!this.echoListeners.has(id)) {
        this.echoListeners.set(id, l);
        return id;
      }
    }
    throw new Error('no free ICMP echo identifier');
  }

  unbindEcho(id: number): void {
    this.echoListeners.delete(id);
  }

  /**
   * Send an echo request with `size` bytes of data: an 8-byte time stamp (the clock, as a float64) when there is
   * room, then bytes counting up, as iputils ping does. Returns 0 or a negative errno.
   */
  sendEcho(
    dst: number,
    id: number,
    seq: number,
    size: number,
    opts: { src?: number; ttl?: number; tos?: number; df?: boolean } = {},
  ): number {
    const skb = SkBuff.alloc(ICMP_HLEN + size, SKB_DEFAULT_HEADROOM, this.tailroomTo(dst));
    const p = skb.put(ICMP_HLEN + size);
    const b = skb.buf;
    b[p] = ICMP_ECHO;
    b[p + 1] = 0;
    writeU16(b, p + 2, 0);
    writeU16(b, p + 4, id);
    writeU16(b, p + 6, seq);
    let i = 0;
    if (size >= 8) {
      skb.dv.setFloat64(p + ICMP_HLEN, this.clock.wallTime());
      i = 8;
    }
    for (; i < size; i++) b[p + ICMP_HLEN + i] = i & 0xff;
    writeU16(b, p + 2, csumFinish(csumPartial(b, p, ICMP_HLEN + size)));
    skb.transportHeader = p;
    this.mib.OutMsgs++;
    this.outType[ICMP_ECHO]!++;
    const rc = this.ipv4.queueXmit(skb, {
      src: opts.src ?? 0,
      dst,
      protocol: IPPROTO_ICMP,
      ttl: opts.ttl,
      tos: opts.tos,
      df: opts.df,
    });
    if (rc < 0) this.mib.OutErrors++;
    return rc;
  }
}

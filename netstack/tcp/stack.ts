/**
 * The TCP protocol instance of one stack (Linux's tcp_prot + tcp_v4_rcv / tcp_v4_err / tcp_v4_connect): it plugs
 * into IPv4 through the InetProtocol contract and depends on nothing else than the injected TcpEnv (clock,
 * randomness, output, route) — two of them can be wired together directly for tests.
 *
 * Owns the connection tables (established + TIME-WAIT by 4-tuple; listeners by port), ephemeral ports (RFC 6056
 * algorithm 3), ISNs (RFC 6528) and timestamp offsets, the counters, the stack-wide challenge-ACK limit, and the
 * delivery of owner events after each entry point (segment, ICMP error, timer, owner call).
 */
import { logger } from '../core/log.ts';
import { ChecksumState, type SkBuff } from '../core/skb.ts';
import {
  type IcmpErrorInfo,
  type InetProtocol,
  IPPROTO_TCP,
  type Ipv4RxMeta,
  type Ipv4TxOptions,
} from '../inet/protocol.ts';
import { HashKey, hsiphash3 } from './hash.ts';
import { TW_SYN, tcpRcvStateProcess } from './input.ts';
import { type TcpListenOptions, TcpListener } from './listen.ts';
import { TcpExtMib, TcpMib, mibSnapshot } from './mib.ts';
import { tcpConnectSend, tcpSendAck, tcpSendRaw, tcpSyncMss, tcpXmitRetransmitQueue } from './output.ts';
import { seqAdd, seqBetween } from './seq.ts';
import { TcpSock, type TcpSockOptions, TcpSocketError } from './sock.ts';
import { tcpDone } from './timers.ts';
import { SACKED_ACKED, SACKED_RETRANS, SEG_LOST } from './txqueue.ts';
import {
  CaState,
  DEFAULT_TCP_CONFIG,
  type TcpConfig,
  type TcpEnv,
  type TcpErrorCode,
  type TcpSockOwner,
  TcpState,
} from './types.ts';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_RST,
  TCP_SYN,
  TcpHeader,
  TcpOptionsOut,
  TcpParseStatus,
  parseTcpHeader,
  tcpChecksumOk,
} from './wire.ts';

const _log = logger('tcp');

export interface TcpConnectOptions extends TcpSockOptions {
  /** Remote address (host-order IPv4) and port. */
  addr: number;
  port: number;
  localAddr?: number;
  localPort?: number;
  owner?: TcpSockOwner;
}

/** ICMP destination-unreachable codes → errno (Linux's icmp_err_convert). */
const UNREACH_ERRORS: TcpErrorCode[] = [
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOPROTOOPT',
  'ECONNREFUSED',
  'EMSGSIZE',
  'EOPNOTSUPP',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENONET',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
  'EHOSTUNREACH',
];

export class TcpStack implements InetProtocol {
  readonly protocol = IPPROTO_TCP;
  readonly mib = new TcpMib();
  readonly ext = new TcpExtMib();
  readonly config: TcpConfig;
  /** Scratch option set for the segment being built (transmission is not re-entrant). */
  readonly optsOut = new TcpOptionsOut();
  readonly rawIpOpts: Ipv4TxOptions = { src: 0, dst: 0, protocol: IPPROTO_TCP, df: true };
  readonly scratchHeader = new TcpHeader();
  /** First transmissions hand the lower layers a view of the segment's buffer (off: always copy). */
  zeroCopyTx = true;
  readonly isnKey: HashKey;
  readonly tsKey: HashKey;
  readonly portKey: HashKey;
  readonly cookieKey: HashKey;
  /** ISN for a connection reopened from TIME-WAIT (set by the TIME-WAIT code for the next SYN). */
  reuseIsn: number | null = null;

  private readonly ehash = new Map<number, TcpSock>();
  private readonly lhash = new Map<number, TcpListener[]>();
  private readonly hdrPool: TcpHeader[] = [];
  private rcvDepth = 0;
  private depth = 0;
  private readonly evq: TcpSock[] = [];
  private readonly lq: TcpListener[] = [];
  private challengeSecond = -1;
  private challengeCount = 0;
  private portHint = 0;
  /** Connections in the tables (all states but CLOSED and LISTEN). */
  connectionCount = 0;

  constructor(
    readonly env: TcpEnv,
    config: Partial<TcpConfig> = {},
  ) {
    this.config = { ...DEFAULT_TCP_CONFIG, ...config };
    checkConfig(this.config);
    const rng = env.rng;
    this.isnKey = HashKey.random(rng);
    this.tsKey = HashKey.random(rng);
    this.portKey = HashKey.random(rng);
    this.cookieKey = HashKey.random(rng);
    this.mib.RtoMin = this.config.rtoMinMs;
    this.mib.RtoMax = this.config.rtoMaxMs;
  }

  // --- owner API ----------------------------------------------------------------------------------------------

  /** Active open (connect): sends the SYN and returns the connection in SYN-SENT. */
  connect(opts: TcpConnectOptions): TcpSock {
    checkPort(opts.port, 'port', false);
    if (opts.localPort !== undefined) checkPort(opts.localPort, 'localPort', true);
    const route = this.env.route(opts.addr, opts.localAddr);
    if (route === null) throw new TcpSocketError('ENETUNREACH', `no route to ${ipStr(opts.addr)}`);
    const saddr = opts.localAddr ?? route.src;
    if (opts.localAddr !== undefined && this.env.isLocalAddr && !this.env.isLocalAddr(saddr)) {
      throw new TcpSocketError('EADDRNOTAVAIL', `${ipStr(saddr)} is not a local address`);
    }
    let sport = opts.localPort ?? 0;
    if (sport !== 0) {
      if (this.lookupEstablished(saddr, sport, opts.addr, opts.port) !== null) {
        throw new TcpSocketError('EADDRINUSE', `${ipStr(saddr)}:${sport} -> ${ipStr(opts.addr)}:${opts.port} in use`);
      }
    } else {
      sport = this.allocPort(saddr, opts.addr, opts.port);
    }
    this.enter();
    const sk = this.newSock(opts);
    sk.owner = opts.owner ?? null;
    sk.active = true;
    sk.saddr = saddr;
    sk.sport = sport;
    sk.daddr = opts.addr;
    sk.dport = opts.port;
    sk.ipOpts.src = saddr;
    sk.ipOpts.dst = opts.addr;
    sk.csumOffload = route.dev?.features.txCsumOffload ?? false;
    sk.pmtu = route.mtu;
    sk.advMss = Math.min(route.mtu - 40, sk.userMss || 65535);
    sk.mssClamp = sk.advMss;
    tcpSyncMss(sk, route.mtu);
    sk.rcvWscale = sk.wscaleOk ? this.rcvWscale() : 0;
    sk.rcvWnd = Math.min(sk.rcvbuf, 65535);
    sk.tsOffset = this.tsOffset(saddr, opts.addr);
    sk.iss = this.isn(saddr, opts.addr, sport, opts.port);
    sk.sndUna = sk.iss;
    sk.sndNxt = sk.iss;
    sk.writeSeq = sk.iss;
    sk.sndSml = sk.iss;
    sk.state = TcpState.SYN_SENT;
    this.hash(sk);
    this.mib.ActiveOpens++;
    tcpConnectSend(sk);
    this.leave();
    return sk;
  }

  /** Passive open: a listening socket on `port` (0 = an ephemeral port). */
  listen(opts: TcpListenOptions): TcpListener {
    const addr = opts.addr ?? 0;
    let port = opts.port;
    checkPort(port, 'port', true);
    if (addr !== 0 && this.env.isLocalAddr && !this.env.isLocalAddr(addr)) {
      throw new TcpSocketError('EADDRNOTAVAIL', `${ipStr(addr)} is not a local address`);
    }
    if (port === 0) port = this.allocPort(addr, 0, 0);
    const list = this.lhash.get(port) ?? [];
    for (const l of list) {
      if (l.saddr === addr || l.saddr === 0 || addr === 0) {
        throw new TcpSocketError('EADDRINUSE', `port ${port} is already listened on`);
      }
    }
    const l = new TcpListener(this, addr, port, opts.backlog ?? 511, opts);
    list.push(l);
    this.lhash.set(port, list);
    return l;
  }

  /** Every connection in the tables (for diagnostics, like `ss`). */
  connections(): TcpSock[] {
    const out: TcpSock[] = [];
    for (const sk of this.ehash.values()) {
      for (let s: TcpSock | null = sk; s !== null; s = s.hashNext) out.push(s);
    }
    return out;
  }

  /** Counters as plain objects: { Tcp: /proc/net/snmp, TcpExt: /proc/net/netstat }. */
  counters(): { Tcp: Record<string, number>; TcpExt: Record<string, number> } {
    return { Tcp: mibSnapshot(this.mib), TcpExt: mibSnapshot(this.ext) };
  }

  // --- InetProtocol -------------------------------------------------------------------------------------------

  /** tcp_v4_rcv: skb.data at the TCP header; takes ownership. */
  rcv(skb: SkBuff, meta: Ipv4RxMeta): void {
    const mib = this.mib;
    mib.InSegs++;
    if (meta.broadcast) {
      skb.drop();
      return;
    }
    const buf = skb.buf;
    const off = skb.data;
    const len = skb.len;
    if (skb.ipSummed === ChecksumState.NONE && !tcpChecksumOk(buf, off, len, meta.src, meta.dst)) {
      mib.InCsumErrors++;
      mib.InErrs++;
      skb.drop();
      return;
    }
    const depth = this.rcvDepth;
    let th = this.hdrPool[depth];
    if (th === undefined) th = this.hdrPool[depth] = new TcpHeader();
    const st = parseTcpHeader(buf, off, len, th);
    if (st !== TcpParseStatus.OK) {
      mib.InErrs++;
      if (st === TcpParseStatus.BAD_OPTION) this.ext.TCPOptionErrors++;
      skb.drop();
      return;
    }
    skb.transportHeader = off;
    skb.pull(th.hlen);
    this.rcvDepth++;
    this.enter();
    try {
      const sk = this.lookupEstablished(meta.dst, th.dport, meta.src, th.sport);
      if (sk !== null) {
        if (tcpRcvStateProcess(sk, skb, th) === TW_SYN) this.toListener(skb, th, meta.dst, meta.src);
      } else {
        this.toListener(skb, th, meta.dst, meta.src);
      }
    } finally {
      this.rcvDepth--;
      this.leave();
    }
  }

  private toListener(skb: SkBuff, th: TcpHeader, daddr: number, saddr: number): void {
    const l = this.lookupListener(daddr, th.dport);
    if (l !== null) {
      l.rcv(skb, th, daddr, saddr);
      return;
    }
    this.reuseIsn = null;
    if ((th.flags & TCP_RST) === 0) this.sendResetFor(th, daddr, saddr, skb.len);
    skb.free();
  }

  /** tcp_v4_err: an ICMP error about a segment we sent (RFC 5927 checks, RFC 1122 soft/hard errors, PMTUD). */
  errHandler(info: IcmpErrorInfo): void {
    const q = info.quoted;
    if (info.protocol !== IPPROTO_TCP || q.length < 8) return;
    const sport = (q[0]! << 8) | q[1]!;
    const dport = (q[2]! << 8) | q[3]!;
    const seq = ((q[4]! << 24) | (q[5]! << 16) | (q[6]! << 8) | q[7]!) >>> 0;
    const sk = this.lookupEstablished(info.src, sport, info.dst, dport);
    if (sk === null || sk.state === TcpState.TIME_WAIT || sk.state === TcpState.CLOSE) return;
    // RFC 5927 §4.1: the quoted sequence number must be one we have outstanding.
    if (!seqBetween(seq, sk.sndUna, sk.sndNxt)) return;
    this.enter();
    let err: TcpErrorCode | null = null;
    if (info.type === 3) {
      if (info.code === 4) {
        if (info.mtu > 0) this.mtuReduced(sk, info.mtu);
      } else if (info.code < UNREACH_ERRORS.length) {
        err = UNREACH_ERRORS[info.code]!;
      }
    } else if (info.type === 11) {
      err = 'EHOSTUNREACH';
    } else if (info.type === 12) {
      err = 'EPROTO';
    }
    if (err !== null) {
      this.ext.TCPIcmpErrors++;
      if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) {
        // Linux aborts a connection attempt on any of these; established connections only note a soft error
        // (RFC 1122 §4.2.3.9, RFC 5461) reported if the connection later times out.
        sk.error = err;
        tcpDone(sk);
      } else {
        sk.errSoft = err;
      }
    }
    this.leave();
  }

  /** ICMP fragmentation needed (tcp_v4_mtu_reduced + tcp_simple_retransmit): smaller MSS, resend what is too big. */
  private mtuReduced(sk: TcpSock, mtu: number): void {
    mtu = Math.max(mtu, 68);
    if (mtu >= sk.pmtu) return;
    this.ext.TCPIcmpErrors++;
    this.ext.TCPPmtuReductions++;
    const mss = tcpSyncMss(sk, mtu);
    const tx = sk.tx;
    const prior = sk.lostOut;
    for (let i = tx.head; i < tx.sendHead; i++) {
      const seg = tx.segs[i]!;
      if (seg.len <= mss || seg.sacked & SACKED_ACKED) continue;
      if (seg.sacked & SACKED_RETRANS) {
        seg.sacked &= ~SACKED_RETRANS;
        sk.retransOut--;
      }
      if ((seg.sacked & SEG_LOST) === 0) {
        seg.sacked |= SEG_LOST;
        if (sk.lostOut++ === 0 || seqBetween(sk.lostEnd, sk.sndUna, seg.end)) sk.lostEnd = seg.end;
        tx.tsUnlink(seg);
      }
      if (seqBetween(sk.retransHint, seg.end, sk.sndNxt)) sk.retransHint = seg.seq;
    }
    if (sk.lostOut === prior) return;
    if (sk.caState !== CaState.LOSS) {
      // Not congestion: keep the window (tcp_non_congestion_loss_retransmit).
      sk.highSeq = sk.sndNxt;
      sk.undoActive = false;
      sk.caState = CaState.LOSS;
    }
    tcpXmitRetransmitQueue(sk);
  }

  // --- internals used by the other TCP modules ----------------------------------------------------------------

  newSock(opts: TcpSockOptions): TcpSock {
    const sk = new TcpSock(this, opts);
    sk.tsOk = this.config.timestamps;
    sk.sackOk = this.config.sack;
    sk.wscaleOk = this.config.windowScaling;
    return sk;
  }

  /** Window-scale shift we offer: enough for the largest receive buffer (RFC 7323 §2.3). */
  rcvWscale(): number {
    if (!this.config.windowScaling) return 0;
    let s = 0;
    while (s < 14 && 65535 * 2 ** s < this.config.rcvBufMax) s++;
    return s;
  }

  /** RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
  isn(saddr: number, daddr: number, sport: number, dport: number): number {
    const f = hsiphash3(this.isnKey, saddr, daddr, ((sport << 16) | dport) >>> 0);
    return (f + Math.floor(this.env.clock.now() * 250)) >>> 0;
  }

  /** Per host-pair timestamp offset (RFC 7323 §5.4, Linux's secure_tcp_ts_off). */
  tsOffset(saddr: number, daddr: number): number {
    return hsiphash3(this.tsKey, saddr, daddr, 0);
  }

  /** The ISN a TIME-WAIT reopening asked for, once. */
  takeReuseIsn(): number | null {
    const v = this.reuseIsn;
    this.reuseIsn = null;
    return v;
  }

  /** Stack-wide challenge-ACK budget (tcp_challenge_ack_limit per second). */
  challengeAckAllowed(): boolean {
    const sec = Math.floor(this.env.clock.now() / 1000);
    if (sec !== this.challengeSecond) {
      this.challengeSecond = sec;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) return false;
    this.challengeCount++;
    return true;
  }

  /** RST in reply to a segment that has no connection (tcp_v4_send_reset, RFC 9293 §3.10.7.1). */
  sendResetFor(th: TcpHeader, localAddr: number, remoteAddr: number, payloadLen: number): void {
    const route = this.env.route(remoteAddr, localAddr);
    const offload = route?.dev?.features.txCsumOffload ?? false;
    if (th.flags & TCP_ACK) {
      tcpSendRaw(this, localAddr, remoteAddr, th.dport, th.sport, th.ack, 0, TCP_RST, 0, null, offload);
    } else {
      const ack = seqAdd(th.seq, payloadLen + (th.flags & TCP_SYN ? 1 : 0) + (th.flags & TCP_FIN ? 1 : 0));
      tcpSendRaw(this, localAddr, remoteAddr, th.dport, th.sport, 0, ack, TCP_RST | TCP_ACK, 0, null, offload);
    }
  }

  private key(lport: number, rport: number): number {
    return ((lport << 16) | rport) >>> 0;
  }

  lookupEstablished(laddr: number, lport: number, raddr: number, rport: number): TcpSock | null {
    for (let s = this.ehash.get(this.key(lport, rport)) ?? null; s !== null; s = s.hashNext) {
      if (s.saddr === laddr && s.daddr === raddr && s.sport === lport && s.dport === rport) return s;
    }
    return null;
  }

  lookupListener(laddr: number, lport: number): TcpListener | null {
    const list = this.lhash.get(lport);
    if (list === undefined) return null;
    let wild: TcpListener | null = null;
    for (const l of list) {
      if (l.saddr === laddr) return l;
      if (l.saddr === 0) wild = l;
    }
    return wild;
  }

  hash(sk: TcpSock): void {
    if (sk.hashed) return;
    const k = this.key(sk.sport, sk.dport);
    sk.hashNext = this.ehash.get(k) ?? null;
    this.ehash.set(k, sk);
    sk.hashed = true;
    this.connectionCount++;
  }

  unhash(sk: TcpSock): void {
    if (!sk.hashed) return;
    const k = this.key(sk.sport, sk.dport);
    let head = this.ehash.get(k) ?? null;
    if (head === sk) {
      if (sk.hashNext === null) this.ehash.delete(k);
      else this.ehash.set(k, sk.hashNext);
    } else {
      while (head !== null && head.hashNext !== sk) head = head.hashNext;
      if (head !== null) head.hashNext = sk.hashNext;
    }
    sk.hashNext = null;
    sk.hashed = false;
    this.connectionCount--;
  }

  unlisten(l: TcpListener): void {
    const list = this.lhash.get(l.sport);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.lhash.delete(l.sport);
  }

  /** RFC 6056 algorithm 3: a keyed-hash offset per destination plus a moving hint. */
  private allocPort(saddr: number, daddr: number, dport: number): number {
    const low = this.config.portLow;
    const n = this.config.portHigh - low + 1;
    const offset = hsiphash3(this.portKey, saddr, daddr, dport);
    for (let i = 0; i < n; i++) {
      const port = low + ((offset + this.portHint + i) % n);
      if (this.lhash.has(port)) continue;
      if (daddr !== 0 && this.lookupEstablished(saddr, port, daddr, dport) !== null) continue;
      if (daddr === 0 && this.portInUse(port)) continue;
      this.portHint += i + 1;
      return port;
    }
    throw new TcpSocketError('EADDRNOTAVAIL', 'no free ephemeral port');
  }

  private portInUse(port: number): boolean {
    for (const sk of this.ehash.values()) {
      for (let s: TcpSock | null = sk; s !== null; s = s.hashNext) if (s.sport === port) return true;
    }
    return false;
  }

  // --- entry points and owner events --------------------------------------------------------------------------

  enter(): void {
    this.depth++;
  }

  leave(): void {
    if (this.depth === 1 && (this.evq.length > 0 || this.lq.length > 0)) this.flushEvents();
    this.depth--;
  }

  private flushEvents(): void {
    let guard = 0;
    while (this.evq.length > 0 || this.lq.length > 0) {
      if (++guard > 1_000_000) throw new Error('tcp: event loop does not settle');
      const sk = this.evq.shift();
      if (sk !== undefined) {
        sk.inEventList = false;
        sk.flushEvents();
        continue;
      }
      const l = this.lq.shift()!;
      l.readyQueued = false;
      if (!l.closed && l.pending > 0) l.owner?.onAcceptReady?.();
    }
  }

  queueEvents(sk: TcpSock): void {
    sk.inEventList = true;
    this.evq.push(sk);
  }

  listenerReady(l: TcpListener): void {
    if (l.readyQueued) return;
    l.readyQueued = true;
    this.lq.push(l);
  }

  private readonly ackq: TcpSock[] = [];
  private ackFlushQueued = false;
  private readonly flushAcks = (): void => {
    this.ackFlushQueued = false;
    this.enter();
    const q = this.ackq;
    for (let i = 0; i < q.length; i++) {
      const sk = q[i]!;
      sk.ackDeferred = false;
      if (sk.ackPending && sk.state !== TcpState.CLOSE) tcpSendAck(sk);
    }
    q.length = 0;
    this.leave();
  };

  /** Send `sk`'s ACK after the current batch of received segments (clock.defer runs after this softirq round). */
  deferAck(sk: TcpSock): void {
    if (sk.ackDeferred) return;
    sk.ackDeferred = true;
    this.ackq.push(sk);
    if (!this.ackFlushQueued) {
      this.ackFlushQueued = true;
      this.env.clock.defer(this.flushAcks);
    }
  }

  timerEntry(sk: TcpSock, fn: (sk: TcpSock) => void): void {
    this.enter();
    try {
      fn(sk);
    } finally {
      this.leave();
    }
  }
}

function checkConfig(c: TcpConfig): void {
  const pos = (k: keyof TcpConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`TCP config ${k} must be a positive number, got ${String(v)}`);
    }
  };
  for (const k of [
    'timeWaitMs',
    'finTimeoutMs',
    'rtoMinMs',
    'rtoMaxMs',
    'rtoInitMs',
    'delAckMs',
    'rcvBuf',
    'rcvBufMax',
    'sndBuf',
    'sndBufMax',
    'maxSynBacklog',
    'somaxconn',
    'challengeAckLimit',
    'initCwnd',
    'keepIdleMs',
    'keepIntvlMs',
    'keepCnt',
  ] as const) {
    pos(k);
  }
  if (c.rtoMinMs > c.rtoMaxMs) throw new RangeError('TCP config rtoMinMs must not exceed rtoMaxMs');
  if (c.delAckMs > 500) throw new RangeError('TCP config delAckMs must be at most 500 ms (RFC 9293 §3.8.6.3)');
  if (c.portLow < 1 || c.portHigh > 65535 || c.portLow > c.portHigh) {
    throw new RangeError(`TCP config port range ${c.portLow}-${c.portHigh} is invalid`);
  }
  if (c.congestion !== 'cubic' && c.congestion !== 'reno') {
    throw new RangeError(`TCP config congestion '${String(c.congestion)}' is unknown (use 'cubic' or 'reno')`);
  }
}

function checkPort(p: number, what: string, zeroOk: boolean): void {
  if (!Number.isInteger(p) || p < (zeroOk ? 0 : 1) || p > 65535) {
    throw new TcpSocketError('EINVAL', `${what} ${p} is not a valid port (${zeroOk ? 0 : 1}..65535)`);
  }
}

function ipStr(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

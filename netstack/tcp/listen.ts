/**
 * Listening sockets (Linux's inet_connection_sock in LISTEN, request_sock and the accept queue): a SYN queue of
 * small request objects (the full connection is created by the handshake's last ACK), an accept queue bounded by
 * the backlog, Linux's overflow behaviour (SYN dropped when the accept queue is full; final ACK dropped and the
 * SYN-ACK retransmitted when it is still full), and SYN cookies when the SYN queue overflows.
 */
import type { Timer } from '../core/clock.ts';
import type { SkBuff } from '../core/skb.ts';
import { hsiphash3, hsiphash4 } from './hash.ts';
import { tcpApplySynOptions, tcpRcvStateProcess } from './input.ts';
import { tcpSendRaw } from './output.ts';
import { seqAdd, seqGt, seqLt } from './seq.ts';
import { EV_CLOSE, type TcpSock, type TcpSockOptions } from './sock.ts';
import type { TcpStack } from './stack.ts';
import { TxSeg } from './txqueue.ts';
import { type TcpListenerOwner, TcpState } from './types.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpHeader } from './wire.ts';

/** MSS values a SYN cookie can encode (3 bits), as Linux's msstab plus common tunnel sizes. */
const COOKIE_MSS = [536, 1200, 1300, 1380, 1440, 1460, 4312, 8960];
/** Cookie counter period (ms) and the largest accepted age in periods (Linux: 64 s and 2 periods). */
const COOKIE_PERIOD_MS = 64_000;
const COOKIE_MAX_AGE = 2;

/** A connection in the SYN queue (struct request_sock). */
export class TcpRequest {
  iss = 0;
  irs = 0;
  peerMss = 0;
  peerWscale = -1;
  sackOk = false;
  tsOk = false;
  tsRecent = 0;
  tsOffset = 0;
  rcvWscale = 0;
  retrans = 0;
  lastChallenge = -1e9;
  firstTx = 0;
  lastTx = 0;
  timer: Timer | null = null;

  constructor(
    readonly saddr: number,
    readonly sport: number,
    readonly daddr: number,
    readonly dport: number,
    readonly key: number,
  ) {}
}

export interface TcpListenOptions extends TcpSockOptions {
  port: number;
  /** Local address (0 = every address). */
  addr?: number;
  /** Accept-queue length (capped by somaxconn); also the SYN-queue length as in Linux. Default 511. */
  backlog?: number;
}

export class TcpListener {
  readonly state = TcpState.LISTEN;
  owner: TcpListenerOwner | null = null;
  readonly backlog: number;
  private readonly synq = new Map<number, TcpRequest>();
  private readonly acceptq: TcpSock[] = [];
  closed = false;
  /** Queued for an onAcceptReady call. */
  readyQueued = false;

  constructor(
    readonly stack: TcpStack,
    readonly saddr: number,
    readonly sport: number,
    backlog: number,
    readonly sockOptions: TcpSockOptions,
  ) {
    this.backlog = Math.max(1, Math.min(backlog, stack.config.somaxconn));
  }

  /** Connections waiting to be accepted. */
  get pending(): number {
    return this.acceptq.length;
  }

  /** Half-open connections in the SYN queue. */
  get synQueueLength(): number {
    return this.synq.size;
  }

  /** Take the next established connection, or null. `owner` receives its events from now on. */
  accept(owner: TcpSock['owner'] = null): TcpSock | null {
    const sk = this.acceptq.shift();
    if (sk === undefined) return null;
    sk.listener = null;
    sk.owner = owner;
    if (sk.state === TcpState.CLOSE) sk.wake(EV_CLOSE);
    return sk;
  }

  /** Stop listening: requests are dropped, connections not yet accepted are reset (inet_csk_listen_stop). */
  close(): void {
    if (this.closed) return;
    this.stack.enter();
    this.closed = true;
    this.stack.unlisten(this);
    for (const r of this.synq.values()) r.timer?.cancel();
    this.synq.clear();
    for (const sk of this.acceptq.splice(0)) {
      sk.listener = null;
      sk.abort();
    }
    this.stack.leave();
  }

  // --- called by the stack and by children -------------------------------------------------------------------

  /** A child completed its handshake: into the accept queue. */
  childEstablished(sk: TcpSock): void {
    this.acceptq.push(sk);
    this.stack.mib.PassiveOpens++;
    this.stack.listenerReady(this);
  }

  /** A segment for this listener (no established connection matched). Takes ownership of skb. */
  rcv(skb: SkBuff, th: TcpHeader, laddr: number, raddr: number): void {
    const stack = this.stack;
    const ext = stack.ext;
    const flags = th.flags;
    const key = raddr * 65536 + th.sport;
    if (flags & TCP_RST) {
      const req = this.synq.get(key);
      if (req !== undefined && req.daddr === raddr) {
        const rcvNxt = seqAdd(req.irs, 1);
        if (th.seq === rcvNxt) {
          // RFC 9293: a reset half-open connection from LISTEN goes back to LISTEN (drop the request).
          this.dropRequest(req);
          ext.EmbryonicRsts++;
        } else if (seqGt(th.seq, rcvNxt) && seqLt(th.seq, seqAdd(rcvNxt, Math.min(this.initialRcvWnd(), 65535)))) {
          // RFC 5961 §3.2: in window but not exact: a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>.
          this.challengeAck(req);
        }
      }
      skb.free();
      return;
    }
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_ACK) {
      const req = this.synq.get(key);
      if (req !== undefined && req.daddr === raddr) {
        this.requestAck(req, skb, th);
        return;
      }
      if (stack.config.syncookies && (flags & TCP_FIN) === 0 && this.cookieAck(skb, th, laddr, raddr)) return;
      // RFC 9293 §3.10.7.2: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>.
      stack.sendResetFor(th, laddr, raddr, skb.len);
      skb.free();
      return;
    }
    if ((flags & TCP_SYN) === 0 || (flags & TCP_ACK) !== 0) {
      if (flags & TCP_ACK) stack.sendResetFor(th, laddr, raddr, skb.len);
      skb.free();
      return;
    }
    // A SYN. SYN+FIN is a scan, not a connection: dropped as Linux does.
    skb.free();
    if (flags & TCP_FIN) return;
    const old = this.synq.get(key);
    if (old !== undefined && old.daddr === raddr) {
      if (old.irs === th.seq) this.sendSynAck(old);
      return;
    }
    if (this.acceptq.length >= this.backlog) {
      ext.ListenOverflows++;
      ext.ListenDrops++;
      return;
    }
    const isn = stack.takeReuseIsn();
    if (this.synq.size >= Math.min(this.backlog, stack.config.maxSynBacklog)) {
      if (stack.config.syncookies) {
        ext.TCPReqQFullDoCookies++;
        this.sendCookie(th, laddr, raddr);
      } else {
        ext.TCPReqQFullDrop++;
        ext.ListenDrops++;
      }
      return;
    }
    const req = new TcpRequest(laddr, this.sport, raddr, th.sport, key);
    this.fillRequest(req, th, isn);
    this.synq.set(key, req);
    req.timer = stack.env.clock.timer(() => this.requestTimer(req));
    this.sendSynAck(req);
    req.firstTx = req.lastTx;
    req.timer.mod(stack.config.rtoInitMs);
  }

  private fillRequest(req: TcpRequest, th: TcpHeader, isn: number | null): void {
    const stack = this.stack;
    const cfg = stack.config;
    req.irs = th.seq;
    req.iss = isn ?? stack.isn(req.saddr, req.daddr, req.sport, req.dport);
    req.peerMss = th.mss;
    req.peerWscale = cfg.windowScaling ? th.wscale : -1;
    req.sackOk = cfg.sack && th.sackOk;
    req.tsOk = cfg.timestamps && th.tsPresent;
    req.tsRecent = th.tsVal;
    req.tsOffset = stack.tsOffset(req.saddr, req.daddr);
    req.rcvWscale = req.peerWscale >= 0 ? stack.rcvWscale() : 0;
  }

  private sendSynAck(req: TcpRequest, tsVal?: number): void {
    req.lastTx = this.stack.env.clock.now();
    this.sendForRequest(req, req.iss, TCP_SYN | TCP_ACK, true, tsVal);
  }

  private challengeAck(req: TcpRequest): void {
    const stack = this.stack;
    const now = stack.env.clock.now();
    if (now - req.lastChallenge < stack.config.invalidRateLimitMs || !stack.challengeAckAllowed()) {
      stack.ext.TCPACKSkippedChallenge++;
      return;
    }
    req.lastChallenge = now;
    stack.ext.TCPChallengeACK++;
    this.sendForRequest(req, seqAdd(req.iss, 1), TCP_ACK, false);
  }

  /** A segment of a half-open connection: SYN options when `syn`, timestamps when negotiated. */
  private sendForRequest(req: TcpRequest, seq: number, flags: number, syn: boolean, tsVal?: number): void {
    const stack = this.stack;
    const route = stack.env.route(req.daddr, req.saddr);
    const o = stack.optsOut;
    o.clear();
    if (syn) {
      o.mss = this.advMss(route?.mtu ?? 576);
      if (req.peerWscale >= 0) o.wscale = req.rcvWscale;
      o.sackOk = req.sackOk;
    }
    if (req.tsOk) {
      o.ts = true;
      o.tsVal = tsVal ?? (Math.floor(stack.env.clock.now()) + req.tsOffset) >>> 0;
      o.tsEcr = req.tsRecent;
    }
    const window = Math.min(this.initialRcvWnd(), 65535);
    const offload = route?.dev?.features.txCsumOffload ?? false;
    tcpSendRaw(stack, req.saddr, req.daddr, req.sport, req.dport, seq, seqAdd(req.irs, 1), flags, window, o, offload);
  }

  private advMss(mtu: number): number {
    const user = this.sockOptions.maxSeg;
    return Math.min(mtu - 40, user ?? 65535);
  }

  private initialRcvWnd(): number {
    return this.sockOptions.rcvBuf ?? this.stack.config.rcvBuf;
  }

  private requestTimer(req: TcpRequest): void {
    const stack = this.stack;
    stack.enter();
    if (this.synq.get(req.key) === req) {
      if (req.retrans >= stack.config.synAckRetries) {
        this.dropRequest(req);
      } else {
        req.retrans++;
        stack.ext.TCPSynRetrans++;
        stack.mib.RetransSegs++;
        this.sendSynAck(req);
        req.timer!.mod(Math.min(stack.config.rtoInitMs * 2 ** req.retrans, stack.config.rtoMaxMs));
      }
    }
    stack.leave();
  }

  private dropRequest(req: TcpRequest): void {
    req.timer?.cancel();
    this.synq.delete(req.key);
    this.stack.mib.AttemptFails++;
  }

  /** The third segment of the handshake for a queued request (tcp_check_req). */
  private requestAck(req: TcpRequest, skb: SkBuff, th: TcpHeader): void {
    const stack = this.stack;
    const ext = stack.ext;
    if (th.ack !== seqAdd(req.iss, 1)) {
      stack.sendResetFor(th, req.saddr, req.daddr, skb.len);
      skb.free();
      return;
    }
    const rcvWnd = Math.min(this.initialRcvWnd(), 65535);
    if (seqLt(th.seq, seqAdd(req.irs, 1)) || seqGt(th.seq, seqAdd(req.irs, 1 + rcvWnd))) {
      skb.free();
      return;
    }
    if (req.tsOk && th.tsPresent && ((req.tsRecent - th.tsVal) | 0) > 0) {
      ext.PAWSEstab++;
      skb.free();
      return;
    }
    if (this.acceptq.length >= this.backlog) {
      // Linux: drop the ACK, keep the request; the SYN-ACK retransmission gives the peer another chance.
      ext.ListenOverflows++;
      ext.ListenDrops++;
      skb.free();
      return;
    }
    req.timer?.cancel();
    this.synq.delete(req.key);
    const child = this.createChild(req);
    const seg = child.tx.first()!;
    seg.txTime = req.lastTx;
    seg.firstTxTime = req.firstTx;
    if (req.retrans > 0) {
      seg.sacked |= 8;
      child.synRetries = req.retrans;
    }
    tcpRcvStateProcess(child, skb, th);
  }

  /** A full connection in SYN-RECEIVED from a request, with the SYN-ACK as its one outstanding segment. */
  private createChild(req: TcpRequest): TcpSock {
    const stack = this.stack;
    const sk = stack.newSock(this.sockOptions);
    const route = stack.env.route(req.daddr, req.saddr);
    sk.saddr = req.saddr;
    sk.sport = req.sport;
    sk.daddr = req.daddr;
    sk.dport = req.dport;
    sk.csumOffload = route?.dev?.features.txCsumOffload ?? false;
    sk.ipOpts.src = sk.saddr;
    sk.ipOpts.dst = sk.daddr;
    sk.pmtu = route?.mtu ?? 576;
    sk.advMss = this.advMss(sk.pmtu);
    if (this.sockOptions.maxSeg !== undefined) sk.userMss = this.sockOptions.maxSeg;
    sk.iss = req.iss;
    sk.sndUna = req.iss;
    sk.sndNxt = seqAdd(req.iss, 1);
    sk.writeSeq = sk.sndNxt;
    sk.irs = req.irs;
    sk.rcvNxt = seqAdd(req.irs, 1);
    sk.copiedSeq = sk.rcvNxt;
    sk.rcvWup = sk.rcvNxt;
    sk.tsOffset = req.tsOffset;
    sk.tsOk = req.tsOk;
    sk.sackOk = req.sackOk;
    sk.wscaleOk = req.peerWscale >= 0;
    sk.rcvWscale = req.rcvWscale;
    // The SYN-ACK's window is never scaled: that is the window the peer knows.
    sk.rcvWnd = Math.min(this.initialRcvWnd(), 65535);
    // Options as the SYN carried them (the SYN-ACK already committed us to these).
    const syn = stack.scratchHeader;
    syn.resetOptions();
    syn.mss = req.peerMss;
    syn.wscale = req.peerWscale;
    syn.sackOk = req.sackOk;
    syn.tsPresent = req.tsOk;
    syn.tsVal = req.tsRecent;
    tcpApplySynOptions(sk, syn);
    sk.sndWl1 = req.irs;
    sk.sndWl2 = req.iss;
    sk.sndWnd = 0;
    const seg = new TxSeg();
    seg.seq = req.iss;
    seg.end = sk.sndNxt;
    seg.flags = TCP_SYN;
    sk.tx.push(seg);
    sk.tx.sendHead = sk.tx.head + 1;
    sk.tx.tsAppend(seg);
    sk.packetsOut = 1;
    sk.listener = this;
    sk.state = TcpState.SYN_RECV;
    stack.hash(sk);
    return sk;
  }

  // --- SYN cookies (RFC 4987 §3.6; encoding our own, in Linux's spirit) --------------------------------------

  private cookieCount(): number {
    return Math.floor(this.stack.env.clock.now() / COOKIE_PERIOD_MS) & 0xff;
  }

  /** ISN = hash(tuple) + peer ISN + count·2^24 + (hash(tuple, count) + MSS index) mod 2^24. */
  private cookieIsn(laddr: number, raddr: number, dport: number, irs: number, mssIdx: number, count: number): number {
    const key = this.stack.cookieKey;
    const ports = ((this.sport << 16) | dport) >>> 0;
    const h1 = hsiphash3(key, laddr, raddr, ports);
    const h2 = hsiphash4(key, laddr, raddr, ports, count);
    return (h1 + irs + (count << 24) + ((h2 + mssIdx) & 0xffffff)) >>> 0;
  }

  private sendCookie(th: TcpHeader, laddr: number, raddr: number): void {
    const stack = this.stack;
    const route = stack.env.route(raddr, laddr);
    const mss = this.advMss(route?.mtu ?? 576);
    const peerMss = th.mss > 0 ? Math.min(th.mss, mss) : 536;
    let idx = 0;
    for (let i = COOKIE_MSS.length - 1; i >= 0; i--) {
      if (COOKIE_MSS[i]! <= peerMss) {
        idx = i;
        break;
      }
    }
    const req = new TcpRequest(laddr, this.sport, raddr, th.sport, 0);
    this.fillRequest(req, th, null);
    req.iss = this.cookieIsn(laddr, raddr, th.sport, th.seq, idx, this.cookieCount());
    req.peerMss = COOKIE_MSS[idx]!;
    let tsVal: number | undefined;
    if (req.tsOk) {
      // Options the cookie cannot hold travel in the low 6 bits of our TSval: wscale+1 (4 bits), SACK (1 bit).
      const now = (Math.floor(stack.env.clock.now()) + req.tsOffset) >>> 0;
      const bits = ((req.peerWscale >= 0 ? Math.min(req.peerWscale, 14) + 1 : 0) << 1) | (req.sackOk ? 1 : 0);
      tsVal = ((now & ~0x3f) | bits) >>> 0;
      if (seqGt(tsVal, now)) tsVal = (tsVal - 64) >>> 0;
    } else {
      // Without timestamps a cookie cannot carry window scaling or SACK (as Linux).
      req.peerWscale = -1;
      req.sackOk = false;
    }
    stack.ext.SyncookiesSent++;
    this.sendSynAck(req, tsVal);
  }

  /** An ACK with no request: is it the answer to a cookie? Creates the connection if so. */
  private cookieAck(skb: SkBuff, th: TcpHeader, laddr: number, raddr: number): boolean {
    const stack = this.stack;
    const ext = stack.ext;
    const cookie = (th.ack - 1) >>> 0;
    const irs = (th.seq - 1) >>> 0;
    const key = stack.cookieKey;
    const ports = ((this.sport << 16) | th.sport) >>> 0;
    const h1 = hsiphash3(key, laddr, raddr, ports);
    const v = (cookie - h1 - irs) >>> 0;
    const count = v >>> 24;
    const age = (this.cookieCount() - count) & 0xff;
    if (age > COOKIE_MAX_AGE) {
      ext.SyncookiesFailed++;
      return false;
    }
    const h2 = hsiphash4(key, laddr, raddr, ports, count);
    const idx = ((v & 0xffffff) - (h2 & 0xffffff)) & 0xffffff;
    if (idx >= COOKIE_MSS.length) {
      ext.SyncookiesFailed++;
      return false;
    }
    if (this.acceptq.length >= this.backlog) {
      ext.ListenOverflows++;
      ext.ListenDrops++;
      skb.free();
      return true;
    }
    ext.SyncookiesRecv++;
    const req = new TcpRequest(laddr, this.sport, raddr, th.sport, 0);
    req.irs = irs;
    req.iss = cookie;
    req.peerMss = COOKIE_MSS[idx]!;
    req.tsOffset = stack.tsOffset(laddr, raddr);
    req.tsOk = stack.config.timestamps && th.tsPresent && th.tsEcr !== 0;
    req.tsRecent = th.tsVal;
    if (req.tsOk) {
      const bits = th.tsEcr & 0x3f;
      req.sackOk = (bits & 1) !== 0 && stack.config.sack;
      const ws = (bits >> 1) - 1;
      req.peerWscale = ws >= 0 && stack.config.windowScaling ? ws : -1;
    }
    req.rcvWscale = req.peerWscale >= 0 ? stack.rcvWscale() : 0;
    req.firstTx = req.lastTx = stack.env.clock.now();
    const child = this.createChild(req);
    // No RTT sample from a cookie handshake: the SYN-ACK's time is unknown.
    child.tx.first()!.sacked |= 8;
    tcpRcvStateProcess(child, skb, th);
    return true;
  }
}

/**
 * A TCP connection (Linux's struct tcp_sock, its fields named the same way in camelCase) and the calls its owner
 * makes: send, recv, shutdown, close, options. Segment processing lives in input.ts, transmission in output.ts,
 * loss recovery in recovery.ts, timers in timers.ts; they all work on this object's public fields.
 *
 * Events to the owner are collected in `events` and delivered when the stack leaves its current entry point (a
 * received segment, a timer, or an owner's call), so owners may call back in from their handlers.
 */
import type { Timer } from '../core/clock.ts';
import type { Ipv4TxOptions } from '../inet/protocol.ts';
import type { CcSock, CongestionOps } from './cc/cong.ts';
import { Cubic } from './cc/cubic.ts';
import { Reno } from './cc/reno.ts';
import type { TcpExtMib } from './mib.ts';
import { tcpSendFin, tcpPushPending, tcpSendActiveReset, tcpCleanupRbuf, tcpSyncMss } from './output.ts';
import { RxQueue } from './rxqueue.ts';
import type { TcpListener } from './listen.ts';
import type { TcpStack } from './stack.ts';
import { onDelackTimer, onKeepaliveTimer, onRtxTimer, tcpDone, tcpKeepaliveReset } from './timers.ts';
import { TCP_HEADROOM, TxQueue, TxSeg, allocSegBuffer, copyInto } from './txqueue.ts';
import {
  CaState,
  type CongestionName,
  TCP_ERRNO,
  TCP_STATE_NAMES,
  type TcpErrorCode,
  type TcpSockOwner,
  TcpState,
} from './types.ts';

export const EV_CONNECTED = 1;
export const EV_READABLE = 2;
export const EV_WRITABLE = 4;
export const EV_ERROR = 8;
export const EV_CLOSE = 16;

/** What rtxTimer is armed for (Linux's ICSK_TIME_RETRANS / PROBE0 / LOSS_PROBE / REO_TIMEOUT). */
export enum RtxKind {
  NONE = 0,
  RETRANS = 1,
  PROBE0 = 2,
  LOSS_PROBE = 3,
  REO_TIMEOUT = 4,
}

/** A socket-level error with a Node-style code (thrown by the owner API for misuse after failure or shutdown). */
export class TcpSocketError extends Error {
  readonly errno: number;
  constructor(
    readonly code: TcpErrorCode,
    message?: string,
  ) {
    super(message ?? code);
    this.errno = -TCP_ERRNO[code];
  }
}

/** Per-connection settings an owner may give at connect/listen time or change later. */
export interface TcpSockOptions {
  noDelay?: boolean;
  keepAlive?: boolean;
  keepIdleMs?: number;
  keepIntvlMs?: number;
  keepCnt?: number;
  /** TCP_USER_TIMEOUT (ms, 0 = off). */
  userTimeoutMs?: number;
  congestion?: CongestionName;
  /** Fixed buffer sizes (turn auto-tuning off for that side), payload bytes. */
  rcvBuf?: number;
  sndBuf?: number;
  /** TCP_MAXSEG: cap on the MSS we announce and use. */
  maxSeg?: number;
}

/** Snapshot of connection state, in the spirit of Linux's struct tcp_info. */
export interface TcpInfo {
  state: string;
  caState: CaState;
  rtoMs: number;
  srttMs: number;
  rttvarMs: number;
  minRttMs: number;
  sndMss: number;
  rcvMss: number;
  cwnd: number;
  ssthresh: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  totalRetrans: number;
  backoff: number;
  sndWnd: number;
  rcvWnd: number;
  sndWscale: number;
  rcvWscale: number;
  timestamps: boolean;
  sack: boolean;
  reordering: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  sndBuf: number;
  rcvBuf: number;
  notsentBytes: number;
  congestion: string;
}

export class TcpSock implements CcSock {
  state: TcpState = TcpState.CLOSE;
  saddr = 0;
  sport = 0;
  daddr = 0;
  dport = 0;
  /** Next socket in the same established-table bucket. */
  hashNext: TcpSock | null = null;
  hashed = false;
  owner: TcpSockOwner | null = null;
  /** The listener this passive connection waits on until accepted. */
  listener: TcpListener | null = null;
  /** The owner has closed it: nobody reads; data arriving now resets the connection. */
  orphan = false;
  /** The connection was opened by connect() (vs accepted). */
  active = false;
  /** Pending owner events (EV_*), delivered by the stack. */
  events = 0;
  inEventList = false;

  // --- per-connection options ---------------------------------------------------------------------------------
  noDelay = false;
  cork = false;
  keepAlive = false;
  keepIdle: number;
  keepIntvl: number;
  keepCnt: number;
  userTimeout = 0;
  /** SO_LINGER with a zero timeout: close() sends RST. */
  lingerAbort = false;
  cc: CongestionOps;

  // --- send sequence space (RFC 9293 §3.3.1) ------------------------------------------------------------------
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Send window in bytes (already scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  /** Largest window the peer ever offered (RFC 9293 §3.8.6.2.1, RFC 5961 §5). */
  maxWindow = 0;
  /** Sequence number after the last byte queued by the user (FIN included once queued). */
  writeSeq = 0;
  /** End of the last small segment sent (Nagle, Minshall's variant as Linux). */
  sndSml = 0;

  // --- receive sequence space ---------------------------------------------------------------------------------
  irs = 0;
  rcvNxt = 0;
  /** Window last advertised, bytes, and rcv_nxt when it was (its right edge is rcvWup + rcvWnd). */
  rcvWnd = 0;
  rcvWup = 0;
  /** Next byte the user will read. */
  copiedSeq = 0;
  /** The peer's FIN was received (in order). */
  peerFin = false;

  // --- negotiated options -------------------------------------------------------------------------------------
  tsOk = false;
  sackOk = false;
  wscaleOk = false;
  sndWscale = 0;
  rcvWscale = 0;
  /** RFC 7323 TS.Recent and when it was stored (ms). */
  tsRecent = 0;
  tsRecentStamp = 0;
  /** Per-connection offset of our timestamp clock (RFC 7323 §5.4). */
  tsOffset = 0;
  /** MSS the peer announced (536 when absent, RFC 9293 §3.7.1). */
  mssClamp = 536;
  /** MSS we announce. */
  advMss = 536;
  /** Payload bytes per full-sized segment we send (path MTU, peer MSS and timestamp option accounted). */
  mssCache = 536;
  /** Path MTU in use. */
  pmtu = 576;
  /** Estimated size of the peer's full-sized segments (delayed-ACK decisions). */
  rcvMss = 536;
  userMss = 0;

  // --- congestion control and loss recovery --------------------------------------------------------------------
  cwnd: number;
  ssthresh = 0x7fffffff;
  cwndCnt = 0;
  cwndClamp = 0x7fffffff;
  cwndLimited = false;
  minRtt = 0;
  minRttStamp = 0;
  priorCwnd = 0;
  priorSsthresh = 0;
  caState = CaState.OPEN;
  packetsOut = 0;
  sackedOut = 0;
  lostOut = 0;
  retransOut = 0;
  /** Recovery point: snd_nxt when recovery or loss started (RFC 6675 RecoveryPoint, RFC 6582 recover). */
  highSeq = 0;
  /** Segments delivered so far (SACKed or cumulatively acknowledged, each counted once). */
  delivered = 0;
  /** DupThresh in segments (RFC 6675), raised when reordering is detected. */
  reordering = 3;
  /** End of the highest SACKed segment (0 flag: none since una). */
  highSacked = 0;
  haveSacked = false;
  /** Every segment below this sequence number has been judged by the DupThresh rule. */
  lostHint = 0;
  /** Lost segments below this sequence number have been retransmitted or SACKed already. */
  retransHint = 0;
  undoMarker = 0;
  undoActive = false;
  /** Retransmissions in the episode not yet proven spurious by D-SACK. */
  undoRetrans = 0;
  /** Our TSval when the first retransmission of the episode went out (0 = none) — Eifel detection. */
  retransStamp = 0;
  /** Time (ms) of the first transmission of the oldest retransmitted data (user timeout, retries). */
  retransStart = 0;
  prrDelivered = 0;
  prrOut = 0;
  recoverFs = 0;
  totalRetrans = 0;
  /** RACK state (RFC 8985): the most recently sent segment known delivered. */
  rackXmitTime = 0;
  rackEndSeq = 0;
  rackRtt = 0;
  rackReoWndMult = 1;
  rackReoWndPersist = 0;
  rackDsackSeen = false;
  rackDsackRound = 0;
  rackValid = false;
  rackReorderingSeen = false;
  tlpHighSeq = 0;
  tlpPending = false;
  /** One past the highest segment marked lost (bounds the retransmission scan). */
  lostEnd = 0;
  /** SACK blocks of the previous ACK (already tagged), sorted. */
  readonly sackCache = new Uint32Array(8);
  sackCacheCount = 0;
  /** TSecr of the ACK being processed (RACK's retransmission ambiguity test). */
  lastTsEcr = 0;
  /** TSecr of the last segment received (receiver RTT for buffer auto-tuning). */
  lastRcvTsEcr = 0;

  // --- output path -------------------------------------------------------------------------------------------
  /** The route's device completes checksums (CHECKSUM_PARTIAL). */
  csumOffload = false;
  /** IP output options of this connection (reused for every segment). */
  ipOpts: Ipv4TxOptions = { src: 0, dst: 0, protocol: 6, df: true };

  // --- timing -------------------------------------------------------------------------------------------------
  srtt = 0;
  rttvar = 0;
  rto: number;
  backoff = 0;
  /** Consecutive RTO expirations (icsk_retransmits). */
  retransmits = 0;
  /** Unanswered window or keepalive probes. */
  probesOut = 0;
  /** Last time we sent data, received an ACK, received any segment (ms). */
  lsndtime = 0;
  rcvTstamp = 0;
  lrcvtime = 0;
  lastOowAck = -1e9;

  // --- delayed ACK --------------------------------------------------------------------------------------------
  ackPending = false;
  /** An ACK must go out at the end of this segment's processing. */
  ackNow = false;
  quickAcks = 0;
  /** Queued for the stack's end-of-batch ACK flush. */
  ackDeferred = false;

  // --- queues and buffers -------------------------------------------------------------------------------------
  readonly tx = new TxQueue();
  readonly rx = new RxQueue();
  sndbuf: number;
  rcvbuf: number;
  sndbufLocked = false;
  rcvbufLocked = false;
  /** A send() was short: tell the owner when space frees. */
  sndFull = false;
  rcvqSpace = 0;
  rcvqSpaceSeq = 0;
  rcvqSpaceTime = 0;
  rcvRtt = 0;
  rcvRttSeq = 0;
  rcvRttTime = 0;
  /** Time the last segment of data arrived (receive-side idle detection). */
  lastDataRcv = 0;

  // --- counters (tcp_info) ------------------------------------------------------------------------------------
  bytesAcked = 0;
  bytesReceived = 0;
  segsOut = 0;
  segsIn = 0;

  // --- timers -------------------------------------------------------------------------------------------------
  readonly rtxTimer: Timer;
  rtxKind = RtxKind.NONE;
  readonly delackTimer: Timer;
  /** Keepalive, FIN-WAIT-2 and TIME-WAIT. */
  readonly kaTimer: Timer;
  synRetries = 0;

  // --- errors and shutdown ------------------------------------------------------------------------------------
  error: TcpErrorCode | null = null;
  /** Last soft error (ICMP) — reported if the connection later times out. */
  errSoft: TcpErrorCode | null = null;
  /** The user shut down sending (FIN queued) / receiving. */
  sndShutdown = false;
  rcvShutdown = false;
  finQueued = false;

  constructor(
    readonly stack: TcpStack,
    opts: TcpSockOptions = {},
  ) {
    const cfg = stack.config;
    this.keepIdle = cfg.keepIdleMs;
    this.keepIntvl = cfg.keepIntvlMs;
    this.keepCnt = cfg.keepCnt;
    this.cwnd = cfg.initCwnd;
    this.rto = cfg.rtoInitMs;
    this.sndbuf = cfg.sndBuf;
    this.rcvbuf = cfg.rcvBuf;
    this.cc = makeCc(this, opts.congestion ?? cfg.congestion);
    const clock = stack.env.clock;
    this.rtxTimer = clock.timer(() => stack.timerEntry(this, onRtxTimer));
    this.delackTimer = clock.timer(() => stack.timerEntry(this, onDelackTimer));
    this.kaTimer = clock.timer(() => stack.timerEntry(this, onKeepaliveTimer));
    this.applyOptions(opts);
  }

  get stackMib(): TcpExtMib {
    return this.stack.ext;
  }

  now(): number {
    return this.stack.env.clock.now();
  }

  /** Our current TSval (1 ms ticks). */
  tsNow(): number {
    return (Math.floor(this.stack.env.clock.now()) + this.tsOffset) >>> 0;
  }

  applyOptions(o: TcpSockOptions): void {
    if (o.noDelay !== undefined) this.setNoDelay(o.noDelay);
    if (o.keepIdleMs !== undefined) this.keepIdle = positive(o.keepIdleMs, 'keepIdleMs');
    if (o.keepIntvlMs !== undefined) this.keepIntvl = positive(o.keepIntvlMs, 'keepIntvlMs');
    if (o.keepCnt !== undefined) this.keepCnt = positive(o.keepCnt, 'keepCnt');
    if (o.keepAlive !== undefined) this.setKeepAlive(o.keepAlive);
    if (o.userTimeoutMs !== undefined) this.userTimeout = nonNegative(o.userTimeoutMs, 'userTimeoutMs');
    if (o.congestion !== undefined) this.setCongestion(o.congestion);
    if (o.rcvBuf !== undefined) {
      this.rcvbuf = Math.max(positive(o.rcvBuf, 'rcvBuf'), 2048);
      this.rcvbufLocked = true;
    }
    if (o.sndBuf !== undefined) {
      this.sndbuf = Math.max(positive(o.sndBuf, 'sndBuf'), 2048);
      this.sndbufLocked = true;
    }
    if (o.maxSeg !== undefined) {
      const m = positive(o.maxSeg, 'maxSeg');
      if (m < 88 || m > 65495) throw new RangeError(`maxSeg ${m} is outside 88..65495`);
      this.userMss = m;
      if (this.state !== TcpState.CLOSE) tcpSyncMss(this, this.pmtu);
    }
  }

  // --- identity -----------------------------------------------------------------------------------------------

  get stateName(): string {
    return TCP_STATE_NAMES[this.state];
  }

  get localAddress(): number {
    return this.saddr;
  }

  get localPort(): number {
    return this.sport;
  }

  get remoteAddress(): number {
    return this.daddr;
  }

  get remotePort(): number {
    return this.dport;
  }

  // --- reading ------------------------------------------------------------------------------------------------

  /** Unread bytes in order. */
  get readableLength(): number {
    return this.rx.bytes;
  }

  /** Nothing more to read: the peer finished (or reading was shut down) and the queue is empty. */
  get eof(): boolean {
    return (this.peerFin || this.rcvShutdown) && this.rx.bytes === 0;
  }

  /**
   * The next chunk of received data, at most `max` bytes, as a view into the received segment (no copy; the view
   * is the caller's from now on). Null when nothing is waiting (see `eof`).
   */
  recv(max?: number): Buffer | null {
    const b = this.rx.read(max);
    if (b === null) return null;
    this.stack.enter();
    this.copiedSeq = (this.copiedSeq + b.length) >>> 0;
    tcpCleanupRbuf(this, b.length);
    this.stack.leave();
    return b;
  }

  /** Copy up to `len` received bytes into dst at `off`; with `peek` they stay queued (MSG_PEEK). */
  recvInto(dst: Uint8Array, off = 0, len = dst.length - off, peek = false): number {
    const n = this.rx.readInto(dst, off, len, peek);
    if (n > 0 && !peek) {
      this.stack.enter();
      this.copiedSeq = (this.copiedSeq + n) >>> 0;
      tcpCleanupRbuf(this, n);
      this.stack.leave();
    }
    return n;
  }

  // --- writing ------------------------------------------------------------------------------------------------

  /** Bytes the send buffer can take now. */
  get sendSpace(): number {
    return Math.max(0, this.sndbuf - this.tx.bytes);
  }

  /** Bytes queued and not yet acknowledged (sent or not). */
  get writableLength(): number {
    return this.tx.bytes;
  }

  /** Bytes queued and not yet sent (TCP_INFO tcpi_notsent_bytes). */
  get notsentBytes(): number {
    return (this.writeSeq - this.sndNxt - (this.finQueued && this.tx.hasUnsent ? 1 : 0)) >>> 0;
  }

  /**
   * Queue bytes for sending: copies what fits in the send buffer (once, into segments) and returns the count.
   * A short count means the buffer is full: `onWritable` follows when space frees. Throws EPIPE after
   * shutdown/close, or the connection's error after a failure.
   */
  send(data: Uint8Array, off = 0, len = data.length - off): number {
    if (this.error !== null) throw new TcpSocketError(this.error);
    if (this.sndShutdown || this.orphan) throw new TcpSocketError('EPIPE', 'send after shutdown');
    const st = this.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) {
      if (len > 0) this.sndFull = true;
      return 0;
    }
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) {
      throw new TcpSocketError('EPIPE', `send in state ${this.stateName}`);
    }
    if (len <= 0) return 0;
    const space = this.sendSpace;
    const n = Math.min(len, space);
    if (n < len) this.sndFull = true;
    if (n === 0) return 0;
    this.stack.enter();
    this.queueData(data, off, n);
    tcpPushPending(this);
    this.stack.leave();
    return n;
  }

  /** Copy user bytes into the tail segment (while unsent and not full) and new MSS-sized segments. */
  private queueData(data: Uint8Array, off: number, n: number): void {
    const tx = this.tx;
    const last = tx.last();
    if (last !== undefined && tx.sendHead < tx.segs.length && last.cap > 0 && (last.flags & 0x03) === 0) {
      const k = Math.min(last.cap, n);
      copyInto(data, off, k, last.buf!, last.off + last.len);
      last.len += k;
      last.end = (last.end + k) >>> 0;
      last.cap -= k;
      tx.bytes += k;
      off += k;
      n -= k;
      this.writeSeq = (this.writeSeq + k) >>> 0;
    }
    const goal = this.mssCache;
    while (n > 0) {
      const k = Math.min(goal, n);
      const seg = new TxSeg();
      seg.buf = allocSegBuffer(TCP_HEADROOM + goal);
      seg.off = TCP_HEADROOM;
      copyInto(data, off, k, seg.buf, TCP_HEADROOM);
      seg.len = k;
      seg.cap = goal - k;
      seg.ownHeadroom = true;
      seg.seq = this.writeSeq;
      seg.end = (this.writeSeq + k) >>> 0;
      this.writeSeq = seg.end;
      tx.push(seg);
      off += k;
      n -= k;
    }
  }

  // --- options ------------------------------------------------------------------------------------------------

  /** TCP_NODELAY: send small segments without waiting for outstanding data to be acknowledged. */
  setNoDelay(on = true): void {
    this.noDelay = on;
    if (on && this.state !== TcpState.CLOSE) {
      this.stack.enter();
      tcpPushPending(this);
      this.stack.leave();
    }
  }

  /** TCP_CORK: hold partial segments until uncorked. */
  setCork(on: boolean): void {
    this.cork = on;
    if (!on && this.state !== TcpState.CLOSE) {
      this.stack.enter();
      tcpPushPending(this);
      this.stack.leave();
    }
  }

  /** SO_KEEPALIVE with optional TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT. */
  setKeepAlive(on: boolean, idleMs?: number, intvlMs?: number, cnt?: number): void {
    if (idleMs !== undefined) this.keepIdle = positive(idleMs, 'keepIdleMs');
    if (intvlMs !== undefined) this.keepIntvl = positive(intvlMs, 'keepIntvlMs');
    if (cnt !== undefined) this.keepCnt = positive(cnt, 'keepCnt');
    this.keepAlive = on;
    tcpKeepaliveReset(this);
  }

  /** TCP_USER_TIMEOUT (RFC 5482 semantics, local only): ms that sent data may stay unacknowledged; 0 = off. */
  setUserTimeout(ms: number): void {
    this.userTimeout = nonNegative(ms, 'userTimeoutMs');
  }

  /** TCP_CONGESTION. */
  setCongestion(name: CongestionName): void {
    if (name === this.cc.name) return;
    this.cc = makeCc(this, name);
  }

  // --- closing ------------------------------------------------------------------------------------------------

  /**
   * shutdown(2): 'write' queues a FIN after the data; 'read' makes reads end of stream once the queue is empty
   * (as Linux and FreeBSD, data that still arrives is queued; new data in FIN-WAIT resets); 'both' does both.
   */
  shutdown(how: 'read' | 'write' | 'both' = 'write'): void {
    this.stack.enter();
    if (how !== 'write') {
      this.rcvShutdown = true;
      if (this.rx.bytes === 0) this.wake(EV_READABLE);
    }
    if (how !== 'read' && !this.sndShutdown) {
      this.sndShutdown = true;
      const st = this.state;
      if (st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT || st === TcpState.SYN_RECV) {
        tcpSendFin(this);
      } else if (st === TcpState.SYN_SENT) {
        // Nothing was exchanged yet: like close() in SYN-SENT.
        tcpDone(this);
      }
    }
    this.stack.leave();
  }

  /**
   * close(2): graceful (FIN after queued data) unless unread data is pending (then RST, RFC 2525 §2.17) or
   * linger-abort is set. The owner gets no more events after `onClose`.
   */
  close(): void {
    if (this.orphan) return;
    this.stack.enter();
    this.orphan = true;
    this.rcvShutdown = true;
    const unread = this.rx.bytes > 0 || this.rx.ofo.length > 0;
    this.rx.purge();
    const st = this.state;
    if (st === TcpState.CLOSE) {
      tcpDone(this);
    } else if (st === TcpState.SYN_SENT) {
      tcpDone(this);
    } else if (unread || this.lingerAbort) {
      if (unread) this.stack.ext.TCPAbortOnClose++;
      else this.stack.ext.TCPAbortOnLinger++;
      tcpSendActiveReset(this);
      tcpDone(this);
    } else if (st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT || st === TcpState.SYN_RECV) {
      this.sndShutdown = true;
      if (!this.finQueued) tcpSendFin(this);
    } else if (st === TcpState.FIN_WAIT2) {
      // Already half-closed: an orphan in FIN-WAIT-2 waits finTimeout for the peer's FIN.
      this.kaTimer.mod(this.stack.config.finTimeoutMs);
    }
    this.stack.leave();
  }

  /** Abort with RST (SO_LINGER 0 + close, or an owner's destroy with error). */
  abort(): void {
    if (this.state === TcpState.CLOSE) return;
    this.stack.enter();
    this.orphan = true;
    const st = this.state;
    if (st !== TcpState.SYN_SENT && st !== TcpState.TIME_WAIT && st !== TcpState.LISTEN) {
      tcpSendActiveReset(this);
    }
    this.rx.purge();
    tcpDone(this);
    this.stack.leave();
  }

  // --- diagnostics --------------------------------------------------------------------------------------------

  info(): TcpInfo {
    return {
      state: this.stateName,
      caState: this.caState,
      rtoMs: this.rto,
      srttMs: this.srtt,
      rttvarMs: this.rttvar,
      minRttMs: this.minRtt,
      sndMss: this.mssCache,
      rcvMss: this.rcvMss,
      cwnd: this.cwnd,
      ssthresh: this.ssthresh,
      unacked: this.packetsOut,
      sacked: this.sackedOut,
      lost: this.lostOut,
      retrans: this.retransOut,
      totalRetrans: this.totalRetrans,
      backoff: this.backoff,
      sndWnd: this.sndWnd,
      rcvWnd: this.rcvWnd,
      sndWscale: this.sndWscale,
      rcvWscale: this.rcvWscale,
      timestamps: this.tsOk,
      sack: this.sackOk,
      reordering: this.reordering,
      bytesAcked: this.bytesAcked,
      bytesReceived: this.bytesReceived,
      segsOut: this.segsOut,
      segsIn: this.segsIn,
      sndBuf: this.sndbuf,
      rcvBuf: this.rcvbuf,
      notsentBytes: this.notsentBytes,
      congestion: this.cc.name,
    };
  }

  /** Mark events for the owner (delivered when the stack leaves its entry point). */
  wake(ev: number): void {
    this.events |= ev;
    if (!this.inEventList) this.stack.queueEvents(this);
  }

  /** Deliver pending events (called by the stack). */
  flushEvents(): void {
    const ev = this.events;
    this.events = 0;
    const o = this.owner;
    if (o === null || ev === 0) return;
    if (ev & EV_CONNECTED) o.onConnected?.();
    if (ev & EV_READABLE) o.onReadable?.();
    if (ev & EV_WRITABLE) o.onWritable?.();
    if (ev & EV_ERROR && this.error !== null) o.onError?.(this.error);
    if (ev & EV_CLOSE) {
      this.owner = null;
      o.onClose?.();
    }
  }

  toString(): string {
    return `tcp ${ip(this.saddr)}:${this.sport} -> ${ip(this.daddr)}:${this.dport} ${this.stateName}`;
  }
}

function makeCc(sk: TcpSock, name: CongestionName): CongestionOps {
  switch (name) {
    case 'cubic':
      return new Cubic(sk, sk.stack.config.hystart);
    case 'reno':
      return new Reno(sk);
    default:
      throw new RangeError(`unknown congestion control '${String(name)}' (use 'cubic' or 'reno')`);
  }
}

function positive(v: number, what: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${what} must be a positive number, got ${v}`);
  return v;
}

function nonNegative(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be 0 or more, got ${v}`);
  return v;
}

/** Dotted quad of a host-order IPv4 address. */
export function ip(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

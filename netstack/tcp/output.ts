/**
 * Sending (Linux's tcp_output.c): building headers in the skb's headroom, the receive window we advertise
 * (RFC 9293 §3.8.6.2.2 receiver SWS avoidance, never shrinking), the transmit loop with cwnd, receive-window,
 * sender-SWS and Nagle tests (§3.7.4, §3.8.6.2.1), retransmission, FIN, pure ACKs, probes and resets.
 */
import { csumFinish, csumFold, csumPartial, pseudoHeaderSum } from '../core/checksum.ts';
import { ChecksumState, SkBuff } from '../core/skb.ts';
import type { Ipv4TxOptions } from '../inet/protocol.ts';
import { seqAdd, seqDiff, seqGt, seqLt } from './seq.ts';
import { RtxKind, type TcpSock } from './sock.ts';
import type { TcpStack } from './stack.ts';
import { tcpResetXmitTimer, tcpSetState, tcpArmTlpOrRto } from './timers.ts';
import { EVER_RETRANS, SACKED_ACKED, SACKED_RETRANS, SEG_LOST, TCP_HEADROOM, TxSeg } from './txqueue.ts';
import { CaState, TcpState } from './types.ts';
import {
  TCP_ACK,
  TCP_FIN,
  TCP_HLEN,
  TCP_MAX_SACKS,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCPOLEN_TSTAMP_ALIGNED,
  type TcpOptionsOut,
  tcpOptionsSize,
  writeTcpHeader,
  writeTcpOptions,
} from './wire.ts';

/** Smallest MSS we send with (Linux TCP_MIN_SND_MSS). */
const MIN_SND_MSS = 48;

/** Packets in flight (RFC 6675 "pipe" in segments): sent − SACKed − lost + retransmitted. */
export function tcpPacketsInFlight(sk: TcpSock): number {
  return sk.packetsOut - (sk.sackedOut + sk.lostOut) + sk.retransOut;
}

/** Recompute the send MSS for a path MTU (tcp_sync_mss): peer MSS, our cap and the timestamp option. */
export function tcpSyncMss(sk: TcpSock, pmtu: number): number {
  sk.pmtu = pmtu;
  let mss = Math.min(pmtu - 40, sk.mssClamp);
  if (sk.userMss > 0) mss = Math.min(mss, sk.userMss);
  if (sk.tsOk) mss -= TCPOLEN_TSTAMP_ALIGNED;
  sk.mssCache = Math.max(mss, MIN_SND_MSS);
  return sk.mssCache;
}

/** Bytes the peer may still send us within the window we advertised (tcp_receive_window). */
export function tcpReceiveWindow(sk: TcpSock): number {
  const w = seqDiff(seqAdd(sk.rcvWup, sk.rcvWnd), sk.rcvNxt);
  return Math.max(w, 0);
}

/**
 * The window to advertise (tcp_select_window): the free receive buffer, moved right only in steps of at least
 * min(buffer/2, MSS) (receiver SWS avoidance), never moving the right edge left. Returns the header value.
 */
export function tcpSelectWindow(sk: TcpSock): number {
  const cur = tcpReceiveWindow(sk);
  const scale = sk.rcvWscale;
  // Shifts are exact here: windows stay below 2^30 (65535 << 14).
  const limit = sk.wscaleOk ? 65535 << scale : 65535;
  let free = sk.rcvbuf - sk.rx.bytes;
  if (free > limit) free = limit;
  let win: number;
  if (free <= cur) {
    win = cur;
  } else {
    const step = Math.min(sk.rcvbuf >> 1, sk.advMss);
    win = free - cur >= step ? free : cur;
  }
  // The header carries win >> scale: round a grown window down, a held one up (the edge must not recede).
  if (scale > 0) {
    const mask = (1 << scale) - 1;
    if (win === cur) win = (win + mask) & ~mask;
    else win &= ~mask;
    if (win < cur) win = (cur + mask) & ~mask;
  }
  if (win > limit) win = limit;
  if (win === 0 || sk.rcvWnd === 0) {
    const ext = sk.stack.ext;
    if (win === 0) {
      if (sk.rcvWnd !== 0) ext.TCPToZeroWindowAdv++;
      ext.TCPWantZeroWindowAdv++;
    } else if (sk.rcvWup !== 0) {
      ext.TCPFromZeroWindowAdv++;
    }
  }
  sk.rcvWnd = win;
  sk.rcvWup = sk.rcvNxt;
  return win >>> scale;
}

/**
 * Write the TCP header for skb (data at the payload) and hand it to IP. `flags` are the final flags. Options:
 * SYN options on SYN segments, timestamps when negotiated, SACK blocks (a pending D-SACK first) on others.
 */
export function tcpTransmitSkb(sk: TcpSock, skb: SkBuff, seq: number, flags: number): void {
  const stack = sk.stack;
  const o = stack.optsOut;
  o.clear();
  const syn = (flags & TCP_SYN) !== 0;
  if (syn) {
    o.mss = sk.advMss;
    if (sk.wscaleOk) o.wscale = sk.rcvWscale;
    o.sackOk = sk.sackOk;
  }
  if (sk.tsOk) {
    o.ts = true;
    o.tsVal = sk.tsNow();
    o.tsEcr = syn && (flags & TCP_ACK) === 0 ? 0 : sk.tsRecent;
  }
  let dsackSent = false;
  if (!syn && sk.sackOk && (flags & TCP_RST) === 0) {
    dsackSent = fillSackBlocks(sk, o, skb.len);
  }
  const optLen = tcpOptionsSize(o);
  const hlen = TCP_HLEN + optLen;
  const off = skb.push(hlen);
  const buf = skb.buf;
  const window = syn ? Math.min(sk.rcvWnd, 65535) : tcpSelectWindow(sk);
  const ackSeq = flags & TCP_ACK ? sk.rcvNxt : 0;
  writeTcpHeader(buf, off, sk.sport, sk.dport, seq, ackSeq, hlen, flags, window);
  if (optLen > 0) writeTcpOptions(buf, off + TCP_HLEN, o);
  skb.transportHeader = off;
  setChecksum(skb, sk.saddr, sk.daddr, sk.csumOffload);
  if (flags & TCP_ACK) {
    if (sk.ackPending) {
      sk.ackPending = false;
      if (sk.quickAcks > 0) sk.quickAcks--;
    }
    sk.ackNow = false;
    if (sk.delackTimer.pending) sk.delackTimer.cancel();
    if (dsackSent) sk.rx.dsackPending = false;
  }
  sk.segsOut++;
  stack.mib.OutSegs++;
  if (flags & TCP_RST) stack.mib.OutRsts++;
  stack.env.output(skb, sk.ipOpts);
}

/** Put a pending D-SACK and the SACK blocks in `o`, as many as fit the header and the path MTU. */
function fillSackBlocks(sk: TcpSock, o: TcpOptionsOut, payload: number): boolean {
  const rx = sk.rx;
  if (!rx.dsackPending && rx.sackCount === 0) return false;
  const base = o.ts ? TCPOLEN_TSTAMP_ALIGNED : 0;
  const room = Math.min(40 - base, sk.pmtu - 40 - payload - base);
  const max = Math.min(TCP_MAX_SACKS, (room - 4) >> 3);
  if (max <= 0) return false;
  let n = 0;
  let dsack = false;
  if (rx.dsackPending && sk.stack.config.dsack) {
    o.sack[0] = rx.dsackStart;
    o.sack[1] = rx.dsackEnd;
    n = 1;
    dsack = true;
  }
  const s = rx.sack;
  for (let i = 0; i < rx.sackCount && n < max; i++, n++) {
    o.sack[2 * n] = s![2 * i]!;
    o.sack[2 * n + 1] = s![2 * i + 1]!;
  }
  o.sackCount = n;
  return dsack;
}

/** Fill in the checksum, or leave the pseudo-header sum for the device (CHECKSUM_PARTIAL). */
export function setChecksum(skb: SkBuff, src: number, dst: number, offload: boolean): void {
  const buf = skb.buf;
  const off = skb.data;
  const len = skb.len;
  const pseudo = pseudoHeaderSum(src, dst, 6, len);
  let v: number;
  if (offload) {
    skb.ipSummed = ChecksumState.PARTIAL;
    v = csumFold(pseudo);
  } else {
    skb.ipSummed = ChecksumState.NONE;
    v = csumFinish(csumPartial(buf, off, len, pseudo));
  }
  buf[off + 16] = v >>> 8;
  buf[off + 17] = v & 0xff;
}

/** An skb carrying a copy of the segment's payload (retransmissions, shared buffers). */
function copySegSkb(seg: TxSeg, len: number): SkBuff {
  const skb = SkBuff.alloc(len, TCP_HEADROOM);
  if (len > 0) {
    seg.buf!.copy(skb.buf, skb.tail, seg.off, seg.off + len);
    skb.tail += len;
  }
  return skb;
}

/** Flags of a data segment: ACK except on our initial SYN; PSH when it empties the queue. */
function segFlags(sk: TcpSock, seg: TxSeg): number {
  let f = seg.flags;
  if (!((f & TCP_SYN) !== 0 && sk.state === TcpState.SYN_SENT)) f |= TCP_ACK;
  return f;
}

/** First transmission of the segment at tx.sendHead. */
function tcpTransmitNew(sk: TcpSock, seg: TxSeg): void {
  const tx = sk.tx;
  const now = sk.now();
  let skb: SkBuff;
  if (seg.ownHeadroom && seg.len > 0 && sk.stack.zeroCopyTx) {
    skb = new SkBuff(seg.buf!, seg.off, seg.off + seg.len);
  } else {
    skb = copySegSkb(seg, seg.len);
  }
  seg.ownHeadroom = false;
  seg.cap = 0;
  tx.sendHead++;
  if (tx.sendHead === tx.segs.length && seg.len > 0) seg.flags |= TCP_PSH;
  if (sk.packetsOut === 0) {
    const idle = now - sk.lsndtime;
    if (sk.lsndtime > 0 && idle > sk.rto) sk.cc.onTxStart(idle);
  }
  seg.txTime = now;
  seg.firstTxTime = now;
  sk.packetsOut++;
  if (seqGt(seg.end, sk.sndNxt)) sk.sndNxt = seg.end;
  if (seg.len < sk.mssCache) sk.sndSml = seg.end;
  tx.tsAppend(seg);
  sk.lsndtime = now;
  if (seg.len > 0) sk.stack.ext.TCPOrigDataSent++;
  tcpTransmitSkb(sk, skb, seg.seq, segFlags(sk, seg));
}

/**
 * Split the segment at index i after `n` payload bytes (tcp_fragment). The tail shares the buffer (it can never
 * be sent zero-copy: its headroom is the head's payload). Scoreboard state is copied and accounted.
 */
export function tcpFragment(sk: TcpSock, i: number, n: number): void {
  const tx = sk.tx;
  const seg = tx.segs[i]!;
  const t = new TxSeg();
  t.seq = seqAdd(seg.seq, n);
  t.end = seg.end;
  t.flags = seg.flags & (TCP_FIN | TCP_PSH);
  t.buf = seg.buf;
  t.off = seg.off + n;
  t.len = seg.len - n;
  t.cap = seg.cap;
  seg.flags &= ~(TCP_FIN | TCP_PSH);
  seg.len = n;
  seg.end = seqAdd(seg.seq, n);
  seg.cap = 0;
  const sent = i < tx.sendHead;
  if (sent) {
    t.sacked = seg.sacked;
    t.txTime = seg.txTime;
    t.firstTxTime = seg.firstTxTime;
    sk.packetsOut++;
    if (seg.sacked & SACKED_ACKED) sk.sackedOut++;
    if (seg.sacked & SEG_LOST) sk.lostOut++;
    if (seg.sacked & SACKED_RETRANS) sk.retransOut++;
    if (seg.tsLinked) {
      // Keep time order: the tail goes right after the head in the transmission list.
      const nx = seg.tsNext;
      t.tsLinked = true;
      t.tsPrev = seg;
      t.tsNext = nx;
      seg.tsNext = t;
      if (nx !== null) nx.tsPrev = t;
      else tx.tsTail = t;
    }
  }
  tx.insertAfter(i, t);
}

/**
 * The transmit loop (tcp_write_xmit): send unsent segments while cwnd, the peer's window, sender SWS avoidance and
 * Nagle allow. Returns true when something was sent.
 */
export function tcpWriteXmit(sk: TcpSock): boolean {
  const st = sk.state;
  if (
    st !== TcpState.ESTABLISHED &&
    st !== TcpState.CLOSE_WAIT &&
    st !== TcpState.FIN_WAIT1 &&
    st !== TcpState.LAST_ACK &&
    st !== TcpState.CLOSING
  ) {
    return false;
  }
  const tx = sk.tx;
  let sent = 0;
  let windowBlocked = false;
  sk.cwndLimited = false;
  while (tx.sendHead < tx.segs.length) {
    const i = tx.sendHead;
    const seg = tx.segs[i]!;
    // A bare FIN is not held back by cwnd (as Linux: no reason to delay the end of the stream).
    if (tcpPacketsInFlight(sk) >= sk.cwnd && !(seg.len === 0 && seg.flags & TCP_FIN)) {
      sk.cwndLimited = true;
      break;
    }
    const mss = sk.mssCache;
    if (seg.len > mss) tcpFragment(sk, i, mss);
    const wndEnd = seqAdd(sk.sndUna, sk.sndWnd);
    if (seqGt(seg.end, wndEnd)) {
      const usable = seqDiff(wndEnd, seg.seq);
      // Sender SWS avoidance: a partial segment only when it is at least half the largest window offered.
      if (usable > 0 && seg.len > 0 && usable >= sk.maxWindow >> 1 && usable < seg.len) {
        tcpFragment(sk, i, usable);
      } else {
        windowBlocked = true;
        break;
      }
    }
    if (seg.len < mss && (seg.flags & TCP_FIN) === 0 && i === tx.segs.length - 1) {
      // The tail is short: Nagle (Minshall's variant, as Linux) and cork hold it.
      if (sk.cork) break;
      if (!sk.noDelay && sk.packetsOut > 0 && seqGt(sk.sndSml, sk.sndUna)) break;
    }
    tcpTransmitNew(sk, seg);
    sent++;
    if (sk.caState === CaState.RECOVERY) sk.prrOut++;
  }
  if (sent > 0) {
    tcpArmTlpOrRto(sk);
  } else if (windowBlocked && sk.packetsOut === 0 && !sk.rtxTimer.pending) {
    // Nothing in flight to bring a window update: probe (persist timer).
    tcpResetXmitTimer(sk, RtxKind.PROBE0, tcpProbe0When(sk));
  }
  return sent > 0;
}

/** The persist timer interval: RTO with backoff, bounded (tcp_probe0_when). */
export function tcpProbe0When(sk: TcpSock): number {
  const base = Math.max(sk.rto, sk.stack.config.rtoMinMs);
  return Math.min(base * 2 ** sk.backoff, sk.stack.config.rtoMaxMs);
}

/** Send what can be sent now: retransmissions of lost segments first (RFC 6675 NextSeg), then new data. */
export function tcpPushPending(sk: TcpSock): void {
  if (sk.lostOut > 0) tcpXmitRetransmitQueue(sk);
  if (sk.tx.hasUnsent) tcpWriteXmit(sk);
}

/**
 * Retransmit the segment at index i (tcp_retransmit_skb): split to the current MSS, copy the payload, mark it.
 * Returns false when the receive window does not allow it.
 */
export function tcpRetransmitSeg(sk: TcpSock, i: number): boolean {
  const tx = sk.tx;
  let seg = tx.segs[i]!;
  const wndEnd = seqAdd(sk.sndUna, sk.sndWnd);
  if (!seqLt(seg.seq, wndEnd) && seg.seq !== sk.sndUna) return false;
  if (seg.len > sk.mssCache) {
    tcpFragment(sk, i, sk.mssCache);
    seg = tx.segs[i]!;
  }
  const now = sk.now();
  const skb = copySegSkb(seg, seg.len);
  if ((seg.sacked & SACKED_RETRANS) === 0) sk.retransOut++;
  if (sk.retransStamp === 0) {
    sk.retransStamp = sk.tsOk ? sk.tsNow() || 1 : 1;
    if (sk.retransStart === 0) sk.retransStart = seg.firstTxTime || now;
  }
  if (sk.undoActive) {
    if (sk.undoRetrans < 0) sk.undoRetrans = 0;
    sk.undoRetrans++;
  }
  seg.sacked |= SACKED_RETRANS | EVER_RETRANS;
  seg.txTime = now;
  tx.tsAppend(seg);
  sk.totalRetrans++;
  sk.lsndtime = now;
  sk.stack.mib.RetransSegs++;
  tcpTransmitSkb(sk, skb, seg.seq, segFlags(sk, seg));
  return true;
}

/**
 * Retransmit lost segments while the congestion window allows (tcp_xmit_retransmit_queue). `retransHint` skips
 * the prefix already handled; `lostEnd` bounds the scan (nothing above it is marked lost).
 */
export function tcpXmitRetransmitQueue(sk: TcpSock): void {
  const tx = sk.tx;
  const ext = sk.stack.ext;
  let i = tx.indexOf(sk.retransHint);
  let hint = sk.sndNxt;
  for (; i < tx.sendHead; i++) {
    const seg = tx.segs[i]!;
    if (!seqLt(seg.seq, sk.lostEnd)) break;
    const s = seg.sacked;
    if ((s & SEG_LOST) === 0 || (s & (SACKED_ACKED | SACKED_RETRANS)) !== 0) continue;
    if (tcpPacketsInFlight(sk) >= sk.cwnd) {
      sk.cwndLimited = true;
      hint = seg.seq;
      break;
    }
    if (!tcpRetransmitSeg(sk, i)) {
      hint = seg.seq;
      break;
    }
    if (sk.caState === CaState.RECOVERY) {
      sk.prrOut++;
      ext.TCPFastRetrans++;
    } else if (sk.caState === CaState.LOSS) {
      ext.TCPSlowStartRetrans++;
    }
  }
  sk.retransHint = hint;
  if (!sk.rtxTimer.pending || sk.rtxKind !== RtxKind.RETRANS) tcpArmTlpOrRto(sk);
}

/** A pure ACK (tcp_send_ack). */
export function tcpSendAck(sk: TcpSock): void {
  if (sk.state === TcpState.CLOSE) return;
  const skb = SkBuff.alloc(0, TCP_HEADROOM);
  tcpTransmitSkb(sk, skb, sk.sndNxt, TCP_ACK);
}

/** An ACK with an old sequence number to elicit an ACK (zero-window and keepalive probes; tcp_xmit_probe_skb). */
export function tcpSendProbe(sk: TcpSock): void {
  const skb = SkBuff.alloc(0, TCP_HEADROOM);
  tcpTransmitSkb(sk, skb, (sk.sndUna - 1) >>> 0, TCP_ACK);
}

/**
 * The persist timer fired (tcp_write_wakeup): if the window allows part of the next segment, send that much;
 * otherwise send an out-of-window probe.
 */
export function tcpWriteWakeup(sk: TcpSock): void {
  const tx = sk.tx;
  const seg = tx.unsent();
  const wndEnd = seqAdd(sk.sndUna, sk.sndWnd);
  if (seg !== undefined && seqLt(seg.seq, wndEnd) && seg.len > 0) {
    const usable = seqDiff(wndEnd, seg.seq);
    const n = Math.min(usable, sk.mssCache);
    if (n < seg.len) tcpFragment(sk, tx.sendHead, n);
    tcpTransmitNew(sk, tx.segs[tx.sendHead]!);
    return;
  }
  tcpSendProbe(sk);
}

/** Queue and send our SYN (tcp_connect). */
export function tcpConnectSend(sk: TcpSock): void {
  const seg = new TxSeg();
  seg.seq = sk.iss;
  seg.end = seqAdd(sk.iss, 1);
  seg.flags = TCP_SYN;
  sk.tx.push(seg);
  sk.writeSeq = seg.end;
  tcpTransmitNew(sk, seg);
  tcpResetXmitTimer(sk, RtxKind.RETRANS, sk.rto);
}

/** SYN-ACK of a simultaneous open: our ISN again, now acknowledging the peer's SYN. */
export function tcpSendSynAck(sk: TcpSock): void {
  const skb = SkBuff.alloc(0, TCP_HEADROOM);
  tcpTransmitSkb(sk, skb, sk.iss, TCP_SYN | TCP_ACK);
}

/** RST for a connection we abort (tcp_send_active_reset). */
export function tcpSendActiveReset(sk: TcpSock): void {
  const skb = SkBuff.alloc(0, TCP_HEADROOM);
  tcpTransmitSkb(sk, skb, sk.sndNxt, TCP_RST | TCP_ACK);
}

/** Queue a FIN after the data (tcp_send_fin) and move to FIN-WAIT-1 or LAST-ACK. */
export function tcpSendFin(sk: TcpSock): void {
  const tx = sk.tx;
  const last = tx.last();
  if (last !== undefined && tx.sendHead < tx.segs.length && (last.flags & (TCP_SYN | TCP_FIN)) === 0) {
    last.flags |= TCP_FIN;
    last.end = seqAdd(last.end, 1);
    last.cap = 0;
  } else {
    const seg = new TxSeg();
    seg.seq = sk.writeSeq;
    seg.end = seqAdd(sk.writeSeq, 1);
    seg.flags = TCP_FIN;
    tx.push(seg);
  }
  sk.writeSeq = seqAdd(sk.writeSeq, 1);
  sk.finQueued = true;
  switch (sk.state) {
    case TcpState.ESTABLISHED:
    case TcpState.SYN_RECV:
      tcpSetState(sk, TcpState.FIN_WAIT1);
      break;
    case TcpState.CLOSE_WAIT:
      tcpSetState(sk, TcpState.LAST_ACK);
      break;
  }
  tcpPushPending(sk);
}

/**
 * The user consumed `copied` bytes (tcp_cleanup_rbuf + tcp_rcv_space_adjust): grow the buffer if the reader keeps
 * up with more than the buffer per RTT (receive-buffer auto-tuning), and send a window update when reading opened
 * the window enough to matter.
 */
export function tcpCleanupRbuf(sk: TcpSock, copied: number): void {
  if (copied <= 0) return;
  tcpRcvSpaceAdjust(sk);
  const st = sk.state;
  if (st !== TcpState.ESTABLISHED && st !== TcpState.FIN_WAIT1 && st !== TcpState.FIN_WAIT2) return;
  const cur = tcpReceiveWindow(sk);
  const free = Math.min(sk.rcvbuf - sk.rx.bytes, sk.wscaleOk ? 65535 << sk.rcvWscale : 65535);
  const grow = free - cur;
  // A window update when reading opened the window enough to matter (BSD's tcp_output rule): by two segments and
  // a quarter of the buffer, or when the window the peer knows has become small. Never by less than receiver SWS
  // avoidance allows (RFC 9293 §3.8.6.2.2). A reader that keeps up sends none: its ACKs carry the window.
  const mss = sk.advMss;
  const rb = sk.rcvbuf;
  if (grow >= 2 * mss && (grow >= rb >> 2 || cur <= rb >> 3 || rb <= 8 * mss) && grow >= Math.min(rb >> 1, mss)) {
    sk.ackPending = true;
    tcpSendAck(sk);
  }
}

/** Receive-buffer auto-tuning (Linux's DRS, tcp_rcv_space_adjust): once per RTT. */
function tcpRcvSpaceAdjust(sk: TcpSock): void {
  const now = sk.now();
  const rtt = sk.rcvRtt > 0 ? sk.rcvRtt : sk.srtt;
  if (rtt <= 0 || now - sk.rcvqSpaceTime < rtt) return;
  const copied = seqDiff(sk.copiedSeq, sk.rcvqSpaceSeq);
  if (!sk.rcvbufLocked && copied > sk.rcvqSpace) {
    let rcvwin = 2 * copied + 16 * sk.advMss;
    const grow = Math.min(rcvwin, (rcvwin * (copied - sk.rcvqSpace)) / Math.max(sk.rcvqSpace, 1));
    rcvwin += 2 * grow;
    const max = sk.stack.config.rcvBufMax;
    const nb = Math.min(Math.floor(rcvwin), max);
    if (nb > sk.rcvbuf) sk.rcvbuf = nb;
  }
  if (copied > sk.rcvqSpace) sk.rcvqSpace = copied;
  sk.rcvqSpaceSeq = sk.copiedSeq;
  sk.rcvqSpaceTime = now;
}

/** Grow the send buffer with the congestion window (tcp_sndbuf_expand): room for two windows. */
export function tcpSndbufExpand(sk: TcpSock): void {
  // GUESS: payload bytes for Linux's truesize-based sk_sndbuf (2 × max(cwnd, reordering + 1) segments).
  if (sk.sndbufLocked) return;
  const want = 2 * Math.max(sk.cwnd, sk.reordering + 1) * sk.mssCache;
  if (want > sk.sndbuf) sk.sndbuf = Math.min(want, sk.stack.config.sndBufMax);
}

/** Build and send a segment that belongs to no connection (RSTs, SYN-ACKs of requests, cookie replies). */
export function tcpSendRaw(
  stack: TcpStack,
  saddr: number,
  daddr: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  window: number,
  o: TcpOptionsOut | null,
  csumOffload: boolean,
): void {
  const optLen = o === null ? 0 : tcpOptionsSize(o);
  const hlen = TCP_HLEN + optLen;
  const skb = SkBuff.alloc(0, TCP_HEADROOM);
  const off = skb.push(hlen);
  writeTcpHeader(skb.buf, off, sport, dport, seq >>> 0, ack >>> 0, hlen, flags, window);
  if (o !== null && optLen > 0) writeTcpOptions(skb.buf, off + TCP_HLEN, o);
  skb.transportHeader = off;
  setChecksum(skb, saddr, daddr, csumOffload);
  stack.mib.OutSegs++;
  if (flags & TCP_RST) stack.mib.OutRsts++;
  const opts = stack.rawIpOpts;
  opts.src = saddr;
  opts.dst = daddr;
  stack.env.output(skb, opts);
}

export type { Ipv4TxOptions };

/**
 * Segment arrival (RFC 9293 §3.10.7, Linux's tcp_rcv_state_process / tcp_rcv_synsent_state_process /
 * tcp_data_queue / tcp_timewait_state_process): validation (PAWS, sequence acceptability, RST and SYN with the
 * RFC 5961 defences), the handshake, ACK processing, data and FIN, delayed ACKs, TIME-WAIT (RFC 1337, RFC 6191).
 */
import { SkBuff } from '../core/skb.ts';
import { tcpPushPending, tcpReceiveWindow, tcpSendAck, tcpSendRaw, tcpSendSynAck, tcpSyncMss } from './output.ts';
import { tcpAck, tcpSendChallengeAck } from './recovery.ts';
import { tcpRttEstimator, tcpSetRto, tcpUpdateMinRtt } from './rtt.ts';
import { seqAdd, seqDiff, seqGt, seqLeq, seqLt } from './seq.ts';
import { EV_CONNECTED, EV_READABLE, type TcpSock } from './sock.ts';
import { tcpDone, tcpKeepaliveReset, tcpLog, tcpRearmRto, tcpSetState, tcpTimeWait } from './timers.ts';
import { EVER_RETRANS } from './txqueue.ts';
import { TcpState } from './types.ts';
import { TCP_ACK, TCP_FIN, TCP_MAX_WSCALE, TCP_RST, TCP_SYN, type TcpHeader } from './wire.ts';

/** RFC 7323 §5.5: a TS.Recent older than 24 days is no longer valid for PAWS. */
export const PAWS_24DAYS_MS = 24 * 24 * 3600 * 1000;

/** tcpTimewaitProcess results: handled, or a new SYN that the stack must hand to a listener (skb not consumed). */
export const TW_DONE = 0;
export const TW_SYN = 1;

/**
 * Process one segment for an existing connection. skb.data is at the payload; takes ownership of skb, except when
 * TW_SYN is returned (a SYN reopening a TIME-WAIT connection: the caller passes it on to a listener).
 */
export function tcpRcvStateProcess(sk: TcpSock, skb: SkBuff, th: TcpHeader): number {
  sk.segsIn++;
  const st = sk.state;
  if (st === TcpState.SYN_SENT) {
    tcpRcvSynSent(sk, skb, th);
    return TW_DONE;
  }
  if (st === TcpState.TIME_WAIT) return tcpTimewaitProcess(sk, skb, th);
  if (st === TcpState.CLOSE || st === TcpState.LISTEN) {
    skb.free();
    return TW_DONE;
  }
  const ext = sk.stack.ext;
  const flags = th.flags;
  const len = skb.len;
  const seq = th.seq;
  const endSeq = (seq + len + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
  sk.lrcvtime = sk.now();
  sk.lastRcvTsEcr = th.tsPresent ? th.tsEcr : 0;

  // 1. PAWS (RFC 7323 §5): RSTs are exempt.
  if (sk.tsOk && th.tsPresent && (flags & TCP_RST) === 0 && tcpPawsReject(sk, th)) {
    if (flags & TCP_SYN) {
      ext.TCPSYNChallenge++;
      tcpSendChallengeAck(sk);
    } else {
      ext.PAWSEstab++;
      if (!tcpOowRateLimited(sk, len, flags)) tcpSendDupAck(sk, seq, endSeq, len);
      else ext.TCPACKSkippedPAWS++;
    }
    skb.free();
    return TW_DONE;
  }
  // 2. Sequence acceptability (tcp_sequence; RFC 9293 §3.10.7.4 first check).
  if (seqLt(endSeq, sk.rcvWup) || seqGt(seq, seqAdd(sk.rcvNxt, tcpReceiveWindow(sk)))) {
    if ((flags & TCP_RST) === 0) {
      if (flags & TCP_SYN) {
        ext.TCPSYNChallenge++;
        tcpSendChallengeAck(sk);
      } else if (!tcpOowRateLimited(sk, len, flags)) {
        tcpSendDupAck(sk, seq, endSeq, len);
      } else {
        ext.TCPACKSkippedSeq++;
      }
    }
    skb.free();
    return TW_DONE;
  }
  // 3. RST (RFC 5961 §3.2): only an exact match resets; an in-window one gets a challenge ACK.
  if (flags & TCP_RST) {
    if (seq === sk.rcvNxt) tcpReset(sk);
    else tcpSendChallengeAck(sk);
    skb.free();
    return TW_DONE;
  }
  // 4. SYN in a synchronized state (RFC 5961 §4).
  if (flags & TCP_SYN) {
    ext.TCPSYNChallenge++;
    tcpSendChallengeAck(sk);
    skb.free();
    return TW_DONE;
  }
  // 5. ACK.
  if ((flags & TCP_ACK) === 0) {
    skb.free();
    return TW_DONE;
  }
  if (st === TcpState.SYN_RECV && (!seqGt(th.ack, sk.sndUna) || seqGt(th.ack, sk.sndNxt))) {
    // RFC 9293: an unacceptable ACK in SYN-RECEIVED gets <SEQ=SEG.ACK><CTL=RST>.
    tcpSendResetTo(sk, th.ack, 0, TCP_RST);
    skb.free();
    return TW_DONE;
  }
  const rcvWup = sk.rcvWup;
  if (tcpAck(sk, th, len) < 0) {
    skb.free();
    return TW_DONE;
  }
  // RFC 7323 §4.3: TS.Recent from a segment covering Last.ACK.sent — only once its ACK proved acceptable
  // (as Linux: an invalid ACK must not move TS.Recent).
  if (sk.tsOk && th.tsPresent && seqLeq(seq, rcvWup) && tcpTsNewer(sk, th.tsVal)) {
    sk.tsRecent = th.tsVal;
    sk.tsRecentStamp = sk.now();
  }
  if (st === TcpState.SYN_RECV) tcpSynRecvEstablished(sk);

  const finAcked = sk.finQueued && sk.sndUna === sk.writeSeq;
  switch (sk.state) {
    case TcpState.FIN_WAIT1:
      if (finAcked) {
        tcpSetState(sk, TcpState.FIN_WAIT2);
        if (sk.orphan) {
          // Data after close() is an abort (RFC 1122 §4.2.2.13); otherwise wait finTimeout for the FIN.
          if (len > 0 && seqGt(seqAdd(seq, len), sk.rcvNxt)) {
            ext.TCPAbortOnData++;
            sk.stack.sendResetFor(th, sk.saddr, sk.daddr, len);
            tcpDone(sk);
            skb.free();
            return TW_DONE;
          }
          sk.kaTimer.mod(sk.stack.config.finTimeoutMs);
        } else {
          tcpKeepaliveReset(sk);
        }
      }
      break;
    case TcpState.CLOSING:
      if (finAcked) {
        tcpTimeWait(sk);
        skb.free();
        return TW_DONE;
      }
      break;
    case TcpState.LAST_ACK:
      if (finAcked) {
        tcpDone(sk);
        skb.free();
        return TW_DONE;
      }
      break;
  }

  // 6. URG: the urgent pointer is not acted upon; urgent data is delivered in line (SO_OOBINLINE), as RFC 6093
  //    recommends applications assume.
  // 7. Data and FIN.
  switch (sk.state) {
    case TcpState.CLOSE_WAIT:
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
      if (!seqLt(seq, sk.rcvNxt)) {
        skb.free();
        break;
      }
      tcpDataQueue(sk, skb, th, seq, len);
      break;
    case TcpState.FIN_WAIT1:
    case TcpState.FIN_WAIT2:
      if (sk.rcvShutdown && len > 0 && seqGt(seqAdd(seq, len), sk.rcvNxt)) {
        // New data after the user stopped reading (close()): RFC 1122 says reset (formed from the segment, as Linux).
        ext.TCPAbortOnData++;
        sk.stack.sendResetFor(th, sk.saddr, sk.daddr, len);
        tcpDone(sk);
        skb.free();
        return TW_DONE;
      }
      tcpDataQueue(sk, skb, th, seq, len);
      break;
    case TcpState.ESTABLISHED:
      tcpDataQueue(sk, skb, th, seq, len);
      break;
    default:
      skb.free();
  }
  if (sk.state === TcpState.CLOSE) return TW_DONE;
  tcpPushPending(sk);
  tcpAckSndCheck(sk);
  return TW_DONE;
}

/** True when TSval is not older than TS.Recent, or TS.Recent has expired (tcp_paws_check). */
function tcpTsNewer(sk: TcpSock, tsVal: number): boolean {
  return ((sk.tsRecent - tsVal) | 0) <= 0 || sk.now() - sk.tsRecentStamp > PAWS_24DAYS_MS;
}

/** PAWS (RFC 7323 §5.3): a segment whose TSval is older than TS.Recent is an old duplicate. */
function tcpPawsReject(sk: TcpSock, th: TcpHeader): boolean {
  return !tcpTsNewer(sk, th.tsVal);
}

/**
 * Out-of-window duplicate ACKs are rate-limited for segments without data (tcp_oow_rate_limited): an ACK loop
 * with a confused peer costs at most one ACK per invalidRateLimitMs.
 */
function tcpOowRateLimited(sk: TcpSock, len: number, flags: number): boolean {
  if (len > 0 && (flags & TCP_SYN) === 0) return false;
  const now = sk.now();
  if (now - sk.lastOowAck < sk.stack.config.invalidRateLimitMs) return true;
  sk.lastOowAck = now;
  return false;
}

/** ACK a duplicate or out-of-window segment, with a D-SACK for old data (tcp_send_dupack). */
function tcpSendDupAck(sk: TcpSock, seq: number, endSeq: number, len: number): void {
  if (len > 0 && seqLt(seq, sk.rcvNxt)) {
    sk.stack.ext.DelayedACKLost++;
    sk.quickAcks = Math.max(sk.quickAcks, 1);
    if (sk.sackOk && sk.stack.config.dsack) {
      sk.rx.setDsack(seq, seqGt(endSeq, sk.rcvNxt) ? sk.rcvNxt : endSeq);
      sk.stack.ext.TCPDSACKOldSent++;
    }
  }
  sk.ackPending = true;
  tcpSendAck(sk);
}

/** A valid RST arrived (tcp_reset): report by state and close. */
export function tcpReset(sk: TcpSock): void {
  switch (sk.state) {
    case TcpState.SYN_SENT:
      sk.error = 'ECONNREFUSED';
      break;
    case TcpState.SYN_RECV:
      // RFC 9293 §3.10.7.4: from an active open the connection was refused.
      sk.error = sk.active ? 'ECONNREFUSED' : 'ECONNRESET';
      break;
    case TcpState.CLOSE:
      return;
    default:
      sk.error = 'ECONNRESET';
  }
  if (sk.orphan) sk.error = null;
  if (tcpLog.enabled) tcpLog('%s: reset by peer', String(sk));
  tcpDone(sk);
}

/** Send an RST (or RST+ACK) for this connection's addresses with explicit numbers. */
function tcpSendResetTo(sk: TcpSock, seq: number, ack: number, flags: number): void {
  tcpSendRaw(sk.stack, sk.saddr, sk.daddr, sk.sport, sk.dport, seq, ack, flags, 0, null, sk.csumOffload);
}

// --- handshake -------------------------------------------------------------------------------------------------

/** Negotiate options from a received SYN or SYN-ACK (tcp_parse_options on a SYN, RFC 7323 / RFC 2018 rules). */
export function tcpApplySynOptions(sk: TcpSock, th: TcpHeader): void {
  const cfg = sk.stack.config;
  sk.tsOk = sk.tsOk && th.tsPresent;
  if (sk.tsOk) {
    sk.tsRecent = th.tsVal;
    sk.tsRecentStamp = sk.now();
  }
  sk.sackOk = sk.sackOk && th.sackOk && cfg.sack;
  if (sk.wscaleOk && th.wscale >= 0) {
    sk.sndWscale = Math.min(th.wscale, TCP_MAX_WSCALE);
  } else {
    sk.wscaleOk = false;
    sk.sndWscale = 0;
    sk.rcvWscale = 0;
  }
  sk.mssClamp = th.mss > 0 ? th.mss : 536;
  tcpSyncMss(sk, sk.pmtu);
}

/** SYN-SENT (RFC 9293 §3.10.7.3). */
function tcpRcvSynSent(sk: TcpSock, skb: SkBuff, th: TcpHeader): void {
  const flags = th.flags;
  if (flags & TCP_ACK) {
    if (!seqGt(th.ack, sk.iss) || seqGt(th.ack, sk.sndNxt)) {
      // Not for our SYN: <SEQ=SEG.ACK><CTL=RST> unless it is a reset itself.
      if ((flags & TCP_RST) === 0) tcpSendResetTo(sk, th.ack, 0, TCP_RST);
      skb.free();
      return;
    }
  }
  if (flags & TCP_RST) {
    // Acceptable only with an acceptable ACK (RFC 5961 §3.2 keeps this for SYN-SENT).
    if (flags & TCP_ACK) tcpReset(sk);
    skb.free();
    return;
  }
  if ((flags & TCP_SYN) === 0) {
    skb.free();
    return;
  }
  sk.irs = th.seq;
  sk.rcvNxt = seqAdd(th.seq, 1);
  sk.copiedSeq = sk.rcvNxt;
  sk.rcvWup = sk.rcvNxt;
  sk.lrcvtime = sk.now();
  tcpApplySynOptions(sk, th);
  // The window of a SYN is never scaled (RFC 7323 §2.2).
  sk.sndWnd = th.window;
  sk.maxWindow = th.window;
  sk.sndWl1 = th.seq;
  sk.sndWl2 = th.ack;
  if (flags & TCP_ACK) {
    // Our SYN is acknowledged: ESTABLISHED.
    const seg = sk.tx.first()!;
    const now = sk.now();
    if ((seg.sacked & EVER_RETRANS) === 0) {
      tcpRttEstimator(sk, now - seg.txTime);
      tcpUpdateMinRtt(sk, now - seg.txTime);
    } else if (sk.tsOk && th.tsEcr !== 0) {
      const d = (sk.tsNow() - th.tsEcr) | 0;
      if (d >= 0) tcpRttEstimator(sk, d);
    }
    sk.tx.tsUnlink(seg);
    sk.tx.shift();
    sk.packetsOut = 0;
    sk.retransOut = 0;
    sk.lostOut = 0;
    sk.sndUna = th.ack;
    sk.rcvTstamp = now;
    tcpSetState(sk, TcpState.ESTABLISHED);
    tcpInitTransfer(sk);
    sk.wake(EV_CONNECTED);
    sk.ackPending = true;
    sk.ackNow = true;
    if (skb.len > 0 || flags & TCP_FIN) tcpDataQueue(sk, skb, th, seqAdd(th.seq, 1), skb.len);
    else skb.free();
    tcpPushPending(sk);
    tcpAckSndCheck(sk);
    return;
  }
  // Simultaneous open: SYN-RECEIVED, send SYN-ACK (our ISN again, now with an ACK). Data in the SYN waits,
  // unacknowledged, until ESTABLISHED (RFC 9293 §3.10.7.3).
  tcpSetState(sk, TcpState.SYN_RECV);
  if (skb.len > 0) sk.rx.ofoInsert(sk.rcvNxt, seqAdd(sk.rcvNxt, skb.len), false, skb, false);
  else skb.free();
  tcpSendSynAck(sk);
  tcpRearmRto(sk);
}

/** SYN-RECEIVED → ESTABLISHED on the ACK of our SYN (passive child or simultaneous open). */
function tcpSynRecvEstablished(sk: TcpSock): void {
  tcpSetState(sk, TcpState.ESTABLISHED);
  tcpInitTransfer(sk);
  // Data that came with the peer's SYN (simultaneous open) is now in order.
  if (sk.rx.ofo.length > 0 && sk.rx.ofo[0]!.seq === sk.rcvNxt) tcpQueueInOrder(sk, SkBuff.alloc(0), 0, false);
  if (sk.listener !== null) {
    sk.listener.childEstablished(sk);
  } else {
    sk.wake(EV_CONNECTED);
  }
}

/** Start of data transfer (tcp_init_transfer): windows, buffers, RTO after a lost SYN (RFC 6298 §5.7). */
export function tcpInitTransfer(sk: TcpSock): void {
  const cfg = sk.stack.config;
  if (sk.srtt === 0 && sk.synRetries > 0) {
    sk.rto = Math.max(3000, cfg.rtoMinMs);
  } else if (sk.srtt > 0) {
    tcpSetRto(sk);
  }
  sk.backoff = 0;
  sk.retransmits = 0;
  // RFC 6928 §2: one segment after a lost SYN, else the initial window.
  sk.cwnd = sk.synRetries > 0 ? 1 : cfg.initCwnd;
  sk.cwndCnt = 0;
  sk.ssthresh = 0x7fffffff;
  sk.quickAcks = cfg.quickAcks;
  sk.rcvMss = Math.max(Math.min(sk.advMss, sk.mssCache, 536), 88);
  sk.rcvqSpace = Math.min(sk.rcvWnd, 10 * sk.advMss);
  sk.rcvqSpaceSeq = sk.copiedSeq;
  sk.rcvqSpaceTime = sk.now();
  sk.rcvRttSeq = sk.rcvNxt;
  sk.rcvRttTime = sk.now();
  sk.lostHint = sk.sndUna;
  sk.retransHint = sk.sndUna;
  sk.lostEnd = sk.sndUna;
  sk.highSeq = sk.sndUna;
  sk.synRetries = 0;
  tcpKeepaliveReset(sk);
}

// --- data ------------------------------------------------------------------------------------------------------

/** Queue payload and FIN (tcp_data_queue): in order, duplicate, beyond the window, or out of order. */
export function tcpDataQueue(sk: TcpSock, skb: SkBuff, th: TcpHeader, seq: number, len: number): void {
  let fin = (th.flags & TCP_FIN) !== 0;
  if (len === 0 && !fin) {
    skb.free();
    return;
  }
  const ext = sk.stack.ext;
  const rcvNxt = sk.rcvNxt;
  if (sk.peerFin) {
    // Everything up to the FIN was received: this can only be a retransmission.
    sk.ackNow = true;
    sk.ackPending = true;
    if (len > 0 && sk.sackOk && sk.stack.config.dsack) {
      sk.rx.setDsack(seq, seqAdd(seq, len));
      ext.TCPDSACKOldSent++;
    }
    skb.free();
    return;
  }
  const end = seqAdd(seq, len);
  // Entirely old: D-SACK it and ACK at once (RFC 2883, RFC 5681 §4.2).
  if (!seqGt(end, rcvNxt) && !(fin && end === rcvNxt)) {
    if (len > 0) {
      ext.DelayedACKLost++;
      if (sk.sackOk && sk.stack.config.dsack) {
        sk.rx.setDsack(seq, end);
        ext.TCPDSACKOldSent++;
      }
    }
    sk.ackNow = true;
    sk.ackPending = true;
    skb.free();
    return;
  }
  const wnd = tcpReceiveWindow(sk);
  const right = seqAdd(rcvNxt, wnd);
  if (!seqLt(seq, right) && !(len === 0 && seq === rcvNxt)) {
    // Starts beyond the window: drop, tell the peer where we are.
    if (wnd === 0 && seq === rcvNxt) ext.TCPZeroWindowDrop++;
    sk.ackNow = true;
    sk.ackPending = true;
    skb.free();
    return;
  }
  // Trim to the window (RFC 9293 §3.10.7.4: only the part inside the window is processed).
  if (seqGt(end, right)) {
    skb.tail -= seqDiff(end, right);
    len = skb.len;
    fin = false;
  }
  if (seqLt(seq, rcvNxt)) {
    // Partly old: D-SACK the duplicate head and keep the rest.
    const dup = seqDiff(rcvNxt, seq);
    if (sk.sackOk && sk.stack.config.dsack) {
      sk.rx.setDsack(seq, rcvNxt);
      ext.TCPDSACKOldSent++;
    }
    skb.data += dup;
    len -= dup;
    seq = rcvNxt;
    sk.ackNow = true;
  }
  if (seq === rcvNxt) {
    tcpQueueInOrder(sk, skb, len, fin);
    return;
  }
  // Out of order: keep it, ACK at once with SACK (RFC 5681 §4.2, RFC 2018).
  ext.TCPOFOQueue++;
  const endData = seqAdd(seq, len);
  if (sk.rx.ofoInsert(seq, endData, fin, skb, sk.sackOk && sk.stack.config.dsack)) {
    // queued
  } else {
    ext.TCPOFOMerge++;
  }
  sk.ackNow = true;
  sk.ackPending = true;
}

function tcpQueueInOrder(sk: TcpSock, skb: SkBuff, len: number, fin: boolean): void {
  const rx = sk.rx;
  const hadOfo = rx.ofo.length > 0;
  if (len > 0) {
    tcpMeasureRcvMss(sk, len);
    if (sk.orphan) {
      skb.free();
    } else {
      rx.enqueue(skb);
      sk.wake(EV_READABLE);
    }
    sk.rcvNxt = seqAdd(sk.rcvNxt, len);
    sk.bytesReceived += len;
    tcpRcvRttMeasure(sk);
  } else {
    skb.free();
  }
  if (hadOfo && !fin) {
    const d = rx.ofoDrain(sk.rcvNxt, sk.sackOk && sk.stack.config.dsack);
    const gained = seqDiff(d.rcvNxt, sk.rcvNxt);
    if (gained > 0) {
      sk.bytesReceived += gained;
      sk.rcvNxt = d.rcvNxt;
      if (sk.orphan) rx.purge();
      else sk.wake(EV_READABLE);
    }
    fin = d.fin;
    // Filling a hole is ACKed at once (RFC 5681 §4.2).
    sk.ackNow = true;
  }
  tcpEventDataRecv(sk);
  if (fin) tcpFin(sk);
}

/** The peer's FIN is in order (tcp_fin). */
function tcpFin(sk: TcpSock): void {
  sk.rcvNxt = seqAdd(sk.rcvNxt, 1);
  sk.peerFin = true;
  sk.ackNow = true;
  sk.ackPending = true;
  // Anything out of order beyond a FIN is garbage, and nothing is left to SACK (tcp_sack_reset).
  sk.rx.dsackPending = false;
  if (sk.rx.ofo.length > 0) {
    for (const s of sk.rx.ofo) s.skb.free();
    sk.rx.ofo = [];
    sk.rx.ofoBytes = 0;
    sk.rx.sackCount = 0;
  }
  switch (sk.state) {
    case TcpState.SYN_RECV:
    case TcpState.ESTABLISHED:
      tcpSetState(sk, TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT1:
      // Our FIN is not acknowledged yet: simultaneous close.
      tcpSetState(sk, TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT2:
      tcpSendAck(sk);
      tcpTimeWait(sk);
      break;
  }
  sk.wake(EV_READABLE);
}

/** Delayed-ACK bookkeeping for received data (tcp_event_data_recv). */
function tcpEventDataRecv(sk: TcpSock): void {
  sk.ackPending = true;
  sk.lastDataRcv = sk.now();
}

/** Learn the peer's full-sized segment from what arrives (tcp_measure_rcv_mss). */
function tcpMeasureRcvMss(sk: TcpSock, len: number): void {
  if (len > sk.rcvMss) sk.rcvMss = Math.min(len, sk.advMss);
}

/** Receiver-side RTT for buffer auto-tuning (tcp_rcv_rtt_measure and its timestamp variant). */
function tcpRcvRttMeasure(sk: TcpSock): void {
  const now = sk.now();
  let sample = -1;
  if (sk.tsOk && sk.lastRcvTsEcr !== 0) {
    const d = (sk.tsNow() - sk.lastRcvTsEcr) | 0;
    if (d >= 0) sample = Math.max(d, 0.5);
  } else if (!seqLt(sk.rcvNxt, sk.rcvRttSeq)) {
    sample = now - sk.rcvRttTime;
    sk.rcvRttSeq = seqAdd(sk.rcvNxt, Math.max(sk.rcvWnd, sk.rcvMss));
    sk.rcvRttTime = now;
  }
  if (sample <= 0) return;
  // GUESS: a min-biased average in the spirit of Linux's tcp_rcv_rtt_update (its exact filter differs).
  if (sk.rcvRtt === 0 || sample < sk.rcvRtt) sk.rcvRtt = sample;
  else sk.rcvRtt = 0.875 * sk.rcvRtt + 0.125 * sample;
}

/**
 * Send the ACK now or arm the delayed-ACK timer (__tcp_ack_snd_check): at once when asked (out of order, FIN,
 * duplicate, window), in quick-ACK mode, or for every second full-sized segment; otherwise within delAckMs.
 */
export function tcpAckSndCheck(sk: TcpSock): void {
  if (!sk.ackPending) return;
  if (sk.ackNow || sk.quickAcks > 0) {
    tcpSendAck(sk);
    return;
  }
  if (seqDiff(sk.rcvNxt, sk.rcvWup) > sk.rcvMss) {
    // Every second full-sized segment: ACK once the segments that arrived together are processed (like Linux
    // after a GRO flush), so a burst delivered in one softirq round gets one ACK, not one per two segments.
    sk.stack.deferAck(sk);
    return;
  }
  if (!sk.delackTimer.pending) sk.delackTimer.mod(sk.stack.config.delAckMs);
}

// --- TIME-WAIT -------------------------------------------------------------------------------------------------

/** Segments for a connection in TIME-WAIT (tcp_timewait_state_process). */
function tcpTimewaitProcess(sk: TcpSock, skb: SkBuff, th: TcpHeader): number {
  const ext = sk.stack.ext;
  const flags = th.flags;
  const len = skb.len;
  if (flags & TCP_RST) {
    skb.free();
    // RFC 1337 (TIME-WAIT assassination): ignore RSTs; without the fix, an in-window RST ends TIME-WAIT.
    if (sk.stack.config.rfc1337) {
      ext.TCPTimeWaitRstIgnored++;
    } else if (th.seq === sk.rcvNxt) {
      ext.TWKilled++;
      tcpDone(sk);
    }
    return TW_DONE;
  }
  const pawsBad = sk.tsOk && th.tsPresent && !tcpTsNewer(sk, th.tsVal);
  if ((flags & (TCP_SYN | TCP_ACK | TCP_FIN)) === TCP_SYN && !pawsBad) {
    // RFC 6191 / RFC 9293 §3.10.7.4 note: a new SYN above the old sequence space (or with a newer timestamp)
    // may reopen the connection.
    const newer = sk.tsOk && th.tsPresent ? ((th.tsVal - sk.tsRecent) | 0) > 0 : seqGt(th.seq, sk.rcvNxt);
    if (newer) {
      ext.TWRecycled++;
      // RFC 6191: the new incarnation's ISN must be above the old sequence space (Linux: snd_nxt + 65537).
      sk.stack.reuseIsn = seqAdd(sk.sndNxt, 65537);
      tcpDone(sk);
      return TW_SYN;
    }
  }
  skb.free();
  if (pawsBad) {
    ext.PAWSEstab++;
  }
  // A retransmitted FIN: ACK it and restart the 2·MSL timer; anything else gets an ACK (rate-limited).
  const endSeq = seqAdd(th.seq, len + (flags & TCP_FIN ? 1 : 0));
  if (flags & TCP_FIN && endSeq === sk.rcvNxt && !pawsBad) {
    sk.kaTimer.mod(sk.stack.config.timeWaitMs);
    tcpSendAck(sk);
    return TW_DONE;
  }
  if (tcpOowRateLimited(sk, 0, flags)) {
    ext.TCPACKSkippedTimeWait++;
    return TW_DONE;
  }
  tcpSendAck(sk);
  return TW_DONE;
}

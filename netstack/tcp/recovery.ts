/**
 * Processing an acknowledgment (Linux's tcp_ack and tcp_fastretrans_alert): window update (RFC 9293 §3.10.7.4),
 * the retransmission queue, RTT samples, the SACK scoreboard (RFC 2018, D-SACK RFC 2883), loss marking by
 * DupThresh (RFC 6675 IsLost) and RACK (RFC 8985), NewReno for peers without SACK (RFC 6582), fast recovery with
 * Proportional Rate Reduction (RFC 6937), RTO recovery, and undo of spurious recoveries (Eifel RFC 3522 with
 * timestamps, D-SACK).
 */
import type { TcpHeader } from './wire.ts';
import { tcpPacketsInFlight, tcpPushPending, tcpSendAck, tcpSndbufExpand } from './output.ts';
import { tcpRackAdvance, tcpRackDetectLoss, tcpTlpAck } from './rack.ts';
import { tcpRttEstimator, tcpUpdateMinRtt } from './rtt.ts';
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt, seqMax } from './seq.ts';
import { EV_WRITABLE, RtxKind, type TcpSock } from './sock.ts';
import { tcpClearXmitTimer, tcpSetXmitTimer } from './timers.ts';
import { EVER_RETRANS, SACKED_ACKED, SACKED_RETRANS, SEG_LOST, type TxSeg } from './txqueue.ts';
import { CaState } from './types.ts';
import { TCP_FIN, TCP_SYN } from './wire.ts';

export const FLAG_DATA_ACKED = 0x1;
export const FLAG_WIN_UPDATE = 0x2;
export const FLAG_DATA_SACKED = 0x4;
export const FLAG_DSACK = 0x8;
export const FLAG_SYN_ACKED = 0x10;
export const FLAG_RETRANS_DATA_ACKED = 0x20;
export const FLAG_SND_UNA_ADVANCED = 0x40;

/** Largest DupThresh reordering may raise (tcp_max_reordering). */
const MAX_REORDERING = 300;
/** Bound on the downward walk that finds the DupThresh-th highest SACKed segment. GUESS: a cost cap, no source. */
const MAX_LOST_SCAN = 2048;

// Results of tcpCleanRtxQueue (module scratch: ACK processing is not re-entrant).
let firstAckt = -1;
let lastAckt = -1;
let ackFlags = 0;

/**
 * Process the ACK field of an acceptable segment. Returns 1 when processed, 0 for an old duplicate ACK (ignored,
 * the segment's data is still processed), -1 when the segment must be dropped (a challenge ACK went out).
 */
export function tcpAck(sk: TcpSock, th: TcpHeader, payloadLen: number): number {
  const ack = th.ack;
  const priorUna = sk.sndUna;
  if (seqGt(ack, sk.sndNxt)) {
    // RFC 9293 / RFC 5961 §5: acknowledges data never sent.
    tcpSendChallengeAck(sk, payloadLen === 0);
    return -1;
  }
  if (seqLt(ack, priorUna)) {
    if (seqLt(ack, (priorUna - sk.maxWindow) >>> 0)) {
      tcpSendChallengeAck(sk, payloadLen === 0);
      return -1;
    }
    if (sk.sackOk && th.sackCount > 0 && sk.packetsOut > 0) {
      const priorDelivered = sk.delivered;
      const priorLost = sk.lostOut;
      const flag = tcpSackTag(sk, th, priorUna);
      tcpFastRetransAlert(sk, th, flag, 0, false, priorDelivered, priorLost);
      tcpPushPending(sk);
    }
    return 0;
  }
  const now = sk.now();
  sk.rcvTstamp = now;
  sk.probesOut = 0;
  let flag = 0;
  if (tcpAckUpdateWindow(sk, th, ack)) flag |= FLAG_WIN_UPDATE;
  const priorDelivered = sk.delivered;
  const priorLost = sk.lostOut;
  if (sk.sackOk && th.sackCount > 0) flag |= tcpSackTag(sk, th, ack);
  let acked = 0;
  firstAckt = -1;
  lastAckt = -1;
  ackFlags = 0;
  if (seqGt(ack, priorUna)) {
    flag |= FLAG_SND_UNA_ADVANCED;
    acked = tcpCleanRtxQueue(sk, ack, now, th.tsPresent ? th.tsEcr : 0);
    flag |= ackFlags;
    sk.sndUna = ack;
    sk.retransmits = 0;
    tcpTlpAck(sk, ack);
  }
  let caRtt = -1;
  if (flag & FLAG_DATA_ACKED) caRtt = tcpAckUpdateRtt(sk, flag, th, now);
  const isDupAck =
    (flag & (FLAG_SND_UNA_ADVANCED | FLAG_WIN_UPDATE)) === 0 &&
    payloadLen === 0 &&
    (th.flags & (TCP_SYN | TCP_FIN)) === 0 &&
    sk.packetsOut > 0;
  tcpFastRetransAlert(sk, th, flag, acked, isDupAck, priorDelivered, priorLost);
  if (flag & FLAG_DATA_ACKED) {
    if (sk.caState !== CaState.RECOVERY) {
      if (caRtt >= 0) sk.cc.pktsAcked(acked, caRtt);
      sk.cc.congAvoid(ack, acked);
    }
    tcpSndbufExpand(sk);
  }
  // Timers (RFC 6298 §5.2/5.3).
  if (sk.packetsOut === 0) {
    if (sk.rtxKind !== RtxKind.PROBE0) tcpClearXmitTimer(sk);
  } else if (flag & FLAG_SND_UNA_ADVANCED) {
    if (sk.rtxKind !== RtxKind.REO_TIMEOUT) tcpSetXmitTimer(sk);
  }
  if (sk.rtxKind === RtxKind.PROBE0) tcpAckProbe(sk);
  if (sk.sndFull && (flag & FLAG_DATA_ACKED) !== 0 && sk.sendSpace * 3 >= sk.sndbuf) {
    sk.sndFull = false;
    sk.wake(EV_WRITABLE);
  }
  return 1;
}

/** Window update from an ACK (RFC 9293 §3.10.7.4: SND.WL1/SND.WL2 rule). Returns true when the window changed. */
function tcpAckUpdateWindow(sk: TcpSock, th: TcpHeader, ack: number): boolean {
  const nwin = th.flags & TCP_SYN ? th.window : th.window << sk.sndWscale;
  if (seqLt(sk.sndWl1, th.seq) || (sk.sndWl1 === th.seq && seqLeq(sk.sndWl2, ack))) {
    const changed = nwin !== sk.sndWnd;
    sk.sndWnd = nwin;
    sk.sndWl1 = th.seq;
    sk.sndWl2 = ack;
    if (nwin > sk.maxWindow) sk.maxWindow = nwin;
    return changed;
  }
  return false;
}

/** The zero-window probe timer is armed and an ACK came: stop probing once the window admits the next segment. */
function tcpAckProbe(sk: TcpSock): void {
  const seg = sk.tx.unsent();
  if (seg === undefined) {
    tcpClearXmitTimer(sk);
    sk.backoff = 0;
    return;
  }
  if (!seqGt(seg.end, seqAdd(sk.sndUna, sk.sndWnd)) || (sk.sndWnd >= sk.mssCache && sk.sndWnd > 0)) {
    tcpClearXmitTimer(sk);
    sk.backoff = 0;
    sk.probesOut = 0;
  }
}

/** Remove fully acknowledged segments (tcp_clean_rtx_queue); trim a partially acknowledged head. */
function tcpCleanRtxQueue(sk: TcpSock, ack: number, now: number, tsEcr: number): number {
  const tx = sk.tx;
  let acked = 0;
  let retransAcked = false;
  while (tx.head < tx.sendHead) {
    const seg = tx.segs[tx.head]!;
    if (seqGt(seg.end, ack)) {
      if (seqGt(ack, seg.seq) && seg.len > 0 && (seg.flags & TCP_SYN) === 0) {
        const n = Math.min(seqDiff(ack, seg.seq), seg.len);
        seg.off += n;
        seg.len -= n;
        seg.seq = ack;
        seg.ownHeadroom = false;
        tx.bytes -= n;
        sk.bytesAcked += n;
        ackFlags |= FLAG_DATA_ACKED;
      }
      break;
    }
    const s = seg.sacked;
    if (s & SACKED_RETRANS) sk.retransOut--;
    if (s & EVER_RETRANS) {
      retransAcked = true;
    } else if ((s & SACKED_ACKED) === 0) {
      lastAckt = seg.txTime;
      if (firstAckt < 0) firstAckt = seg.txTime;
    }
    if (s & SEG_LOST) sk.lostOut--;
    if (s & SACKED_ACKED) {
      sk.sackedOut--;
    } else {
      if (sk.sackOk) sk.delivered++;
      tcpRackAdvance(sk, seg, now, tsEcr);
    }
    if (seg.flags & TCP_SYN) ackFlags |= FLAG_SYN_ACKED;
    sk.packetsOut--;
    sk.bytesAcked += seg.len;
    tx.tsUnlink(seg);
    tx.shift();
    acked++;
  }
  if (acked > 0) ackFlags |= FLAG_DATA_ACKED;
  if (retransAcked) ackFlags |= FLAG_RETRANS_DATA_ACKED;
  if (sk.sackedOut <= 0 || sk.packetsOut === 0) {
    sk.haveSacked = false;
    if (sk.sackOk) sk.sackedOut = 0;
  }
  if (sk.packetsOut === 0) {
    sk.lostOut = 0;
    sk.retransOut = 0;
    sk.retransStart = 0;
  }
  if (sk.haveSacked && seqLeq(sk.highSacked, ack)) sk.haveSacked = false;
  sk.stack.ext.TCPDelivered += acked;
  return acked;
}

/** RTT sample for this ACK (tcp_ack_update_rtt): Karn-safe sequence sample first, else the timestamp echo. */
function tcpAckUpdateRtt(sk: TcpSock, flag: number, th: TcpHeader, now: number): number {
  let seqRtt = -1;
  let caRtt = -1;
  if ((flag & FLAG_RETRANS_DATA_ACKED) === 0 && firstAckt >= 0) {
    seqRtt = now - firstAckt;
    caRtt = now - lastAckt;
  }
  if (seqRtt < 0 && sk.tsOk && th.tsPresent && th.tsEcr !== 0) {
    const d = (sk.tsNow() - th.tsEcr) | 0;
    if (d >= 0) seqRtt = caRtt = d;
  }
  if (seqRtt < 0) return -1;
  tcpRttEstimator(sk, seqRtt);
  tcpUpdateMinRtt(sk, caRtt);
  return caRtt;
}

// --- SACK scoreboard -------------------------------------------------------------------------------------------

// Scratch for sorting the blocks of one ACK.
const blkS = new Float64Array(4);
const blkE = new Float64Array(4);

/**
 * Tag SACKed segments from the ACK's blocks (tcp_sacktag_write_queue). Blocks already seen on the previous ACK
 * (the cache) are skipped, so a block that grows by one segment per ACK costs one segment of work, not the
 * block's length (the scoreboard stays linear in the window).
 */
export function tcpSackTag(sk: TcpSock, th: TcpHeader, ack: number): number {
  const n = th.sackCount;
  const b = th.sack;
  const ext = sk.stack.ext;
  let flag = 0;
  let first = 0;
  const s0 = b[0]!;
  const e0 = b[1]!;
  if (seqLt(s0, ack) || (n > 1 && seqLeq(e0, b[3]!) && seqGeq(s0, b[2]!))) {
    // RFC 2883 §4: a D-SACK block.
    first = 1;
    flag |= FLAG_DSACK;
    ext.TCPDSACKRecv++;
    if (!seqLt(s0, ack)) ext.TCPDSACKOfoRecv++;
    // RFC 8985 §6.2 step 4: a D-SACK widens RACK's reordering window (at most once per round trip).
    sk.rackReorderingSeen = true;
    if (!sk.rackDsackSeen || seqGeq(ack, sk.rackDsackRound)) {
      sk.rackDsackSeen = true;
      sk.rackDsackRound = sk.sndNxt;
      sk.rackReoWndMult++;
      sk.rackReoWndPersist = 16;
    }
    if (sk.undoActive && sk.undoRetrans > 0 && seqGt(e0, sk.undoMarker)) sk.undoRetrans--;
  }
  // Valid blocks, sorted by start.
  let m = 0;
  for (let i = first; i < n; i++) {
    let start = b[2 * i]!;
    const end = b[2 * i + 1]!;
    if (!seqLt(start, end) || seqGt(end, sk.sndNxt) || seqDiff(end, start) > Math.max(sk.maxWindow, 65535) * 2) {
      ext.TCPSACKDiscard++;
      continue;
    }
    if (!seqGt(end, ack)) {
      ext.TCPDSACKIgnoredOld++;
      continue;
    }
    if (seqLt(start, ack)) start = ack;
    let k = m++;
    while (k > 0 && seqLt(start, blkS[k - 1]!)) {
      blkS[k] = blkS[k - 1]!;
      blkE[k] = blkE[k - 1]!;
      k--;
    }
    blkS[k] = start;
    blkE[k] = end;
  }
  const cache = sk.sackCache;
  const cn = sk.sackCacheCount;
  for (let i = 0; i < m; i++) {
    const start = blkS[i]!;
    const end = blkE[i]!;
    // Walk [start, end) minus the cached blocks (already tagged).
    let from = start;
    for (let c = 0; c < cn && seqLt(from, end); c++) {
      const cs = cache[2 * c]!;
      const ce = cache[2 * c + 1]!;
      if (seqLeq(ce, from) || seqGeq(cs, end)) continue;
      if (seqLt(from, cs)) flag |= sackWalk(sk, from, cs, start, end);
      from = seqMax(from, ce);
    }
    if (seqLt(from, end)) flag |= sackWalk(sk, from, end, start, end);
  }
  for (let i = 0; i < m; i++) {
    cache[2 * i] = blkS[i]!;
    cache[2 * i + 1] = blkE[i]!;
  }
  sk.sackCacheCount = m;
  return flag;
}

/** Tag segments starting in [from, to) that lie entirely inside the block [bs, be). */
function sackWalk(sk: TcpSock, from: number, to: number, bs: number, be: number): number {
  const tx = sk.tx;
  let flag = 0;
  for (let j = tx.indexOf(from); j < tx.sendHead; j++) {
    const seg = tx.segs[j]!;
    if (!seqLt(seg.seq, to) || seqGt(seg.end, be)) break;
    if (seqGeq(seg.seq, bs) && (seg.sacked & SACKED_ACKED) === 0) {
      tcpSackTagOne(sk, seg);
      flag |= FLAG_DATA_SACKED;
    }
  }
  return flag;
}

function tcpSackTagOne(sk: TcpSock, seg: TxSeg): void {
  const s = seg.sacked;
  const ext = sk.stack.ext;
  if (s & SEG_LOST) {
    sk.lostOut--;
    if ((s & EVER_RETRANS) === 0) {
      // We called it lost but it arrived without a retransmission: reordering (tcp_check_sack_reordering).
      tcpUpdateReordering(sk, seg);
    }
  } else if ((s & EVER_RETRANS) === 0 && sk.haveSacked && seqLt(seg.end, sk.highSacked)) {
    sk.rackReorderingSeen = true;
  }
  if (s & SACKED_RETRANS) sk.retransOut--;
  seg.sacked = (s & ~(SEG_LOST | SACKED_RETRANS)) | SACKED_ACKED;
  sk.sackedOut++;
  sk.delivered++;
  if (!sk.haveSacked || seqGt(seg.end, sk.highSacked)) {
    sk.highSacked = seg.end;
    sk.haveSacked = true;
  }
  tcpRackAdvance(sk, seg, sk.now(), sk.lastTsEcr);
  sk.tx.tsUnlink(seg);
  ext.TCPDelivered++;
}

function tcpUpdateReordering(sk: TcpSock, seg: TxSeg): void {
  const mss = sk.mssCache;
  const dist = sk.haveSacked ? Math.ceil(seqDiff(sk.highSacked, seg.end) / mss) + 1 : sk.reordering;
  if (dist > sk.reordering) {
    sk.reordering = Math.min(dist, MAX_REORDERING);
    sk.stack.ext.TCPSACKReorder++;
  }
  sk.rackReorderingSeen = true;
}

/** Mark a segment lost (tcp_mark_skb_lost); a lost retransmission is made eligible for retransmission again. */
export function tcpMarkSegLost(sk: TcpSock, seg: TxSeg): void {
  const s = seg.sacked;
  if (s & SACKED_ACKED) return;
  if (s & SACKED_RETRANS) {
    seg.sacked &= ~SACKED_RETRANS;
    sk.retransOut--;
    sk.stack.ext.TCPLostRetransmit++;
  }
  if ((s & SEG_LOST) === 0) {
    seg.sacked |= SEG_LOST;
    if (sk.lostOut++ === 0 || seqGt(seg.end, sk.lostEnd)) sk.lostEnd = seg.end;
  }
  if (seqLt(seg.seq, sk.retransHint)) sk.retransHint = seg.seq;
  sk.tx.tsUnlink(seg);
}

/**
 * RFC 6675 IsLost: a segment with at least DupThresh SACKed segments above it is lost. Finds the DupThresh-th
 * highest SACKed segment and marks every unSACKed segment below it, from where the previous call stopped.
 */
function tcpMarkLostDupThresh(sk: TcpSock): void {
  const thresh = sk.reordering;
  if (!sk.haveSacked || sk.sackedOut < thresh) return;
  const tx = sk.tx;
  const segs = tx.segs;
  let i = tx.indexOf((sk.highSacked - 1) >>> 0);
  if (i >= tx.sendHead) i = tx.sendHead - 1;
  let cnt = 0;
  let steps = 0;
  for (; i >= tx.head && steps < MAX_LOST_SCAN; i--, steps++) {
    if (segs[i]!.sacked & SACKED_ACKED && ++cnt >= thresh) break;
  }
  if (cnt < thresh || i < tx.head) return;
  const limit = segs[i]!.seq;
  let j = tx.indexOf(seqMax(sk.lostHint, sk.sndUna));
  for (; j < tx.sendHead; j++) {
    const seg = segs[j]!;
    if (!seqLt(seg.seq, limit)) break;
    if ((seg.sacked & (SACKED_ACKED | SEG_LOST)) === 0) tcpMarkSegLost(sk, seg);
  }
  if (seqGt(limit, sk.lostHint)) sk.lostHint = limit;
}

/** NewReno without SACK: a duplicate ACK stands for a segment that left the network (tcp_add_reno_sack). */
function tcpAddRenoSack(sk: TcpSock): void {
  sk.sackedOut++;
  const holes = Math.min(Math.max(sk.lostOut, 1), sk.packetsOut);
  if (sk.sackedOut + holes > sk.packetsOut) sk.sackedOut = Math.max(sk.packetsOut - holes, 0);
  sk.delivered++;
}

function tcpRemoveRenoSacks(sk: TcpSock, acked: number): void {
  if (acked <= 0) return;
  sk.delivered += Math.max(acked - sk.sackedOut, 1);
  if (acked - 1 >= sk.sackedOut) sk.sackedOut = 0;
  else sk.sackedOut -= acked - 1;
}

/** Mark the first unacknowledged segment lost (NewReno's fast retransmit and partial-ACK retransmit). */
function tcpMarkHeadLost(sk: TcpSock): void {
  const seg = sk.tx.first();
  if (seg === undefined || sk.tx.head >= sk.tx.sendHead) return;
  if ((seg.sacked & (SEG_LOST | SACKED_RETRANS)) === 0) tcpMarkSegLost(sk, seg);
}

/**
 * The loss-recovery state machine (tcp_fastretrans_alert): leave recovery on a full ACK (with undo when it was
 * spurious), mark losses, enter fast recovery, and shape cwnd by PRR while in it.
 */
export function tcpFastRetransAlert(
  sk: TcpSock,
  th: TcpHeader,
  flag: number,
  acked: number,
  isDupAck: boolean,
  priorDelivered: number,
  priorLost: number,
): void {
  const ext = sk.stack.ext;
  sk.lastTsEcr = th.tsPresent ? th.tsEcr : 0;
  if (!sk.sackOk) {
    if (isDupAck) tcpAddRenoSack(sk);
    else if (acked > 0) tcpRemoveRenoSacks(sk, acked);
  }
  switch (sk.caState) {
    case CaState.RECOVERY:
      if (!seqLt(sk.sndUna, sk.highSeq)) tcpEndRecovery(sk, th);
      break;
    case CaState.LOSS:
      if ((flag & FLAG_SND_UNA_ADVANCED) !== 0 && tcpMayUndo(sk, th)) {
        tcpUndoCwndReduction(sk, true);
        ext.TCPLossUndo++;
        ext.TCPSpuriousRTOs++;
        tcpSetOpen(sk);
        return;
      }
      if (!seqLt(sk.sndUna, sk.highSeq)) tcpSetOpen(sk);
      break;
  }
  // Loss detection: RACK (time-based, as Linux by default) or RFC 6675's DupThresh for SACK; NewReno without.
  if (sk.packetsOut > 0) {
    if (sk.sackOk) {
      if (sk.stack.config.rack) tcpRackDetectLoss(sk);
      else tcpMarkLostDupThresh(sk);
    } else if (sk.caState < CaState.RECOVERY && sk.sackedOut >= sk.reordering) {
      tcpMarkHeadLost(sk);
    } else if (
      sk.caState === CaState.RECOVERY &&
      (flag & FLAG_SND_UNA_ADVANCED) !== 0 &&
      seqLt(sk.sndUna, sk.highSeq)
    ) {
      // RFC 6582 §3.2 step 5: a partial ACK — retransmit the next unacknowledged segment.
      tcpMarkHeadLost(sk);
    }
  }
  if (sk.caState < CaState.RECOVERY) {
    if (sk.lostOut > 0) {
      tcpEnterRecovery(sk);
    } else {
      sk.caState = sk.sackedOut > 0 ? CaState.DISORDER : CaState.OPEN;
      return;
    }
  }
  if (sk.caState === CaState.RECOVERY) {
    const newlyLost = sk.lostOut > priorLost;
    tcpCwndReduction(sk, sk.delivered - priorDelivered, newlyLost, flag);
  }
}

/** Enter fast recovery (tcp_enter_recovery): reduce ssthresh once, start PRR and the undo bookkeeping. */
export function tcpEnterRecovery(sk: TcpSock): void {
  const ext = sk.stack.ext;
  if (sk.sackOk) ext.TCPSackRecovery++;
  else ext.TCPRenoRecovery++;
  // RFC 8985 §6.2: the widened reordering window decays after 16 recoveries without D-SACK.
  if (sk.rackReoWndPersist > 0 && --sk.rackReoWndPersist === 0) sk.rackReoWndMult = 1;
  tcpInitUndo(sk);
  sk.priorSsthresh = sk.ssthresh;
  sk.priorCwnd = sk.cwnd;
  sk.ssthresh = sk.cc.ssthresh();
  sk.prrDelivered = 0;
  sk.prrOut = 0;
  sk.recoverFs = Math.max(sk.cwnd, 1);
  sk.highSeq = sk.sndNxt;
  sk.caState = CaState.RECOVERY;
}

function tcpInitUndo(sk: TcpSock): void {
  sk.undoMarker = sk.sndUna;
  sk.undoActive = true;
  sk.undoRetrans = sk.retransOut > 0 ? sk.retransOut : -1;
  sk.retransStamp = 0;
}

/** PRR (RFC 6937, as Linux's tcp_cwnd_reduction). */
export function tcpCwndReduction(sk: TcpSock, newlyDelivered: number, newlyLost: boolean, flag: number): void {
  if (newlyDelivered <= 0 && sk.prrOut > 0) return;
  sk.prrDelivered += Math.max(newlyDelivered, 0);
  const inflight = tcpPacketsInFlight(sk);
  const delta = sk.ssthresh - inflight;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.floor((sk.ssthresh * sk.prrDelivered + sk.recoverFs - 1) / sk.recoverFs) - sk.prrOut;
  } else {
    sndcnt = Math.max(sk.prrDelivered - sk.prrOut, newlyDelivered);
    if ((flag & FLAG_SND_UNA_ADVANCED) !== 0 && !newlyLost) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // Force the fast retransmit when recovery starts.
  sndcnt = Math.max(sndcnt, sk.prrOut > 0 ? 0 : 1);
  sk.cwnd = inflight + sndcnt;
}

/** Recovery point reached (RFC 6675 §5 / RFC 6582 full ACK): back to Open, cwnd = ssthresh unless undone. */
function tcpEndRecovery(sk: TcpSock, th: TcpHeader): void {
  const ext = sk.stack.ext;
  if (tcpMayUndo(sk, th)) {
    tcpUndoCwndReduction(sk, false);
    if (sk.undoRetrans === 0) ext.TCPDSACKUndo++;
    else ext.TCPFullUndo++;
  } else {
    sk.cwnd = Math.max(sk.ssthresh, 2);
    sk.cwndCnt = 0;
  }
  tcpSetOpen(sk);
}

function tcpSetOpen(sk: TcpSock): void {
  sk.caState = CaState.OPEN;
  sk.undoActive = false;
  sk.retransStamp = 0;
  sk.cc.onRecoveryEnd();
}

/**
 * Were all retransmissions of this episode unnecessary? (tcp_may_undo): every one was D-SACKed, or the ACK echoes
 * a timestamp sent before the first retransmission (Eifel, RFC 3522: the original arrived).
 */
function tcpMayUndo(sk: TcpSock, th: TcpHeader): boolean {
  if (!sk.undoActive) return false;
  if (sk.undoRetrans === 0) return true;
  return sk.tsOk && th.tsPresent && th.tsEcr !== 0 && sk.retransStamp !== 0 && ((th.tsEcr - sk.retransStamp) | 0) < 0;
}

/** Restore the window from before the episode (tcp_undo_cwnd_reduction); after an RTO also unmark the losses. */
function tcpUndoCwndReduction(sk: TcpSock, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    const tx = sk.tx;
    for (let i = tx.head; i < tx.sendHead; i++) {
      const seg = tx.segs[i]!;
      if (seg.sacked & SEG_LOST) {
        seg.sacked &= ~SEG_LOST;
        if (!seg.tsLinked && (seg.sacked & SACKED_ACKED) === 0) tx.tsAppend(seg);
      }
    }
    sk.lostOut = 0;
    sk.lostHint = sk.sndUna;
  }
  sk.cwnd = sk.cc.undoCwnd(sk.priorCwnd);
  sk.cwndCnt = 0;
  if (sk.priorSsthresh > sk.ssthresh) sk.ssthresh = sk.priorSsthresh;
}

/**
 * RTO (tcp_enter_loss): ssthresh reduced once per episode, cwnd to one segment (RFC 5681 loss window), every
 * unSACKed outstanding segment marked lost; SACK state is forgotten if the peer reneged.
 */
export function tcpEnterLoss(sk: TcpSock): void {
  const tx = sk.tx;
  const ext = sk.stack.ext;
  if (
    sk.caState <= CaState.DISORDER ||
    !seqLt(sk.sndUna, sk.highSeq) ||
    (sk.caState === CaState.LOSS && sk.retransmits === 0)
  ) {
    sk.priorSsthresh = sk.ssthresh;
    sk.priorCwnd = sk.cwnd;
    sk.ssthresh = sk.cc.ssthresh();
    sk.cc.onRto();
    tcpInitUndo(sk);
  }
  const first = tx.first();
  const reneged = first !== undefined && tx.head < tx.sendHead && (first.sacked & SACKED_ACKED) !== 0;
  if (reneged) ext.TCPSACKReneging++;
  sk.lostOut = 0;
  sk.retransOut = 0;
  for (let i = tx.head; i < tx.sendHead; i++) {
    const seg = tx.segs[i]!;
    let s = seg.sacked & ~SACKED_RETRANS;
    if (reneged && s & SACKED_ACKED) {
      s &= ~SACKED_ACKED;
      sk.sackedOut--;
    }
    if ((s & SACKED_ACKED) === 0) {
      s |= SEG_LOST;
      sk.lostOut++;
      tx.tsUnlink(seg);
    }
    seg.sacked = s;
  }
  if (reneged) {
    sk.haveSacked = false;
    sk.sackedOut = 0;
  }
  sk.sackCacheCount = 0;
  sk.lostEnd = sk.sndNxt;
  sk.retransHint = sk.sndUna;
  sk.lostHint = sk.sndNxt;
  sk.cwnd = 1;
  sk.cwndCnt = 0;
  sk.highSeq = sk.sndNxt;
  sk.caState = CaState.LOSS;
  sk.tlpPending = false;
  if (!sk.sackOk) sk.sackedOut = 0;
}

/**
 * A challenge ACK (RFC 5961 §3.2, §4.2, §5.2): rate-limited per connection for segments without data (Linux's
 * tcp_invalid_ratelimit) and per stack per second (tcp_challenge_ack_limit).
 */
export function tcpSendChallengeAck(sk: TcpSock, rateLimit = true): void {
  const ext = sk.stack.ext;
  const now = sk.now();
  if (rateLimit && now - sk.lastOowAck < sk.stack.config.invalidRateLimitMs) {
    ext.TCPACKSkippedChallenge++;
    return;
  }
  if (!sk.stack.challengeAckAllowed()) return;
  sk.lastOowAck = now;
  ext.TCPChallengeACK++;
  tcpSendAck(sk);
}

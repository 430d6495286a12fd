/**
 * RACK-TLP (RFC 8985): time-based loss detection over the list of transmissions ordered by time, which also
 * catches lost retransmissions, and the tail loss probe that turns a tail loss into fast recovery instead of an
 * RTO.
 */
import { tcpPacketsInFlight, tcpRetransmitSeg, tcpWriteXmit, tcpXmitRetransmitQueue } from './output.ts';
import { tcpCwndReduction, tcpEnterRecovery, tcpMarkSegLost } from './recovery.ts';
import { seqAdd, seqGeq, seqGt, seqLt } from './seq.ts';
import { RtxKind, type TcpSock } from './sock.ts';
import { tcpRearmRto, tcpResetXmitTimer } from './timers.ts';
import { EVER_RETRANS, type TxSeg } from './txqueue.ts';
import { CaState } from './types.ts';

/** RFC 8985 §6.2 step 2: remember the most recently sent segment known to be delivered. */
export function tcpRackAdvance(sk: TcpSock, seg: TxSeg, now: number, tsEcr: number): void {
  const xmit = seg.txTime;
  if (seg.sacked & EVER_RETRANS) {
    // Ambiguous: the ACK may be for the original. Skip when the RTT looks too short for the retransmission.
    const rtt = now - xmit;
    if (rtt < sk.minRtt) return;
    if (tsEcr !== 0 && sk.tsOk && ((tsEcr - ((Math.floor(xmit) + sk.tsOffset) >>> 0)) | 0) < 0) return;
  }
  if (xmit > sk.rackXmitTime || (xmit === sk.rackXmitTime && seqGt(seg.end, sk.rackEndSeq))) {
    sk.rackXmitTime = xmit;
    sk.rackEndSeq = seg.end;
    sk.rackRtt = now - xmit;
    sk.rackValid = true;
  }
}

/** RFC 8985 §6.2 step 4: the reordering window. */
function rackReoWnd(sk: TcpSock): number {
  if (!sk.rackReorderingSeen) {
    if (sk.caState >= CaState.RECOVERY) return 0;
    if (sk.sackedOut >= sk.reordering) return 0;
  }
  const base = sk.minRtt > 0 ? sk.minRtt : sk.srtt;
  return Math.min((base / 4) * sk.rackReoWndMult, sk.srtt > 0 ? sk.srtt : base);
}

/**
 * RFC 8985 §6.2 step 5: mark lost every segment sent before the RACK segment whose time is up; arm the reordering
 * timer for the ones that are not yet. Returns true when something was newly marked.
 */
export function tcpRackDetectLoss(sk: TcpSock): boolean {
  if (!sk.stack.config.rack || !sk.rackValid || !sk.sackOk) return false;
  const now = sk.now();
  const reoWnd = rackReoWnd(sk);
  const tx = sk.tx;
  let marked = false;
  let timeout = 0;
  let seg = tx.tsHead;
  while (seg !== null) {
    const next = seg.tsNext;
    // Only segments sent before the most recently delivered one can be judged.
    if (!(sk.rackXmitTime > seg.txTime || (sk.rackXmitTime === seg.txTime && seqGt(sk.rackEndSeq, seg.end)))) break;
    if (seqGeq(sk.sndUna, seg.end)) {
      seg = next;
      continue;
    }
    const remaining = seg.txTime + sk.rackRtt + reoWnd - now;
    if (remaining <= 0) {
      tcpMarkSegLost(sk, seg);
      marked = true;
    } else if (remaining > timeout) {
      timeout = remaining;
    }
    seg = next;
  }
  if (timeout > 0 && !marked) {
    const rtoLeft = sk.rtxTimer.pending ? sk.rtxTimer.expires - now : Number.POSITIVE_INFINITY;
    if (timeout < rtoLeft) tcpResetXmitTimer(sk, RtxKind.REO_TIMEOUT, timeout);
  }
  return marked;
}

/** The reordering timer fired (tcp_rack_reo_timeout). */
export function tcpRackReoTimeout(sk: TcpSock): void {
  const prior = sk.lostOut;
  tcpRackDetectLoss(sk);
  if (sk.lostOut > prior) {
    if (sk.caState < CaState.RECOVERY) {
      tcpEnterRecovery(sk);
      // Start PRR as if one segment had been delivered (Linux does the same on this path).
      tcpCwndReduction(sk, 1, false, 0);
    }
    tcpXmitRetransmitQueue(sk);
  }
  if (sk.rtxKind !== RtxKind.REO_TIMEOUT) tcpRearmRto(sk);
}

/** The probe timeout fired (RFC 8985 §7.3): send new data if possible, else retransmit the last segment. */
export function tcpSendLossProbe(sk: TcpSock): void {
  const tx = sk.tx;
  if (sk.packetsOut === 0 || tx.head >= tx.sendHead) return;
  sk.stack.ext.TCPLossProbes++;
  sk.tlpPending = true;
  const seg = tx.unsent();
  let sent = false;
  if (seg !== undefined && !seqGt(seg.end, seqAdd(sk.sndUna, sk.sndWnd))) {
    const cwnd = sk.cwnd;
    sk.cwnd = Math.max(cwnd, tcpPacketsInFlight(sk) + 1);
    sent = tcpWriteXmitOne(sk);
    sk.cwnd = cwnd;
  }
  if (!sent) {
    const last = tx.sendHead - 1;
    if (last >= tx.head && (tx.segs[last]!.sacked & 1) === 0) {
      tcpRetransmitSeg(sk, last);
      sk.tlpHighSeq = sk.sndNxt;
    }
  }
  tcpRearmRto(sk);
}

function tcpWriteXmitOne(sk: TcpSock): boolean {
  const before = sk.packetsOut;
  const noDelay = sk.noDelay;
  sk.noDelay = true;
  tcpWriteXmit(sk);
  sk.noDelay = noDelay;
  return sk.packetsOut > before;
}

/** An ACK arrived: a TLP episode ends once the probe is covered. */
export function tcpTlpAck(sk: TcpSock, ack: number): void {
  if (sk.tlpPending && (sk.tlpHighSeq === 0 || !seqLt(ack, sk.tlpHighSeq))) {
    sk.tlpPending = false;
    sk.tlpHighSeq = 0;
  }
}

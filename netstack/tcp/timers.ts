/**
 * Timers and the transitions they cause (Linux's tcp_timer.c): retransmission (RFC 6298, with exponential backoff
 * and the retries / user-timeout limits), SYN retransmission, the persist timer (zero-window probes with backoff),
 * tail loss probes, delayed ACKs, keepalive, FIN-WAIT-2 and TIME-WAIT; plus state changes and connection teardown.
 */
import {
  tcpPacketsInFlight,
  tcpProbe0When,
  tcpRetransmitSeg,
  tcpSendAck,
  tcpSendProbe,
  tcpWriteWakeup,
  tcpXmitRetransmitQueue,
} from './output.ts';
import { tcpRackReoTimeout, tcpSendLossProbe } from './rack.ts';
import { tcpEnterLoss } from './recovery.ts';
import { EV_CLOSE, EV_ERROR, RtxKind, type TcpSock } from './sock.ts';
import { TCP_SYN } from './wire.ts';
import { logger } from '../core/log.ts';
import { CaState, TCP_STATE_NAMES, type TcpErrorCode, TcpState } from './types.ts';

/** Debug log (NODE_DEBUG=airstack:tcp): state changes, timeouts, aborts. */
export const tcpLog = logger('tcp');

/** Arm the retransmission timer for `kind`, `ms` from now. */
export function tcpResetXmitTimer(sk: TcpSock, kind: RtxKind, ms: number): void {
  sk.rtxKind = kind;
  sk.rtxTimer.mod(Math.min(ms, sk.stack.config.rtoMaxMs));
}

export function tcpClearXmitTimer(sk: TcpSock): void {
  sk.rtxKind = RtxKind.NONE;
  sk.rtxTimer.cancel();
}

/** The current RTO with backoff. */
export function tcpRtoWithBackoff(sk: TcpSock): number {
  return Math.min(sk.rto * 2 ** sk.backoff, sk.stack.config.rtoMaxMs);
}

/** (Re)start the RTO for the oldest outstanding segment (RFC 6298 §5.3), or a tail loss probe when allowed. */
export function tcpRearmRto(sk: TcpSock): void {
  if (sk.packetsOut === 0) {
    if (sk.rtxKind !== RtxKind.PROBE0) tcpClearXmitTimer(sk);
    return;
  }
  tcpResetXmitTimer(sk, RtxKind.RETRANS, tcpRtoWithBackoff(sk));
}

/** After sending new data: a loss probe if RACK-TLP allows one, else the RTO when none is running. */
export function tcpArmTlpOrRto(sk: TcpSock): void {
  if (sk.packetsOut === 0) return;
  if (tcpScheduleLossProbe(sk, false)) return;
  if (!sk.rtxTimer.pending || sk.rtxKind === RtxKind.PROBE0) tcpRearmRto(sk);
}

/** An ACK advanced snd_una (tcp_set_xmit_timer): a fresh loss probe if allowed, else restart the RTO. */
export function tcpSetXmitTimer(sk: TcpSock): void {
  if (!tcpScheduleLossProbe(sk, true)) tcpRearmRto(sk);
}

/**
 * RFC 8985 §7.2: arm the probe timeout (PTO) when the connection is in Open state with SACK and an RTT sample:
 * PTO = 2·SRTT, plus the worst-case delayed ACK (200 ms) when one segment is in flight, but never later than the
 * RTO would fire (as Linux: at worst the probe replaces the RTO and spares the window collapse).
 */
function tcpScheduleLossProbe(sk: TcpSock, advancing: boolean): boolean {
  const cfg = sk.stack.config;
  if (!cfg.tlp || !sk.sackOk || sk.srtt === 0 || sk.caState !== CaState.OPEN || sk.tlpPending) return false;
  if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) return false;
  let pto = 2 * sk.srtt + (sk.packetsOut === 1 ? WC_DELACK_MS : 2);
  const rtoLeft =
    !advancing && sk.rtxTimer.pending && sk.rtxKind === RtxKind.RETRANS
      ? sk.rtxTimer.expires - sk.now()
      : tcpRtoWithBackoff(sk);
  if (rtoLeft <= 0) return false;
  if (pto > rtoLeft) pto = rtoLeft;
  tcpResetXmitTimer(sk, RtxKind.LOSS_PROBE, pto);
  return true;
}

/** RFC 8985 WCDelAckT: the worst-case delayed-ACK timer of an unknown peer. */
const WC_DELACK_MS = 200;

export function onRtxTimer(sk: TcpSock): void {
  const kind = sk.rtxKind;
  sk.rtxKind = RtxKind.NONE;
  switch (kind) {
    case RtxKind.RETRANS:
      tcpRetransmitTimer(sk);
      break;
    case RtxKind.PROBE0:
      tcpProbeTimer(sk);
      break;
    case RtxKind.LOSS_PROBE:
      tcpSendLossProbe(sk);
      break;
    case RtxKind.REO_TIMEOUT:
      tcpRackReoTimeout(sk);
      break;
  }
}

/** Give up with `code` (or the last soft error, as Linux reports it) and tear down. */
export function tcpWriteErr(sk: TcpSock, code: TcpErrorCode): void {
  sk.error = sk.errSoft ?? code;
  if (tcpLog.enabled) tcpLog('%s: giving up (%s)', String(sk), sk.error);
  sk.stack.ext.TCPAbortOnTimeout++;
  tcpDone(sk);
}

/** Retries or the user timeout are exhausted (tcp_write_timeout). Returns true after aborting. */
function tcpWriteTimeout(sk: TcpSock): boolean {
  const cfg = sk.stack.config;
  const now = sk.now();
  if (sk.userTimeout > 0) {
    const start = sk.retransStart || sk.tx.first()?.firstTxTime || now;
    if (now - start >= sk.userTimeout) {
      tcpWriteErr(sk, 'ETIMEDOUT');
      return true;
    }
    return false;
  }
  if (sk.retransmits >= cfg.retries2) {
    tcpWriteErr(sk, 'ETIMEDOUT');
    return true;
  }
  return false;
}

/** The RTO fired (tcp_retransmit_timer). */
function tcpRetransmitTimer(sk: TcpSock): void {
  const tx = sk.tx;
  if (sk.packetsOut === 0 || tx.head >= tx.sendHead) return;
  const cfg = sk.stack.config;
  const ext = sk.stack.ext;
  const st = sk.state;
  if (st === TcpState.SYN_SENT || (st === TcpState.SYN_RECV && (tx.first()!.flags & TCP_SYN) !== 0)) {
    // SYN (or simultaneous-open SYN-ACK) lost.
    const limit = st === TcpState.SYN_SENT ? cfg.synRetries : cfg.synAckRetries;
    const start = tx.first()!.firstTxTime;
    if (sk.synRetries >= limit || (sk.userTimeout > 0 && sk.now() - start >= sk.userTimeout)) {
      tcpWriteErr(sk, 'ETIMEDOUT');
      return;
    }
    sk.synRetries++;
    ext.TCPSynRetrans++;
    ext.TCPTimeouts++;
    tcpRetransmitSeg(sk, tx.head);
    sk.backoff++;
    tcpResetXmitTimer(sk, RtxKind.RETRANS, tcpRtoWithBackoff(sk));
    return;
  }
  if (tcpWriteTimeout(sk)) return;
  ext.TCPTimeouts++;
  if (tcpLog.enabled) tcpLog('%s: RTO %d ms, backoff %d, %d in flight', String(sk), sk.rto, sk.backoff, sk.packetsOut);
  tcpEnterLoss(sk);
  // Retransmit the head now (cwnd is 1); the rest follows as ACKs open the window.
  tcpXmitRetransmitQueue(sk);
  if (tcpPacketsInFlight(sk) === 0 && sk.tx.head < sk.tx.sendHead) tcpRetransmitSeg(sk, sk.tx.head);
  sk.backoff++;
  sk.retransmits++;
  tcpResetXmitTimer(sk, RtxKind.RETRANS, tcpRtoWithBackoff(sk));
}

/** The persist timer fired (tcp_probe_timer). */
function tcpProbeTimer(sk: TcpSock): void {
  if (sk.packetsOut > 0 || !sk.tx.hasUnsent) {
    sk.probesOut = 0;
    return;
  }
  const cfg = sk.stack.config;
  if (sk.userTimeout > 0) {
    const elapsed = sk.now() - sk.rcvTstamp;
    if (sk.probesOut > 0 && elapsed >= sk.userTimeout) {
      tcpWriteErr(sk, 'ETIMEDOUT');
      return;
    }
  } else if (sk.probesOut >= cfg.retries2) {
    tcpWriteErr(sk, 'ETIMEDOUT');
    return;
  }
  sk.stack.ext.TCPWinProbe++;
  tcpWriteWakeup(sk);
  sk.probesOut++;
  if (sk.packetsOut > 0) {
    // A data probe went out: the RTO takes over.
    sk.backoff = 0;
    tcpRearmRto(sk);
    return;
  }
  if (sk.backoff < 30) sk.backoff++;
  tcpResetXmitTimer(sk, RtxKind.PROBE0, tcpProbe0When(sk));
}

export function onDelackTimer(sk: TcpSock): void {
  if (!sk.ackPending || sk.state === TcpState.CLOSE) return;
  sk.stack.ext.DelayedACKs++;
  tcpSendAck(sk);
}

/** (Re)arm the keepalive timer after an option change or a state change (inet_csk_reset_keepalive_timer). */
export function tcpKeepaliveReset(sk: TcpSock): void {
  const st = sk.state;
  if (st === TcpState.TIME_WAIT || (st === TcpState.FIN_WAIT2 && sk.orphan)) return;
  if (!sk.keepAlive) {
    sk.kaTimer.cancel();
    return;
  }
  if (st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT || st === TcpState.FIN_WAIT2) {
    sk.kaTimer.mod(sk.keepIdle);
  }
}

/** Keepalive, orphaned FIN-WAIT-2 and TIME-WAIT expiry (tcp_keepalive_timer + the TIME-WAIT timer). */
export function onKeepaliveTimer(sk: TcpSock): void {
  const st = sk.state;
  const ext = sk.stack.ext;
  if (st === TcpState.TIME_WAIT) {
    ext.TW++;
    tcpDone(sk);
    return;
  }
  if (st === TcpState.FIN_WAIT2 && sk.orphan) {
    tcpDone(sk);
    return;
  }
  if (!sk.keepAlive || (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT && st !== TcpState.FIN_WAIT2)) {
    return;
  }
  if (sk.packetsOut > 0 || sk.tx.hasUnsent) {
    // Data in flight: the retransmission machinery watches the peer.
    sk.kaTimer.mod(sk.keepIdle);
    return;
  }
  const now = sk.now();
  const idle = now - Math.max(sk.lrcvtime, sk.rcvTstamp);
  if (idle >= sk.keepIdle) {
    if (
      (sk.userTimeout > 0 && idle >= sk.userTimeout && sk.probesOut > 0) ||
      (sk.userTimeout === 0 && sk.probesOut >= sk.keepCnt)
    ) {
      tcpWriteErr(sk, 'ETIMEDOUT');
      return;
    }
    tcpSendProbe(sk);
    ext.TCPKeepAlive++;
    sk.probesOut++;
    sk.kaTimer.mod(sk.keepIntvl);
  } else {
    sk.kaTimer.mod(sk.keepIdle - idle);
  }
}

/** Change state, keeping the CurrEstab gauge and the reset/attempt-failure counters as Linux does. */
export function tcpSetState(sk: TcpSock, st: TcpState): void {
  const old = sk.state;
  if (old === st) return;
  const mib = sk.stack.mib;
  const wasEstab = old === TcpState.ESTABLISHED || old === TcpState.CLOSE_WAIT;
  const isEstab = st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT;
  if (wasEstab && !isEstab) mib.CurrEstab--;
  if (!wasEstab && isEstab) mib.CurrEstab++;
  if (st === TcpState.CLOSE) {
    if (wasEstab) mib.EstabResets++;
    if (old === TcpState.SYN_SENT || old === TcpState.SYN_RECV) mib.AttemptFails++;
  }
  sk.state = st;
  if (tcpLog.enabled) tcpLog('%s: %s -> %s', String(sk), TCP_STATE_NAMES[old], TCP_STATE_NAMES[st]);
}

/** Move to TIME-WAIT (tcp_time_wait): keep the sequence state, drop everything else, start 2·MSL. */
export function tcpTimeWait(sk: TcpSock): void {
  tcpSetState(sk, TcpState.TIME_WAIT);
  tcpClearXmitTimer(sk);
  sk.delackTimer.cancel();
  sk.ackPending = false;
  sk.tx.clear();
  // Unread data stays readable for a user who has not closed (Linux keeps it on the full socket).
  if (sk.orphan) sk.rx.purge();
  sk.packetsOut = sk.sackedOut = sk.lostOut = sk.retransOut = 0;
  sk.kaTimer.mod(sk.stack.config.timeWaitMs);
  sk.wake(EV_CLOSE);
}

/** The connection is finished (tcp_done): CLOSED, timers stopped, unhashed, owner told. */
export function tcpDone(sk: TcpSock): void {
  if (sk.state === TcpState.CLOSE && !sk.hashed) {
    sk.wake(EV_CLOSE);
    return;
  }
  tcpSetState(sk, TcpState.CLOSE);
  tcpClearXmitTimer(sk);
  sk.delackTimer.cancel();
  sk.kaTimer.cancel();
  sk.ackPending = false;
  sk.tx.clear();
  sk.packetsOut = sk.sackedOut = sk.lostOut = sk.retransOut = 0;
  if (sk.orphan) sk.rx.purge();
  sk.stack.unhash(sk);
  // A child that dies before accept() stays in the accept queue (as Linux): accept() returns it, reads as reset.
  if (sk.error !== null) sk.wake(EV_ERROR);
  sk.wake(EV_CLOSE);
}

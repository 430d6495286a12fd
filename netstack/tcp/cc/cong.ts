/**
 * The congestion-control interface (Linux's struct tcp_congestion_ops), with windows counted in segments as in
 * Linux. The core owns cwnd/ssthresh bookkeeping for loss recovery (PRR, RTO); an algorithm decides growth in
 * slow start and congestion avoidance and the multiplicative decrease.
 */
import type { TcpExtMib } from '../mib.ts';

/** The parts of a connection a congestion-control algorithm reads and writes. */
export interface CcSock {
  /** Congestion window and slow-start threshold, in segments. */
  cwnd: number;
  ssthresh: number;
  /** Fractional growth accumulated towards the next cwnd increment. */
  cwndCnt: number;
  /** Upper bound for cwnd. */
  cwndClamp: number;
  sndUna: number;
  sndNxt: number;
  /** Whether the last transmissions were limited by cwnd (RFC 7661: grow only then). */
  cwndLimited: boolean;
  /** Smallest RTT seen recently, ms (0 before the first sample). */
  minRtt: number;
  readonly stackMib: TcpExtMib;
  now(): number;
}

export interface CongestionOps {
  readonly name: string;
  /** An ACK advanced snd_una by `acked` segments while not in loss recovery. */
  congAvoid(ack: number, acked: number): void;
  /** New ssthresh after a loss (fast retransmit or RTO); called once per congestion event. */
  ssthresh(): number;
  /** An RTT sample (ms) for `acked` newly acknowledged segments. */
  pktsAcked(acked: number, rttMs: number): void;
  /** A retransmission timeout happened (the window collapses to 1 after this). */
  onRto(): void;
  /** Loss recovery ended, or a spurious loss was undone: forget the epoch. */
  onRecoveryEnd(): void;
  /** The cwnd to restore when a congestion event is undone (spurious). */
  undoCwnd(priorCwnd: number): number;
  /** The connection restarts sending after `idleMs` without data in flight (Linux CA_EVENT_TX_START). */
  onTxStart(idleMs: number): void;
}

/** Slow start (RFC 5681 with RFC 3465 byte counting, L = ∞ as Linux): returns the segments left over. */
export function slowStart(sk: CcSock, acked: number): number {
  const cwnd = Math.min(sk.cwnd + acked, sk.ssthresh);
  acked -= cwnd - sk.cwnd;
  sk.cwnd = Math.min(cwnd, sk.cwndClamp);
  return acked;
}

/** Additive increase: one segment per `w` acknowledged segments (tcp_cong_avoid_ai). */
export function congAvoidAi(sk: CcSock, w: number, acked: number): void {
  if (sk.cwndCnt >= w) {
    sk.cwndCnt = 0;
    sk.cwnd++;
  }
  sk.cwndCnt += acked;
  if (sk.cwndCnt >= w) {
    const delta = Math.floor(sk.cwndCnt / w);
    sk.cwndCnt -= delta * w;
    sk.cwnd += delta;
  }
  sk.cwnd = Math.min(sk.cwnd, sk.cwndClamp);
}

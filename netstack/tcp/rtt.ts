/**
 * Round-trip time estimation and the retransmission timeout (RFC 6298), with Linux's floor: RTO = SRTT +
 * max(4·RTTVAR, RTO.min), bounded by RTO.max. Samples come from segments never retransmitted (Karn) or from
 * the timestamp echo (RFC 7323 RTTM). Also keeps the minimum RTT (windowed, for RACK and CUBIC).
 */
import type { TcpSock } from './sock.ts';

/** How long a minimum-RTT sample stays authoritative (Linux's tcp_min_rtt_wlen, 5 minutes). */
const MIN_RTT_WINDOW_MS = 300_000;

/** Feed one RTT sample (ms) into SRTT/RTTVAR and recompute the RTO; clears the backoff (RFC 6298 §5.7 note). */
export function tcpRttEstimator(sk: TcpSock, m: number): void {
  if (m < 0.001) m = 0.001;
  if (sk.srtt === 0) {
    sk.srtt = m;
    sk.rttvar = m / 2;
  } else {
    sk.rttvar = 0.75 * sk.rttvar + 0.25 * Math.abs(sk.srtt - m);
    sk.srtt = 0.875 * sk.srtt + 0.125 * m;
  }
  tcpSetRto(sk);
  sk.backoff = 0;
}

export function tcpSetRto(sk: TcpSock): void {
  const cfg = sk.stack.config;
  sk.rto = Math.min(sk.srtt + Math.max(4 * sk.rttvar, cfg.rtoMinMs), cfg.rtoMaxMs);
}

/** Update the windowed minimum RTT. */
export function tcpUpdateMinRtt(sk: TcpSock, m: number): void {
  const now = sk.now();
  if (m < 0.001) m = 0.001;
  if (sk.minRtt === 0 || m <= sk.minRtt || now - sk.minRttStamp > MIN_RTT_WINDOW_MS) {
    sk.minRtt = m;
    sk.minRttStamp = now;
  }
}

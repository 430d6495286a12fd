/** NewReno's window growth (RFC 5681 slow start and congestion avoidance); recovery itself is in the core. */
import { type CcSock, type CongestionOps, congAvoidAi, slowStart } from './cong.ts';

export class Reno implements CongestionOps {
  readonly name = 'reno';

  constructor(private readonly sk: CcSock) {}

  congAvoid(_ack: number, acked: number): void {
    const sk = this.sk;
    if (!sk.cwndLimited) return;
    if (sk.cwnd < sk.ssthresh) {
      acked = slowStart(sk, acked);
      if (acked === 0) return;
    }
    congAvoidAi(sk, sk.cwnd, acked);
  }

  /** RFC 5681 (4): half the window, at least 2 segments (Linux halves cwnd rather than FlightSize). */
  ssthresh(): number {
    return Math.max(this.sk.cwnd >> 1, 2);
  }

  pktsAcked(): void {}
  onRto(): void {}
  onRecoveryEnd(): void {}

  undoCwnd(priorCwnd: number): number {
    return Math.max(this.sk.cwnd, priorCwnd);
  }

  onTxStart(): void {}
}

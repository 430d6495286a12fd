/**
 * CUBIC (RFC 9438) with HyStart++ (RFC 9406) in slow start. Windows in segments, time in ms (t in seconds inside
 * the cubic function, as the RFC writes it).
 */
import { seqGeq } from '../seq.ts';
import { type CcSock, type CongestionOps, slowStart } from './cong.ts';

const C = 0.4;
const BETA = 0.7;
/** RFC 9438 §4.3: the Reno-friendly additive increase factor. */
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

// RFC 9406 constants.
const MIN_RTT_THRESH = 4;
const MAX_RTT_THRESH = 16;
const MIN_RTT_DIVISOR = 8;
const N_RTT_SAMPLE = 8;
const CSS_GROWTH_DIVISOR = 4;
const CSS_ROUNDS = 5;
/** Segments of growth per ACK in slow start for a non-paced sender (RFC 9406 §4.2, L). */
const SS_LIMIT = 8;

export class Cubic implements CongestionOps {
  readonly name = 'cubic';
  /** W_max: the window before the last reduction. */
  wMax = 0;
  /** The W_max of the reduction before, for fast convergence. */
  private wLastMax = 0;
  /** Start of the current congestion-avoidance epoch (ms), -1 = none. */
  private epochStart = -1;
  private k = 0;
  private originPoint = 0;
  /** W_est, the Reno-friendly estimate. */
  private wEst = 0;
  private fastConvergence = true;

  // HyStart++ state
  private windowEnd = 0;
  private roundStarted = false;
  private lastRoundMinRtt = Number.POSITIVE_INFINITY;
  private currentRoundMinRtt = Number.POSITIVE_INFINITY;
  private rttSampleCount = 0;
  /** Infinity while in standard slow start; the baseline while in conservative slow start (CSS). */
  private cssBaselineMinRtt = Number.POSITIVE_INFINITY;
  private cssRounds = 0;
  /** Growth owed in CSS, in segments × CSS_GROWTH_DIVISOR. */
  private cssCredit = 0;
  private hystartDone = false;

  constructor(
    private readonly sk: CcSock,
    private readonly hystart = true,
  ) {}

  private get inCss(): boolean {
    return this.cssBaselineMinRtt !== Number.POSITIVE_INFINITY;
  }

  congAvoid(ack: number, acked: number): void {
    const sk = this.sk;
    if (!sk.cwndLimited) return;
    if (sk.cwnd < sk.ssthresh) {
      if (this.hystart && !this.hystartDone) {
        if (!this.roundStarted || seqGeq(ack, this.windowEnd)) this.newRound();
        if (this.inCss) {
          this.cssCredit += Math.min(acked, SS_LIMIT);
          const inc = Math.floor(this.cssCredit / CSS_GROWTH_DIVISOR);
          this.cssCredit -= inc * CSS_GROWTH_DIVISOR;
          sk.cwnd = Math.min(sk.cwnd + inc, sk.cwndClamp);
          return;
        }
        acked = slowStart(sk, Math.min(acked, SS_LIMIT));
      } else {
        acked = slowStart(sk, acked);
      }
      if (acked === 0) return;
    }
    this.cubicUpdate(acked);
  }

  private newRound(): void {
    const sk = this.sk;
    if (this.inCss && this.roundStarted && ++this.cssRounds >= CSS_ROUNDS) {
      // RFC 9406 §4.3: CSS lasted CSS_ROUNDS rounds: enter congestion avoidance.
      sk.ssthresh = sk.cwnd;
      this.hystartDone = true;
      sk.stackMib.TCPHystartDelayCwnd += sk.cwnd;
      return;
    }
    this.roundStarted = true;
    this.windowEnd = sk.sndNxt;
    this.lastRoundMinRtt = this.currentRoundMinRtt;
    this.currentRoundMinRtt = Number.POSITIVE_INFINITY;
    this.rttSampleCount = 0;
  }

  pktsAcked(_acked: number, rttMs: number): void {
    const sk = this.sk;
    if (!this.hystart || this.hystartDone || sk.cwnd >= sk.ssthresh || !(rttMs > 0)) return;
    if (rttMs < this.currentRoundMinRtt) this.currentRoundMinRtt = rttMs;
    this.rttSampleCount++;
    if (this.inCss) {
      // A lower RTT than the baseline over a whole later round (N_RTT_SAMPLE samples): the increase was spurious,
      // back to standard slow start.
      if (
        this.cssRounds > 0 &&
        this.rttSampleCount >= N_RTT_SAMPLE &&
        this.currentRoundMinRtt < this.cssBaselineMinRtt
      ) {
        this.cssBaselineMinRtt = Number.POSITIVE_INFINITY;
        this.cssRounds = 0;
      }
      return;
    }
    if (
      this.rttSampleCount >= N_RTT_SAMPLE &&
      this.currentRoundMinRtt !== Number.POSITIVE_INFINITY &&
      this.lastRoundMinRtt !== Number.POSITIVE_INFINITY
    ) {
      const thresh = Math.max(MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
      if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
        this.cssBaselineMinRtt = this.currentRoundMinRtt;
        this.cssRounds = 0;
        this.cssCredit = 0;
        sk.stackMib.TCPHystartDelayDetect++;
      }
    }
  }

  private cubicUpdate(acked: number): void {
    const sk = this.sk;
    const now = sk.now();
    if (this.epochStart < 0) {
      this.epochStart = now;
      this.wEst = sk.cwnd;
      if (sk.cwnd < this.wMax) {
        this.k = Math.cbrt((this.wMax - sk.cwnd) / C);
        this.originPoint = this.wMax;
      } else {
        this.k = 0;
        this.originPoint = sk.cwnd;
      }
    }
    // RFC 9438 §4.2: aim at W_cubic(t + RTT); Linux uses the minimum RTT for the look-ahead.
    const t = (now - this.epochStart + sk.minRtt) / 1000;
    const d = t - this.k;
    let target = this.originPoint + C * d * d * d;
    const cwnd = sk.cwnd;
    if (target < cwnd) target = cwnd;
    else if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    // Reno-friendly region (§4.3).
    const alpha = this.wEst >= this.wMax ? 1 : ALPHA;
    this.wEst += (alpha * acked) / cwnd;
    let inc: number;
    if (this.wEst > target) inc = ((this.wEst - cwnd) * acked) / cwnd;
    else inc = ((target - cwnd) * acked) / cwnd;
    if (inc <= 0) return;
    sk.cwndCnt += inc;
    if (sk.cwndCnt >= 1) {
      const whole = Math.floor(sk.cwndCnt);
      sk.cwndCnt -= whole;
      sk.cwnd = Math.min(cwnd + whole, sk.cwndClamp);
    }
  }

  ssthresh(): number {
    const sk = this.sk;
    this.epochStart = -1;
    // §4.7 fast convergence.
    if (sk.cwnd < this.wLastMax && this.fastConvergence) this.wMax = (sk.cwnd * (1 + BETA)) / 2;
    else this.wMax = sk.cwnd;
    this.wLastMax = sk.cwnd;
    this.hystartDone = true;
    return Math.max(Math.floor(sk.cwnd * BETA), 2);
  }

  onRto(): void {
    this.epochStart = -1;
    this.roundStarted = false;
    this.cssBaselineMinRtt = Number.POSITIVE_INFINITY;
  }

  onRecoveryEnd(): void {
    this.epochStart = -1;
  }

  undoCwnd(priorCwnd: number): number {
    this.epochStart = -1;
    this.wMax = this.wLastMax;
    return Math.max(this.sk.cwnd, priorCwnd);
  }

  onTxStart(idleMs: number): void {
    // Linux shifts the epoch by the idle time so that an idle period does not count as growth time.
    if (this.epochStart >= 0 && idleMs > 0) this.epochStart += idleMs;
  }
}

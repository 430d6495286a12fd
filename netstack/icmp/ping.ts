/**
 * ping: echo requests at an interval, replies matched by identifier and sequence, RTTs measured on the clock
 * (like iputils ping through a Linux ICMP datagram socket). Used by `stack.ping()` and the demo.
 */
import type { Clock, Timer } from '../core/clock.ts';
import { formatIpv4 } from '../inet/addr.ts';
import { errnoName } from '../inet/errno.ts';
import type { IcmpErrorInfo, Ipv4RxMeta } from '../inet/protocol.ts';
import type { EchoListener, Icmp } from './icmp.ts';

export interface PingOptions {
  /** Bytes of data after the ICMP header (ping -s). Default 56. */
  size?: number;
  /** Requests to send (ping -c). Default 4. */
  count?: number;
  /** Milliseconds between requests (ping -i). Default 1000. */
  interval?: number;
  /** Milliseconds to wait for replies after the last request (ping -W). Default 1000. */
  timeout?: number;
  ttl?: number;
  tos?: number;
  /** Set Don't Fragment (ping -M do). */
  df?: boolean;
  src?: number;
  /** Called for every reply as it arrives. */
  onReply?: (r: PingReply) => void;
  /** Called for every ICMP error about a request (unreachable, time exceeded...). */
  onError?: (e: PingError) => void;
}

export interface PingReply {
  seq: number;
  from: string;
  bytes: number;
  ttl: number;
  rtt: number;
  duplicate: boolean;
}

export interface PingError {
  seq: number;
  from: string;
  type: number;
  code: number;
}

export interface PingResult {
  dst: string;
  transmitted: number;
  received: number;
  /** transmitted - received: requests never answered (lost, or answered with an error). */
  lost: number;
  duplicates: number;
  /** ICMP errors received about our requests. */
  errors: number;
  /** Requests the stack refused to send (no route, DF too big...), with the errno name. */
  sendErrors: string[];
  /** Round-trip times of the first reply to each request, in ms, in arrival order. */
  rtts: number[];
  min: number;
  avg: number;
  max: number;
  mdev: number;
}

export class Pinger implements EchoListener {
  private readonly sentAt = new Map<number, number>();
  private readonly answered = new Set<number>();
  private readonly id: number;
  private seq = 0;
  private readonly timer: Timer;
  private finished = false;
  readonly result: PingResult;
  private readonly size: number;
  private readonly count: number;
  private readonly interval: number;
  private readonly timeout: number;

  constructor(
    private readonly icmp: Icmp,
    private readonly clock: Clock,
    private readonly dst: number,
    private readonly opts: PingOptions,
    private readonly done: (r: PingResult) => void,
  ) {
    this.size = opts.size ?? 56;
    this.count = opts.count ?? 4;
    this.interval = opts.interval ?? 1000;
    this.timeout = opts.timeout ?? 1000;
    if (!Number.isInteger(this.size) || this.size < 0 || this.size > 65507) {
      throw new Error(`ping size ${this.size} must be an integer 0-65507`);
    }
    if (!Number.isInteger(this.count) || this.count < 1) throw new Error(`ping count ${this.count} must be at least 1`);
    this.result = {
      dst: formatIpv4(dst),
      transmitted: 0,
      received: 0,
      lost: 0,
      duplicates: 0,
      errors: 0,
      sendErrors: [],
      rtts: [],
      min: 0,
      avg: 0,
      max: 0,
      mdev: 0,
    };
    this.id = icmp.bindEcho(this);
    this.timer = clock.timer(() => this.tick());
    this.timer.mod(0);
  }

  private tick(): void {
    if (this.finished) return;
    if (this.seq >= this.count) {
      this.finish();
      return;
    }
    const seq = this.seq++;
    this.result.transmitted++;
    this.sentAt.set(seq, this.clock.now());
    const rc = this.icmp.sendEcho(this.dst, this.id, seq, this.size, this.opts);
    if (rc < 0) this.result.sendErrors.push(errnoName(rc));
    this.timer.mod(this.seq >= this.count ? this.timeout : this.interval);
  }

  onEchoReply(seq: number, meta: Ipv4RxMeta, payloadLen: number): void {
    if (this.finished) return;
    const t0 = this.sentAt.get(seq);
    if (t0 === undefined) return;
    const duplicate = this.answered.has(seq);
    const rtt = this.clock.now() - t0;
    if (duplicate) this.result.duplicates++;
    else {
      this.answered.add(seq);
      this.result.received++;
      this.result.rtts.push(rtt);
    }
    this.opts.onReply?.({ seq, from: formatIpv4(meta.src), bytes: payloadLen + 8, ttl: meta.ttl, rtt, duplicate });
    if (this.seq >= this.count && this.answered.size === this.count) this.finish();
  }

  onError(info: IcmpErrorInfo, seq: number): void {
    if (this.finished || !this.sentAt.has(seq)) return;
    this.result.errors++;
    this.opts.onError?.({ seq, from: formatIpv4(info.reporter), type: info.type, code: info.code });
  }

  /** Stop now and report what was seen so far. */
  cancel(): void {
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.cancel();
    this.icmp.unbindEcho(this.id);
    const r = this.result;
    r.lost = r.transmitted - r.received;
    const n = r.rtts.length;
    if (n > 0) {
      let sum = 0;
      let sq = 0;
      r.min = Number.POSITIVE_INFINITY;
      for (const x of r.rtts) {
        sum += x;
        sq += x * x;
        if (x < r.min) r.min = x;
        if (x > r.max) r.max = x;
      }
      r.avg = sum / n;
      r.mdev = Math.sqrt(Math.max(0, sq / n - r.avg * r.avg));
    }
    this.done(r);
  }
}

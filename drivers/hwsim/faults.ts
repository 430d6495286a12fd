/**
 * Fault injection on the medium: rules that drop, corrupt, duplicate or delay frames on their way from a sender to
 * a receiver. Rules are checked in the order they were added for every delivery (one sender → one receiver, per
 * try); the first rule that matches and wins its probability draw applies, and only one fault applies per delivery.
 *
 * - drop: the receiver does not hear the frame (no ACK: the sender retries).
 * - corrupt: the receiver gets a copy with `bits` random bit flips and an FCS-failure status (no ACK).
 * - duplicate: the receiver gets the frame now and an identical copy `delayMs` later (0: right after this event).
 * - delay: the receiver gets the frame `delayMs` late; the ACK decision is made on time from the receiver's
 *   address filter (RadioPort.wouldAck), as if the frame had been received and then held in a delay line.
 */
import type { RateInfo } from '../../mac80211/driver-ops.ts';
import type { Prng } from '../../netstack/core/prng.ts';

export type FaultKind = 'drop' | 'corrupt' | 'duplicate' | 'delay';

/** One delivery on air, as fault predicates see it. Borrowed and reused: read it during the call only. */
export interface AirDelivery {
  frame: Uint8Array;
  /** Port ids of the sender and the receiver, and their MAC addresses. */
  from: number;
  to: number;
  fromAddr: Uint8Array;
  toAddr: Uint8Array;
  /** Primary channel frequency, MHz. */
  freq: number;
  /** 0 for the first try, then 1, 2... for retries. */
  attempt: number;
  rate: RateInfo;
  /** Virtual time of the end of the frame on air, ms. */
  time: number;
}

export interface FaultSpec {
  kind: FaultKind;
  /** Which deliveries the rule applies to (default: all). Called per delivery: keep it cheap. */
  match?: (d: AirDelivery) => boolean;
  /** Chance that a matching delivery is hit (default 1). */
  probability?: number;
  /** Stop after this many hits (default: never). */
  count?: number;
  /** corrupt: bits to flip (default 1). */
  bits?: number;
  /** duplicate/delay: ms (default 0 for duplicate, 1 for delay). */
  delayMs?: number;
}

export class FaultRule {
  hits = 0;
  removed = false;

  constructor(
    readonly spec: Readonly<FaultSpec>,
    private readonly owner: FaultInjector,
  ) {}

  get kind(): FaultKind {
    return this.spec.kind;
  }

  get exhausted(): boolean {
    return this.spec.count !== undefined && this.hits >= this.spec.count;
  }

  remove(): void {
    this.owner.remove(this);
  }
}

export class FaultInjector {
  rules: FaultRule[] = [];

  constructor(private readonly prng: Prng) {}

  add(spec: FaultSpec): FaultRule {
    const p = spec.probability ?? 1;
    if (!(p >= 0 && p <= 1)) throw new Error(`fault probability must be within [0, 1], got ${p}`);
    if (spec.bits !== undefined && !(spec.bits >= 1)) throw new Error(`corrupt needs bits >= 1, got ${spec.bits}`);
    if (spec.delayMs !== undefined && !(spec.delayMs >= 0))
      throw new Error(`delayMs must be >= 0, got ${spec.delayMs}`);
    const r = new FaultRule(spec, this);
    this.rules.push(r);
    return r;
  }

  remove(rule: FaultRule): void {
    rule.removed = true;
    this.rules = this.rules.filter((r) => r !== rule);
  }

  clear(): void {
    for (const r of this.rules) r.removed = true;
    this.rules = [];
  }

  /** The rule that hits this delivery, or null (counts the hit). */
  pick(d: AirDelivery): FaultRule | null {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.exhausted) continue;
      const s = r.spec;
      if (s.match !== undefined && !s.match(d)) continue;
      if (s.probability !== undefined && s.probability < 1 && !this.prng.chance(s.probability)) continue;
      r.hits++;
      return r;
    }
    return null;
  }

  /** A copy of `frame` with `bits` distinct random bit positions flipped. */
  corrupt(frame: Uint8Array, bits: number): Uint8Array {
    const out = Uint8Array.from(frame);
    const total = out.length * 8;
    if (total === 0) return out;
    const n = Math.min(bits, total);
    const seen = new Set<number>();
    while (seen.size < n) {
      const b = this.prng.int(total);
      if (seen.has(b)) continue;
      seen.add(b);
      out[b >> 3] ^= 1 << (b & 7);
    }
    return out;
  }
}

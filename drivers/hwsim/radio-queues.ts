/**
 * The virtual radio's rings: bounded TX queues of (skb, info) and the RX ring of (skb, status), as parallel arrays
 * used as circular buffers (no object per entry).
 */
import type { RxStatus, TxInfo } from '../../mac80211/driver-ops.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';

export class TxQueue {
  private readonly skbs: (SkBuff | null)[];
  private readonly infos: (TxInfo | null)[];
  private head = 0;
  length = 0;

  constructor(readonly depth: number) {
    this.skbs = new Array(depth).fill(null);
    this.infos = new Array(depth).fill(null);
  }

  get full(): boolean {
    return this.length >= this.depth;
  }

  push(skb: SkBuff, info: TxInfo): boolean {
    if (this.length >= this.depth) return false;
    const i = (this.head + this.length) % this.depth;
    this.skbs[i] = skb;
    this.infos[i] = info;
    this.length++;
    return true;
  }

  /** Pop the head into `out` (no allocation); false when empty. */
  pop(out: { skb: SkBuff | null; info: TxInfo | null }): boolean {
    if (this.length === 0) return false;
    const i = this.head;
    out.skb = this.skbs[i]!;
    out.info = this.infos[i]!;
    this.skbs[i] = null;
    this.infos[i] = null;
    this.head = (i + 1) % this.depth;
    this.length--;
    return true;
  }
}

export class RxRing {
  private readonly skbs: (SkBuff | null)[];
  private readonly statuses: (RxStatus | null)[];
  private head = 0;
  length = 0;

  constructor(readonly size: number) {
    this.skbs = new Array(size).fill(null);
    this.statuses = new Array(size).fill(null);
  }

  push(skb: SkBuff, status: RxStatus): boolean {
    if (this.length >= this.size) return false;
    const i = (this.head + this.length) % this.size;
    this.skbs[i] = skb;
    this.statuses[i] = status;
    this.length++;
    return true;
  }

  /** Pop the head into `out` (no allocation); false when empty. */
  pop(out: { skb: SkBuff | null; status: RxStatus | null }): boolean {
    if (this.length === 0) return false;
    const i = this.head;
    out.skb = this.skbs[i]!;
    out.status = this.statuses[i]!;
    this.skbs[i] = null;
    this.statuses[i] = null;
    this.head = (i + 1) % this.size;
    this.length--;
    return true;
  }
}

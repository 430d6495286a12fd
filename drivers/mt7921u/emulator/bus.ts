/**
 * Timing of the emulated USB link: every transfer occupies the bus for a fixed per-transfer overhead plus its bytes
 * at the link's data rate, and transfers complete in the order they were put on the bus. One reusable timer; all
 * time comes from the injected Clock. Entries are recycled: a transfer costs no allocation here.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { Fifo } from '../../../netstack/core/fifo.ts';
import { UsbError } from '../transport.ts';

interface Entry {
  t: number;
  endpoint: number;
  ok: (value: unknown) => void;
  fail: (e: UsbError) => void;
  value: unknown;
}

export class UsbBus {
  private q = new Fifo<Entry>(64);
  private readonly free: Entry[] = [];
  private busyUntil = 0;
  private readonly timer: Timer;

  constructor(
    private readonly clock: Clock,
    /** Payload bytes per millisecond. */
    private readonly bytesPerMs: number,
  ) {
    this.timer = clock.timer(() => this.fire());
  }

  /**
   * Put a transfer of `bytes` on the bus; `ok(value)` runs when it completes (after `overheadMs` + transmission
   * time), `fail` if it is cancelled first.
   */
  schedule<T>(
    endpoint: number,
    bytes: number,
    overheadMs: number,
    ok: (value: T) => void,
    fail: (e: UsbError) => void,
    value?: T,
  ): void {
    const start = Math.max(this.clock.now(), this.busyUntil);
    const t = start + overheadMs + bytes / this.bytesPerMs;
    this.busyUntil = t;
    const e = this.free.pop() ?? { t: 0, endpoint: 0, ok: noop, fail: noop, value: undefined };
    e.t = t;
    e.endpoint = endpoint;
    e.ok = ok as (value: unknown) => void;
    e.fail = fail;
    e.value = value;
    this.q.push(e);
    if (!this.timer.pending) this.timer.modAt(this.q.peek()!.t);
  }

  /** Fail every scheduled transfer on `endpoint` (all when undefined). */
  cancel(endpoint: number | undefined, code: 'cancelled' | 'nodev'): void {
    const keep = new Fifo<Entry>(64);
    const failed: Entry[] = [];
    for (let e = this.q.shift(); e !== undefined; e = this.q.shift()) {
      if (endpoint === undefined || e.endpoint === endpoint) failed.push(e);
      else keep.push(e);
    }
    this.q = keep;
    if (keep.length === 0) this.timer.cancel();
    const msg = code === 'nodev' ? 'device disconnected' : 'transfer cancelled';
    for (const e of failed) {
      const fail = e.fail;
      this.recycle(e);
      fail(new UsbError(code, msg));
    }
  }

  get pending(): number {
    return this.q.length;
  }

  private fire(): void {
    const now = this.clock.now();
    for (let e = this.q.peek(); e !== undefined && e.t <= now; e = this.q.peek()) {
      this.q.shift();
      const ok = e.ok;
      const value = e.value;
      this.recycle(e);
      ok(value);
    }
    const next = this.q.peek();
    if (next !== undefined) this.timer.modAt(next.t);
  }

  private recycle(e: Entry): void {
    e.ok = noop;
    e.fail = noop;
    e.value = undefined;
    this.free.push(e);
  }
}

function noop(): void {}

/**
 * Timing of the emulated USB link: every transfer occupies the bus for a fixed per-transfer overhead plus its bytes
 * at the link's data rate, and transfers complete in the order they were put on the bus. One reusable timer; all
 * time comes from the injected Clock.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { UsbError } from '../transport.ts';

interface Entry {
  t: number;
  endpoint: number;
  ok: () => void;
  fail: (e: UsbError) => void;
}

export class UsbBus {
  private q: Entry[] = [];
  private head = 0;
  private busyUntil = 0;
  private readonly timer: Timer;

  constructor(
    private readonly clock: Clock,
    /** Payload bytes per millisecond. */
    private readonly bytesPerMs: number,
  ) {
    this.timer = clock.timer(() => this.fire());
  }

  /** Put a transfer of `bytes` on the bus; `ok` runs when it completes (after `overheadMs` + transmission time). */
  schedule(endpoint: number, bytes: number, overheadMs: number, ok: () => void, fail: (e: UsbError) => void): void {
    const start = Math.max(this.clock.now(), this.busyUntil);
    const t = start + overheadMs + bytes / this.bytesPerMs;
    this.busyUntil = t;
    this.q.push({ t, endpoint, ok, fail });
    if (!this.timer.pending) this.timer.modAt(this.q[this.head]!.t);
  }

  /** Fail every scheduled transfer on `endpoint` (all when undefined). */
  cancel(endpoint: number | undefined, code: 'cancelled' | 'nodev'): void {
    const keep: Entry[] = [];
    const failed: Entry[] = [];
    for (let i = this.head; i < this.q.length; i++) {
      const e = this.q[i]!;
      if (endpoint === undefined || e.endpoint === endpoint) failed.push(e);
      else keep.push(e);
    }
    this.q = keep;
    this.head = 0;
    if (keep.length === 0) this.timer.cancel();
    const msg = code === 'nodev' ? 'device disconnected' : 'transfer cancelled';
    for (const e of failed) e.fail(new UsbError(code, msg));
  }

  get pending(): number {
    return this.q.length - this.head;
  }

  private fire(): void {
    const now = this.clock.now();
    while (this.head < this.q.length && this.q[this.head]!.t <= now) {
      const e = this.q[this.head++]!;
      e.ok();
    }
    if (this.head === this.q.length) {
      this.q.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        this.q = this.q.slice(this.head);
        this.head = 0;
      }
      this.timer.modAt(this.q[this.head]!.t);
    }
  }
}

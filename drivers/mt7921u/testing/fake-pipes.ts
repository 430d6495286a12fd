/**
 * A scripted fake of the bulk pipes for driver tests: OUT transfers are recorded (and optionally answered), IN
 * packets queue per endpoint until a read is posted, like a device's FIFO. Not the emulator: it knows nothing of the
 * chip beyond what each test scripts.
 */
import type { BulkPipes } from '../bus.ts';

export class FakeUsbError extends Error {
  constructor(readonly code: string) {
    super(`fake usb: ${code}`);
  }
}

interface PendingRead {
  length: number;
  resolve(b: Uint8Array): void;
  reject(e: Error): void;
}

export class FakePipes implements BulkPipes {
  readonly out: Array<{ ep: number; data: Buffer }> = [];
  private readonly reads = new Map<number, PendingRead[]>();
  private readonly fifo = new Map<number, Array<Uint8Array | Error>>();
  /** Called for every OUT transfer, after it is recorded. */
  onOut: ((ep: number, data: Buffer) => void) | null = null;
  removed = false;

  async bulkOut(ep: number, data: Uint8Array): Promise<void> {
    if (this.removed) throw new FakeUsbError('nodev');
    const b = Buffer.from(data);
    this.out.push({ ep, data: b });
    this.onOut?.(ep, b);
  }

  bulkIn(ep: number, length: number): Promise<Uint8Array> {
    if (this.removed) return Promise.reject(new FakeUsbError('nodev'));
    return new Promise((resolve, reject) => {
      const q = this.reads.get(ep) ?? [];
      this.reads.set(ep, q);
      q.push({ length, resolve, reject });
      this.flush(ep);
    });
  }

  /** Reads currently posted on `ep`. */
  posted(ep: number): number {
    return this.reads.get(ep)?.length ?? 0;
  }

  /** Packets waiting on `ep` for a read. */
  queued(ep: number): number {
    return this.fifo.get(ep)?.length ?? 0;
  }

  /** The device sends `packet` on `ep` (or fails the next read with `error`). */
  push(ep: number, packet: Uint8Array | Error): void {
    const f = this.fifo.get(ep) ?? [];
    this.fifo.set(ep, f);
    f.push(packet);
    this.flush(ep);
  }

  /** Fail every posted read with 'cancelled' (usb_kill_urb). */
  cancelBulkIn(): void {
    for (const q of this.reads.values()) for (const r of q.splice(0)) r.reject(new FakeUsbError('cancelled'));
  }

  unplug(): void {
    this.removed = true;
    for (const q of this.reads.values()) for (const r of q.splice(0)) r.reject(new FakeUsbError('nodev'));
  }

  private flush(ep: number): void {
    const q = this.reads.get(ep);
    const f = this.fifo.get(ep);
    while (q?.length && f?.length) {
      const r = q.shift()!;
      const p = f.shift()!;
      if (p instanceof Error) r.reject(p);
      else r.resolve(p.length > r.length ? p.subarray(0, r.length) : p);
    }
  }
}

/**
 * The RX reader: bulk-IN reads in flight on BOTH IN endpoints, completions as the "interrupt", NAPI polling
 * (FACTS.md §1.3, §1.4, §7.4; mt76 usb.c mt76u_complete_rx / mt76u_process_rx_queue, DESIGN.md "The path of a
 * received packet").
 *
 * - `readsPerEp` reads are posted on each IN endpoint (0x85 MCU queue first, then 0x84 MAIN, as Linux does).
 * - A completion puts the transfer on the RX ring and calls napi.schedule() — nothing else.
 * - The NAPI poll takes up to `budget` entries off the ring and hands each to `process` (mt7921_queue_rx_skb).
 * - A poll that finishes under its weight completes and re-arms the "interrupt": every free read slot is
 *   resubmitted. Reads are never lost: a slot is either in flight, on the ring, or free until the next complete.
 * - Failed reads: cancellation / device loss stop the slot (stop() / reset path); any other error is counted and
 *   the slot resubmitted after a short back-off so a stalled endpoint cannot spin.
 */
import type { Clock } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { Napi, NetCore, NetDevice, NetdevTx } from '../../netstack/core/netdevice.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import type { BulkPipes } from './bus.ts';

const log = logger('mt7921u:rx');

/** MT_NUM_RX_ENTRIES is 128 in Linux; fewer suffice here and keep the emulator light. */
export const MT7921U_RX_READS_PER_EP = 16;
/** One page per read: RX aggregation is off, so one packet per transfer (§7.4). */
export const MT7921U_RX_BUF_SIZE = 4096;
/** GUESS: back-off before resubmitting a read that failed with a transient error (stall, overflow, timeout). */
export const MT7921U_RX_ERROR_BACKOFF_MS = 10;

export interface RxStats {
  /** Completed reads put on the ring, per endpoint address. */
  completions: Record<number, number>;
  /** Reads that failed, per error code. */
  readErrors: Record<string, number>;
  /** Entries processed by the NAPI poll. */
  processed: number;
  polls: number;
  /** Reads currently in flight. */
  inFlight: number;
}

/** A placeholder net device for the driver's NAPI context (init_dummy_netdev). */
class DummyNetdev extends NetDevice {
  protected ndoStartXmit(_skb: SkBuff): NetdevTx {
    return NetdevTx.BUSY;
  }
}

export interface RxReaderOptions {
  clock: Clock;
  bus: BulkPipes;
  /** IN endpoint addresses: [MT_EP_IN_PKT_RX (0x84), MT_EP_IN_CMD_RESP (0x85)]. */
  inEps: readonly [number, number];
  /** Handles one received transfer (ownership passes). Must not throw for bad input. */
  process(buf: Buffer, ep: number): void;
  /** Called at the end of every poll that processed something (mt76_rx_poll_complete: frames go up as a list). */
  pollComplete?(): void;
  /** The softirq to run in: the stack's NetCore; a private one when absent. */
  core?: NetCore;
  readsPerEp?: number;
  bufSize?: number;
  name?: string;
  /** Told about every failed read (after counting it): the device decides when a stalled endpoint needs a reset. */
  onReadError?: (ep: number, code: string) => void;
  /** Told about every completed read (clears a stall streak). */
  onReadOk?: (ep: number) => void;
}

interface Entry {
  buf: Buffer;
  ep: number;
}

export class Mt7921uRxReader {
  readonly napi: Napi;
  readonly dev: NetDevice;
  readonly stats: RxStats;
  private readonly readsPerEp: number;
  private readonly bufSize: number;
  /** The ring: completed transfers waiting for the poll (head index + array). */
  private ring: Entry[] = [];
  private ringHead = 0;
  /** Per endpoint: reads in flight and reads waiting on the ring. */
  private readonly inFlight = new Map<number, number>();
  private readonly onRing = new Map<number, number>();
  private running = false;
  /** Bumped by stop(): completions of older reads are ignored. */
  private generation = 0;
  private readonly retryTimer;

  constructor(private readonly opts: RxReaderOptions) {
    this.readsPerEp = opts.readsPerEp ?? MT7921U_RX_READS_PER_EP;
    this.bufSize = opts.bufSize ?? MT7921U_RX_BUF_SIZE;
    const core = opts.core ?? new NetCore(opts.clock);
    this.dev = new DummyNetdev(opts.name ?? 'mt7921u-rx');
    core.register(this.dev);
    this.dev.open();
    this.napi = new Napi(
      this.dev,
      (_n, budget) => this.poll(budget),
      64,
      () => this.rearm(),
    );
    this.stats = { completions: {}, readErrors: {}, processed: 0, polls: 0, inFlight: 0 };
    for (const ep of [opts.inEps[1], opts.inEps[0]]) {
      this.inFlight.set(ep, 0);
      this.onRing.set(ep, 0);
      this.stats.completions[ep] = 0;
    }
    this.retryTimer = opts.clock.timer(() => this.rearm());
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Entries waiting on the ring. */
  get pending(): number {
    return this.ring.length - this.ringHead;
  }

  /** Read from other IN endpoints ([PKT_RX, CMD_RESP]); only while stopped. */
  setInEndpoints(inEps: readonly [number, number]): void {
    if (this.running) throw new Error('setInEndpoints while the reader runs');
    this.inFlight.clear();
    this.onRing.clear();
    for (const ep of [inEps[1], inEps[0]]) {
      this.inFlight.set(ep, 0);
      this.onRing.set(ep, 0);
      this.stats.completions[ep] ??= 0;
    }
  }

  /** Post the reads (mt76u_submit_rx_buffers): the MCU queue (0x85) first, then MAIN (0x84). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.rearm();
  }

  /**
   * mt76u_stop_rx: stop resubmitting and forget outstanding reads (the bus cancels them); entries already on the
   * ring are dropped. start() posts fresh reads.
   */
  stop(): void {
    this.running = false;
    this.generation++;
    this.retryTimer.cancel();
    for (const ep of this.inFlight.keys()) {
      this.inFlight.set(ep, 0);
      this.onRing.set(ep, 0);
    }
    this.stats.inFlight = 0;
    this.ring = [];
    this.ringHead = 0;
  }

  /** Submit a read into every free slot of every endpoint. */
  private rearm(): void {
    if (!this.running) return;
    for (const ep of this.inFlight.keys()) {
      let free = this.readsPerEp - this.inFlight.get(ep)! - this.onRing.get(ep)!;
      while (free-- > 0) this.submit(ep);
    }
  }

  private submit(ep: number): void {
    const gen = this.generation;
    this.inFlight.set(ep, this.inFlight.get(ep)! + 1);
    this.stats.inFlight++;
    let p: Promise<Uint8Array>;
    try {
      p = this.opts.bus.bulkIn(ep, this.bufSize);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (data) => this.complete(gen, ep, data),
      (err) => this.failed(gen, ep, err),
    );
  }

  /** The "interrupt": queue the transfer on the ring and schedule NAPI. */
  private complete(gen: number, ep: number, data: Uint8Array): void {
    if (gen !== this.generation) return;
    this.inFlight.set(ep, this.inFlight.get(ep)! - 1);
    this.stats.inFlight--;
    this.onRing.set(ep, this.onRing.get(ep)! + 1);
    this.stats.completions[ep] = (this.stats.completions[ep] ?? 0) + 1;
    this.opts.onReadOk?.(ep);
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.ring.push({ buf, ep });
    this.napi.schedule();
  }

  private failed(gen: number, ep: number, err: unknown): void {
    if (gen !== this.generation) return;
    this.inFlight.set(ep, this.inFlight.get(ep)! - 1);
    this.stats.inFlight--;
    const code = errorCode(err);
    this.stats.readErrors[code] = (this.stats.readErrors[code] ?? 0) + 1;
    log('read on 0x%s failed: %s', ep.toString(16), code);
    this.opts.onReadError?.(ep, code);
    // Cancelled reads belong to stop()/reset; a vanished device never comes back; others retry after a back-off.
    if (code === 'cancelled' || code === 'nodev') return;
    if (this.running && !this.retryTimer.pending) this.retryTimer.mod(MT7921U_RX_ERROR_BACKOFF_MS);
  }

  /** The NAPI poll: process up to `budget` ring entries. */
  private poll(budget: number): number {
    this.stats.polls++;
    let n = 0;
    while (n < budget && this.ringHead < this.ring.length) {
      const e = this.ring[this.ringHead]!;
      this.ring[this.ringHead++] = undefined as unknown as Entry;
      this.onRing.set(e.ep, this.onRing.get(e.ep)! - 1);
      n++;
      this.stats.processed++;
      this.dev.softnet.processed++;
      this.opts.process(e.buf, e.ep);
    }
    if (this.ringHead === this.ring.length) {
      this.ring.length = 0;
      this.ringHead = 0;
    }
    if (n > 0) this.opts.pollComplete?.();
    return n;
  }
}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'io';
}

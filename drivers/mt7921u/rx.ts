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
import { Fifo } from '../../netstack/core/fifo.ts';
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

/** One IN endpoint: its reads in flight and on the ring, and the completion handlers of the current generation. */
interface EpState {
  ep: number;
  inFlight: number;
  onRing: number;
  ok: (data: Uint8Array) => void;
  fail: (err: unknown) => void;
}

export class Mt7921uRxReader {
  readonly napi: Napi;
  readonly dev: NetDevice;
  readonly stats: RxStats;
  private readonly readsPerEp: number;
  private readonly bufSize: number;
  /** In the order reads are posted: the MCU queue (0x85) first, then MAIN (0x84), as Linux does. */
  private eps: EpState[] = [];
  /** The ring: completed transfers waiting for the poll, and their endpoints (two rings: nothing per entry). */
  private readonly ringBufs = new Fifo<Buffer>(64);
  private readonly ringEps = new Fifo<EpState>(64);
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
    this.setEps(opts.inEps);
    this.retryTimer = opts.clock.timer(() => this.rearm());
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Entries waiting on the ring. */
  get pending(): number {
    return this.ringBufs.length;
  }

  /** Read from other IN endpoints ([PKT_RX, CMD_RESP]); only while stopped. */
  setInEndpoints(inEps: readonly [number, number]): void {
    if (this.running) throw new Error('setInEndpoints while the reader runs');
    this.setEps(inEps);
  }

  private setEps(inEps: readonly [number, number]): void {
    this.eps = [inEps[1], inEps[0]].map((ep) => ({ ep, inFlight: 0, onRing: 0, ok: noop, fail: noop }));
    for (const s of this.eps) this.stats.completions[s.ep] ??= 0;
  }

  /** Post the reads (mt76u_submit_rx_buffers): the MCU queue (0x85) first, then MAIN (0x84). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // One pair of completion handlers per endpoint and start, not two closures per read.
    const gen = this.generation;
    for (const s of this.eps) {
      s.ok = (data) => this.complete(gen, s, data);
      s.fail = (err) => this.failed(gen, s, err);
    }
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
    for (const s of this.eps) {
      s.inFlight = 0;
      s.onRing = 0;
    }
    this.stats.inFlight = 0;
    while (this.ringBufs.shift() !== undefined) this.ringEps.shift();
  }

  /** Submit a read into every free slot of every endpoint. */
  private rearm(): void {
    if (!this.running) return;
    for (const s of this.eps) {
      let free = this.readsPerEp - s.inFlight - s.onRing;
      while (free-- > 0) this.submit(s);
    }
  }

  private submit(s: EpState): void {
    s.inFlight++;
    this.stats.inFlight++;
    let p: Promise<Uint8Array>;
    try {
      p = this.opts.bus.bulkIn(s.ep, this.bufSize);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(s.ok, s.fail);
  }

  /** The "interrupt": queue the transfer on the ring and schedule NAPI. */
  private complete(gen: number, s: EpState, data: Uint8Array): void {
    if (gen !== this.generation) return;
    s.inFlight--;
    this.stats.inFlight--;
    s.onRing++;
    this.stats.completions[s.ep] = (this.stats.completions[s.ep] ?? 0) + 1;
    this.opts.onReadOk?.(s.ep);
    this.ringBufs.push(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    this.ringEps.push(s);
    this.napi.schedule();
  }

  private failed(gen: number, s: EpState, err: unknown): void {
    if (gen !== this.generation) return;
    s.inFlight--;
    this.stats.inFlight--;
    const code = errorCode(err);
    this.stats.readErrors[code] = (this.stats.readErrors[code] ?? 0) + 1;
    log('read on 0x%s failed: %s', s.ep.toString(16), code);
    this.opts.onReadError?.(s.ep, code);
    // Cancelled reads belong to stop()/reset; a vanished device never comes back; others retry after a back-off.
    if (code === 'cancelled' || code === 'nodev') return;
    if (this.running && !this.retryTimer.pending) this.retryTimer.mod(MT7921U_RX_ERROR_BACKOFF_MS);
  }

  /** The NAPI poll: process up to `budget` ring entries. */
  private poll(budget: number): number {
    this.stats.polls++;
    let n = 0;
    while (n < budget && this.ringBufs.length > 0) {
      const buf = this.ringBufs.shift()!;
      const s = this.ringEps.shift()!;
      s.onRing--;
      n++;
      this.stats.processed++;
      this.dev.softnet.processed++;
      this.opts.process(buf, s.ep);
    }
    if (n > 0) this.opts.pollComplete?.();
    return n;
  }
}

function noop(): void {}

function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return 'io';
}

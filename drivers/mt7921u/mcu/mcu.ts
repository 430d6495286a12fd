/**
 * MCU messaging (FACTS.md §5.4; mt76 mcu.c, mt76_connac2_mcu_fill_message, mt7921u_mcu_send_message).
 *
 * - Commands are serialized under one lock: a command and the wait for its reply finish before the next is sent.
 * - seq = (++counter) & 0xf, skipping 0 → 1..15. FW_SCATTER consumes a seq too, although it carries no descriptor.
 * - Replies are matched by seq (and, for the UNI commands that return {cid, status}, by cid). Anything else that
 *   reaches the waiter — a late reply to a timed-out or fire-and-forget command, a wrong cid — is discarded and
 *   counted, and the waiter keeps waiting until its deadline.
 * - The deadline is 3 s on the injected clock (the USB send path overrides the 20 s of fill_message); a timeout
 *   rejects with McuTimeoutError and calls `onTimeout`, which is the driver's full-reset path. No retries on USB.
 * - Fire-and-forget commands still get a seq; their replies are discarded by the seq rule.
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { logger } from '../../../netstack/core/log.ts';
import { cmdName, MCU_CMD, McuCmdId } from './cmd.ts';
import type { McuEvent, McuResponse } from './event.ts';
import { parseMcuResponse } from './event.ts';
import { buildMcuTransfer, buildScatterTransfer } from './txd.ts';

const log = logger('mt7921u:mcu');

/** MCU reply timeout on USB. */
export const MT7921U_MCU_TIMEOUT_MS = 3000;

export class McuTimeoutError extends Error {
  override readonly name = 'McuTimeoutError';
  constructor(
    readonly cmd: number,
    readonly seq: number,
    readonly timeoutMs: number,
  ) {
    super(
      `MCU message ${cmdName(cmd)} (0x${cmd.toString(16).padStart(8, '0')}, seq ${seq}) timed out after ${timeoutMs} ms`,
    );
  }
}

/** The bulk OUT transfer of a command failed (the transport's error is the cause). */
export class McuSendError extends Error {
  override readonly name = 'McuSendError';
  constructor(
    readonly cmd: number,
    cause: unknown,
  ) {
    super(`sending MCU message ${cmdName(cmd)} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** A pending wait was abandoned because the MCU is being reset or the device went away. */
export class McuAbortedError extends Error {
  override readonly name = 'McuAbortedError';
  constructor(
    readonly cmd: number,
    reason: string,
  ) {
    super(`MCU message ${cmdName(cmd)} abandoned: ${reason}`);
  }
}

/** A command's reply carried a failure status. */
export class McuStatusError extends Error {
  override readonly name = 'McuStatusError';
  constructor(
    readonly cmd: number,
    readonly status: number,
    what = '',
  ) {
    super(`MCU message ${cmdName(cmd)} failed with status 0x${(status >>> 0).toString(16)}${what ? `: ${what}` : ''}`);
  }
}

export interface McuStats {
  /** Commands sent (with a descriptor), waited or not. */
  sent: number;
  /** Of those, sent without waiting. */
  noWait: number;
  /** FW_SCATTER transfers and their payload bytes. */
  scatterChunks: number;
  scatterBytes: number;
  /** Replies matched to their waiter. */
  responses: number;
  timeouts: number;
  /** Replies that reached no waiter (late, or to fire-and-forget commands). */
  unexpected: number;
  /** Replies discarded by the waiter: wrong seq, wrong UNI cid, too short for the command's fields. */
  discardedSeq: number;
  discardedCid: number;
  discardedShort: number;
  sendErrors: number;
  aborted: number;
}

export interface McuOptions {
  clock: Clock;
  /** The bulk OUT sender (endpoint address, whole transfer). */
  bulkOut(ep: number, data: Uint8Array): Promise<void>;
  /** Endpoint for every command except FW_SCATTER (MT_EP_OUT_INBAND_CMD, 0x08). */
  cmdEp: number;
  /** Endpoint for FW_SCATTER (MT_EP_OUT_AC_BE, 0x04). */
  scatterEp: number;
  timeoutMs?: number;
  /** The reset path, called once per timeout (before the caller sees the rejection). */
  onTimeout?: (err: McuTimeoutError) => void;
}

interface Waiter {
  cmd: number;
  seq: number;
  resolve(r: McuResponse): void;
  reject(e: Error): void;
  timer: Timer | null;
}

export class Mt7921Mcu {
  readonly stats: McuStats = {
    sent: 0,
    noWait: 0,
    scatterChunks: 0,
    scatterBytes: 0,
    responses: 0,
    timeouts: 0,
    unexpected: 0,
    discardedSeq: 0,
    discardedCid: 0,
    discardedShort: 0,
    sendErrors: 0,
    aborted: 0,
  };
  timeoutMs: number;
  private msgSeq = 0;
  private cmdEp: number;
  private scatterEp: number;
  private tail: Promise<void> = Promise.resolve();
  private waiter: Waiter | null = null;

  constructor(private readonly opts: McuOptions) {
    this.timeoutMs = opts.timeoutMs ?? MT7921U_MCU_TIMEOUT_MS;
    this.cmdEp = opts.cmdEp;
    this.scatterEp = opts.scatterEp;
  }

  /** Use other endpoints (a device whose descriptor order differs from the reference dongle). */
  setEndpoints(cmdEp: number, scatterEp: number): void {
    this.cmdEp = cmdEp;
    this.scatterEp = scatterEp;
  }

  /** The sequence number the next command will use (for tests and traces). */
  peekSeq(): number {
    const s = (this.msgSeq + 1) & 0xf;
    return s === 0 ? 1 : s;
  }

  private nextSeq(): number {
    let seq = ++this.msgSeq & 0xf;
    if (seq === 0) seq = ++this.msgSeq & 0xf;
    this.msgSeq &= 0xff; // the kernel counter is a u8
    return seq;
  }

  /** Send a command and wait for its reply. Rejects with McuTimeoutError, McuSendError or McuAbortedError. */
  sendAndGet(cmd: number, payload: Uint8Array | null = null): Promise<McuResponse> {
    return this.locked(() => this.doSend(cmd, payload, true) as Promise<McuResponse>);
  }

  /** Send a command without waiting (it still consumes a seq). */
  async sendNoWait(cmd: number, payload: Uint8Array | null = null): Promise<void> {
    await this.locked(() => this.doSend(cmd, payload, false));
  }

  /** mt76_mcu_send_msg: wait or not; returns the parsed return value (0 when not waited). */
  async sendMsg(cmd: number, payload: Uint8Array | null, wait: boolean): Promise<number> {
    if (!wait) {
      await this.sendNoWait(cmd, payload);
      return 0;
    }
    return (await this.sendAndGet(cmd, payload)).ret;
  }

  /** One FW_SCATTER chunk: raw bytes on the scatter endpoint; consumes a seq; no reply. */
  sendScatter(data: Uint8Array): Promise<void> {
    return this.locked(async () => {
      this.nextSeq();
      const xfer = buildScatterTransfer(data);
      try {
        await this.opts.bulkOut(this.scatterEp, xfer);
      } catch (e) {
        this.stats.sendErrors++;
        throw new McuSendError(MCU_CMD(McuCmdId.FW_SCATTER), e);
      }
      this.stats.scatterChunks++;
      this.stats.scatterBytes += data.length;
    });
  }

  /**
   * A response-class MCU event from the RX path (mt76_mcu_rx_event). Matched against the waiting command or
   * discarded and counted; never throws.
   */
  rxEvent(ev: McuEvent): void {
    const w = this.waiter;
    if (w === null) {
      this.stats.unexpected++;
      log('discard eid 0x%s seq %d: nobody waits', ev.eid.toString(16), ev.seq);
      return;
    }
    const r = parseMcuResponse(w.cmd, w.seq, ev);
    if (r === 'seq') {
      this.stats.discardedSeq++;
      log('discard seq %d while waiting for seq %d', ev.seq, w.seq);
      return;
    }
    if (r === 'cid') {
      this.stats.discardedCid++;
      return;
    }
    if (r === 'short') {
      this.stats.discardedShort++;
      return;
    }
    this.finish(w);
    this.stats.responses++;
    w.resolve(r);
  }

  /** Abandon the pending wait (MT76_MCU_RESET: the reset path wakes the waiter). */
  abortPending(reason: string): void {
    const w = this.waiter;
    if (w === null) return;
    this.finish(w);
    this.stats.aborted++;
    w.reject(new McuAbortedError(w.cmd, reason));
  }

  /** True while a command waits for its reply. */
  get busy(): boolean {
    return this.waiter !== null;
  }

  private finish(w: Waiter): void {
    w.timer?.cancel();
    if (this.waiter === w) this.waiter = null;
  }

  private async doSend(cmd: number, payload: Uint8Array | null, wait: boolean): Promise<McuResponse | null> {
    const seq = this.nextSeq();
    const xfer = buildMcuTransfer(cmd, seq, payload);
    this.stats.sent++;
    if (!wait) this.stats.noWait++;
    if (log.enabled) log('send %s seq %d len %d%s', cmdName(cmd), seq, payload?.length ?? 0, wait ? '' : ' (no wait)');
    if (!wait) {
      try {
        await this.opts.bulkOut(this.cmdEp, xfer);
      } catch (e) {
        this.stats.sendErrors++;
        throw new McuSendError(cmd, e);
      }
      return null;
    }
    // The waiter exists before the transfer starts: a device may answer before bulkOut resolves.
    const reply = new Promise<McuResponse>((resolve, reject) => {
      this.waiter = { cmd, seq, resolve, reject, timer: null };
    });
    const w = this.waiter!;
    try {
      await this.opts.bulkOut(this.cmdEp, xfer);
    } catch (e) {
      this.stats.sendErrors++;
      if (this.waiter === w) {
        this.finish(w);
        w.reject(new McuSendError(cmd, e));
      }
      return reply;
    }
    if (this.waiter === w) {
      w.timer = this.opts.clock.setTimeout(() => this.timeout(w), this.timeoutMs);
    }
    return reply;
  }

  private timeout(w: Waiter): void {
    if (this.waiter !== w) return;
    this.finish(w);
    this.stats.timeouts++;
    const err = new McuTimeoutError(w.cmd, w.seq, this.timeoutMs);
    log('%s', err.message);
    try {
      this.opts.onTimeout?.(err);
    } finally {
      w.reject(err);
    }
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => {
      release = r;
    });
    return prev.then(fn).finally(release);
  }
}

/**
 * A radio's attachment to the medium: tune to a channel, transmit frames, receive frames. Both the hwsim virtual
 * radio and the emulated MT7921U's antenna sit on one of these.
 *
 * Ownership: `transmit` borrows the frame bytes until its completion callback (the medium sets the retry bit in
 * place on retransmissions and fills a TSF field when asked to); do not modify or reuse them before. Frames given
 * to `onReceive` and results given to `onTxComplete` are borrowed for the call: copy what you keep.
 *
 * No closures per frame: completion goes to one `onTxComplete` handler with the `cookie` given to `transmit`.
 */
import type { ChanDef } from '../../mac80211/driver-ops.ts';
import type { Prng } from '../../netstack/core/prng.ts';
import type { Medium } from './medium.ts';
import {
  type LinkSettings,
  type RadioCounters,
  type RxInfo,
  type TxParams,
  type TxResult,
  zeroRadioCounters,
} from './types.ts';

/** Receives a frame; returns true when this radio acknowledges it (unicast addressed to it and accepted). */
export type RxHandler = (frame: Uint8Array, info: RxInfo) => boolean | undefined;
export type TxCompleteHandler = (cookie: unknown, frame: Uint8Array, result: TxResult) => void;

export interface RadioOptions {
  /** Name for logs and monitors (default: the MAC address). */
  name?: string;
  /** Defaults for links that involve this radio (receiver's defaults first, then the sender's, then the medium's). */
  link?: Partial<LinkSettings>;
  /** Noise floor in dBm (default: the medium's). */
  noiseFloor?: number;
  /** Transmit power in dBm when a frame does not say (default REFERENCE_TX_POWER). */
  txPowerDbm?: number;
  /** TSF at virtual time 0 in µs (default: random per radio, from the medium's seed). */
  tsfOffsetUs?: number;
  /** Initial channel (default: 2.4 GHz channel 1, 20 MHz). */
  chandef?: ChanDef;
}

/** @internal One queued transmission (pooled by the medium). */
export interface TxReq {
  frame: Uint8Array;
  params: TxParams;
  cookie: unknown;
  /** Tries made so far. */
  tries: number;
  cw: number;
  retryLimit: number;
  expectAck: boolean;
  acked: boolean;
  ackSignal: number;
  airtimeUs: number;
}

export class RadioPort {
  /** Primary 20 MHz frequency (MHz) of the current channel. */
  freq: number;
  chandef: ChanDef;
  /** Medium time (µs) of the last tune: frames that started earlier are not heard. */
  tunedAtUs = Number.NEGATIVE_INFINITY;
  attached = true;
  onReceive: RxHandler | null = null;
  onTxComplete: TxCompleteHandler | null = null;
  /**
   * The receiver's address filter, used for the ACK decision of frames that reach it late (link latency, delay
   * fault): true when this radio would acknowledge `frame`. Default: addr1 is this radio's address.
   */
  wouldAck: (frame: Uint8Array) => boolean;
  readonly counters: RadioCounters = zeroRadioCounters();
  noiseFloor: number;
  txPowerDbm: number;
  tsfOffsetUs: number;
  linkDefaults: Partial<LinkSettings>;

  /** @internal transmit FIFO: fifo[fifoHead, fifoTail) (the array is reused, never shrunk) */
  fifo: (TxReq | null)[] = [];
  /** @internal */
  fifoHead = 0;
  /** @internal */
  fifoTail = 0;
  /** @internal in a channel's queue or on air */
  busy = false;
  /** @internal the channel this radio's frame is on air on (or in contention for) */
  onAir: object | null = null;
  /** @internal resolved links from each sender id, and the medium link version they were resolved at */
  linkCache: (LinkSettings | undefined)[] = [];
  /** @internal */
  linkCacheVersion = -1;
  /** @internal */
  readonly result: TxResult = { acked: false, retries: 0, ackSignal: 0, airtimeUs: 0, flushed: false };

  constructor(
    readonly medium: Medium,
    readonly id: number,
    readonly addr: Uint8Array,
    readonly name: string,
    chandef: ChanDef,
    opts: RadioOptions,
    tsfOffsetUs: number,
    /** @internal draws for receive-side loss */
    readonly lossPrng: Prng,
    /** @internal draws for transmit backoff */
    readonly backoffPrng: Prng,
  ) {
    this.chandef = chandef;
    this.freq = chandef.chan.freq;
    this.noiseFloor = opts.noiseFloor ?? medium.noiseFloor;
    this.txPowerDbm = opts.txPowerDbm ?? 20;
    this.tsfOffsetUs = tsfOffsetUs;
    this.linkDefaults = { ...opts.link };
    const a = addr;
    this.wouldAck = (f) =>
      f.length >= 10 &&
      f[4] === a[0] &&
      f[5] === a[1] &&
      f[6] === a[2] &&
      f[7] === a[3] &&
      f[8] === a[4] &&
      f[9] === a[5];
  }

  /** Move receiver and transmitter to a channel. A frame already on air finishes on the old one. */
  tune(chandef: ChanDef): void {
    this.medium.tune(this, chandef);
  }

  /** Queue a frame (802.11 header + body, no FCS); `cookie` comes back in onTxComplete. */
  transmit(frame: Uint8Array, params: TxParams, cookie: unknown = null): void {
    this.medium.transmit(this, frame, params, cookie);
  }

  /** Frames queued or on air. */
  get txPending(): number {
    return this.fifoTail - this.fifoHead;
  }

  /** This radio's TSF (µs). */
  tsf(): number {
    return Math.floor(this.medium.nowUs() + this.tsfOffsetUs);
  }

  /** Set the TSF (IBSS/AP TSF adjustment). */
  setTsf(us: number): void {
    this.tsfOffsetUs = us - this.medium.nowUs();
  }

  /** Drop every queued frame that is not on air yet (completions report `flushed`). */
  flush(): void {
    this.medium.flush(this);
  }

  /** Leave the medium: queued frames complete as flushed, nothing is heard any more. */
  detach(): void {
    this.medium.detach(this);
  }

  /** The effective settings of the link from `sender` to this radio (resolved once per link change, then cached). */
  linkFrom(sender: RadioPort): LinkSettings {
    if (this.linkCacheVersion !== this.medium.linkVersion) {
      this.linkCache.length = 0;
      this.linkCacheVersion = this.medium.linkVersion;
    }
    let l = this.linkCache[sender.id];
    if (l === undefined) {
      l = this.medium.resolveLink(sender, this);
      this.linkCache[sender.id] = l;
    }
    return l;
  }
}

/**
 * The emulated chip's antenna: a small interface the emulator needs from a radio medium, so that the emulator can
 * sit on the project's mock PHY (drivers/hwsim, through a thin adapter) or on the tiny test medium below.
 *
 * Frames are 802.11 MPDUs without FCS. Times come from the medium (it owns the clock for airtime); the emulator
 * only reacts to callbacks.
 */
import type { Clock } from '../../../netstack/core/clock.ts';

export type Band = '2g' | '5g' | '6g';

export interface RadioChannel {
  band: Band;
  /** IEEE channel number within the band. */
  number: number;
  /** Channel width in MHz (20 when omitted). */
  width?: 20 | 40 | 80 | 160;
}

export type RadioRate =
  | { mode: 'cck'; mbps: 1 | 2 | 5.5 | 11; shortPreamble?: boolean }
  | { mode: 'ofdm'; mbps: 6 | 9 | 12 | 18 | 24 | 36 | 48 | 54 }
  | { mode: 'ht' | 'vht' | 'he'; mcs: number; nss: number; width: 20 | 40 | 80 | 160; sgi?: boolean };

export interface RadioRxInfo {
  channel: RadioChannel;
  /** Received signal strength in dBm. */
  rssiDbm: number;
  /** Signal to noise ratio in dB. */
  snrDb: number;
  rate: RadioRate;
  /** The frame failed its FCS (only a monitor sees these). */
  fcsError?: boolean;
}

/** Receives a frame; returns true when this radio acknowledges it (unicast addressed to it and accepted). */
export type RadioReceiver = (frame: Uint8Array, info: RadioRxInfo) => boolean;

export interface RadioTxOptions {
  /** Do not wait for an ACK (group-addressed frames never wait). */
  noAck: boolean;
  /** Retransmissions after the first try when no ACK comes (each with the Retry bit set). */
  retryLimit: number;
}

/** When a transmission ends: acknowledged or not, and how many retransmissions it took. */
export type RadioTxDone = (acked: boolean, retries: number) => void;

export interface EmulatorRadio {
  /** Move the receiver and transmitter to a channel. */
  tune(channel: RadioChannel): void;
  /**
   * Send a frame, retrying as `opts` says; `done` is called once the medium knows the outcome. The frame is
   * borrowed until then (the radio sets the Retry bit in place on retransmissions).
   */
  transmit(frame: Uint8Array, rate: RadioRate, opts: RadioTxOptions, done: RadioTxDone): void;
  /** Where received frames go (null: nowhere). */
  setReceiver(rx: RadioReceiver | null): void;
}

export function sameChannel(a: RadioChannel, b: RadioChannel): boolean {
  return a.band === b.band && a.number === b.number;
}

// ---------------------------------------------------------------------------------------------------------------
// A tiny medium for tests: radios on channels, a fixed signal per link, delivery after a fixed airtime.

export interface TestLink {
  rssiDbm: number;
  snrDb: number;
  /** Probability that a frame on this link is lost (deterministic draws from `random`). */
  loss?: number;
}

/** One station on the test medium (the emulator's radio, or a peer played by a test). */
export class TestRadio implements EmulatorRadio {
  channel: RadioChannel = { band: '2g', number: 1 };
  private rx: RadioReceiver | null = null;
  /** Everything this radio has transmitted, with its rate (for tests). */
  readonly sent: Array<{ frame: Uint8Array; rate: RadioRate; channel: RadioChannel }> = [];
  /** Keep a copy of every transmitted frame in `sent` (turn off for long runs). */
  keepSent = true;
  readonly tunes: RadioChannel[] = [];

  constructor(
    readonly air: TestAir,
    readonly name: string,
  ) {}

  tune(channel: RadioChannel): void {
    this.channel = { ...channel };
    this.tunes.push(this.channel);
  }

  transmit(frame: Uint8Array, rate: RadioRate, opts: RadioTxOptions, done: RadioTxDone): void {
    this.air.carry(this, frame, rate, opts, done);
  }

  setReceiver(rx: RadioReceiver | null): void {
    this.rx = rx;
  }

  /** @internal */
  deliver(frame: Uint8Array, info: RadioRxInfo): boolean {
    return this.rx ? this.rx(frame, info) : false;
  }
}

/**
 * The test medium: a frame sent on a channel reaches every other radio tuned to the same channel after `airtimeMs`.
 * Unicast frames are acknowledged when a receiver accepts them, and retried up to the sender's retry limit;
 * group-addressed and no-ACK frames go once and count as delivered (nobody acknowledges them).
 */
export class TestAir {
  readonly radios: TestRadio[] = [];
  private readonly links = new Map<string, TestLink>();
  defaultLink: TestLink = { rssiDbm: -50, snrDb: 40 };
  airtimeMs = 0.1;

  constructor(
    readonly clock: Clock,
    private readonly random: () => number = () => 1,
  ) {}

  radio(name: string): TestRadio {
    const r = new TestRadio(this, name);
    this.radios.push(r);
    return r;
  }

  /** Signal from `from` as heard by `to`. */
  setLink(from: TestRadio, to: TestRadio, link: TestLink): void {
    this.links.set(`${from.name}\u0000${to.name}`, link);
  }

  /** @internal One try now; retries after `airtimeMs` each while unacknowledged and tries are left. */
  carry(
    from: TestRadio,
    frame: Uint8Array,
    rate: RadioRate,
    opts: RadioTxOptions,
    done: RadioTxDone,
    retries = 0,
  ): void {
    const channel = { ...from.channel };
    if (from.keepSent) from.sent.push({ frame: frame.slice(), rate, channel });
    const group = frame.length >= 5 && (frame[4]! & 1) === 1;
    this.clock.setTimeout(() => {
      let acked = false;
      for (const to of this.radios) {
        if (to === from || to.channel.band !== channel.band || to.channel.number !== channel.number) continue;
        const link = this.links.get(`${from.name}\u0000${to.name}`) ?? this.defaultLink;
        if (link.loss && this.random() < link.loss) continue;
        if (to.deliver(frame, { channel, rssiDbm: link.rssiDbm, snrDb: link.snrDb, rate })) acked = true;
      }
      if (group || opts.noAck) return done(true, 0);
      if (acked || retries >= opts.retryLimit) return done(acked, retries);
      if (frame.length >= 2) frame[1] = frame[1]! | 0x08; // Retry
      this.carry(from, frame, rate, opts, done, retries + 1);
    }, this.airtimeMs);
  }
}

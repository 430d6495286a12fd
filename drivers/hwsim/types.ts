/**
 * The mock PHY's vocabulary: link settings, transmit parameters and results, what a receiver learns about a frame,
 * and the counters of radios and of the medium.
 */
import type { Band, ChannelWidth, RateInfo } from '../../mac80211/driver-ops.ts';

/** How a frame from one radio reaches another. */
export interface LinkSettings {
  /** Probability that a frame on this link is lost (each try, each receiver draws on its own). */
  loss: number;
  /** Probability that the ACK of a received unicast frame is lost on its way back (the sender retries). */
  ackLoss: number;
  /** Signal-to-noise ratio in dB at the receiver, for a transmitter at the reference power. */
  snr: number;
  /** Propagation delay in ms from the end of the frame on air to its delivery (a delay line: it does not hold the channel). */
  latencyMs: number;
}

/** Defaults for every link: lossless, 40 dB SNR (−55 dBm over a −95 dBm noise floor), no delay. */
export const DEFAULT_LINK: Readonly<LinkSettings> = { loss: 0, ackLoss: 0, snr: 40, latencyMs: 0 };

/** Noise floor in dBm when a radio does not set its own. */
export const DEFAULT_NOISE_FLOOR = -95;

/** Transmit power in dBm at which link SNRs are specified; a radio sending 3 dB above it is heard 3 dB better. */
export const REFERENCE_TX_POWER = 20;

/** Long retry limit (dot11LongRetryLimit is 4, dot11ShortRetryLimit 7; mac80211 uses 7 tries for data by default). */
export const DEFAULT_RETRY_LIMIT = 7;

/** Per-transmission parameters. */
export interface TxParams {
  rate: RateInfo;
  /** Transmit power in dBm (default: the radio's, else REFERENCE_TX_POWER). */
  powerDbm?: number;
  /** Do not wait for an ACK (group-addressed frames never wait). */
  noAck?: boolean;
  /** Retransmissions after the first try (default DEFAULT_RETRY_LIMIT). */
  retryLimit?: number;
  /** CCK short preamble. */
  shortPreamble?: boolean;
  /** EDCA parameters of the access category (default AIFSN 2, CWmin 15, CWmax 1023: DCF). */
  aifsn?: number;
  cwMin?: number;
  cwMax?: number;
  /** Offset of an 8-byte TSF field the medium fills with the sender's TSF when the frame goes on air (beacons, probe responses). */
  tsfOffset?: number;
}

/** What the sender learns when a transmission ends. Borrowed: valid during the completion callback only. */
export interface TxResult {
  acked: boolean;
  /** Retransmissions used (0: the first try succeeded or the frame needed no ACK). */
  retries: number;
  /** Signal in dBm of the ACK, when acked. */
  ackSignal: number;
  /** Airtime of all tries in µs (frames and ACKs, not contention). */
  airtimeUs: number;
  /** The frame was never sent (radio detached or queue flushed). */
  flushed: boolean;
}

/** What a receiver learns about a frame. Borrowed: valid during the receive callback only. */
export interface RxInfo {
  band: Band;
  /** Primary 20 MHz channel of the receiver, MHz. */
  freq: number;
  channel: number;
  /** Width of the receiver's channel. */
  width: ChannelWidth;
  /** Signal in dBm (noise floor + SNR). */
  signal: number;
  snr: number;
  noise: number;
  rate: RateInfo;
  shortPreamble: boolean;
  /** Receiver's TSF in µs at the first bit of the frame. */
  mactime: number;
  /** The frame is corrupted: its FCS would not check. Receivers must not ACK it. */
  fcsFailed: boolean;
  /** Transmitter's port id (simulation metadata, not something a real radio knows). */
  from: number;
}

export interface RadioCounters {
  /** Transmissions handed to the medium (frames, not tries). */
  txFrames: number;
  txBytes: number;
  /** Tries on air (first tries + retries). */
  txTries: number;
  txRetries: number;
  txAcked: number;
  /** Unicast frames not acknowledged after all retries. */
  txFailed: number;
  /** Frames that needed no ACK (group-addressed or noAck). */
  txNoAck: number;
  /** Frames dropped unsent by detach or flush. */
  txFlushed: number;
  txAirtimeUs: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames this radio would have heard but lost to link loss. */
  rxLost: number;
  /** Frames delivered with a bad FCS (corruption fault). */
  rxFcsErrors: number;
  /** Frames dropped by a fault rule on their way to this radio. */
  rxFaultDrops: number;
  /** ACKs this radio sent whose loss the link drew (the sender will retry). */
  rxAckLost: number;
}

export function zeroRadioCounters(): RadioCounters {
  return {
    txFrames: 0,
    txBytes: 0,
    txTries: 0,
    txRetries: 0,
    txAcked: 0,
    txFailed: 0,
    txNoAck: 0,
    txFlushed: 0,
    txAirtimeUs: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxLost: 0,
    rxFcsErrors: 0,
    rxFaultDrops: 0,
    rxAckLost: 0,
  };
}

export interface MediumCounters {
  transmissions: number;
  tries: number;
  deliveries: number;
  losses: number;
  acks: number;
  ackLosses: number;
  faultDrops: number;
  faultCorruptions: number;
  faultDuplicates: number;
  faultDelays: number;
  /** Time the channels were busy (frames, ACKs, inter-frame spaces and backoff), µs, summed over channels. */
  busyUs: number;
}

export function zeroMediumCounters(): MediumCounters {
  return {
    transmissions: 0,
    tries: 0,
    deliveries: 0,
    losses: 0,
    acks: 0,
    ackLosses: 0,
    faultDrops: 0,
    faultCorruptions: 0,
    faultDuplicates: 0,
    faultDelays: 0,
    busyUs: 0,
  };
}

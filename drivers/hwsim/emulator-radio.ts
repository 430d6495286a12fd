/**
 * The emulated MT7921U's antenna on the mock PHY: an EmulatorRadio (drivers/mt7921u/emulator/radio.ts) backed by
 * a RadioPort. Channels, rates and receive information are translated; retries, ACKs, airtime, loss and faults are
 * the medium's. The emulator decides ACKs itself: its receiver's return value is the radio's ACK (as the port's).
 */
import type { ChannelWidth, RateInfo } from '../../mac80211/driver-ops.ts';
import type {
  EmulatorRadio,
  RadioChannel,
  RadioRate,
  RadioReceiver,
  RadioRxInfo,
  RadioTxDone,
  RadioTxOptions,
} from '../mt7921u/emulator/radio.ts';
import { chandef } from './chan.ts';
import type { RadioPort } from './port.ts';
import { rateInfo } from './radio-caps.ts';
import type { RxInfo, TxParams } from './types.ts';

export function rateFromRadio(r: RadioRate): RateInfo {
  switch (r.mode) {
    case 'cck':
    case 'ofdm':
      return rateInfo(r.mode, Math.round(r.mbps * 10));
    default:
      return rateInfo(r.mode, r.mcs, r.nss, r.width, r.sgi === true);
  }
}

export function rateToRadio(r: RateInfo, shortPreamble = false): RadioRate {
  switch (r.mode) {
    case 'cck':
      return { mode: 'cck', mbps: (r.rate / 10) as 1 | 2 | 5.5 | 11, shortPreamble };
    case 'ofdm':
      return { mode: 'ofdm', mbps: (r.rate / 10) as 6 | 9 | 12 | 18 | 24 | 36 | 48 | 54 };
    default:
      return { mode: r.mode, mcs: r.rate, nss: r.nss, width: r.bw, sgi: r.sgi };
  }
}

export class EmulatorRadioAdapter implements EmulatorRadio {
  private rx: RadioReceiver | null = null;
  private readonly channels = new Map<number, RadioChannel>();
  private lastRate: RadioRate | null = null;
  private lastRateInfo: RateInfo | null = null;
  private lastRxRate: RateInfo | null = null;
  private lastRxRadioRate: RadioRate | null = null;
  private lastRxShort = false;

  constructor(readonly port: RadioPort) {
    port.onTxComplete = (cookie, _frame, r) => (cookie as RadioTxDone)(r.acked, r.retries);
    port.onReceive = (frame, info) => (this.rx === null ? false : this.rx(frame, this.rxInfo(info)));
  }

  tune(c: RadioChannel): void {
    this.port.tune(chandef(c.band, c.number, (c.width ?? 20) as ChannelWidth));
  }

  transmit(frame: Uint8Array, rate: RadioRate, opts: RadioTxOptions, done: RadioTxDone): void {
    if (rate !== this.lastRate || this.lastRateInfo === null) {
      this.lastRate = rate;
      this.lastRateInfo = rateFromRadio(rate);
    }
    // One params object per frame: frames queue on the port with their own parameters.
    const params: TxParams = {
      rate: this.lastRateInfo,
      noAck: opts.noAck,
      retryLimit: opts.retryLimit,
      shortPreamble: rate.mode === 'cck' && rate.shortPreamble === true,
    };
    // Beacons and probe responses carry a TSF the PHY fills as they go on air.
    if (frame[0] === 0x80 || frame[0] === 0x50) params.tsfOffset = 24;
    this.port.transmit(frame, params, done);
  }

  setReceiver(rx: RadioReceiver | null): void {
    this.rx = rx;
  }

  /** A fresh info per frame (the emulator may keep it); channel and rate objects are shared and never mutated. */
  private rxInfo(info: RxInfo): RadioRxInfo {
    let ch = this.channels.get(info.freq * 1000 + info.width);
    if (ch === undefined) {
      ch = Object.freeze({ band: info.band, number: info.channel, width: info.width });
      this.channels.set(info.freq * 1000 + info.width, ch);
    }
    if (info.rate !== this.lastRxRate || info.shortPreamble !== this.lastRxShort || this.lastRxRadioRate === null) {
      this.lastRxRate = info.rate;
      this.lastRxShort = info.shortPreamble;
      this.lastRxRadioRate = Object.freeze(rateToRadio(info.rate, info.shortPreamble));
    }
    const out: RadioRxInfo = { channel: ch, rssiDbm: info.signal, snrDb: info.snr, rate: this.lastRxRadioRate };
    if (info.fcsFailed) out.fcsError = true;
    return out;
  }
}

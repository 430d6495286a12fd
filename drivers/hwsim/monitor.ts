/**
 * The air monitor: everything on air (all channels, or one) as radiotap + 802.11 records, written to a capture
 * through a small writer interface — netstack/pcap's PcapngWriter satisfies it as is (link type 127).
 *
 * The monitor sees each try as it goes on air (retries with the Retry bit, frames nobody received), and the ACKs
 * the medium decided on. Per-receiver faults (loss, corruption, delay) happen after the air and are not in it; the
 * medium's and the radios' counters show them. Frames carry their FCS (radiotap Flags: FCS at end) unless
 * `fcs: false`. The signal is the monitor's own view: noise floor + `snr` (+ the sender's power above the
 * reference), as a sniffer next to the transmitters would see it.
 */
import type { RateInfo } from '../../mac80211/driver-ops.ts';
import { crc32 } from '../../mac80211/fcs.ts';
import { encodeRadiotap, RADIOTAP_CHAN, RADIOTAP_F, type RadiotapFields } from '../../mac80211/radiotap.ts';
import { LinkType } from '../../netstack/core/netdevice.ts';
import type { AirEvent, Medium } from './medium.ts';
import { REFERENCE_TX_POWER } from './types.ts';

/** What the monitor needs from a capture file writer (PcapngWriter from netstack/pcap/pcapng-writer.ts fits). */
export interface CaptureWriter {
  addInterface(opts: { linkType: number; name?: string; description?: string }): number;
  writePacket(ifId: number, wallTimeMs: number, buf: Uint8Array, off?: number, len?: number): void;
}

export interface MonitorOptions {
  /** Listen on this primary frequency only (MHz); default: every channel. */
  freq?: number | null;
  /** SNR at which the monitor hears frames sent at the reference power (default 40 dB). */
  snr?: number;
  /** Append the FCS to each frame (default true). */
  fcs?: boolean;
  /** Write the ACKs the medium decided on (default true). */
  acks?: boolean;
  /** Interface name in the capture (default "air" or "air-<freq>"). */
  name?: string;
}

/** Radiotap fields describing a frame on air, as a monitor-mode receiver would report it. */
export function radiotapFields(
  ev: Pick<AirEvent, 'rate' | 'band' | 'freq' | 'shortPreamble' | 'tsf'>,
  signal: number,
  noise: number,
  withFcs: boolean,
): RadiotapFields {
  const r = ev.rate;
  let flags = withFcs ? RADIOTAP_F.FCS : 0;
  if (ev.shortPreamble && r.mode === 'cck' && r.rate > 10) flags |= RADIOTAP_F.SHORTPRE;
  let chanFlags = ev.band === '2g' ? RADIOTAP_CHAN.GHZ2 : ev.band === '5g' ? RADIOTAP_CHAN.GHZ5 : 0;
  chanFlags |= r.mode === 'cck' ? RADIOTAP_CHAN.CCK : RADIOTAP_CHAN.OFDM;
  const f: RadiotapFields = {
    tsft: BigInt(Math.max(0, Math.floor(ev.tsf))),
    flags,
    channel: { freq: ev.freq, flags: chanFlags },
    dbmAntSignal: clampS8(Math.round(signal)),
    dbmAntNoise: clampS8(Math.round(noise)),
  };
  switch (r.mode) {
    case 'cck':
    case 'ofdm':
      f.rate = Math.round(r.rate / 5); // 100 kb/s → 500 kb/s units
      break;
    case 'ht':
      // known: bandwidth, MCS index, guard interval
      f.mcs = { known: 0x07, flags: (r.bw >= 40 ? 1 : 0) | (r.sgi ? 0x04 : 0), mcs: r.rate & 0x7f };
      break;
    case 'vht':
      f.vht = {
        known: 0x0044, // guard interval, bandwidth
        flags: r.sgi ? 0x04 : 0,
        bandwidth: VHT_BW[r.bw],
        mcsNss: [((r.rate & 0xf) << 4) | (Math.max(1, r.nss) & 0xf), 0, 0, 0],
        coding: 0,
        groupId: 0,
        partialAid: 0,
      };
      break;
    case 'he':
      f.he = heFields(r);
      break;
  }
  return f;
}

const VHT_BW = { 20: 0, 40: 1, 80: 4, 160: 11 } as const;
const HE_BW = { 20: 0, 40: 1, 80: 2, 160: 3 } as const;

function heFields(r: RateInfo): NonNullable<RadiotapFields['he']> {
  // data1: HE SU format; data MCS, coding and bandwidth known. data2: GI known.
  return {
    data1: 0x0020 | 0x0080 | 0x4000,
    data2: 0x0002,
    data3: (r.rate & 0xf) << 8,
    data4: 0,
    // GI 0.8 µs with short GI, 1.6 µs otherwise (the airtime model's choice)
    data5: HE_BW[r.bw] | ((r.sgi ? 0 : 1) << 4),
    data6: Math.max(1, r.nss) & 0xf,
  };
}

function clampS8(v: number): number {
  return Math.max(-128, Math.min(127, v));
}

export class RadiotapMonitor {
  frames = 0;
  acks = 0;
  readonly ifId: number;
  private readonly withFcs: boolean;
  private readonly withAcks: boolean;
  private readonly snr: number;
  private readonly stopHook: () => void;

  constructor(
    private readonly medium: Medium,
    private readonly writer: CaptureWriter,
    opts: MonitorOptions = {},
  ) {
    const freq = opts.freq ?? null;
    this.withFcs = opts.fcs ?? true;
    this.withAcks = opts.acks ?? true;
    this.snr = opts.snr ?? 40;
    this.ifId = writer.addInterface({
      linkType: LinkType.IEEE802_11_RADIOTAP,
      name: opts.name ?? (freq === null ? 'air' : `air-${freq}`),
      description: 'airstack mock PHY monitor',
    });
    this.stopHook = medium.addMonitor((ev) => this.onAir(ev), freq);
  }

  stop(): void {
    this.stopHook();
  }

  private onAir(ev: AirEvent): void {
    if (ev.kind === 'ack') {
      if (!this.withAcks) return;
      this.acks++;
    } else this.frames++;
    const noise = this.medium.noiseFloor;
    const signal = noise + this.snr + (ev.powerDbm - REFERENCE_TX_POWER);
    const rt = encodeRadiotap({ fields: radiotapFields(ev, signal, noise, this.withFcs) });
    const len = rt.length + ev.frame.length + (this.withFcs ? 4 : 0);
    const out = new Uint8Array(len);
    out.set(rt, 0);
    out.set(ev.frame, rt.length);
    if (this.withFcs) {
      const c = crc32(ev.frame);
      const o = rt.length + ev.frame.length;
      out[o] = c & 0xff;
      out[o + 1] = (c >>> 8) & 0xff;
      out[o + 2] = (c >>> 16) & 0xff;
      out[o + 3] = c >>> 24;
    }
    // Timestamp: the end of the frame on air, as a receiver would stamp it.
    const clock = this.medium.clock;
    const wall = clock.wallTime() + (ev.endUs / 1000 - clock.now());
    this.writer.writePacket(this.ifId, wall, out, 0, len);
  }
}

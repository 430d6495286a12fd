/**
 * The firmware's hardware scan (FACTS.md §6.11): START_HW_SCAN visits the listed channels (or all enabled ones),
 * dwells on each, sends probe requests on active scans, lets beacons and probe responses through to the host as
 * ordinary RX frames, and finishes with the unsolicited SCAN_DONE event (eid 0x0d, seq 0, 476-byte payload).
 */
import type { Clock, Timer } from '../../../netstack/core/clock.ts';
import { type RadioChannel, type RadioRate, sameChannel } from './radio.ts';
import { buildEvent, EVENT_HDR_LEN, le16, le32, putLe16, putLe32 } from './wire.ts';

export const SCAN_REQ_LEN = 1186;
export const SCAN_DONE_LEN = 476;
export const EID_SCAN_DONE = 0x0d;

export interface ScanRequest {
  seqNum: number;
  bssIdx: number;
  active: boolean;
  ssids: Uint8Array[];
  wildcard: boolean;
  probeReqNum: number;
  randomMac: Uint8Array | null;
  bssid: Uint8Array;
  dwellMs: number;
  probeDelayMs: number;
  channels: RadioChannel[] | null;
  ies: Uint8Array;
}

const BANDS: Record<number, RadioChannel['band']> = { 1: '2g', 2: '5g', 3: '6g' };

/** Parses START_HW_SCAN; returns a reason string when malformed. */
export function parseScanRequest(p: Uint8Array): ScanRequest | string {
  // GUESS: the firmware insists on the whole 1186-byte structure (mt76 always sends it whole).
  if (p.length < SCAN_REQ_LEN) return 'scan-req-short';
  const ssidsNum = p[4]!;
  const extSsidsNum = p[827]!;
  if (ssidsNum > 4 || extSsidsNum > 6) return 'scan-req-ssids';
  const ssids: Uint8Array[] = [];
  const readSsid = (off: number): string | null => {
    const len = le32(p, off);
    if (len > 32) return 'scan-req-ssid-len';
    if (len > 0) ssids.push(p.slice(off + 4, off + 4 + len));
    return null;
  };
  for (let i = 0; i < ssidsNum; i++) {
    const e = readSsid(8 + i * 36);
    if (e) return e;
  }
  for (let i = 0; i < extSsidsNum; i++) {
    const e = readSsid(894 + i * 36);
    if (e) return e;
  }
  const channelType = p[158]!;
  const n = p[159]!;
  const nExt = p[826]!;
  if (n > 32 || nExt > 32) return 'scan-req-channels';
  let channels: RadioChannel[] | null = null;
  if (channelType === 4) {
    channels = [];
    for (let i = 0; i < n + nExt; i++) {
      const off = i < n ? 160 + i * 2 : 830 + (i - n) * 2;
      const band = BANDS[p[off]!];
      if (!band) return 'scan-req-band';
      channels.push({ band, number: p[off + 1]!, width: 20 });
    }
  }
  const iesLen = le16(p, 224);
  if (iesLen > 600) return 'scan-req-ies-len';
  const scanFunc = p[6]!;
  return {
    seqNum: p[0]!,
    bssIdx: p[1]!,
    active: p[2] === 1,
    ssids,
    // ssid_type BIT0 wildcard, BIT2 specified + wildcard, unless ssid_type_ext BIT0 says specified only (§6.11).
    wildcard: ssids.length === 0 || (p[3]! & 0x01) !== 0 || ((p[3]! & 0x04) !== 0 && (p[1185]! & 0x01) === 0),
    probeReqNum: Math.max(1, p[5]!),
    randomMac: scanFunc & 1 ? p.slice(1116, 1122) : null,
    bssid: p.slice(1110, 1116),
    dwellMs: le16(p, 154),
    probeDelayMs: le16(p, 152),
    channels,
    ies: p.slice(226, 226 + iesLen),
  };
}

export interface ScanHost {
  readonly clock: Clock;
  tune(ch: RadioChannel): void;
  transmit(frame: Uint8Array, rate: RadioRate): void;
  sendEvent(pkt: Uint8Array): void;
  /** Where the radio returns after the scan. */
  homeChannel(): RadioChannel;
  /** Channels enabled by SET_CHAN_DOMAIN (with cfg80211 flags), or a default list. */
  allChannels(): Array<{ ch: RadioChannel; flags: number }>;
  /** Source address for probe requests of `bssIdx` (the interface address). */
  ownAddress(bssIdx: number): Uint8Array;
  readonly activeDwellMs: number;
  readonly passiveDwellMs: number;
  onProbe(): void;
}

// cfg80211 channel flags (include/net/cfg80211.h): NO_IR and RADAR forbid probing.
const CHAN_NO_IR = 1 << 1;
const CHAN_RADAR = 1 << 3;

interface Visit {
  ch: RadioChannel;
  passive: boolean;
  beacons: number;
}

export class HwScan {
  private req: ScanRequest | null = null;
  private visits: Visit[] = [];
  private idx = 0;
  private seqCtl = 0;
  private readonly timer: Timer;
  private readonly probeTimer: Timer;

  constructor(private readonly host: ScanHost) {
    this.timer = host.clock.timer(() => this.next());
    this.probeTimer = host.clock.timer(() => this.probe());
  }

  get running(): boolean {
    return this.req !== null;
  }

  /** The random source address of the running scan, or null. */
  get randomMac(): Uint8Array | null {
    return this.req?.randomMac ?? null;
  }

  /** Channel being scanned, or null. */
  get channel(): RadioChannel | null {
    return this.req ? (this.visits[this.idx]?.ch ?? null) : null;
  }

  start(req: ScanRequest): void {
    this.cancel();
    this.req = req;
    const all = this.host.allChannels();
    const list = req.channels ? req.channels.map((ch) => ({ ch, flags: flagsOf(all, ch) })) : all;
    this.visits = list.map(({ ch, flags }) => ({
      ch,
      passive: !req.active || (flags & (CHAN_NO_IR | CHAN_RADAR)) !== 0,
      beacons: 0,
    }));
    this.idx = -1;
    this.next();
  }

  /** CANCEL_HW_SCAN: stop and go home. GUESS: no SCAN_DONE after a cancel (the driver completes it itself). */
  cancel(): void {
    if (!this.req) return;
    this.req = null;
    this.timer.cancel();
    this.probeTimer.cancel();
    this.host.tune(this.host.homeChannel());
  }

  /** A beacon or probe response was heard on `ch` during the scan. */
  noteBeacon(ch: RadioChannel): void {
    const v = this.visits[this.idx];
    if (this.req && v && sameChannel(v.ch, ch)) v.beacons++;
  }

  private next(): void {
    if (!this.req) return;
    this.idx++;
    const v = this.visits[this.idx];
    if (!v) {
      this.finish();
      return;
    }
    this.host.tune(v.ch);
    // GUESS: firmware default dwell when the request says 0 (connac2 always does): 40 ms active, 110 ms passive.
    const dwell = this.req.dwellMs || (v.passive ? this.host.passiveDwellMs : this.host.activeDwellMs);
    if (!v.passive) this.probeTimer.mod(this.req.probeDelayMs);
    this.timer.mod(dwell);
  }

  private probe(): void {
    const req = this.req;
    const v = this.visits[this.idx];
    if (!req || !v) return;
    const src = req.randomMac ?? this.host.ownAddress(req.bssIdx);
    const ssids: Array<Uint8Array | null> = [...req.ssids];
    if (req.wildcard) ssids.push(null);
    // GUESS: probe_req_num copies of a probe per SSID (mac80211 asks for one per SSID; mt76 sets the count to 2).
    for (let k = 0; k < req.probeReqNum; k++) {
      for (const ssid of ssids) {
        this.host.transmit(this.probeRequest(src, req.bssid, ssid, req.ies), basicRate(v.ch));
        this.host.onProbe();
      }
    }
  }

  private probeRequest(src: Uint8Array, bssid: Uint8Array, ssid: Uint8Array | null, ies: Uint8Array): Uint8Array {
    const ssidLen = ssid?.length ?? 0;
    const f = new Uint8Array(24 + 2 + ssidLen + ies.length);
    f[0] = 0x40; // management, probe request
    f.fill(0xff, 4, 10);
    f.set(src, 10);
    if (bssid.some((b) => b !== 0)) f.set(bssid, 16);
    else f.fill(0xff, 16, 22);
    putLe16(f, 22, (this.seqCtl++ & 0xfff) << 4);
    f[24] = 0; // SSID element
    f[25] = ssidLen;
    if (ssid) f.set(ssid, 26);
    f.set(ies, 26 + ssidLen);
    return f;
  }

  private finish(): void {
    const req = this.req!;
    this.req = null;
    this.host.tune(this.host.homeChannel());
    const ev = buildEvent({ eid: EID_SCAN_DONE, seq: 0 }, SCAN_DONE_LEN);
    const p = EVENT_HDR_LEN;
    const n = Math.min(this.visits.length, 64);
    ev[p + 0] = req.seqNum;
    ev[p + 4] = n; // complete_channel_num
    ev[p + 6] = 1; // version  GUESS
    let total = 0;
    let b2 = 0;
    let b5 = 0;
    for (let i = 0; i < n; i++) {
      const v = this.visits[i]!;
      ev[p + 20 + i] = v.ch.number;
      ev[p + 212 + i] = Math.min(v.beacons, 255);
      const dwell = req.dwellMs || (v.passive ? this.host.passiveDwellMs : this.host.activeDwellMs);
      putLe16(ev, p + 348 + i * 2, Math.min(dwell, 0xffff));
      total += v.beacons;
      if (v.ch.band === '2g') b2 += v.beacons;
      else b5 += v.beacons;
    }
    putLe32(ev, p + 8, total);
    putLe32(ev, p + 340, b2);
    putLe32(ev, p + 344, b5);
    this.host.sendEvent(ev);
  }
}

function flagsOf(all: Array<{ ch: RadioChannel; flags: number }>, ch: RadioChannel): number {
  return all.find((e) => sameChannel(e.ch, ch))?.flags ?? 0;
}

/** The lowest basic rate: CCK 1 Mb/s on 2.4 GHz, OFDM 6 Mb/s elsewhere. */
export function basicRate(ch: RadioChannel): RadioRate {
  return ch.band === '2g' ? { mode: 'cck', mbps: 1 } : { mode: 'ofdm', mbps: 6 };
}

/**
 * The BSS table (cfg80211's scan results, net/wireless/scan.c): one entry per BSSID and frequency, updated from
 * every Beacon and Probe Response heard, with what a station needs to choose and join a BSS — SSID (octets and a
 * printable form), channel, signal, security, HT/VHT/HE, beacon interval, capability, the elements as last
 * heard — and when it was last seen, so that old entries age out.
 *
 * Hidden SSIDs: a Beacon with an empty or zeroed SSID does not overwrite the SSID a Probe Response revealed (as
 * cfg80211's hidden_beacon_bss), and an entry keeps the elements of both kinds of frame.
 */
import { type MacAddr, macCopy, macToString } from '../addr.ts';
import type { Band, RxStatus } from '../driver-ops.ts';
import { channelToFreq, freqToBandChannel } from '../driver-ops.ts';
import { EID, EID_EXT, MS_OUI_TYPE_WMM, OUI_MICROSOFT } from '../elements/ids.ts';
import { Elements } from '../elements/elements.ts';
import { ssidToDisplay } from '../elements/basic.ts';
import { CAPAB } from '../frame/mgmt.ts';
import { type BssSecurity, parseSecurity, securityFlags } from './security.ts';

/** cfg80211 drops scan results not refreshed for this long (IEEE80211_SCAN_RESULT_EXPIRE, 30 s). */
export const SCAN_RESULT_EXPIRE_MS = 30_000;

export interface BssEntry {
  bssid: MacAddr;
  /** "02:00:00:00:01:00" */
  bssidStr: string;
  /** SSID octets (the revealed one for a hidden SSID once a Probe Response gave it). */
  ssid: Uint8Array;
  /** Printable SSID (ssidToDisplay). */
  ssidDisplay: string;
  /** The Beacon carries an empty or zeroed SSID. */
  hidden: boolean;
  band: Band;
  channel: number;
  freq: number;
  /** dBm of the last frame heard. */
  signal: number;
  beaconInterval: number;
  capability: number;
  /** DTIM period from the TIM element of a Beacon (0 until a Beacon was heard). */
  dtimPeriod: number;
  security: BssSecurity;
  ht: boolean;
  vht: boolean;
  he: boolean;
  wmm: boolean;
  /** Supported and extended rates (500 kb/s units, basic bit stripped) and which are basic. */
  rates: number[];
  basicRates: number[];
  /** TSF of the last frame. */
  tsf: bigint;
  /** Clock time (ms) of the last Beacon or Probe Response. */
  lastSeen: number;
  /** Elements of the last Beacon and of the last Probe Response (copies). */
  beaconIes: Uint8Array | null;
  probeRespIes: Uint8Array | null;
  /** Elements of whichever came last (the station builds its association request from these). */
  ies: Uint8Array;
  /** Frames that updated this entry. */
  beacons: number;
  probeResps: number;
}

export interface BssFrame {
  kind: 'beacon' | 'probe-resp';
  bssid: Uint8Array;
  timestamp: bigint;
  beaconInterval: number;
  capability: number;
  elements: Elements;
}

function isZeroed(b: Uint8Array): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

/** The channel the BSS says it is on (DS Parameter Set, else HT Operation's primary channel), else the receiver's. */
function bssChannel(e: Elements, status: RxStatus): { band: Band; channel: number; freq: number } {
  const ds = e.find(EID.DS_PARAMS);
  let ch = ds !== null && ds.length === 1 ? ds[0]! : -1;
  if (ch < 0) {
    const ht = e.find(EID.HT_OPERATION);
    if (ht !== null && ht.length >= 1) ch = ht[0]!;
  }
  if (ch > 0) {
    const freq = channelToFreq(status.band, ch);
    if (freqToBandChannel(freq)?.band === status.band) return { band: status.band, channel: ch, freq };
  }
  return { band: status.band, channel: status.channel, freq: status.freq };
}

function readRates(e: Elements): { rates: number[]; basic: number[] } {
  const rates: number[] = [];
  const basic: number[] = [];
  for (const id of [EID.SUPP_RATES, EID.EXT_SUPP_RATES]) {
    const b = e.find(id);
    if (b === null) continue;
    for (const o of b) {
      const v = o & 0x7f;
      // BSS membership selectors (HT PHY, VHT PHY, SAE H2E...) are not rates.
      if ((o & 0x80) !== 0 && v >= 121) continue;
      rates.push(v);
      if (o & 0x80) basic.push(v);
    }
  }
  return { rates, basic };
}

/** Build or update an entry from one Beacon / Probe Response (copies what it keeps from the frame). */
export function updateBss(old: BssEntry | null, f: BssFrame, status: RxStatus, now: number): BssEntry {
  const e = f.elements;
  const ies = Uint8Array.from(e.bytes);
  const own = new Elements(ies, 0, ies.length);
  const ssidBody = own.find(EID.SSID) ?? new Uint8Array(0);
  const hiddenHere = ssidBody.length === 0 || isZeroed(ssidBody);
  const { band, channel, freq } = bssChannel(own, status);
  const { rates, basic } = readRates(own);
  const tim = f.kind === 'beacon' ? own.find(EID.TIM) : null;
  const entry: BssEntry = old ?? {
    bssid: macCopy(f.bssid),
    bssidStr: macToString(f.bssid),
    ssid: new Uint8Array(0),
    ssidDisplay: '',
    hidden: false,
    band,
    channel,
    freq,
    signal: status.signal,
    beaconInterval: f.beaconInterval,
    capability: f.capability,
    dtimPeriod: 0,
    security: parseSecurity(own, (f.capability & CAPAB.PRIVACY) !== 0),
    ht: false,
    vht: false,
    he: false,
    wmm: false,
    rates,
    basicRates: basic,
    tsf: f.timestamp,
    lastSeen: now,
    beaconIes: null,
    probeRespIes: null,
    ies,
    beacons: 0,
    probeResps: 0,
  };
  if (f.kind === 'beacon') {
    entry.beacons++;
    entry.beaconIes = ies;
    entry.hidden = hiddenHere;
    if (tim !== null && tim.length >= 2) entry.dtimPeriod = tim[1]!;
  } else {
    entry.probeResps++;
    entry.probeRespIes = ies;
  }
  // A hidden Beacon never replaces a real SSID; anything else does.
  if (!hiddenHere || entry.ssid.length === 0) {
    entry.ssid = hiddenHere ? new Uint8Array(0) : Uint8Array.from(ssidBody);
    entry.ssidDisplay = ssidToDisplay(entry.ssid);
  }
  entry.band = band;
  entry.channel = channel;
  entry.freq = freq;
  entry.signal = status.signal;
  entry.beaconInterval = f.beaconInterval;
  entry.capability = f.capability;
  entry.security = parseSecurity(own, (f.capability & CAPAB.PRIVACY) !== 0);
  entry.ht = own.find(EID.HT_CAPABILITY) !== null;
  entry.vht = own.find(EID.VHT_CAPABILITY) !== null;
  entry.he = own.findExt(EID_EXT.HE_CAPABILITY) !== null;
  entry.wmm = own.findVendor(OUI_MICROSOFT, MS_OUI_TYPE_WMM) !== null;
  entry.rates = rates;
  entry.basicRates = basic;
  entry.tsf = f.timestamp;
  entry.lastSeen = now;
  entry.ies = ies;
  return entry;
}

/** One line of `wpa_cli scan_results`: bssid, frequency, signal level, flags, ssid (tab-separated). */
export function scanResultLine(b: BssEntry): string {
  const flags = `${securityFlags(b.security)}${b.capability & CAPAB.ESS ? '[ESS]' : ''}`;
  return `${b.bssidStr}\t${b.freq}\t${b.signal}\t${flags}\t${b.ssidDisplay}`;
}

export class BssTable {
  private readonly entries = new Map<string, BssEntry>();

  constructor(readonly expireMs = SCAN_RESULT_EXPIRE_MS) {}

  /** Update from a received Beacon or Probe Response; returns the entry. */
  update(f: BssFrame, status: RxStatus, now: number): BssEntry {
    const k = `${macToString(f.bssid)}/${status.freq}`;
    // Entries are keyed by BSSID and the frequency heard on: a BSS moving channel becomes a new entry.
    const old = this.entries.get(k) ?? null;
    const e = updateBss(old, f, status, now);
    if (old === null) this.entries.set(k, e);
    return e;
  }

  /** Drop entries not heard for expireMs (cfg80211_bss_expire). Returns how many went. */
  expire(now: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (now - e.lastSeen > this.expireMs) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Forget every entry of `bssid` (any frequency). */
  remove(bssid: Uint8Array): void {
    const s = macToString(bssid);
    for (const [k, e] of this.entries) if (e.bssidStr === s) this.entries.delete(k);
  }

  /** Forget everything (a flush). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries heard within `maxAgeMs` (default: all), strongest first. */
  list(now?: number, maxAgeMs?: number): BssEntry[] {
    const out: BssEntry[] = [];
    for (const e of this.entries.values()) {
      if (now !== undefined && maxAgeMs !== undefined && now - e.lastSeen > maxAgeMs) continue;
      out.push(e);
    }
    return out.sort((a, b) => b.signal - a.signal || a.bssidStr.localeCompare(b.bssidStr));
  }

  get(bssid: Uint8Array, freq?: number): BssEntry | null {
    const s = macToString(bssid);
    if (freq !== undefined) return this.entries.get(`${s}/${freq}`) ?? null;
    let best: BssEntry | null = null;
    for (const e of this.entries.values()) {
      if (e.bssidStr === s && (best === null || e.lastSeen > best.lastSeen)) best = e;
    }
    return best;
  }
}

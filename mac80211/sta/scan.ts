/**
 * Scanning (Linux's net/mac80211/scan.c with cfg80211's BSS table): passive and active, per channel, with dwell
 * times, wildcard and directed SSIDs. With caps.hwScan the driver hops channels (ops.hwScan, one request per band
 * so that each carries the rates of its band); otherwise the scan is done here in software: the radio is retuned
 * with config() channel by channel, probe requests go out off-channel, and Beacons and Probe Responses are heard
 * through mac80211's scan listener. Results land in the BSS table.
 */
import { BROADCAST_ADDR } from '../addr.ts';
import type { Band, Channel, RxStatus, ScanRequest } from '../driver-ops.ts';
import { encodeElement } from '../elements/codec.ts';
import { dsParamsCodec, ssidCodec } from '../elements/basic.ts';
import { concatBytes } from '../elements/elements.ts';
import { buildProbeReq, elementsOf } from '../frame/build.ts';
import { decodeFrame } from '../frame/frame.ts';
import type { Ieee80211SubIf } from '../iface.ts';
import type { Ieee80211Local, ScanHandler } from '../local.ts';
import { extCapsElement, heCapsElement, htCapsElement, ratesElements, ratesOf, vhtCapsElement } from '../mlme/caps.ts';
import { chandef20, sendFrame } from '../mlme/tx.ts';
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';
import type { BssEntry, BssTable } from './bss.ts';

const log = logger('scan');

/** Dwell times (ms) when the caller gives none. GUESS: the range drivers use (hwsim's radio uses the same). */
export const DWELL_ACTIVE_MS = 30;
export const DWELL_PASSIVE_MS = 110;

export interface ScanOptions {
  /** SSIDs to probe for; an empty one is the wildcard. Default: the wildcard only. */
  ssids?: Uint8Array[];
  /** Listen only (no probe requests anywhere). */
  passive?: boolean;
  /** Channels to visit (default: every channel of every band the hardware has). */
  channels?: Channel[];
  dwellActiveMs?: number;
  dwellPassiveMs?: number;
  /** Only this BSSID answers (probe requests carry it as BSSID). */
  bssid?: Uint8Array;
}

export interface ScanCounters {
  scans: number;
  hwScans: number;
  swScans: number;
  aborted: number;
  failed: number;
  probesSent: number;
  results: number;
  /** Beacons / Probe Responses heard during scans that did not decode. */
  malformed: number;
}

/** Elements of our probe requests on `band` after the SSID: rates, DS Parameter Set (2.4 GHz), HT/VHT/HE caps. */
export function probeRequestIes(local: Ieee80211Local, band: Band, channel?: number): Uint8Array {
  const b = local.caps.bands.find((x) => x.band === band);
  if (b === undefined) return new Uint8Array(0);
  const parts = ratesElements(ratesOf(b.bitrates));
  if (band === '2g' && channel !== undefined) parts.push(encodeElement(dsParamsCodec, { channel }));
  if (b.ht) parts.push(htCapsElement(2, band !== '2g'));
  parts.push(extCapsElement(false));
  if (b.vht && band !== '2g') parts.push(vhtCapsElement(2));
  if (b.he) parts.push(heCapsElement(band, 2));
  return concatBytes(parts);
}

export class Scanner {
  readonly counters: ScanCounters = {
    scans: 0,
    hwScans: 0,
    swScans: 0,
    aborted: 0,
    failed: 0,
    probesSent: 0,
    results: 0,
    malformed: 0,
  };
  private running = false;
  private abortRequested = false;
  private readonly timer: Timer;
  private wake: (() => void) | null = null;

  constructor(
    private readonly local: Ieee80211Local,
    private readonly sdata: Ieee80211SubIf,
    private readonly clock: Clock,
    private readonly table: BssTable,
  ) {
    this.timer = clock.timer(() => {
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Every channel of the hardware's bands. */
  allChannels(): Channel[] {
    return this.local.caps.bands.flatMap((b) => b.channels);
  }

  /** Run one scan; resolves with the BSSes heard in it (strongest first). Rejects when a scan is running. */
  async scan(o: ScanOptions = {}): Promise<BssEntry[]> {
    if (this.running) throw new Error('a scan is already running');
    this.running = true;
    this.abortRequested = false;
    this.counters.scans++;
    const start = this.clock.now();
    const seen = new Set<BssEntry>();
    const handler: ScanHandler = {
      rx: (skb, status) => {
        const e = this.rxResult(skb, status);
        if (e !== null) seen.add(e);
      },
      completed: (aborted) => {
        if (aborted) this.abortRequested = true;
        const w = this.wake;
        this.wake = null;
        w?.();
      },
    };
    const channels = o.channels ?? this.allChannels();
    try {
      if (this.local.caps.hwScan) await this.hwScan(o, channels, handler);
      else await this.swScan(o, channels, handler);
    } catch (e) {
      this.counters.failed++;
      throw e;
    } finally {
      this.running = false;
      this.wake = null;
      this.timer.cancel();
    }
    if (this.abortRequested) this.counters.aborted++;
    log(
      '%s: scan of %d channels: %d BSS in %d ms',
      this.sdata.name,
      channels.length,
      seen.size,
      this.clock.now() - start,
    );
    return [...seen].sort((a, b) => b.signal - a.signal || a.bssidStr.localeCompare(b.bssidStr));
  }

  /** Stop the scan in progress (it resolves with what was heard so far). */
  abort(): void {
    if (!this.running) return;
    this.abortRequested = true;
    // A hardware scan ends with the driver's scanCompleted; a software one at its next dwell timer.
    if (this.local.caps.hwScan) void this.local.cancelHwScan(this.sdata);
    else this.timer.mod(0);
  }

  private ssidsOf(o: ScanOptions): Uint8Array[] {
    if (o.passive) return [];
    return o.ssids && o.ssids.length > 0 ? o.ssids : [new Uint8Array(0)];
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer.mod(ms);
    });
  }

  private waitCompleted(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private async hwScan(o: ScanOptions, channels: Channel[], handler: ScanHandler): Promise<void> {
    this.counters.hwScans++;
    const ssids = this.ssidsOf(o).slice(0, Math.max(1, this.local.caps.maxScanSsids));
    for (const band of ['2g', '5g', '6g'] as Band[]) {
      const chans = channels.filter((c) => c.band === band);
      if (chans.length === 0 || this.abortRequested) continue;
      const req: ScanRequest = {
        channels: chans,
        ssids,
        ies: probeRequestIes(this.local, band).subarray(0, this.local.caps.maxScanIeLen),
        dwellActiveMs: o.dwellActiveMs ?? DWELL_ACTIVE_MS,
        dwellPassiveMs: o.dwellPassiveMs ?? DWELL_PASSIVE_MS,
        bssid: o.bssid,
      };
      const done = this.waitCompleted();
      await this.local.hwScan(this.sdata, req, handler);
      this.counters.probesSent += ssids.length * chans.filter((c) => !c.noIr).length;
      await done;
    }
  }

  /**
   * GUESS: while associated, Linux first tells the AP it dozes (a Null frame with PM set) so that it buffers for us;
   * our AP does no power-save buffering, so frames it sends while we are off-channel are lost (and retried by TCP).
   */
  private async swScan(o: ScanOptions, channels: Channel[], handler: ScanHandler): Promise<void> {
    this.counters.swScans++;
    const local = this.local;
    const operating = local.chandef;
    const ssids = this.ssidsOf(o);
    local.beginScanListener(this.sdata, handler);
    try {
      for (const chan of channels) {
        if (this.abortRequested) break;
        await local.setChannel(chandef20(chan));
        const active = ssids.length > 0 && !chan.noIr;
        if (active) {
          for (const ssid of ssids) this.sendProbe(chan, ssid, o.bssid);
          await this.sleep(o.dwellActiveMs ?? DWELL_ACTIVE_MS);
        } else await this.sleep(o.dwellPassiveMs ?? DWELL_PASSIVE_MS);
      }
    } finally {
      if (local.scan?.handler === handler) local.endScanListener(this.abortRequested);
      if (operating !== null) await local.setChannel(operating);
    }
  }

  private sendProbe(chan: Channel, ssid: Uint8Array, bssid?: Uint8Array): void {
    const ies = concatBytes([encodeElement(ssidCodec, { ssid }), probeRequestIes(this.local, chan.band, chan.channel)]);
    const f = buildProbeReq({ sa: this.sdata.addr, bssid: bssid ?? BROADCAST_ADDR, elements: elementsOf(ies) });
    this.counters.probesSent++;
    sendFrame(this.local, this.sdata, f, { offChannel: true });
  }

  /** A Beacon or Probe Response heard (borrowed skb): into the table. */
  private rxResult(skb: SkBuff, status: RxStatus): BssEntry | null {
    const e = bssFromSkb(this.table, skb, status, this.clock.now());
    if (e === null) this.counters.malformed++;
    else this.counters.results++;
    return e;
  }
}

/** Decode a Beacon / Probe Response in `skb` (borrowed) and update `table`; null when it is not one or is malformed. */
export function bssFromSkb(table: BssTable, skb: SkBuff, status: RxStatus, now: number): BssEntry | null {
  const d = decodeFrame(skb.buf.subarray(skb.data, skb.tail));
  if (!d.ok || d.value.type !== 'mgmt') return null;
  const b = d.value.body;
  if (b.kind !== 'beacon' && b.kind !== 'probe-resp') return null;
  if (d.value.header.addr3 === null) return null;
  return table.update(
    {
      kind: b.kind,
      bssid: d.value.header.addr3,
      timestamp: b.timestamp,
      beaconInterval: b.beaconInterval,
      capability: b.capability,
      elements: b.elements,
    },
    status,
    now,
  );
}

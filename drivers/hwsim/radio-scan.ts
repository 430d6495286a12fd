/**
 * Hardware scan for the virtual radio (ieee80211_ops.hw_scan, as mac80211_hwsim does it): visit each requested
 * channel, send one probe request per SSID when the channel allows active scanning, listen for the dwell time, then
 * return to the operating channel and report scanCompleted. Beacons and probe responses heard meanwhile reach
 * mac80211 through the normal receive path with the scan channel in their RxStatus.
 */
import type { ChanDef, ScanRequest, Vif } from '../../mac80211/driver-ops.ts';
import type { Clock, Timer } from '../../netstack/core/clock.ts';
import { logger } from '../../netstack/core/log.ts';
import { chandef } from './chan.ts';

const log = logger('hwsim');

/** Dwell times when a request leaves them at 0 (GUESS: values in the range drivers use: 30 ms active, 110 ms passive). */
export const DEFAULT_DWELL_ACTIVE_MS = 30;
export const DEFAULT_DWELL_PASSIVE_MS = 110;

/** What the scanner needs from its radio. */
export interface ScanHost {
  readonly clock: Clock;
  /** Bands the radio supports, for request validation. */
  supports(c: ChanDef['chan']): boolean;
  /** Tune for the scan (the operating channel is kept aside). */
  tuneScan(cd: ChanDef | null): void;
  /** Queue a probe request off-channel. */
  sendProbe(vif: Vif, ssid: Uint8Array, req: ScanRequest): void;
  /** The scan ended. */
  scanDone(aborted: boolean): void;
}

export class HwScanner {
  private req: ScanRequest | null = null;
  private vif: Vif | null = null;
  private next = 0;
  private readonly timer: Timer;

  constructor(private readonly host: ScanHost) {
    this.timer = host.clock.timer(() => this.step());
  }

  get running(): boolean {
    return this.req !== null;
  }

  /** Start a scan (resolves at once; the end is reported through scanDone). Throws on a bad or concurrent request. */
  start(vif: Vif, req: ScanRequest): void {
    if (this.req !== null) throw new Error('hw_scan: a scan is already running (EBUSY)');
    if (req.channels.length === 0) throw new Error('hw_scan: no channels to scan (EINVAL)');
    for (const c of req.channels) {
      if (!this.host.supports(c))
        throw new Error(`hw_scan: channel ${c.channel} (${c.freq} MHz) not supported (EINVAL)`);
    }
    this.req = req;
    this.vif = vif;
    this.next = 0;
    log('hw_scan: %d channels, %d SSIDs', req.channels.length, req.ssids.length);
    this.timer.mod(0);
  }

  abort(): void {
    if (this.req === null) return;
    this.finish(true);
  }

  /** Stop without reporting (the radio is going down). */
  reset(): void {
    this.timer.cancel();
    this.req = null;
    this.vif = null;
  }

  private step(): void {
    const req = this.req;
    if (req === null) return;
    if (this.next >= req.channels.length) {
      this.finish(false);
      return;
    }
    const c = req.channels[this.next++]!;
    this.host.tuneScan(chandef(c.band, c.channel));
    const active = req.ssids.length > 0 && c.noIr !== true;
    if (active) for (const ssid of req.ssids) this.host.sendProbe(this.vif!, ssid, req);
    const dwell = active
      ? req.dwellActiveMs > 0
        ? req.dwellActiveMs
        : DEFAULT_DWELL_ACTIVE_MS
      : req.dwellPassiveMs > 0
        ? req.dwellPassiveMs
        : DEFAULT_DWELL_PASSIVE_MS;
    this.timer.mod(dwell);
  }

  private finish(aborted: boolean): void {
    this.timer.cancel();
    this.req = null;
    this.vif = null;
    this.host.tuneScan(null);
    this.host.scanDone(aborted);
  }
}

/**
 * Connection monitoring of a station (Linux's mlme.c: ieee80211_sta_reset_beacon_monitor, ieee80211_mgd_probe_ap,
 * ieee80211_sta_connection_lost): when no Beacon from the AP was heard for IEEE80211_BEACON_LOSS_COUNT beacon
 * intervals — or the driver reports beacon loss — probe the AP with a Null frame whose acknowledgement we ask
 * for; an ACK means the AP is still there, a missing one is retried, and after max_nullfunc_tries the connection
 * is lost. A driver's connection loss ends it at once.
 */
import type { Clock, Timer } from '../../netstack/core/clock.ts';

/** Beacons missed before the AP is probed (IEEE80211_BEACON_LOSS_COUNT). */
export const BEACON_LOSS_COUNT = 7;
/** Time to wait for a probe's outcome (IEEE80211_PROBE_WAIT, HZ / 2). */
export const PROBE_WAIT_MS = 500;
/** Null-frame probes before giving up (max_nullfunc_tries with TX status reporting). */
export const MAX_NULLFUNC_TRIES = 2;
const TU_MS = 1.024;

export interface ConnMonitorHost {
  /** Send one probe to the AP; report its outcome with probeResult(). */
  probe(): void;
  /** Beacons stopped (reported once per loss, before probing). */
  beaconLoss(): void;
  /** The AP did not answer: the connection is gone. */
  connectionLost(): void;
}

export interface ConnMonitorCounters {
  beaconLosses: number;
  probes: number;
  probesAcked: number;
  losses: number;
}

export class ConnectionMonitor {
  readonly counters: ConnMonitorCounters = { beaconLosses: 0, probes: 0, probesAcked: 0, losses: 0 };
  private readonly beaconTimer: Timer;
  private readonly probeTimer: Timer;
  private beaconTimeoutMs = BEACON_LOSS_COUNT * 100 * TU_MS;
  private tries = 0;
  private active = false;
  /** Probing the AP (after a beacon loss). */
  probing = false;

  constructor(
    clock: Clock,
    private readonly host: ConnMonitorHost,
  ) {
    this.beaconTimer = clock.timer(() => this.onBeaconTimeout());
    this.probeTimer = clock.timer(() => this.probeResult(false));
  }

  /** Start watching an AP that beacons every `beaconIntTu` TUs. */
  start(beaconIntTu: number): void {
    this.active = true;
    this.probing = false;
    this.tries = 0;
    this.beaconTimeoutMs = BEACON_LOSS_COUNT * Math.max(1, beaconIntTu) * TU_MS;
    this.beaconTimer.mod(this.beaconTimeoutMs);
  }

  stop(): void {
    this.active = false;
    this.probing = false;
    this.beaconTimer.cancel();
    this.probeTimer.cancel();
  }

  /** A Beacon from the AP. */
  beaconReceived(): void {
    if (!this.active) return;
    this.beaconTimer.mod(this.beaconTimeoutMs);
    if (this.probing) this.endProbing();
  }

  /** The driver detected beacon loss (ieee80211_beacon_loss). */
  driverBeaconLoss(): void {
    if (this.active) this.onBeaconTimeout();
  }

  /** The driver gave up on the AP (ieee80211_connection_loss). */
  driverConnectionLoss(): void {
    if (!this.active) return;
    this.lost();
  }

  /** Outcome of the last probe (acknowledged or not; also called when its wait ran out). */
  probeResult(acked: boolean): void {
    if (!this.active || !this.probing) return;
    this.probeTimer.cancel();
    if (acked) {
      this.counters.probesAcked++;
      this.endProbing();
      this.beaconTimer.mod(this.beaconTimeoutMs);
      return;
    }
    if (this.tries >= MAX_NULLFUNC_TRIES) {
      this.lost();
      return;
    }
    this.sendProbe();
  }

  private onBeaconTimeout(): void {
    if (!this.active || this.probing) return;
    this.counters.beaconLosses++;
    this.probing = true;
    this.tries = 0;
    this.host.beaconLoss();
    if (this.active) this.sendProbe();
  }

  private sendProbe(): void {
    this.tries++;
    this.counters.probes++;
    this.probeTimer.mod(PROBE_WAIT_MS);
    this.host.probe();
  }

  private endProbing(): void {
    this.probing = false;
    this.tries = 0;
    this.probeTimer.cancel();
  }

  private lost(): void {
    this.counters.losses++;
    this.stop();
    this.host.connectionLost();
  }
}

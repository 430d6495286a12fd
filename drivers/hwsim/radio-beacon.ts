/**
 * AP beaconing in the virtual radio, as hardware with beacon offload does it (mt76's beacon templates): mac80211
 * hands a template through bssInfoChanged (BSS_CHANGED_BEACON) and switches beaconing on and off
 * (BSS_CHANGED_BEACON_ENABLED); the radio sends the template at every TBTT (TSF a multiple of the beacon interval)
 * with its own sequence number, the TIM element's DTIM count for that beacon, and the timestamp filled by the PHY
 * as the frame goes on air. mac80211 owns everything else in the TIM (the traffic bitmap and the group bit) and
 * pushes a new template when it changes.
 */
import type { Clock, Timer } from '../../netstack/core/clock.ts';

/** Fixed fields of a beacon body: timestamp (8), beacon interval (2), capability (2). */
const BEACON_FIXED = 12;
const HDR = 24;
const EID_TIM = 5;
export const TU_US = 1024;

export interface BeaconHost {
  readonly clock: Clock;
  /** The radio's TSF now, µs. */
  tsf(): number;
  /** The radio is started (beacons only go out then). */
  running(): boolean;
  /** Send one beacon (the radio queues it on its beacon queue). */
  sendBeacon(frame: Uint8Array): void;
}

/** Offset of the TIM element in a beacon (its ID octet), or -1. */
export function findTim(frame: Uint8Array): number {
  let o = HDR + BEACON_FIXED;
  while (o + 2 <= frame.length) {
    const len = frame[o + 1]!;
    if (o + 2 + len > frame.length) return -1;
    if (frame[o] === EID_TIM && len >= 4) return o;
    o += 2 + len;
  }
  return -1;
}

export class Beaconer {
  template: Uint8Array | null = null;
  enabled = false;
  intervalTu = 100;
  dtimPeriod = 1;
  seq = 0;
  sent = 0;
  private timOffset = -1;
  /** TSF (µs) of the TBTT the timer is armed for. */
  private nextTbtt = 0;
  private readonly timer: Timer;

  constructor(private readonly host: BeaconHost) {
    this.timer = host.clock.timer(() => this.tbtt());
  }

  setTemplate(t: Uint8Array | undefined): void {
    if (t === undefined || t.length < HDR + BEACON_FIXED) {
      this.template = null;
      this.timOffset = -1;
    } else {
      this.template = Uint8Array.from(t);
      this.timOffset = findTim(this.template);
    }
    this.rearm();
  }

  configure(enabled: boolean, intervalTu: number, dtimPeriod: number): void {
    this.enabled = enabled;
    this.intervalTu = intervalTu > 0 ? intervalTu : 100;
    this.dtimPeriod = dtimPeriod > 0 ? dtimPeriod : 1;
    this.rearm();
  }

  /** Stop the timer (the radio stopped); `enabled` stays as mac80211 set it, for rearm() at the next start. */
  stop(): void {
    this.timer.cancel();
  }

  /** Arm the timer for the next TBTT, when beaconing is on and the radio runs. */
  rearm(): void {
    if (!this.enabled || this.template === null || !this.host.running()) {
      this.timer.cancel();
      return;
    }
    const bi = this.intervalTu * TU_US;
    const tsf = this.host.tsf();
    this.nextTbtt = (Math.floor(tsf / bi) + 1) * bi;
    this.timer.mod((this.nextTbtt - tsf) / 1000);
  }

  private tbtt(): void {
    const t = this.template;
    if (!this.enabled || t === null || !this.host.running()) return;
    const bi = this.intervalTu * TU_US;
    const index = Math.round(this.nextTbtt / bi);
    const f = Uint8Array.from(t);
    const seq = this.seq;
    this.seq = (seq + 1) & 0xfff;
    f[22] = (f[22]! & 0x0f) | ((seq & 0xf) << 4);
    f[23] = seq >> 4;
    if (this.timOffset >= 0) {
      f[this.timOffset + 2] = (this.dtimPeriod - (index % this.dtimPeriod)) % this.dtimPeriod;
      f[this.timOffset + 3] = this.dtimPeriod;
    }
    this.sent++;
    this.nextTbtt += bi;
    this.timer.mod((this.nextTbtt - this.host.tsf()) / 1000);
    this.host.sendBeacon(f);
  }
}

/**
 * Helpers for tests on the mock PHY: addresses, minimal frames built by hand, common rates.
 */
import type { Ieee80211HwCallbacks, RateInfo, RxStatus, TxInfo, TxStatus } from '../../mac80211/driver-ops.ts';
import type { Clock } from '../../netstack/core/clock.ts';
import type { SkBuff } from '../../netstack/core/skb.ts';

export const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** A locally administered MAC address 02:00:00:00:hi:lo. */
export function mac(n: number): Uint8Array {
  return new Uint8Array([0x02, 0, 0, 0, (n >> 8) & 0xff, n & 0xff]);
}

/** A data frame (FromDS=0, ToDS=0) of `len` bytes in total: 24-byte header, then a body of `seqTag` bytes. */
export function dataFrame(da: Uint8Array, sa: Uint8Array, len = 100, seq = 0): Uint8Array {
  const f = new Uint8Array(Math.max(24, len));
  f[0] = 0x08; // data
  f.set(da, 4);
  f.set(sa, 10);
  f.set(sa, 16);
  f[22] = (seq << 4) & 0xf0;
  f[23] = (seq >> 4) & 0xff;
  for (let i = 24; i < f.length; i++) f[i] = (i + seq) & 0xff;
  return f;
}

export function seqOf(f: Uint8Array): number {
  return (f[22]! >> 4) | (f[23]! << 4);
}

export const OFDM6: RateInfo = { mode: 'ofdm', rate: 60, nss: 1, bw: 20, sgi: false };
export const OFDM54: RateInfo = { mode: 'ofdm', rate: 540, nss: 1, bw: 20, sgi: false };
export const CCK1: RateInfo = { mode: 'cck', rate: 10, nss: 1, bw: 20, sgi: false };
export const HT7: RateInfo = { mode: 'ht', rate: 7, nss: 1, bw: 20, sgi: false };

/** A stand-in for mac80211 that records every callback (copies of the frames, with the time they arrived). */
export class RecordingMac implements Ieee80211HwCallbacks {
  readonly rxs: { frame: Buffer; status: RxStatus; at: number }[] = [];
  readonly statuses: { frame: Buffer; info: TxInfo; status: TxStatus }[] = [];
  readonly scans: boolean[] = [];
  rxCount = 0;

  /** `keep: false` only counts received frames (for long runs). */
  constructor(
    private readonly clock: Clock,
    private readonly keep = true,
  ) {}

  rx(skb: SkBuff, status: RxStatus): void {
    this.rxCount++;
    if (this.keep) this.rxs.push({ frame: skb.copyBytes(), status, at: this.clock.now() });
    skb.free();
  }
  txStatus(skb: SkBuff, info: TxInfo, status: TxStatus): void {
    if (this.keep) this.statuses.push({ frame: skb.copyBytes(), info, status });
    skb.free();
  }
  scanCompleted(aborted: boolean): void {
    this.scans.push(aborted);
  }
  beaconLoss(): void {}
  connectionLoss(): void {}
  restartHw(): void {}
}

/**
 * Helpers for tests on the mock PHY: addresses, minimal frames built by hand, common rates.
 */
import type { RateInfo } from '../../mac80211/driver-ops.ts';

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

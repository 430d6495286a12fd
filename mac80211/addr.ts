/**
 * MAC addresses as 6-byte Uint8Arrays. Decoded frames hand out views of the frame bytes (no copy); copy one with
 * `macCopy` before keeping it past the frame's life. The formatting, parsing and comparisons are netstack's
 * (netstack/inet/addr.ts), under the names mac80211 code uses.
 */
import { formatMac, isBroadcastMac, isZeroMac, macEqual, parseMac } from '../netstack/inet/addr.ts';

export type MacAddr = Uint8Array;

export const BROADCAST_ADDR: MacAddr = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** "aa:bb:cc:dd:ee:ff" for the 6 bytes at a[off]. */
export const macToString: (a: Uint8Array, off?: number) => string = formatMac;

/** Parse "aa:bb:cc:dd:ee:ff" (also with '-'); throws on a malformed string (addresses come from people here). */
export function macFromString(s: string): MacAddr {
  return Uint8Array.from(parseMac(s.trim()));
}

/** True when the 6 bytes at a[aOff] equal those at b[bOff]. */
export { macEqual };

export function macEquals(a: MacAddr, b: MacAddr): boolean {
  return macEqual(a, 0, b, 0);
}

export function isMulticastAddr(a: Uint8Array, off = 0): boolean {
  return (a[off] & 1) === 1;
}

export const isBroadcastAddr: (a: Uint8Array, off?: number) => boolean = isBroadcastMac;

export const isZeroAddr: (a: Uint8Array, off?: number) => boolean = isZeroMac;

/** A private copy of the 6 bytes at a[off]. Not `a.slice()`: on a Buffer (an skb's bytes) that is a view. */
export function macCopy(a: Uint8Array, off = 0): MacAddr {
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = a[off + i]!;
  return out;
}

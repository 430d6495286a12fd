/**
 * MAC addresses as 6-byte Uint8Arrays. Decoded frames hand out views of the frame bytes (no copy); copy one with
 * `macCopy` before keeping it past the frame's life.
 */

export type MacAddr = Uint8Array;

export const ETH_ALEN = 6;
export const BROADCAST_ADDR: MacAddr = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export function macToString(a: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    const b = a[off + i];
    s += (i ? ':' : '') + (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Parse "aa:bb:cc:dd:ee:ff" (also with '-'); throws on a malformed string (addresses come from people here). */
export function macFromString(s: string): MacAddr {
  const parts = s.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`not a MAC address: "${s}" (expected six hex octets such as 02:00:00:00:01:00)`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function macEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff = 0): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

export function macEquals(a: MacAddr, b: MacAddr): boolean {
  return macEqual(a, 0, b, 0);
}

export function isMulticastAddr(a: Uint8Array, off = 0): boolean {
  return (a[off] & 1) === 1;
}

export function isBroadcastAddr(a: Uint8Array, off = 0): boolean {
  return (a[off] & a[off + 1] & a[off + 2] & a[off + 3] & a[off + 4] & a[off + 5]) === 0xff;
}

export function isZeroAddr(a: Uint8Array, off = 0): boolean {
  return (a[off] | a[off + 1] | a[off + 2] | a[off + 3] | a[off + 4] | a[off + 5]) === 0;
}

/** A private copy of the 6 bytes at a[off]. Not `a.slice()`: on a Buffer (an skb's bytes) that is a view. */
export function macCopy(a: Uint8Array, off = 0): MacAddr {
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) out[i] = a[off + i]!;
  return out;
}

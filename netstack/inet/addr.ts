/**
 * IPv4 and MAC address helpers, in one place. Inside the stack an IPv4 address is an unsigned 32-bit number in
 * host order (0x0a000001 = 10.0.0.1); these functions convert at the edges (configuration, logs, user APIs).
 *
 * `parse*` functions are for input from a person: they throw an Error that says what is wrong. `tryParse*`
 * return null instead.
 */

export const INADDR_ANY = 0;
export const INADDR_BROADCAST = 0xffffffff;
export const INADDR_LOOPBACK = 0x7f000001;
/** 224.0.0.1, joined by every host (RFC 1112). */
export const INADDR_ALLHOSTS_GROUP = 0xe0000001;

/** Dotted quad → uint32, or null when `s` is not exactly four decimal octets. */
export function tryParseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

export function parseIpv4(s: string): number {
  const v = tryParseIpv4(s);
  if (v === null) throw new Error(`"${s}" is not an IPv4 address (expected four numbers 0-255 like 10.0.0.1)`);
  return v;
}

/** uint32 → dotted quad. */
export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Accepts a number (returned as is, made unsigned) or a dotted quad. */
export function toIpv4(a: number | string): number {
  return typeof a === 'number' ? a >>> 0 : parseIpv4(a);
}

/** Netmask for a prefix length (0..32) as uint32. */
export function prefixMask(len: number): number {
  return len <= 0 ? 0 : len >= 32 ? 0xffffffff : (0xffffffff << (32 - len)) >>> 0;
}

/** Prefix length of a contiguous netmask, or -1 when the mask is not contiguous. */
export function maskToPrefix(mask: number): number {
  mask >>>= 0;
  let len = 0;
  while (len < 32 && mask & (0x80000000 >>> len)) len++;
  return prefixMask(len) === mask ? len : -1;
}

export interface Cidr {
  addr: number;
  prefixLen: number;
}

/** '10.0.0.1/24' → { addr, prefixLen }. A bare address is a /32. Throws a person-readable error. */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  const addrPart = slash < 0 ? s : s.slice(0, slash);
  const addr = tryParseIpv4(addrPart);
  if (addr === null) throw new Error(`"${s}" is not an IPv4 address with prefix (expected like 10.0.0.1/24)`);
  if (slash < 0) return { addr, prefixLen: 32 };
  const lenPart = s.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenPart) || Number(lenPart) > 32) {
    throw new Error(`"${s}": prefix length must be a number 0-32 after the slash`);
  }
  return { addr, prefixLen: Number(lenPart) };
}

export function formatCidr(addr: number, prefixLen: number): string {
  return `${formatIpv4(addr)}/${prefixLen}`;
}

export function isMulticast(a: number): boolean {
  return a >>> 28 === 0xe;
}

export function isLoopback(a: number): boolean {
  return a >>> 24 === 127;
}

/** 0.0.0.0/8 ("this network"). */
export function isZeronet(a: number): boolean {
  return a >>> 24 === 0;
}

export function isLimitedBroadcast(a: number): boolean {
  return a >>> 0 === INADDR_BROADCAST;
}

// ---------------------------------------------------------------------------------------------------------------
// MAC addresses

export function formatMac(b: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) {
    if (i) s += ':';
    s += b[off + i]!.toString(16).padStart(2, '0');
  }
  return s;
}

/** 'aa:bb:cc:dd:ee:ff' (or with '-') → 6 bytes, or null when `s` is not six hex bytes. */
export function tryParseMac(s: string): Buffer | null {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return null;
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export function parseMac(s: string): Buffer {
  const mac = tryParseMac(s);
  if (mac === null) throw new Error(`"${s}" is not a MAC address (expected six hex bytes like 02:00:00:00:00:01)`);
  return mac;
}

/** True when the 6 bytes at a[ao] equal those at b[bo]. */
export function macEqual(a: Uint8Array, ao: number, b: Uint8Array, bo = 0): boolean {
  return (
    a[ao] === b[bo] &&
    a[ao + 1] === b[bo + 1] &&
    a[ao + 2] === b[bo + 2] &&
    a[ao + 3] === b[bo + 3] &&
    a[ao + 4] === b[bo + 4] &&
    a[ao + 5] === b[bo + 5]
  );
}

export function isBroadcastMac(a: Uint8Array, off = 0): boolean {
  return (a[off]! & a[off + 1]! & a[off + 2]! & a[off + 3]! & a[off + 4]! & a[off + 5]!) === 0xff;
}

export function isZeroMac(a: Uint8Array, off = 0): boolean {
  return (a[off]! | a[off + 1]! | a[off + 2]! | a[off + 3]! | a[off + 4]! | a[off + 5]!) === 0;
}

/** A locally administered unicast MAC address (02:xx:xx:xx:xx:xx) from 32 random bits. */
export function localMac(rand32: number, tag = 0): Buffer {
  return Buffer.from([0x02, tag & 0xff, rand32 >>> 24, (rand32 >>> 16) & 0xff, (rand32 >>> 8) & 0xff, rand32 & 0xff]);
}

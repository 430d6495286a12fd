/**
 * ARP packet codec (RFC 826). The decoder is generic in hardware and protocol address sizes so that odd packets
 * (a 14-byte hardware address, a non-IPv4 protocol) can be read and shown; the receive path accepts only
 * Ethernet/IPv4 (hln 6, pln 4).
 */
import { formatIpv4, formatMac } from '../inet/addr.ts';
import { copyOf, readU32 } from '../inet/bytes.ts';

export const ARPHRD_ETHER = 1;
export const ARPHRD_IEEE802 = 6;
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;
/** Fixed part: hrd, pro, hln, pln, op. */
export const ARP_FIXED_LEN = 8;
/** An Ethernet/IPv4 ARP packet. */
export const ARP_ETH_IP_LEN = 28;

export interface ArpPacket {
  hrd: number;
  pro: number;
  op: number;
  sha: Uint8Array;
  spa: Uint8Array;
  tha: Uint8Array;
  tpa: Uint8Array;
}

/** Decode; null when shorter than the fixed part plus the addresses its own length fields announce. */
export function decodeArp(buf: Uint8Array, off = 0, len = buf.length - off): ArpPacket | null {
  if (len < ARP_FIXED_LEN) return null;
  const hln = buf[off + 4]!;
  const pln = buf[off + 5]!;
  if (len < ARP_FIXED_LEN + 2 * (hln + pln)) return null;
  let p = off + ARP_FIXED_LEN;
  const take = (n: number): Uint8Array => {
    const v = copyOf(buf, p, p + n);
    p += n;
    return v;
  };
  return {
    hrd: (buf[off]! << 8) | buf[off + 1]!,
    pro: (buf[off + 2]! << 8) | buf[off + 3]!,
    op: (buf[off + 6]! << 8) | buf[off + 7]!,
    sha: take(hln),
    spa: take(pln),
    tha: take(hln),
    tpa: take(pln),
  };
}

export function encodeArp(p: ArpPacket): Buffer {
  if (p.sha.length !== p.tha.length || p.spa.length !== p.tpa.length) {
    throw new Error('ARP: sender and target addresses must have the same sizes');
  }
  const hln = p.sha.length;
  const pln = p.spa.length;
  const out = Buffer.alloc(ARP_FIXED_LEN + 2 * (hln + pln));
  out.writeUInt16BE(p.hrd, 0);
  out.writeUInt16BE(p.pro, 2);
  out[4] = hln;
  out[5] = pln;
  out.writeUInt16BE(p.op, 6);
  let o = ARP_FIXED_LEN;
  for (const a of [p.sha, p.spa, p.tha, p.tpa]) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** tcpdump-like one-line summary. */
export function formatArp(p: ArpPacket): string {
  const ip = (a: Uint8Array) => (a.length === 4 ? formatIpv4(readU32(a, 0)) : Buffer.from(a).toString('hex'));
  const hw = (a: Uint8Array) => (a.length === 6 ? formatMac(a) : Buffer.from(a).toString('hex'));
  if (p.op === ARPOP_REQUEST) return `ARP, Request who-has ${ip(p.tpa)} tell ${ip(p.spa)}`;
  if (p.op === ARPOP_REPLY) return `ARP, Reply ${ip(p.spa)} is-at ${hw(p.sha)}`;
  return `ARP, op ${p.op}`;
}

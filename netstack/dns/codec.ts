/**
 * DNS messages through the `dns-packet` codec, wrapped so that bad input from the wire never throws: decodeDns()
 * returns null for anything the codec rejects or that is structurally impossible (the codec itself throws
 * RangeError and friends on truncated input, and accepts some garbage we must not act on).
 */
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';

export type { Answer, DecodedPacket, Packet, Question };

export const DNS_PORT = 53;
/** RFC 1035 §4.2.1: the largest UDP message without EDNS. */
export const DNS_UDP_MAX = 512;
export const FLAG_TC = dnsPacket.TRUNCATED_RESPONSE;
export const FLAG_AA = dnsPacket.AUTHORITATIVE_ANSWER;
export const FLAG_RD = dnsPacket.RECURSION_DESIRED;
export const FLAG_RA = dnsPacket.RECURSION_AVAILABLE;

export enum Rcode {
  NOERROR = 0,
  FORMERR = 1,
  SERVFAIL = 2,
  NXDOMAIN = 3,
  NOTIMP = 4,
  REFUSED = 5,
}

const HEADER_LEN = 12;

/** Decode a DNS message; null when malformed. Never throws. */
export function decodeDns(b: Uint8Array): DecodedPacket | null {
  if (b.length < HEADER_LEN) return null;
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
  try {
    const p = dnsPacket.decode(buf);
    if (!Array.isArray(p.questions) || !Array.isArray(p.answers)) return null;
    return p;
  } catch {
    return null;
  }
}

export function encodeDns(p: Packet): Buffer {
  return dnsPacket.encode(p);
}

export function rcodeOf(p: Packet): number {
  return (p.flags ?? 0) & 0x0f;
}

/** Domain names compare case-insensitively, without the trailing dot. */
export function normName(n: string): string {
  const l = n.toLowerCase();
  return l.endsWith('.') ? l.slice(0, -1) : l;
}

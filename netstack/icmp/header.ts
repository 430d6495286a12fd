/**
 * ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): types, codes and a codec for tools and tests. The receive path reads
 * the bytes in place (icmp.ts).
 */
import { inetChecksum } from '../core/checksum.ts';
import { copyOf, readU32, writeU32 } from '../inet/bytes.ts';

export const ICMP_HLEN = 8;

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMPREPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_ADDRESS = 17;
export const ICMP_ADDRESSREPLY = 18;
/** Highest type Linux knows; anything above is silently discarded (RFC 1122 3.2.2). */
export const NR_ICMP_TYPES = 18;

// Destination unreachable codes.
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;
export const NR_ICMP_UNREACH = 15;

// Time exceeded codes.
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/** Types that are errors (about another datagram), as opposed to queries. */
export function icmpIsError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETERPROB
  );
}

export interface IcmpMessage {
  type: number;
  code: number;
  checksum: number;
  /** The second 32-bit word (echo id/seq, unreachable next-hop MTU, parameter problem pointer, gateway...). */
  rest: number;
  payload: Uint8Array;
}

export function decodeIcmp(buf: Uint8Array, off = 0, len = buf.length - off): IcmpMessage | null {
  if (len < ICMP_HLEN) return null;
  return {
    type: buf[off]!,
    code: buf[off + 1]!,
    checksum: (buf[off + 2]! << 8) | buf[off + 3]!,
    rest: readU32(buf, off + 4),
    payload: copyOf(buf, off + ICMP_HLEN, off + len),
  };
}

/** Encode with a computed checksum (or `checksum` when given, for tests of bad ones). */
export function encodeIcmp(m: Omit<IcmpMessage, 'checksum'> & { checksum?: number }): Buffer {
  const out = Buffer.alloc(ICMP_HLEN + m.payload.length);
  out[0] = m.type;
  out[1] = m.code;
  writeU32(out, 4, m.rest >>> 0);
  out.set(m.payload, ICMP_HLEN);
  out.writeUInt16BE(m.checksum ?? inetChecksum(out, 0, out.length), 2);
  return out;
}

export function echoRest(id: number, seq: number): number {
  return (((id & 0xffff) << 16) | (seq & 0xffff)) >>> 0;
}

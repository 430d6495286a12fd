/**
 * IPv4 header codec (RFC 791) and option checks (after Linux's ip_options_compile). The receive path checks the
 * header in place (ipv4.ts); the decoder and encoder here serve tests, tools and the slow paths.
 */
import { csumVerify, inetChecksum } from '../core/checksum.ts';
import { copyOf, readU32, writeU16, writeU32 } from '../inet/bytes.ts';

export const IPV4_HLEN = 20;
export const IPV4_MAX_HLEN = 60;
export const IP_MAX_PACKET = 65535;
/** Flags and fragment offset (the 16-bit field at byte 6). */
export const IP_CE = 0x8000;
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFSET = 0x1fff;
/** RFC 791: every host must accept 576-byte datagrams; RFC 791 minimum MTU is 68. */
export const IP_MIN_MTU = 68;
export const IPDEFTTL = 64;

export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TIMESTAMP = 0x44;
export const IPOPT_LSRR = 0x83;
export const IPOPT_SSRR = 0x89;
export const IPOPT_RA = 0x94;
/** Option types with this bit are copied into every fragment. */
export const IPOPT_COPY = 0x80;

export interface Ipv4Header {
  version: number;
  /** Header length in bytes (IHL × 4). */
  headerLen: number;
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes. */
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: number;
  dst: number;
  options: Uint8Array;
}

/** Decode the fields at buf[off..]; null when fewer than 20 bytes or IHL claims more than is there. No checks. */
export function decodeIpv4Header(buf: Uint8Array, off = 0, len = buf.length - off): Ipv4Header | null {
  if (len < IPV4_HLEN) return null;
  const headerLen = (buf[off]! & 0x0f) * 4;
  if (headerLen > len) return null;
  const frag = (buf[off + 6]! << 8) | buf[off + 7]!;
  return {
    version: buf[off]! >> 4,
    headerLen,
    tos: buf[off + 1]!,
    totalLength: (buf[off + 2]! << 8) | buf[off + 3]!,
    id: (buf[off + 4]! << 8) | buf[off + 5]!,
    df: (frag & IP_DF) !== 0,
    mf: (frag & IP_MF) !== 0,
    fragOffset: (frag & IP_OFFSET) * 8,
    ttl: buf[off + 8]!,
    protocol: buf[off + 9]!,
    checksum: (buf[off + 10]! << 8) | buf[off + 11]!,
    src: readU32(buf, off + 12),
    dst: readU32(buf, off + 16),
    options: copyOf(buf, off + IPV4_HLEN, off + Math.max(IPV4_HLEN, headerLen)),
  };
}

export interface Ipv4HeaderFields {
  tos?: number;
  totalLength: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;
  ttl?: number;
  protocol: number;
  src: number;
  dst: number;
  /** Padded to a multiple of 4 with END bytes. */
  options?: Uint8Array;
  /** Use this value instead of computing the checksum (tests of bad checksums). */
  checksum?: number;
}

/** Write a header at buf[off..] and return its length. The checksum is computed unless given. */
export function writeIpv4Header(buf: Uint8Array, off: number, h: Ipv4HeaderFields): number {
  const optLen = h.options ? (h.options.length + 3) & ~3 : 0;
  if (optLen > IPV4_MAX_HLEN - IPV4_HLEN) throw new Error('IPv4 options longer than 40 bytes');
  const hl = IPV4_HLEN + optLen;
  buf[off] = 0x40 | (hl >> 2);
  buf[off + 1] = h.tos ?? 0;
  writeU16(buf, off + 2, h.totalLength);
  writeU16(buf, off + 4, h.id ?? 0);
  const frag = (h.df ? IP_DF : 0) | (h.mf ? IP_MF : 0) | (((h.fragOffset ?? 0) >> 3) & IP_OFFSET);
  writeU16(buf, off + 6, frag);
  buf[off + 8] = h.ttl ?? IPDEFTTL;
  buf[off + 9] = h.protocol;
  writeU16(buf, off + 10, 0);
  writeU32(buf, off + 12, h.src);
  writeU32(buf, off + 16, h.dst);
  if (h.options) {
    buf.set(h.options, off + IPV4_HLEN);
    buf.fill(IPOPT_END, off + IPV4_HLEN + h.options.length, off + hl);
  }
  writeU16(buf, off + 10, h.checksum ?? inetChecksum(buf, off, hl));
  return hl;
}

/** A whole datagram: header + payload, total length from the payload unless `totalLength` is given. */
export function buildIpv4Packet(
  h: Omit<Ipv4HeaderFields, 'totalLength'> & { totalLength?: number },
  payload: Uint8Array,
): Buffer {
  const optLen = h.options ? (h.options.length + 3) & ~3 : 0;
  const out = Buffer.alloc(IPV4_HLEN + optLen + payload.length);
  writeIpv4Header(out, 0, { ...h, totalLength: h.totalLength ?? out.length });
  out.set(payload, IPV4_HLEN + optLen);
  return out;
}

export function ipv4HeaderChecksumOk(buf: Uint8Array, off: number, headerLen: number): boolean {
  return csumVerify(buf, off, headerLen);
}

export interface Ipv4OptionsInfo {
  /** Offset (from the header start) of the first malformed byte, for ICMP parameter problem; -1 when valid. */
  errorAt: number;
  /** A source route option (LSRR/SSRR) is present: hosts drop these (Linux accept_source_route = 0). */
  sourceRoute: boolean;
  recordRoute: boolean;
  timestamp: boolean;
  routerAlert: boolean;
}

/**
 * Validate the options of the header at buf[off], `headerLen` bytes long (after Linux's ip_options_compile for a
 * received packet). Unknown options are skipped: RFC 1122 3.2.1.8 says a host must ignore options it does not
 * implement.
 */
export function checkIpv4Options(buf: Uint8Array, off: number, headerLen: number): Ipv4OptionsInfo {
  const info: Ipv4OptionsInfo = {
    errorAt: -1,
    sourceRoute: false,
    recordRoute: false,
    timestamp: false,
    routerAlert: false,
  };
  let p = IPV4_HLEN;
  while (p < headerLen) {
    const type = buf[off + p]!;
    if (type === IPOPT_END) break;
    if (type === IPOPT_NOOP) {
      p++;
      continue;
    }
    if (p + 1 >= headerLen) return fail(info, p);
    const optLen = buf[off + p + 1]!;
    if (optLen < 2 || optLen > headerLen - p) return fail(info, p + 1);
    const ptr = optLen > 2 ? buf[off + p + 2]! : 0;
    switch (type) {
      case IPOPT_LSRR:
      case IPOPT_SSRR:
        if (optLen < 3) return fail(info, p + 1);
        if (ptr < 4) return fail(info, p + 2);
        if (info.sourceRoute) return fail(info, p);
        info.sourceRoute = true;
        break;
      case IPOPT_RR:
        if (optLen < 3) return fail(info, p + 1);
        if (ptr < 4) return fail(info, p + 2);
        if (ptr <= optLen && ptr + 3 > optLen) return fail(info, p + 2);
        info.recordRoute = true;
        break;
      case IPOPT_TIMESTAMP: {
        if (optLen < 4) return fail(info, p + 1);
        if (ptr < 5) return fail(info, p + 2);
        const flags = buf[off + p + 3]! & 0x0f;
        if (flags !== 0 && flags !== 1 && flags !== 3) return fail(info, p + 3);
        const slot = flags === 0 ? 4 : 8;
        if (ptr <= optLen && ptr + slot - 1 > optLen) return fail(info, p + 2);
        info.timestamp = true;
        break;
      }
      case IPOPT_RA:
        if (optLen !== 4) return fail(info, p + 1);
        info.routerAlert = true;
        break;
      default:
        // Tolerated: security (CIPSO), stream id, and anything unknown.
        break;
    }
    p += optLen;
  }
  return info;
}

function fail(info: Ipv4OptionsInfo, at: number): Ipv4OptionsInfo {
  info.errorAt = at;
  return info;
}

/**
 * UDP header codec and checksum (RFC 768; RFC 1122 4.1.3.4 for the zero checksum). The receive path reads the
 * bytes in place (udp.ts) and shares the checksum check; the rest is for tools and tests.
 */
import { copyOf } from '../inet/bytes.ts';
import { csumFinish, csumFold, csumPartial, csumPartialDv, pseudoHeaderSum } from '../core/checksum.ts';
import { IPPROTO_UDP } from '../inet/protocol.ts';

export const UDP_HLEN = 8;
/** 65535 - 20 (IPv4 header) - 8. */
export const UDP_MAX_PAYLOAD = 65507;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** The length field (header + payload). */
  length: number;
  checksum: number;
  payload: Uint8Array;
}

/** Decode; null when shorter than a header. The payload runs to min(length field, available bytes). */
export function decodeUdp(buf: Uint8Array, off = 0, len = buf.length - off): UdpHeader | null {
  if (len < UDP_HLEN) return null;
  const length = (buf[off + 4]! << 8) | buf[off + 5]!;
  const end = off + Math.max(UDP_HLEN, Math.min(length, len));
  return {
    srcPort: (buf[off]! << 8) | buf[off + 1]!,
    dstPort: (buf[off + 2]! << 8) | buf[off + 3]!,
    length,
    checksum: (buf[off + 6]! << 8) | buf[off + 7]!,
    payload: copyOf(buf, off + UDP_HLEN, end),
  };
}

/** Write a UDP header at b[p]: ports and length, the checksum field zero (to be filled in by the caller). */
export function writeUdpHeader(b: Uint8Array, p: number, srcPort: number, dstPort: number, length: number): void {
  b[p] = srcPort >> 8;
  b[p + 1] = srcPort & 0xff;
  b[p + 2] = dstPort >> 8;
  b[p + 3] = dstPort & 0xff;
  b[p + 4] = length >> 8;
  b[p + 5] = length & 0xff;
  b[p + 6] = 0;
  b[p + 7] = 0;
}

/** The checksum to store for the datagram at buf[off, off+len) (its checksum field read as zero). */
export function udpChecksum(buf: Uint8Array, off: number, len: number, src: number, dst: number): number {
  const field = (buf[off + 6]! << 8) | buf[off + 7]!;
  // Taking the field out in one's-complement arithmetic: adding its complement (never a negative sum).
  const sum = pseudoHeaderSum(src, dst, IPPROTO_UDP, len) + csumPartial(buf, off, len) + (~field & 0xffff);
  // 0 is reserved for "no checksum": a computed 0 is sent as 0xffff (RFC 768).
  return csumFinish(sum) || 0xffff;
}

/**
 * True when the checksum of the datagram at buf[off, off+len) is absent (0) or verifies. `dv` is a DataView over
 * the same bytes as `buf` (the receive path passes the skb's cached one, so the check allocates nothing).
 */
export function udpChecksumOk(
  buf: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
  dv: DataView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
): boolean {
  if (((buf[off + 6]! << 8) | buf[off + 7]!) === 0) return true;
  return csumFold(csumPartialDv(dv, off, len, pseudoHeaderSum(src, dst, IPPROTO_UDP, len))) === 0xffff;
}

/** A datagram with its checksum computed (or the given `checksum`, e.g. 0 for none). */
export function encodeUdp(
  h: { srcPort: number; dstPort: number; payload: Uint8Array; checksum?: number; length?: number },
  src: number,
  dst: number,
): Buffer {
  const out = Buffer.alloc(UDP_HLEN + h.payload.length);
  out.writeUInt16BE(h.srcPort, 0);
  out.writeUInt16BE(h.dstPort, 2);
  out.writeUInt16BE(h.length ?? out.length, 4);
  out.set(h.payload, UDP_HLEN);
  out.writeUInt16BE(h.checksum ?? udpChecksum(out, 0, out.length, src, dst), 6);
  return out;
}

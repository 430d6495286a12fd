/**
 * The TCP segment format (RFC 9293 §3.1) and its options (RFC 9293 §3.2, RFC 7323, RFC 2018).
 *
 * Two layers:
 *  - the hot path: `parseTcpHeader` fills a reusable `TcpHeader` from bytes in place (no allocation), and
 *    `writeTcpHeader` / `writeTcpOptions` write a header into an skb's headroom;
 *  - a generic option list (`TcpOption[]`, `encodeTcpOptions` / `decodeTcpOptions`) for tests, the packetdrill
 *    runner and tools, which need to build or inspect exact option layouts.
 *
 * Malformed input never throws: the parser returns a status and the caller drops and counts.
 */
import { csumFinish, csumFold, csumPartial, pseudoHeaderSum } from '../core/checksum.ts';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Fixed header length. */
export const TCP_HLEN = 20;
/** Maximum header length (data offset 15). */
export const TCP_MAX_HLEN = 60;
/** Maximum number of SACK blocks a header can carry. */
export const TCP_MAX_SACKS = 4;

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

export const TCPOLEN_MSS = 4;
export const TCPOLEN_WINDOW = 3;
export const TCPOLEN_SACK_PERM = 2;
export const TCPOLEN_TIMESTAMP = 10;
/** Timestamps with two NOPs (or SACK-permitted) in front: the aligned size Linux and we emit. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** RFC 7323 §2.3: the largest shift. */
export const TCP_MAX_WSCALE = 14;

export enum TcpParseStatus {
  OK = 0,
  /** Shorter than the fixed header. */
  SHORT = 1,
  /** Data offset below 5 or beyond the segment. */
  BAD_DOFF = 2,
  /** An option with a bad length: the segment is dropped. */
  BAD_OPTION = 3,
}

/** A parsed header (reused across segments: parse into it, read, forget). */
export class TcpHeader {
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  /** Header length in bytes (data offset × 4). */
  hlen = 0;
  flags = 0;
  window = 0;
  check = 0;
  urgPtr = 0;
  /** MSS option value, 0 when absent. */
  mss = 0;
  /** Window-scale shift, -1 when absent (values above 14 are kept: the receiver clamps). */
  wscale = -1;
  sackOk = false;
  tsPresent = false;
  tsVal = 0;
  tsEcr = 0;
  /** Number of SACK blocks; blocks are sack[2i] (left edge) and sack[2i+1] (right edge). */
  sackCount = 0;
  readonly sack = new Uint32Array(2 * TCP_MAX_SACKS);
  /** Options of unknown kinds (skipped). */
  unknownOptions = 0;

  resetOptions(): void {
    this.mss = 0;
    this.wscale = -1;
    this.sackOk = false;
    this.tsPresent = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
    this.unknownOptions = 0;
  }
}

/**
 * Parse the TCP header at buf[off, off+len) (len = the whole segment). Returns a status; `h` is filled as far as
 * parsing got.
 */
export function parseTcpHeader(buf: Uint8Array, off: number, len: number, h: TcpHeader): TcpParseStatus {
  if (len < TCP_HLEN || off < 0 || off + len > buf.length) return TcpParseStatus.SHORT;
  h.sport = (buf[off]! << 8) | buf[off + 1]!;
  h.dport = (buf[off + 2]! << 8) | buf[off + 3]!;
  h.seq = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
  h.ack = ((buf[off + 8]! << 24) | (buf[off + 9]! << 16) | (buf[off + 10]! << 8) | buf[off + 11]!) >>> 0;
  const hlen = (buf[off + 12]! >> 4) << 2;
  h.hlen = hlen;
  h.flags = buf[off + 13]!;
  h.window = (buf[off + 14]! << 8) | buf[off + 15]!;
  h.check = (buf[off + 16]! << 8) | buf[off + 17]!;
  h.urgPtr = (buf[off + 18]! << 8) | buf[off + 19]!;
  h.resetOptions();
  if (hlen < TCP_HLEN || hlen > len) return TcpParseStatus.BAD_DOFF;
  if (hlen === TCP_HLEN) return TcpParseStatus.OK;
  return parseTcpOptions(buf, off + TCP_HLEN, off + hlen, h) ? TcpParseStatus.OK : TcpParseStatus.BAD_OPTION;
}

/**
 * Parse options in buf[off, end) into `h`. Returns false on a malformed option: a length byte missing, below 2 or
 * running past the header, or a known option with the wrong length (RFC 9293 MUST-7: never crash on these; we
 * drop the segment). Unknown kinds are skipped by their length (MUST-68).
 */
export function parseTcpOptions(buf: Uint8Array, off: number, end: number, h: TcpHeader): boolean {
  let i = off;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === TCPOPT_EOL) return true;
    if (kind === TCPOPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const olen = buf[i + 1]!;
    if (olen < 2 || i + olen > end) return false;
    switch (kind) {
      case TCPOPT_MSS:
        if (olen !== TCPOLEN_MSS) return false;
        h.mss = (buf[i + 2]! << 8) | buf[i + 3]!;
        break;
      case TCPOPT_WINDOW:
        if (olen !== TCPOLEN_WINDOW) return false;
        h.wscale = buf[i + 2]!;
        break;
      case TCPOPT_SACK_PERM:
        if (olen !== TCPOLEN_SACK_PERM) return false;
        h.sackOk = true;
        break;
      case TCPOPT_TIMESTAMP:
        if (olen !== TCPOLEN_TIMESTAMP) return false;
        h.tsPresent = true;
        h.tsVal = ((buf[i + 2]! << 24) | (buf[i + 3]! << 16) | (buf[i + 4]! << 8) | buf[i + 5]!) >>> 0;
        h.tsEcr = ((buf[i + 6]! << 24) | (buf[i + 7]! << 16) | (buf[i + 8]! << 8) | buf[i + 9]!) >>> 0;
        break;
      case TCPOPT_SACK: {
        const n = (olen - 2) >> 3;
        if (n < 1 || n > TCP_MAX_SACKS || olen !== 2 + 8 * n) return false;
        const s = h.sack;
        for (let b = 0, p = i + 2; b < n; b++, p += 8) {
          s[2 * b] = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
          s[2 * b + 1] = ((buf[p + 4]! << 24) | (buf[p + 5]! << 16) | (buf[p + 6]! << 8) | buf[p + 7]!) >>> 0;
        }
        h.sackCount = n;
        break;
      }
      default:
        h.unknownOptions++;
    }
    i += olen;
  }
  return true;
}

/** Write the fixed header at buf[off]; the checksum field is zeroed. */
export function writeTcpHeader(
  buf: Uint8Array,
  off: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  hlen: number,
  flags: number,
  window: number,
): void {
  buf[off] = sport >>> 8;
  buf[off + 1] = sport;
  buf[off + 2] = dport >>> 8;
  buf[off + 3] = dport;
  buf[off + 4] = seq >>> 24;
  buf[off + 5] = seq >>> 16;
  buf[off + 6] = seq >>> 8;
  buf[off + 7] = seq;
  buf[off + 8] = ack >>> 24;
  buf[off + 9] = ack >>> 16;
  buf[off + 10] = ack >>> 8;
  buf[off + 11] = ack;
  buf[off + 12] = (hlen >> 2) << 4;
  buf[off + 13] = flags;
  buf[off + 14] = window >>> 8;
  buf[off + 15] = window;
  buf[off + 16] = 0;
  buf[off + 17] = 0;
  buf[off + 18] = 0;
  buf[off + 19] = 0;
}

/** What to put in the options of an outgoing segment (reused per socket). */
export class TcpOptionsOut {
  /** MSS to announce (SYN only), 0 = none. */
  mss = 0;
  /** Window-scale shift to announce (SYN only), -1 = none. */
  wscale = -1;
  sackOk = false;
  ts = false;
  tsVal = 0;
  tsEcr = 0;
  sackCount = 0;
  readonly sack = new Uint32Array(2 * TCP_MAX_SACKS);

  clear(): void {
    this.mss = 0;
    this.wscale = -1;
    this.sackOk = false;
    this.ts = false;
    this.sackCount = 0;
  }
}

/** Bytes of options `o` takes (a multiple of 4). SACK blocks that do not fit in 40 bytes are not counted. */
export function tcpOptionsSize(o: TcpOptionsOut): number {
  let n = 0;
  if (o.mss !== 0) n += 4;
  if (o.ts) n += TCPOLEN_TSTAMP_ALIGNED;
  else if (o.sackOk) n += 4;
  if (o.wscale >= 0) n += 4;
  if (o.sackCount > 0) n += 4 + 8 * Math.min(o.sackCount, maxSackBlocks(n));
  return n;
}

function maxSackBlocks(used: number): number {
  return Math.min(TCP_MAX_SACKS, (40 - used - 4) >> 3);
}

/**
 * Write options at buf[off] in Linux's layout (MSS; SACK-permitted + timestamps or NOP NOP timestamps; NOP
 * window scale; NOP NOP SACK). Returns the bytes written, equal to tcpOptionsSize(o).
 */
export function writeTcpOptions(buf: Uint8Array, off: number, o: TcpOptionsOut): number {
  let p = off;
  if (o.mss !== 0) {
    buf[p] = TCPOPT_MSS;
    buf[p + 1] = TCPOLEN_MSS;
    buf[p + 2] = o.mss >>> 8;
    buf[p + 3] = o.mss;
    p += 4;
  }
  if (o.ts) {
    if (o.sackOk) {
      buf[p] = TCPOPT_SACK_PERM;
      buf[p + 1] = TCPOLEN_SACK_PERM;
    } else {
      buf[p] = TCPOPT_NOP;
      buf[p + 1] = TCPOPT_NOP;
    }
    buf[p + 2] = TCPOPT_TIMESTAMP;
    buf[p + 3] = TCPOLEN_TIMESTAMP;
    const v = o.tsVal;
    const e = o.tsEcr;
    buf[p + 4] = v >>> 24;
    buf[p + 5] = v >>> 16;
    buf[p + 6] = v >>> 8;
    buf[p + 7] = v;
    buf[p + 8] = e >>> 24;
    buf[p + 9] = e >>> 16;
    buf[p + 10] = e >>> 8;
    buf[p + 11] = e;
    p += 12;
  } else if (o.sackOk) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_NOP;
    buf[p + 2] = TCPOPT_SACK_PERM;
    buf[p + 3] = TCPOLEN_SACK_PERM;
    p += 4;
  }
  if (o.wscale >= 0) {
    buf[p] = TCPOPT_NOP;
    buf[p + 1] = TCPOPT_WINDOW;
    buf[p + 2] = TCPOLEN_WINDOW;
    buf[p + 3] = o.wscale;
    p += 4;
  }
  if (o.sackCount > 0) {
    const n = Math.min(o.sackCount, maxSackBlocks(p - off));
    if (n > 0) {
      buf[p] = TCPOPT_NOP;
      buf[p + 1] = TCPOPT_NOP;
      buf[p + 2] = TCPOPT_SACK;
      buf[p + 3] = 2 + 8 * n;
      p += 4;
      const s = o.sack;
      for (let b = 0; b < 2 * n; b++, p += 4) {
        const x = s[b]!;
        buf[p] = x >>> 24;
        buf[p + 1] = x >>> 16;
        buf[p + 2] = x >>> 8;
        buf[p + 3] = x;
      }
    }
  }
  return p - off;
}

// ---------------------------------------------------------------------------------------------------------------
// Generic option lists (tests, the packetdrill runner, tools)

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'ts'; val: number; ecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

/** Encode an option list exactly as given (no padding added). */
export function encodeTcpOptions(opts: readonly TcpOption[]): Buffer {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  for (const o of opts) {
    switch (o.kind) {
      case 'eol':
        parts.push(TCPOPT_EOL);
        break;
      case 'nop':
        parts.push(TCPOPT_NOP);
        break;
      case 'mss':
        parts.push(TCPOPT_MSS, TCPOLEN_MSS, (o.value >>> 8) & 0xff, o.value & 0xff);
        break;
      case 'wscale':
        parts.push(TCPOPT_WINDOW, TCPOLEN_WINDOW, o.value & 0xff);
        break;
      case 'sackOK':
        parts.push(TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM);
        break;
      case 'sack':
        parts.push(TCPOPT_SACK, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          u32(l);
          u32(r);
        }
        break;
      case 'ts':
        parts.push(TCPOPT_TIMESTAMP, TCPOLEN_TIMESTAMP);
        u32(o.val);
        u32(o.ecr);
        break;
      case 'unknown':
        parts.push(o.type, 2 + o.data.length, ...o.data);
        break;
    }
  }
  return Buffer.from(parts);
}

/**
 * Decode an option area into a list (EOL ends it; anything after EOL is ignored). Returns null when malformed,
 * with the same rules as `parseTcpOptions`.
 */
export function decodeTcpOptions(buf: Uint8Array, off = 0, end = buf.length): TcpOption[] | null {
  const out: TcpOption[] = [];
  const u32 = (p: number) => ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
  let i = off;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === TCPOPT_EOL) {
      out.push({ kind: 'eol' });
      return out;
    }
    if (kind === TCPOPT_NOP) {
      out.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) return null;
    const olen = buf[i + 1]!;
    if (olen < 2 || i + olen > end) return null;
    switch (kind) {
      case TCPOPT_MSS:
        if (olen !== TCPOLEN_MSS) return null;
        out.push({ kind: 'mss', value: (buf[i + 2]! << 8) | buf[i + 3]! });
        break;
      case TCPOPT_WINDOW:
        if (olen !== TCPOLEN_WINDOW) return null;
        out.push({ kind: 'wscale', value: buf[i + 2]! });
        break;
      case TCPOPT_SACK_PERM:
        if (olen !== TCPOLEN_SACK_PERM) return null;
        out.push({ kind: 'sackOK' });
        break;
      case TCPOPT_TIMESTAMP:
        if (olen !== TCPOLEN_TIMESTAMP) return null;
        out.push({ kind: 'ts', val: u32(i + 2), ecr: u32(i + 6) });
        break;
      case TCPOPT_SACK: {
        const n = (olen - 2) >> 3;
        if (n < 1 || n > TCP_MAX_SACKS || olen !== 2 + 8 * n) return null;
        const blocks: Array<[number, number]> = [];
        for (let b = 0; b < n; b++) blocks.push([u32(i + 2 + 8 * b), u32(i + 6 + 8 * b)]);
        out.push({ kind: 'sack', blocks });
        break;
      }
      default:
        out.push({ kind: 'unknown', type: kind, data: Uint8Array.from(buf.subarray(i + 2, i + olen)) });
    }
    i += olen;
  }
  return out;
}

/** Fields of a whole segment, for building test segments and for tools. */
export interface TcpSegmentFields {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgPtr?: number;
  options?: readonly TcpOption[];
  payload?: Uint8Array;
}

/**
 * Encode a whole segment: header, options (padded with zero bytes, i.e. EOL, to a multiple of 4) and payload. The
 * checksum field is left zero (see `tcpChecksum`).
 */
export function encodeTcpSegment(f: TcpSegmentFields): Buffer {
  const opts = f.options ? encodeTcpOptions(f.options) : Buffer.alloc(0);
  const optLen = (opts.length + 3) & ~3;
  const hlen = TCP_HLEN + optLen;
  const payload = f.payload ?? new Uint8Array(0);
  const out = Buffer.alloc(hlen + payload.length);
  writeTcpHeader(out, 0, f.sport, f.dport, f.seq >>> 0, f.ack >>> 0, hlen, f.flags, f.window);
  out[18] = ((f.urgPtr ?? 0) >>> 8) & 0xff;
  out[19] = (f.urgPtr ?? 0) & 0xff;
  opts.copy(out, TCP_HLEN);
  out.set(payload, hlen);
  return out;
}

/** Text for the flags byte in packetdrill's notation (S, F, R, P, '.' for ACK...). */
export function flagsToString(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_ACK) s += '.';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'W';
  return s;
}

/** The checksum to store for the segment buf[off, off+len) (field zero) between IPv4 addresses src and dst. */
export function tcpChecksum(buf: Uint8Array, off: number, len: number, src: number, dst: number): number {
  return csumFinish(csumPartial(buf, off, len, pseudoHeaderSum(src, dst, 6, len)));
}

/** True when the segment's checksum (field included) verifies. */
export function tcpChecksumOk(buf: Uint8Array, off: number, len: number, src: number, dst: number): boolean {
  return csumFold(csumPartial(buf, off, len, pseudoHeaderSum(src, dst, 6, len))) === 0xffff;
}

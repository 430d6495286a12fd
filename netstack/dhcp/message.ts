/**
 * DHCP message codec (RFC 2131 §2, RFC 2132, RFC 3396, RFC 951 BOOTP).
 *
 * The fixed BOOTP header (236 bytes), the magic cookie, then options as type-length-value triples with pad (0) and
 * end (255). Decoding follows RFC 3396 exactly: the options field is read first, then — when option 52 (overload)
 * says so — the `file` field, then `sname`; every instance of one option code across the three areas is concatenated
 * into one value, in that order. Unknown options are kept as bytes, so a message re-encodes to the same options.
 * Encoding splits values longer than 255 bytes into consecutive instances (RFC 3396 §5) and, when the options do
 * not fit within `maxSize`, spills them into `file` and then `sname` with an overload option.
 *
 * Bad input from the wire never throws: decodeDhcp() returns a `DhcpDecodeError` reason instead of a message.
 */
import { concatBytes, copyOf, readU16, readU32, writeU16, writeU32 } from '../inet/bytes.ts';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_MAGIC = 0x63825363;
/** BOOTP fixed header. */
export const BOOTP_HLEN = 236;
/** Header + magic cookie: where the options field starts. */
export const DHCP_OPTIONS_OFFSET = 240;
/** RFC 2131 §2: every DHCP participant accepts messages of 576 bytes of IP datagram, i.e. 548 of DHCP. */
export const DHCP_MIN_MAX_SIZE = 576 - 28;
/** The smallest message BOOTP relays and old clients accept (RFC 1542 §2.1: 300 bytes). */
export const BOOTP_MIN_LEN = 300;
/** Broadcast bit of the flags field. */
export const BOOTP_BROADCAST = 0x8000;

const SNAME_OFF = 44;
const SNAME_LEN = 64;
const FILE_OFF = 108;
const FILE_LEN = 128;

/** Option codes (RFC 2132 and others) airstack reads or writes. */
export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  INTERFACE_MTU: 26,
  BROADCAST: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAM_REQUEST_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  DOMAIN_SEARCH: 119,
  END: 255,
} as const;

/** DHCP message types (option 53). */
export enum DhcpType {
  DISCOVER = 1,
  OFFER = 2,
  REQUEST = 3,
  DECLINE = 4,
  ACK = 5,
  NAK = 6,
  RELEASE = 7,
  INFORM = 8,
}

export function dhcpTypeName(t: number | undefined): string {
  return t !== undefined && DhcpType[t] !== undefined ? `DHCP${DhcpType[t]}` : t === undefined ? 'BOOTP' : `type-${t}`;
}

export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** 16 bytes; the first `hlen` are the hardware address. */
  chaddr: Uint8Array;
  /** Server host name / boot file name, without the trailing NULs (empty when overloaded with options). */
  sname: Uint8Array;
  file: Uint8Array;
  /** False for a plain BOOTP message (no magic cookie): `options` is then empty. */
  dhcp: boolean;
  /**
   * Options by code, each the concatenation of all its instances (RFC 3396), in order of first appearance. Pad,
   * end and overload (52) are framing and never appear here.
   */
  options: Map<number, Uint8Array>;
}

export type DhcpDecodeError =
  | 'short' // under the 240 bytes of header and cookie (236 for BOOTP)
  | 'bad-op' // op is neither BOOTREQUEST nor BOOTREPLY
  | 'bad-hlen' // hardware address length over 16
  | 'truncated-option' // an option's length runs past its area
  | 'bad-overload'; // option 52 malformed (length not 1, value not 1-3)

/** Decode a DHCP/BOOTP message (the UDP payload). Never throws. */
export function decodeDhcp(b: Uint8Array, off = 0, len = b.length - off): DhcpMessage | DhcpDecodeError {
  if (len < BOOTP_HLEN) return 'short';
  const op = b[off]!;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) return 'bad-op';
  const hlen = b[off + 2]!;
  if (hlen > 16) return 'bad-hlen';
  const msg: DhcpMessage = {
    op,
    htype: b[off + 1]!,
    hlen,
    hops: b[off + 3]!,
    xid: readU32(b, off + 4),
    secs: readU16(b, off + 8),
    flags: readU16(b, off + 10),
    ciaddr: readU32(b, off + 12),
    yiaddr: readU32(b, off + 16),
    siaddr: readU32(b, off + 20),
    giaddr: readU32(b, off + 24),
    chaddr: copyOf(b, off + 28, off + 44),
    sname: cString(b, off + SNAME_OFF, SNAME_LEN),
    file: cString(b, off + FILE_OFF, FILE_LEN),
    dhcp: false,
    options: new Map(),
  };
  if (len < DHCP_OPTIONS_OFFSET || readU32(b, off + BOOTP_HLEN) !== DHCP_MAGIC) return msg;
  msg.dhcp = true;
  const parts = new Map<number, Uint8Array[]>();
  const r = readOptionArea(b, off + DHCP_OPTIONS_OFFSET, off + len, parts, true);
  if (typeof r === 'string') return r;
  const overload = r;
  if (overload & 1) {
    const e = readOptionArea(b, off + FILE_OFF, off + FILE_OFF + FILE_LEN, parts, false);
    if (typeof e === 'string') return e;
    msg.file = new Uint8Array(0);
  }
  if (overload & 2) {
    const e = readOptionArea(b, off + SNAME_OFF, off + SNAME_OFF + SNAME_LEN, parts, false);
    if (typeof e === 'string') return e;
    msg.sname = new Uint8Array(0);
  }
  for (const [code, list] of parts) msg.options.set(code, list.length === 1 ? list[0]! : concatBytes(list));
  return msg;
}

/**
 * Read the options of one area into `parts`. Returns the overload value found (main area only; 0 if none) or an
 * error. A missing end option is tolerated (many clients omit it when the area is full).
 */
function readOptionArea(
  b: Uint8Array,
  start: number,
  end: number,
  parts: Map<number, Uint8Array[]>,
  main: boolean,
): number | DhcpDecodeError {
  let overload = 0;
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (code === Opt.END) break;
    if (i + 1 >= end) return 'truncated-option';
    const l = b[i + 1]!;
    if (i + 2 + l > end) return 'truncated-option';
    if (code === Opt.OVERLOAD) {
      // Only meaningful in the options field (RFC 2131 §4.1); elsewhere it is ignored.
      if (main) {
        if (l !== 1 || b[i + 2]! < 1 || b[i + 2]! > 3) return 'bad-overload';
        overload = b[i + 2]!;
      }
    } else {
      let list = parts.get(code);
      if (list === undefined) parts.set(code, (list = []));
      list.push(copyOf(b, i + 2, i + 2 + l));
    }
    i += 2 + l;
  }
  return overload;
}

function cString(b: Uint8Array, off: number, len: number): Uint8Array {
  let n = 0;
  while (n < len && b[off + n] !== 0) n++;
  return copyOf(b, off, off + n);
}

export interface EncodeOptions {
  /**
   * Largest DHCP message allowed (the peer's option 57 minus IP and UDP headers; default 548). When the options do
   * not fit, they overflow into `file` and then `sname` (option 52), provided those fields are empty.
   */
  maxSize?: number;
  /** Pad the message to at least this length (default 300, for BOOTP relays and old clients). */
  minSize?: number;
}

/** Encoded length of one option value (split into 255-byte instances). */
function optionWireLen(v: Uint8Array): number {
  return v.length === 0 ? 2 : v.length + 2 * Math.ceil(v.length / 255);
}

/**
 * Encode a message. Option values longer than 255 bytes are split (RFC 3396). Throws only when the message cannot
 * be made to fit `maxSize` even with overload — a programming error of the caller, never a wire condition.
 */
export function encodeDhcp(m: DhcpMessage, opts: EncodeOptions = {}): Buffer {
  const maxSize = Math.max(opts.maxSize ?? DHCP_MIN_MAX_SIZE, DHCP_OPTIONS_OFFSET + 4);
  const minSize = opts.minSize ?? BOOTP_MIN_LEN;
  const entries = [...m.options].filter(([c]) => c !== Opt.PAD && c !== Opt.END && c !== Opt.OVERLOAD);
  // Assign options to areas in order: main, then file, then sname (each option kept whole within one area).
  let mainRoom = maxSize - DHCP_OPTIONS_OFFSET - 1; // the end option
  const total = entries.reduce((n, [, v]) => n + optionWireLen(v), 0);
  const areas: Array<Array<[number, Uint8Array]>> = [[], [], []];
  let overload = 0;
  if (!m.dhcp) {
    if (entries.length > 0) throw new Error('a BOOTP message (dhcp: false) cannot carry options');
  } else if (total <= mainRoom) {
    areas[0] = entries;
  } else {
    mainRoom -= 3; // the overload option itself
    const rooms = [mainRoom, m.file.length === 0 ? FILE_LEN - 1 : -1, m.sname.length === 0 ? SNAME_LEN - 1 : -1];
    let a = 0;
    for (const e of entries) {
      const need = optionWireLen(e[1]);
      while (a < 3 && need > rooms[a]!) a++;
      if (a === 3) throw new Error(`DHCP options do not fit in ${maxSize} bytes even with option overload`);
      areas[a]!.push(e);
      rooms[a]! -= need;
      if (a === 1) overload |= 1;
      if (a === 2) overload |= 2;
    }
  }
  let mainLen = 0;
  for (const [, v] of areas[0]!) mainLen += optionWireLen(v);
  const optLen = m.dhcp ? mainLen + (overload ? 3 : 0) + 1 : 0;
  const len = Math.max(minSize, (m.dhcp ? DHCP_OPTIONS_OFFSET : BOOTP_HLEN) + optLen);
  const b = Buffer.alloc(len);
  b[0] = m.op;
  b[1] = m.htype;
  b[2] = m.hlen;
  b[3] = m.hops;
  writeU32(b, 4, m.xid);
  writeU16(b, 8, m.secs);
  writeU16(b, 10, m.flags);
  writeU32(b, 12, m.ciaddr);
  writeU32(b, 16, m.yiaddr);
  writeU32(b, 20, m.siaddr);
  writeU32(b, 24, m.giaddr);
  b.set(m.chaddr.subarray(0, 16), 28);
  if (!(overload & 2)) b.set(m.sname.subarray(0, SNAME_LEN - 1), SNAME_OFF);
  if (!(overload & 1)) b.set(m.file.subarray(0, FILE_LEN - 1), FILE_OFF);
  if (!m.dhcp) return b;
  writeU32(b, BOOTP_HLEN, DHCP_MAGIC);
  let o = DHCP_OPTIONS_OFFSET;
  if (overload) {
    b[o++] = Opt.OVERLOAD;
    b[o++] = 1;
    b[o++] = overload;
  }
  o = writeOptions(b, o, areas[0]!);
  b[o] = Opt.END;
  if (overload & 1) b[writeOptions(b, FILE_OFF, areas[1]!)] = Opt.END;
  if (overload & 2) b[writeOptions(b, SNAME_OFF, areas[2]!)] = Opt.END;
  return b;
}

function writeOptions(b: Buffer, o: number, list: Array<[number, Uint8Array]>): number {
  for (const [code, v] of list) {
    if (v.length === 0) {
      b[o++] = code;
      b[o++] = 0;
      continue;
    }
    for (let p = 0; p < v.length; p += 255) {
      const n = Math.min(255, v.length - p);
      b[o++] = code;
      b[o++] = n;
      b.set(v.subarray(p, p + n), o);
      o += n;
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// Typed option values

/** A new empty DHCP message with Ethernet hardware type. */
export function newDhcpMessage(op: number, xid: number, chaddr: Uint8Array): DhcpMessage {
  const ch = new Uint8Array(16);
  ch.set(chaddr.subarray(0, 16));
  return {
    op,
    htype: 1,
    hlen: Math.min(16, chaddr.length),
    hops: 0,
    xid: xid >>> 0,
    secs: 0,
    flags: 0,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    chaddr: ch,
    sname: new Uint8Array(0),
    file: new Uint8Array(0),
    dhcp: true,
    options: new Map(),
  };
}

export function messageType(m: DhcpMessage): number | undefined {
  const v = m.options.get(Opt.MESSAGE_TYPE);
  return v !== undefined && v.length === 1 ? v[0] : undefined;
}

/** A 4-byte address option, or undefined when absent or malformed. */
export function optAddr(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  return v !== undefined && v.length === 4 ? readU32(v, 0) : undefined;
}

/** A list of addresses (router, DNS): undefined when absent or its length is not a positive multiple of 4. */
export function optAddrs(m: DhcpMessage, code: number): number[] | undefined {
  const v = m.options.get(code);
  if (v === undefined || v.length === 0 || v.length % 4 !== 0) return undefined;
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 4) out.push(readU32(v, i));
  return out;
}

export function optU32(m: DhcpMessage, code: number): number | undefined {
  return optAddr(m, code);
}

export function optU16(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  return v !== undefined && v.length === 2 ? readU16(v, 0) : undefined;
}

/** A text option (NUL padding at the end removed; bytes as latin1 so nothing is lost). */
export function optString(m: DhcpMessage, code: number): string | undefined {
  const v = m.options.get(code);
  if (v === undefined) return undefined;
  let n = v.length;
  while (n > 0 && v[n - 1] === 0) n--;
  return Buffer.from(v.buffer, v.byteOffset, n).toString('latin1');
}

export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v >>> 0);
  return b;
}

export function u16Bytes(v: number): Uint8Array {
  const b = new Uint8Array(2);
  writeU16(b, 0, v);
  return b;
}

export function addrsBytes(list: readonly number[]): Uint8Array {
  const b = new Uint8Array(list.length * 4);
  for (let i = 0; i < list.length; i++) writeU32(b, i * 4, list[i]! >>> 0);
  return b;
}

export function stringBytes(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

/** The client's identity for a server: option 61 when present, else htype + chaddr (RFC 2131 §4.2). */
export function clientKey(m: DhcpMessage): string {
  const id = m.options.get(Opt.CLIENT_ID);
  if (id !== undefined && id.length > 0) return `id:${Buffer.from(id).toString('hex')}`;
  return `hw:${m.htype}:${Buffer.from(m.chaddr.subarray(0, m.hlen)).toString('hex')}`;
}

/**
 * Option 119 (RFC 3397): a list of domain names in DNS wire format, compression pointers allowed (pointing backwards
 * into the option). Undefined when absent or malformed (a bad label, a forward or looping pointer).
 */
export function optDomainSearch(m: DhcpMessage): string[] | undefined {
  const v = m.options.get(Opt.DOMAIN_SEARCH);
  if (v === undefined || v.length === 0) return undefined;
  const out: string[] = [];
  let i = 0;
  while (i < v.length) {
    const labels: string[] = [];
    let p = i;
    let next = -1;
    let jumps = 0;
    for (;;) {
      if (p >= v.length) return undefined;
      const l = v[p]!;
      if (l === 0) {
        if (next < 0) next = p + 1;
        break;
      }
      if ((l & 0xc0) === 0xc0) {
        if (p + 1 >= v.length) return undefined;
        const target = ((l & 0x3f) << 8) | v[p + 1]!;
        if (target >= p || ++jumps > 64) return undefined;
        if (next < 0) next = p + 2;
        p = target;
        continue;
      }
      if (l > 63 || p + 1 + l > v.length) return undefined;
      labels.push(Buffer.from(v.subarray(p + 1, p + 1 + l)).toString('latin1'));
      p += 1 + l;
    }
    out.push(labels.join('.'));
    i = next;
  }
  return out;
}

/** Option 119 value for `names` (uncompressed, which RFC 3397 allows). Throws on a label over 63 bytes. */
export function domainSearchBytes(names: readonly string[]): Uint8Array {
  const parts: number[] = [];
  for (const n of names) {
    for (const label of n.replace(/\.$/, '').split('.')) {
      if (label === '') continue;
      const b = Buffer.from(label, 'latin1');
      if (b.length > 63) throw new Error(`domain search: label '${label}' is longer than 63 bytes`);
      parts.push(b.length, ...b);
    }
    parts.push(0);
  }
  return Uint8Array.from(parts);
}

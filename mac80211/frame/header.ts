/**
 * The MAC header as a value: decode (with views of the frame's bytes for addresses) and encode. Which fields exist
 * follows from the Frame Control (see `hdrLen`): addr2/addr3/seqCtrl are null in control frames, addr4 without both
 * DS bits, qosCtrl outside QoS data, htCtrl unless the Order bit says +HTC.
 */
import type { MacAddr } from '../addr.ts';
import { put32le, u32le } from '../elements/codec.ts';
import { fail, ok, type ParseResult } from '../parse.ts';
import { ctlHasTa, FCTL, FTYPE, fcAt, hasA4, hasOrder, hdrLen, isData, isMgmt } from './fc.ts';

export interface Header {
  /** The whole 16-bit Frame Control, flags included. */
  fc: number;
  /** Duration/ID (the AID, with B14 and B15 set, in a PS-Poll). */
  duration: number;
  addr1: MacAddr;
  addr2: MacAddr | null;
  addr3: MacAddr | null;
  /** Sequence Control: sequence number << 4 | fragment number. */
  seqCtrl: number | null;
  addr4: MacAddr | null;
  qosCtrl: number | null;
  htCtrl: number | null;
}

/** Decode the header at buf[off, end); the value holds views of buf. */
export function decodeHeader(
  buf: Uint8Array,
  off: number,
  end: number,
): ParseResult<{ header: Header; length: number }> {
  if (end - off < 2) return fail('truncated-header', 0, `${end - off} octets: not even a Frame Control`);
  const fc = fcAt(buf, off);
  if ((fc & FCTL.VERS) !== 0)
    return fail('bad-protocol-version', 0, `protocol version ${fc & FCTL.VERS} (only 0 is defined)`);
  const len = hdrLen(fc);
  if (end - off < len) return fail('truncated-header', 0, `${end - off} octets for a ${len}-octet header`);
  const h: Header = {
    fc,
    duration: buf[off + 2] | (buf[off + 3] << 8),
    addr1: buf.subarray(off + 4, off + 10),
    addr2: null,
    addr3: null,
    seqCtrl: null,
    addr4: null,
    qosCtrl: null,
    htCtrl: null,
  };
  if (isMgmt(fc) || isData(fc)) {
    h.addr2 = buf.subarray(off + 10, off + 16);
    h.addr3 = buf.subarray(off + 16, off + 22);
    h.seqCtrl = buf[off + 22] | (buf[off + 23] << 8);
    let p = off + 24;
    if (isData(fc)) {
      if (hasA4(fc)) {
        h.addr4 = buf.subarray(p, p + 6);
        p += 6;
      }
      if (fc & 0x0080) {
        h.qosCtrl = buf[p] | (buf[p + 1] << 8);
        p += 2;
        if (hasOrder(fc)) h.htCtrl = u32le(buf, p);
      }
    } else if (hasOrder(fc)) h.htCtrl = u32le(buf, p);
  } else if ((fc & FCTL.FTYPE) === FTYPE.CTL && ctlHasTa(fc)) {
    h.addr2 = buf.subarray(off + 10, off + 16);
  }
  return ok({ header: h, length: len });
}

function writeMac(out: Uint8Array, p: number, a: MacAddr | null, what: string): void {
  if (a === null || a.length !== 6)
    throw new Error(`802.11 header: ${what} is required by the Frame Control and must be 6 octets`);
  out.set(a, p);
}

/**
 * Write the header for `h.fc` at out[off]; returns its length. Fields the Frame Control requires must be present
 * (a missing one is a bug in the caller and throws).
 */
export function writeHeader(h: Header, out: Uint8Array, off: number): number {
  const fc = h.fc;
  out[off] = fc & 0xff;
  out[off + 1] = fc >> 8;
  out[off + 2] = h.duration & 0xff;
  out[off + 3] = (h.duration >> 8) & 0xff;
  writeMac(out, off + 4, h.addr1, 'addr1');
  const len = hdrLen(fc);
  if (isMgmt(fc) || isData(fc)) {
    writeMac(out, off + 10, h.addr2, 'addr2');
    writeMac(out, off + 16, h.addr3, 'addr3');
    const sc = h.seqCtrl ?? 0;
    out[off + 22] = sc & 0xff;
    out[off + 23] = (sc >> 8) & 0xff;
    let p = off + 24;
    if (isData(fc)) {
      if (hasA4(fc)) {
        writeMac(out, p, h.addr4, 'addr4');
        p += 6;
      }
      if (fc & 0x0080) {
        const q = h.qosCtrl ?? 0;
        out[p] = q & 0xff;
        out[p + 1] = (q >> 8) & 0xff;
        p += 2;
        if (hasOrder(fc)) put32le(out, p, h.htCtrl ?? 0);
      }
    } else if (hasOrder(fc)) put32le(out, p, h.htCtrl ?? 0);
  } else if (len === 16) writeMac(out, off + 10, h.addr2, 'addr2');
  return len;
}

export function seqNumber(seqCtrl: number): number {
  return seqCtrl >> 4;
}

export function fragNumber(seqCtrl: number): number {
  return seqCtrl & 0xf;
}

export function seqCtrlOf(seq: number, frag = 0): number {
  return ((seq & 0xfff) << 4) | (frag & 0xf);
}

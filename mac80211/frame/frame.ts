/**
 * Whole 802.11 frames: header, body by type, and the FCS when the capture or the driver includes it. `decodeFrame`
 * never throws on bad input: it returns a failure with a countable reason. The decoded frame holds views of the
 * input bytes (no copies): copy what you keep past the buffer's life.
 */
import { crc32, FCS_LEN, fcsAt, writeFcs } from '../fcs.ts';
import { fail, ok, type ParseResult, rebase } from '../parse.ts';
import { type CtrlBody, decodeCtrlBody, encodeCtrlBody } from './ctrl.ts';
import { type DataBody, decodeDataBody, encodeDataBody } from './data.ts';
import { FCTL, FTYPE, hdrLen } from './fc.ts';
import { decodeHeader, type Header, writeHeader } from './header.ts';
import { decodeMgmtBody, encodeMgmtBody, type MgmtBody } from './mgmt.ts';

interface FrameCommon {
  header: Header;
  /** The FCS as received (when the input had one), else null. */
  fcs: number | null;
}

export interface MgmtFrame extends FrameCommon {
  type: 'mgmt';
  body: MgmtBody;
}
export interface CtrlFrame extends FrameCommon {
  type: 'ctrl';
  body: CtrlBody;
}
export interface DataFrame extends FrameCommon {
  type: 'data';
  body: DataBody;
}
/** Extension frames (DMG and S1G beacons): header of Frame Control, Duration and one address; body kept raw. */
export interface ExtFrame extends FrameCommon {
  type: 'ext';
  body: { kind: 'raw'; data: Uint8Array };
}

export type Frame = MgmtFrame | CtrlFrame | DataFrame | ExtFrame;

export interface DecodeOptions {
  /** The last four octets are the FCS (radiotap flag 0x10, pcap FCS length, or a driver that keeps it). */
  fcs?: boolean;
  /** With `fcs`, reject a frame whose FCS does not match (reason `bad-fcs`). Default true. */
  verifyFcs?: boolean;
  /** The header is padded to a multiple of 4 octets before the body (radiotap flag 0x20). */
  dataPad?: boolean;
}

export function decodeFrame(bytes: Uint8Array, opts: DecodeOptions = {}): ParseResult<Frame> {
  let end = bytes.length;
  let fcs: number | null = null;
  if (opts.fcs) {
    if (end < FCS_LEN) return fail('truncated-header', 0, `${end} octets cannot hold a frame and its FCS`);
    fcs = fcsAt(bytes, end);
    end -= FCS_LEN;
    if (opts.verifyFcs !== false && crc32(bytes, 0, end) !== fcs)
      return fail('bad-fcs', end, `FCS 0x${fcs.toString(16).padStart(8, '0')} does not match the frame`);
  }
  const h = decodeHeader(bytes, 0, end);
  if (!h.ok) return h;
  const { header } = h.value;
  const length = opts.dataPad ? (h.value.length + 3) & ~3 : h.value.length;
  if (length > end) return fail('truncated-header', end, `padded header of ${length} octets, ${end} present`);
  const body = bytes.subarray(length, end);
  const fc = header.fc;
  switch (fc & FCTL.FTYPE) {
    case FTYPE.MGMT: {
      const b = decodeMgmtBody(fc, body);
      return b.ok ? ok({ type: 'mgmt', header, fcs, body: b.value }) : rebase(b, length);
    }
    case FTYPE.CTL: {
      const b = decodeCtrlBody(fc, body);
      return b.ok ? ok({ type: 'ctrl', header, fcs, body: b.value }) : rebase(b, length);
    }
    case FTYPE.DATA: {
      const b = decodeDataBody(fc, body);
      return b.ok ? ok({ type: 'data', header, fcs, body: b.value }) : rebase(b, length);
    }
    default:
      return ok({ type: 'ext', header, fcs, body: { kind: 'raw', data: body } });
  }
}

export function encodeFrameBody(f: Frame): Uint8Array {
  switch (f.type) {
    case 'mgmt':
      return encodeMgmtBody(f.body);
    case 'ctrl':
      return encodeCtrlBody(f.body);
    case 'data':
      return encodeDataBody(f.body);
    default:
      return f.body.data;
  }
}

export interface EncodeOptions {
  /** Append the FCS (computed; `frame.fcs` is ignored). */
  fcs?: boolean;
}

/**
 * Encode a frame. The Frame Control in `frame.header.fc` decides which header fields are written; the type of
 * `frame.body` must agree with it (a mismatch is a caller's bug and throws).
 */
export function encodeFrame(f: Frame, opts: EncodeOptions = {}): Uint8Array {
  const ftype = f.header.fc & FCTL.FTYPE;
  const expected = { mgmt: FTYPE.MGMT, ctrl: FTYPE.CTL, data: FTYPE.DATA, ext: FTYPE.EXT }[f.type];
  if (ftype !== expected)
    throw new Error(`frame of type ${f.type} with Frame Control type bits 0x${ftype.toString(16)}`);
  const body = encodeFrameBody(f);
  const hl = hdrLen(f.header.fc);
  const out = new Uint8Array(hl + body.length + (opts.fcs ? FCS_LEN : 0));
  writeHeader(f.header, out, 0);
  out.set(body, hl);
  if (opts.fcs) writeFcs(out, 0, out.length);
  return out;
}

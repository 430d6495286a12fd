/**
 * From a captured packet to an 802.11 frame: strip the link-layer pseudo-header of the capture's link type (raw
 * 802.11, radiotap, Prism, AVS), honour the FCS and data-pad flags, and decode. Used by the capture tools
 * (`airstack decrypt`) and the tests; never throws on bad packets.
 */
import {
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_AVS,
  LINKTYPE_IEEE802_11_PRISM,
  LINKTYPE_IEEE802_11_RADIOTAP,
} from '../netstack/pcap/reader.ts';
import { decodeFrame, type Frame } from './frame/frame.ts';
import { fail, ok, type ParseResult, rebase } from './parse.ts';
import { decodeRadiotap, RADIOTAP_F, type Radiotap } from './radiotap.ts';

export interface CapturedFrame {
  radiotap: Radiotap | null;
  /** The 802.11 frame's octets (FCS included when present). */
  frameBytes: Uint8Array;
  frame: Frame;
  /** The radiotap header said the FCS was bad (the frame is decoded without checking it). */
  badFcs: boolean;
}

export interface CaptureFrameOptions {
  /** FCS octets at the end of every frame, from the file (pcap link-type field or pcapng if_fcslen). */
  fcsLength?: number;
  /** Reject frames whose FCS is wrong (default true). */
  verifyFcs?: boolean;
  /** The packet's length on the wire: when the capture cut it short, a failure is reported as `capture-truncated`. */
  originalLength?: number;
}

/** Length of a Prism or AVS pseudo-header at the start of `b` (0 when there is none to strip). */
export function prismHeaderLength(b: Uint8Array): ParseResult<number> {
  if (b.length < 8) return fail('prism-short', 0, `${b.length} octets cannot hold a Prism/AVS header`);
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  let len = -1;
  if ((be & 0xfffff000) >>> 0 === 0x80211000) len = ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
  else if (le === 0x41 || le === 0x44) len = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
  // GUESS: any other first word means the capture holds a bare 802.11 frame (Wireshark's prism dissector falls back so).
  else return ok(0);
  if (len < 8 || len > b.length)
    return fail('prism-length', 4, `Prism/AVS header length ${len} does not fit the ${b.length}-octet packet`);
  return ok(len);
}

export function decodeCapturedFrame(
  linkType: number,
  data: Uint8Array,
  opts: CaptureFrameOptions = {},
): ParseResult<CapturedFrame> {
  let radiotap: Radiotap | null = null;
  let off = 0;
  let fcs = (opts.fcsLength ?? 0) === 4;
  let dataPad = false;
  let badFcs = false;
  switch (linkType) {
    case LINKTYPE_IEEE802_11:
      break;
    case LINKTYPE_IEEE802_11_RADIOTAP: {
      const r = decodeRadiotap(data);
      if (!r.ok) return r;
      radiotap = r.value;
      off = r.value.length;
      const flags = r.value.fields.flags;
      if (flags !== undefined) {
        fcs = (flags & RADIOTAP_F.FCS) !== 0;
        dataPad = (flags & RADIOTAP_F.DATAPAD) !== 0;
        badFcs = (flags & RADIOTAP_F.BADFCS) !== 0;
      }
      break;
    }
    case LINKTYPE_IEEE802_11_PRISM:
    case LINKTYPE_IEEE802_11_AVS: {
      const r = prismHeaderLength(data);
      if (!r.ok) return r;
      off = r.value;
      break;
    }
    default:
      return fail('link-type', 0, `link type ${linkType} does not carry 802.11 frames`);
  }
  const cut = opts.originalLength !== undefined && opts.originalLength > data.length;
  const frameBytes = data.subarray(off);
  // A frame cut by the snap length has lost its FCS (if any) with its tail: do not check what is not there.
  const f = decodeFrame(frameBytes, { fcs: fcs && !cut, verifyFcs: !badFcs && opts.verifyFcs !== false, dataPad });
  if (!f.ok) {
    if (cut)
      return fail(
        'capture-truncated',
        off + f.offset,
        `the capture kept ${data.length} of ${opts.originalLength} octets (${f.reason}: ${f.detail})`,
      );
    return rebase(f, off);
  }
  return ok({ radiotap, frameBytes, frame: f.value, badFcs });
}
